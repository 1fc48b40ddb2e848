import type { Command } from 'commander';
import { join, relative } from 'node:path';
import { EXIT } from '../core/errors.ts';
import { projectRoot } from '../core/paths.ts';

export function registerK6(program: Command): void {
  const k6 = program.command('k6').description('k6 scripts generated from the scenario definitions');
  k6.command('generate')
    .description(`render every built-in scenario to a k6 TypeScript script in ${relative(projectRoot, join(projectRoot, 'k6'))}/ (run them with \`k6 run\`)`)
    .option('--check', 'change nothing; exit 1 and list the files that are stale')
    .action(async (o: { check?: boolean }, cmd: Command) => {
      const [{ K6_DIR, staleScripts, writeScripts }, { parseConfig }, { sandboxProfileOf }] = await Promise.all([
        import('../scenarios/engines/k6/script.ts'), import('../core/config.ts'), import('./context.ts')]);
      const g = cmd.optsWithGlobals<{ json?: boolean }>();
      // The committed fallbacks are the sandbox's at the default config, whatever this checkout's config says.
      const defaults = sandboxProfileOf(parseConfig({}));
      const files = o.check ? staleScripts(defaults) : writeScripts(defaults);
      if (g.json) process.stdout.write(JSON.stringify({ dir: K6_DIR, [o.check ? 'stale' : 'written']: files }) + '\n');
      else if (o.check) process.stdout.write(files.length ? `stale (run \`harness k6 generate\`):\n  ${files.join('\n  ')}\n` : 'k6 scripts are up to date\n');
      else process.stdout.write(files.length ? `wrote ${files.map((f) => `k6/${f}`).join(', ')}\n` : 'k6 scripts already up to date\n');
      process.exitCode = o.check && files.length ? EXIT.checkFailed : EXIT.ok;
    });
}
