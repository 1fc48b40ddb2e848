import { Command, CommanderError, Option } from 'commander';
import { loadConfig, runsDir, type Config } from '../core/config.ts';
import { loadProfile, profileRef, type LoadedProfile } from '../profile/load.ts';
import { EXIT, UsageError } from '../core/errors.ts';
import { runCommand } from '../core/run.ts';
import { registerSandbox, sandboxProfileOf, isSandboxProfile } from './sandbox.ts';
import { registerProfile } from './profile.ts';
import { registerLoad } from './gate.ts';
import { registerCheck } from './check.ts';
import { registerReport } from './report.ts';
import { registerDrill } from './drill.ts';
import { registerK6 } from './k6.ts';
import { registerScenarios } from './scenarios.ts';

export interface GlobalOpts { config?: string; profile?: string; json?: boolean; quiet?: boolean }

/** Config errors surface before anything runs: exit 2, no record, nothing touched. */
export function configFrom(cmd: Command): Config {
  const file = (cmd.optsWithGlobals() as GlobalOpts).config;
  if (file === '') throw new UsageError('--config', 'names no file');
  return loadConfig(file);
}

/**
 * The platform under test: `--profile FILE`, else `$HARNESS_PROFILE`, else the embedded sandbox's
 * profile (what `harness sandbox profile` prints). Validated before anything runs: exit 2.
 */
export function profileFrom(cmd: Command, cfg: Config, env = process.env): LoadedProfile {
  const flag = (cmd.optsWithGlobals() as GlobalOpts).profile;
  if (flag === '') throw new UsageError('--profile', 'names no file');
  const file = flag ?? (env.HARNESS_PROFILE || undefined);
  if (file === undefined) return sandboxProfileOf(cfg);
  const lp = loadProfile(file, env, flag !== undefined ? '--profile' : 'HARNESS_PROFILE');
  if (lp.profile.name === 'sandbox' && !isSandboxProfile(cfg, lp)) {
    throw new UsageError(`${lp.source}: name`, '"sandbox" is reserved for the embedded sandbox\'s own profile; name this platform (e.g. staging)');
  }
  return lp;
}

export function runOpts(cmd: Command, kind: string, cfg: Config, lp: LoadedProfile) {
  const g = cmd.optsWithGlobals() as GlobalOpts;
  return { kind, runsDir: runsDir(cfg), platform: lp.profile.name, profile: profileRef(lp), json: g.json, quiet: g.quiet };
}

export function buildProgram(): Command {
  const program = new Command('harness')
    .description('Load tests, chaos drills and week-1 checks for the commodity-data platform.')
    .option('-c, --config <file>', 'config file (YAML or JSON); default: harness.config.yaml in the checkout if present')
    .option('-p, --profile <file>', 'platform profile (YAML) naming every connection, name, query and target; default: $HARNESS_PROFILE, else the embedded sandbox\'s')
    .option('--json', 'print the run record as JSON on stdout')
    .option('-q, --quiet', 'no progress output on stderr')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSandbox(program);
  registerProfile(program);
  registerScenarios(program);
  registerLoad(program);
  registerCheck(program);
  registerReport(program);
  registerDrill(program);
  registerK6(program);

  program.command('start')
    .description('the main job: sandbox up (installing on first run), daily check, deploy gate, Wednesday drill, week-1 report')
    .option('--duration <d>', 'load duration of each gate scenario', '10s')
    .option('--window <d>', 'measurement window of the daily check', '15s')
    .option('--incidents <file>', 'incident log for the week-1 report (CSV or JSON)')
    .option('--feedback <file>', 'user feedback scores for the week-1 report (CSV or JSON)')
    .action(async (o, cmd: Command) => {
      const { startMain } = await import('./start.ts');
      process.exitCode = await startMain(cmd, o);
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.commands.forEach(function override(c: Command) { c.exitOverride(); c.commands.forEach(override); });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage; // commander already printed the message naming the argument
    }
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
    return EXIT.infra;
  }
}

export { runCommand, Option };
