import { Option, type Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { DEFAULT_SUITE } from '../scenarios/types.ts';
import { compareFlags } from './compare.ts';
import type { LoadOpts } from './actions/gate.ts';

/** The work itself, loaded when a load command runs: its help and flags need none of it. */
const gate = () => import('./actions/gate.ts');

const engineOption = () => new Option('--engine <engine>', 'load engine: native (built in), k6 (your k6 on PATH or $K6_BIN), k6-operator (a TestRun in the cluster)')
  .choices(['native', 'k6', 'k6-operator']).default('native');
const parallelismOption = () => new Option('--parallelism <n>', 'k6-operator: runner pods per scenario').argParser(Number).default(2);
const durationOption = () => new Option('--duration <d>', 'override each scenario\'s duration (k6 syntax: 30s, 1m30s)');

export function registerLoad(program: Command): void {
  compareFlags(program.command('gate')
    .description('run an SLO suite and decide: exit 0 pass, 1 a check failed, 2 bad input, 3 could not run'))
    .option('--suite <name>', `suite to run (the profile's scenario files and suites; \`harness scenarios list\`)`, DEFAULT_SUITE)
    .addOption(engineOption())
    .addOption(parallelismOption())
    .addOption(durationOption())
    .option('--junit <file>', 'also write JUnit XML here (always written to the run folder)')
    .option('--summary <file>', 'also write the Markdown summary here (always written to the run folder; appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--only <scenarios>', 'run only these scenarios of the suite (comma-separated), e.g. to re-check one SLO after a fix')
    .option('--baseline <run>', 'also fail on a regression against this load run (its id, folder, record.json, or latest-pass): docs/baselines.md')
    .option('--no-baseline', 'run without a baseline: thresholds written against one ("p(95) < baseline * 1.10") are left out, and the record lists them')
    .addHelpText('after', '\nThe built-in deploy suite: inference-latency, feature-store-query, consumer-lag, kafka-throughput (scenarios/definitions/deploy.yaml).\nA profile adds its own scenario files and suites (docs/scenarios.md).\n')
    .action(async (o: LoadOpts & { suite: string; only?: string }, cmd: Command) => {
      process.exitCode = await (await gate()).execute(cmd, 'gate', (cat) => {
        const suite = cat.suites[o.suite];
        if (!suite) throw new UsageError('--suite', `no suite "${o.suite}" in the profile's catalog; suites: ${Object.keys(cat.suites).join(', ') || '(none)'}`);
        const names = suite.scenarios;
        const only = o.only?.split(',').map((x) => x.trim()).filter(Boolean);
        const unknown = only?.filter((n) => !names.includes(n)) ?? [];
        if (only && (!only.length || unknown.length)) {
          throw new UsageError('--only', `${unknown.length ? `not in suite ${o.suite}: ${unknown.join(', ')}` : 'names no scenario'}; the suite has ${names.join(', ')}`);
        }
        const chosen = only ? names.filter((n) => only.includes(n)) : names;
        return { scenarios: chosen.map((n) => cat.scenarios[n]!), suite: o.suite };
      }, o);
    });

  compareFlags(program.command('run')
    .description('run one scenario and judge its thresholds'))
    .argument('<scenario>', 'a scenario of the profile\'s catalog (`harness scenarios list`)')
    .addOption(engineOption())
    .addOption(parallelismOption())
    .addOption(durationOption())
    .option('--rate <n>', 'override the arrival rate (iterations per timeUnit; ramping: peak)', Number)
    .option('--baseline <run>', 'also fail on a regression against this load run (its id, folder, record.json, or latest-pass): docs/baselines.md')
    .option('--no-baseline', 'run without a baseline: thresholds written against one ("p(95) < baseline * 1.10") are left out, and the record lists them')
    .option('--junit <file>', 'also write JUnit XML here')
    .option('--summary <file>', 'also write the Markdown summary here')
    .action(async (name: string, o: LoadOpts, cmd: Command) => {
      process.exitCode = await (await gate()).execute(cmd, 'run', (cat) => {
        const s = cat.scenarios[name];
        if (!s) throw new UsageError('<scenario>', `unknown scenario "${name}"; the profile's scenarios: ${Object.keys(cat.scenarios).join(', ')}`);
        return { scenarios: [s], suite: name };
      }, o);
    });
}
