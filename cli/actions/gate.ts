import { writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { configFrom, profileFrom, runOpts } from '../context.ts';
import type { LoadedProfile } from '../../profile/load.ts';
import type { Contract } from '../../profile/schema.ts';
import { compileMessages } from '../../platform/contract.ts';
import { isReferenceMessage } from '../../platform/reference-messages.ts';
import { runCommand, type RunContext } from '../../core/run.ts';
import { UsageError } from '../../core/errors.ts';
import { mask } from '../../core/secrets.ts';
import type { RunRecord } from '../../core/record.ts';
import type { Config } from '../../core/config.ts';
import { checkScenario, scenarioCatalog, type Catalog } from '../../scenarios/catalog.ts';
import { withOverrides } from '../../scenarios/plan.ts';
import { relativeThresholds, resolveAgainstRun, withoutRelative } from '../../scenarios/baseline-thresholds.ts';
import { durationFlag } from '../options.ts';
import { storedRun, type StoredRun } from '../runs.ts';
import { baselineChecks, compareOptions } from './compare.ts';
import { runsDir } from '../../core/config.ts';
import type { CompareOptions } from '../../verifiers/baseline.ts';
import type { Scenario } from '../../scenarios/types.ts';
import type { ScenarioResult } from '../../scenarios/result.ts';
import { saturation, scenarioChecks } from '../../verifiers/load.ts';
import { gateMarkdown, gateJunit } from '../../reports/gate.ts';
import { compareHtml } from '../../reports/compare.ts';

export interface LoadOpts {
  engine: Engine; duration?: string; rate?: number; junit?: string; summary?: string; parallelism?: number;
  /** false: `--no-baseline` (run once without the thresholds relative to a baseline). */
  baseline?: string | false; alpha?: string; minDeltaPct?: string; minDeltaMs?: string; minErrorPts?: string;
}

/** The run to compare against and how (`--baseline`), resolved before any load. */
interface Baseline { run: StoredRun; opts: CompareOptions }
export type Engine = 'native' | 'k6' | 'k6-operator';

/** Runs scenarios one after another into one record; used by `gate` and `run`. */
async function runScenarios(ctx: RunContext, cfg: Config, lp: LoadedProfile, scenarios: Scenario[], o: LoadOpts, baseline: Baseline | null): Promise<void> {
  // Only the engine that runs is loaded (the others bring clients of their own).
  const { endpointsFor } = await import('../../scenarios/endpoints.ts');
  const endpoints = endpointsFor(lp.profile);
  const results: ScenarioResult[] = [];
  const live = process.stderr.isTTY;
  for (const s of scenarios) {
    if (ctx.signal.aborted) break;
    ctx.progress(`▶ ${s.name}: ${s.description}`);
    const r = o.engine === 'k6'
      ? await (await import('../../scenarios/engines/k6/run.ts')).runK6(s, { endpoints, signal: ctx.signal, outDir: ctx.rec.dir, progress: (line) => ctx.progress(line) })
      : o.engine === 'k6-operator'
        ? await (await import('../../scenarios/engines/k6/operator.ts')).runK6Operator(s, { cfg, profile: lp.profile, signal: ctx.signal, outDir: ctx.rec.dir, parallelism: o.parallelism ?? 2, progress: (line: string) => ctx.progress(line), onCleanup: (fn) => ctx.onCleanup(fn) })
        : await (await import('../../scenarios/engines/native/index.ts')).runNative(s, {
          endpoints, signal: ctx.signal,
          progress: (line, final) => {
            if (live) process.stderr.write(`\r\x1b[2K${mask(line)}${final ? '\n' : ''}`);
            else if (final) ctx.progress(line);
          },
        });
    results.push(r);
    ctx.rec.setData('scenarios', results);
    for (const c of scenarioChecks(s, r)) ctx.rec.addCheck(c);
  }
  // Against a baseline run: is any scenario slower, or failing more, than it was (docs/baselines.md)?
  if (baseline && !ctx.signal.aborted) for (const c of baselineChecks(baseline.run, results, baseline.opts)) ctx.rec.addCheck(c);
  const starved = saturation(ctx.rec.record.checks);
  if (starved) throw starved;
}

function writeReports(r: RunRecord, dir: string, o: LoadOpts): void {
  const md = gateMarkdown(r);
  writeFileSync(join(dir, 'summary.md'), md);
  writeFileSync(join(dir, 'junit.xml'), gateJunit(r));
  // Against a baseline: both distributions, drawn from the comparison's evidence.
  if (r.data.baseline) writeFileSync(join(dir, 'baseline.html'), compareHtml(r));
  if (o.junit) { mkdirSync(dirname(resolve(o.junit)), { recursive: true }); writeFileSync(resolve(o.junit), gateJunit(r)); }
  if (o.summary) { mkdirSync(dirname(resolve(o.summary)), { recursive: true }); writeFileSync(resolve(o.summary), md); }
  // CI job summaries (GitHub Actions and compatible runners).
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, md + '\n');
}

