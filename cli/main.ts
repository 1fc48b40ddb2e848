import { Command, CommanderError } from 'commander';
import { EXIT, InfraError, UsageError } from '../core/errors.ts';
import { mask } from '../core/secrets.ts';
import { registerSandbox } from './sandbox.ts';
import { registerProfile } from './profile.ts';
import { registerLoad } from './gate.ts';
import { registerCheck } from './check.ts';
import { registerReport } from './report.ts';
import { registerDrill } from './drill.ts';
import { registerK6 } from './k6.ts';
import { registerScenarios } from './scenarios.ts';
import { registerCompare } from './compare.ts';
import { registerJudge } from './judge.ts';
import { registerDeploy } from './deploy.ts';

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
  registerCompare(program);
  registerJudge(program);
  registerCheck(program);
  registerReport(program);
  registerDrill(program);
  registerK6(program);
  registerDeploy(program);

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
      process.stderr.write(`error: ${mask(e.message)}\n`);
      return EXIT.usage;
    }
    if (e instanceof InfraError) {
      process.stderr.write(`error: ${mask(e.message)}\n`); // the message names the part
      return EXIT.infra;
    }
    process.stderr.write(`error: ${mask(String((e as Error).stack ?? e))}\n`);
    return EXIT.infra;
  }
}
