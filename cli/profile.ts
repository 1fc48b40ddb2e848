import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runCommand } from '../core/run.ts';
import { projectRoot } from '../core/paths.ts';
import { UsageError } from '../core/errors.ts';
import type { RunRecord } from '../core/record.ts';

/** The commented starter profile `harness init` writes. */
export const STARTER = join(projectRoot, 'templates', 'profile.starter.yaml');

function printCheck(r: RunRecord): void {
  const w = Math.max(...r.checks.map((c) => c.title.length), 0);
  process.stdout.write(`profile ${r.profile?.name ?? r.platform} (${r.profile?.source ?? ''}, ${r.profile?.hash ?? ''})\n`);
  for (const c of r.checks) {
    const mark = c.status === 'pass' ? '✔' : c.status === 'no-data' ? '–' : '✘';
    process.stdout.write(`${mark} ${c.title.padEnd(w)}  ${c.evidence.where.padEnd(28)} ${c.evidence.what}\n`);
  }
}

export function registerProfile(program: Command): void {
  const profile = program.command('profile').description('the platform profile: every connection, name, query and target of the platform under test');
  profile.command('check')
    .description('reach every part the profile names (credentials included) without generating load: exit 0 all reachable, 2 bad profile, 3 a part unreachable')
    .action(async (_o: unknown, cmd: Command) => {
      const [{ configFrom, profileFrom, runOpts }, { scenarioCatalog }, { compileMessages }] = await Promise.all([
        import('./context.ts'), import('../scenarios/catalog.ts'), import('../platform/contract.ts')]);
      const cfg = configFrom(cmd);
      const lp = profileFrom(cmd, cfg);
      // Its scenario files and message template are part of the profile: a bad one exits 2 here too.
      scenarioCatalog(lp);
      if (lp.profile.platform.kafka.contract.message) compileMessages(lp.profile.platform.kafka.contract);
      const { reachabilityChecks } = await import('../verifiers/reachability.ts');
      process.exitCode = await runCommand(runOpts(cmd, 'profile-check', cfg, lp), async ({ rec }) => {
        for (const c of await reachabilityChecks(lp.profile)) rec.addCheck(c);
        // A part that cannot be reached cannot be verified: the run could not complete (exit 3).
        if (rec.record.checks.some((c) => c.status === 'error')) rec.record.error = `unreachable: ${rec.record.checks.filter((c) => c.status === 'error').map((c) => c.title).join(', ')}`;
      }, printCheck);
      // Parts the profile leaves out are no data, not a failure of the profile.
      if (process.exitCode === 4) process.exitCode = 0;
    });
  profile.command('schema')
    .description('print the profile\'s JSON Schema (also in docs/profile.schema.json) for editors to validate and complete with')
    .action(async () => {
      const { profileJsonSchema } = await import('../profile/schema.ts');
      process.stdout.write(`${JSON.stringify(profileJsonSchema(), null, 2)}\n`);
    });

  program.command('init')
    .description('write a commented starter profile for your platform (then: harness profile check -p FILE)')
    .option('-o, --output <file>', 'where to write it', 'harness.profile.yaml')
    .option('--force', 'overwrite an existing file')
    .action((o: { output: string; force?: boolean }) => {
      if (!o.output) throw new UsageError('--output', 'names no file');
      const path = resolve(process.cwd(), o.output);
      if (existsSync(path) && !o.force) throw new UsageError('--output', `${path} exists; pass --force to overwrite it`);
      writeFileSync(path, readFileSync(STARTER, 'utf8').replace('SCHEMA_PATH', join(projectRoot, 'docs', 'profile.schema.json')), { mode: 0o600 });
      process.stderr.write(`wrote ${path}: fill in your platform's addresses, then run: harness profile check -p ${o.output}\n`);
    });
}