/** The scenarios as they will run: the catalog's, with the flags' overrides. Exit 2 on any bad value, before anything runs. */
function plan(scenarios: Scenario[], o: LoadOpts, contract: Contract): Scenario[] {
  if (o.duration !== undefined) durationFlag('--duration', o.duration);
  for (const [flag, v] of [['--junit', o.junit], ['--summary', o.summary]] as const) if (v !== undefined && v.trim() === '') throw new UsageError(flag, 'names no file');
  if (o.rate !== undefined && (!Number.isFinite(o.rate) || o.rate <= 0)) throw new UsageError('--rate', 'must be a number > 0');
  const planned = scenarios.map((s) => withOverrides(s, { duration: o.duration, rate: o.rate }));
  for (const s of planned) {
    try { checkScenario(s); } catch (e) {
      // An override that makes a scenario unjudgeable (a rate below its own throughput floor) names the flag.
      if (e instanceof UsageError && (o.rate !== undefined || o.duration !== undefined)) throw new UsageError(o.rate !== undefined ? '--rate' : '--duration', e.message);
      throw e;
    }
  }
  // The Kafka scenarios write the profile's price message: a template its contract could not read back is refused now.
  if (planned.some((s) => s.target.kind === 'kafka-produce')) {
    compileMessages(contract);
    if (o.engine !== 'native' && !isReferenceMessage(contract.message)) {
      throw new UsageError('--engine', 'the k6 scripts write the reference price message only (k6/lib/platform.ts); this profile\'s platform.kafka.contract.message differs: use --engine native');
    }
  }
  if (o.engine === 'k6-operator' && !(Number.isInteger(o.parallelism) && o.parallelism! >= 1 && o.parallelism! <= 100)) {
    throw new UsageError('--parallelism', 'must be a whole number from 1 to 100');
  }
  return planned;
}

/**
 * Thresholds written against a baseline (`p(95) < baseline * 1.10`) become plain ones from the
 * baseline run's stored result, before any load. Without `--baseline` they are refused (a gate
 * that silently skipped them would pass what it was told to compare); `--no-baseline` leaves them
 * out on purpose, listed in the record, to make the first baseline.
 */
function againstBaseline(planned: Scenario[], o: LoadOpts, baseline: Baseline | null): { scenarios: Scenario[]; leftOut: Array<{ scenario: string; key: string; written: string }> } {
  const relative = planned.flatMap((s) => relativeThresholds(s).map((r) => ({ scenario: s.name, key: r.key, written: r.written, source: s.source })));
  if (!relative.length) return { scenarios: planned, leftOut: [] };
  if (o.baseline === false) return { scenarios: planned.map(withoutRelative), leftOut: relative.map(({ source: _s, ...x }) => x) };
  if (!baseline) {
    const first = relative[0]!;
    throw new UsageError('--baseline', `${first.scenario}${first.source ? ` (${first.source})` : ''} judges ${first.key} "${first.written}" against a baseline run: name one with --baseline RUN|latest-pass, or run once with --no-baseline to make the first`);
  }
  const results = baseline.run.record.data.scenarios as ScenarioResult[];
  return {
    scenarios: planned.map((s) => checkScenario(resolveAgainstRun(s, baseline.run.record.id, results.find((r) => r.scenario === s.name), baseline.run.record.status))),
    leftOut: [],
  };
}

export async function execute(cmd: Command, kind: string, choose: (c: Catalog) => { scenarios: Scenario[]; suite: string }, o: LoadOpts): Promise<number> {
  const cfg = configFrom(cmd);
  const lp = profileFrom(cmd, cfg);
  const cat = scenarioCatalog(lp);
  const { scenarios, suite } = choose(cat);
  const planned = plan(scenarios, o, lp.profile.platform.kafka.contract);
  if (o.engine === 'k6') (await import('../../scenarios/engines/k6/run.ts')).findK6(); // a missing k6 exits 2 before anything runs
  const opts = compareOptions(o);
  const baseline = typeof o.baseline !== 'string' ? null : { run: storedRun(o.baseline, '--baseline', runsDir(cfg), lp.profile.name, undefined, planned.map((s) => s.name)), opts };
  const { scenarios: resolved, leftOut } = againstBaseline(planned, o, baseline);
  const code = await runCommand({ ...runOpts(cmd, kind, cfg, lp), onFinish: (r, dir) => writeReports(r, dir, o) }, async (ctx) => {
    ctx.rec.setData('suite', suite);
    ctx.rec.setData('engine', o.engine);
    // The plan as it runs (targets resolved against the profile): reports read it from here, never from today's files.
    ctx.rec.setData('plan', { files: cat.files, scenarios: resolved, ...(leftOut.length ? { baselineLeftOut: leftOut } : {}) });
    if (baseline) ctx.rec.setData('baseline', { runId: baseline.run.record.id, file: baseline.run.file, options: baseline.opts });
    if (leftOut.length) ctx.progress(`--no-baseline: not judged (relative to a baseline): ${leftOut.map((x) => `${x.scenario} ${x.key} ${x.written}`).join('; ')}`);
    // A latency SLO judged on zero samples proves nothing: for a deploy gate, no data is a failure.
    ctx.rec.noDataFails = true;
    await runScenarios(ctx, cfg, lp, resolved, o, baseline);
  }, (r) => process.stdout.write(gateMarkdown(r)));
  return code;
}
