import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFrom, profileFrom, runOpts } from '../context.ts';
import { storedRun, type StoredRun } from '../runs.ts';
import { runsDir } from '../../core/config.ts';
import { runCommand } from '../../core/run.ts';
import { UsageError } from '../../core/errors.ts';
import type { Check } from '../../core/record.ts';
import type { ScenarioResult } from '../../scenarios/result.ts';
import { COMPARE_DEFAULTS, compareScenario, type CompareOptions } from '../../verifiers/baseline.ts';
import { check } from '../../verifiers/check.ts';
import { compareHtml, compareMarkdown } from '../../reports/compare.ts';

export interface CompareFlags { alpha: string; minDeltaPct: string; minDeltaMs: string; minErrorPts: string }

/** The comparison's options from its flags; exit 2 on a value out of range. */
export function compareOptions(o: Partial<CompareFlags>): CompareOptions {
  const num = (flag: string, v: string | undefined, dflt: number, lo: number, hi: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < lo || n > hi || v.trim() === '') throw new UsageError(flag, `${JSON.stringify(v)}: expected a number from ${lo} to ${hi}`);
    return n;
  };
  return {
    alpha: num('--alpha', o.alpha, COMPARE_DEFAULTS.alpha, 1e-6, 0.2),
    minDeltaPct: num('--min-delta-pct', o.minDeltaPct, COMPARE_DEFAULTS.minDeltaPct, 0, 1000),
    minDeltaMs: num('--min-delta-ms', o.minDeltaMs, COMPARE_DEFAULTS.minDeltaMs, 0, 60_000),
    minErrorPts: num('--min-error-pts', o.minErrorPts, COMPARE_DEFAULTS.minErrorPts, 0, 100),
  };
}

/** Every scenario of the current run against the baseline's run of the same name; one without is no data. */
export function baselineChecks(base: StoredRun, current: ScenarioResult[], o: CompareOptions): Check[] {
  const theirs = base.record.data.scenarios as ScenarioResult[];
  const ref = { runId: base.record.id, startedAt: base.record.startedAt };
  if (!current.length) {
    return [check('baseline:results', 'results to compare with the baseline', 'at least one scenario', 0, 'scenarios', 'no-data',
      { what: `no scenario finished to compare with ${ref.runId}`, how: 'scenario results by name', where: base.file })];
  }
  return current.flatMap((c) => {
    const b = theirs.find((x) => x.scenario === c.scenario);
    if (!b) return [check(`baseline:${c.scenario}:present`, `${c.scenario}: in the baseline run`, 'present', null, '', 'no-data',
      { what: `baseline run ${ref.runId} has no ${c.scenario} (it ran ${theirs.map((x) => x.scenario).join(', ') || 'nothing'})`, how: 'scenario results by name', where: base.file })];
    return compareScenario(b, c, ref, o);
  });
}

/** `harness compare BASELINE CURRENT`. */
export async function compareAction(baselineRef: string, currentRef: string, o: CompareFlags, cmd: Command): Promise<void> {
  const cfg = configFrom(cmd);
  const lp = profileFrom(cmd, cfg);
  const opts = compareOptions(o);
  const runs = runsDir(cfg);
  const current = storedRun(currentRef, '<current>', runs, lp.profile.name);
  const mine = (current.record.data.scenarios as ScenarioResult[]).map((s) => s.scenario);
  const base = storedRun(baselineRef, '<baseline>', runs, lp.profile.name, current.record.id, mine);
  if (base.record.id === current.record.id) throw new UsageError('<baseline>', `is the same run as <current> (${base.record.id})`);
  process.exitCode = await runCommand({ ...runOpts(cmd, 'compare', cfg, lp), onFinish: (r, dir) => writeFileSync(join(dir, 'compare.html'), compareHtml(r)) }, async ({ rec }) => {
    rec.setData('baseline', { runId: base.record.id, file: base.file, startedAt: base.record.startedAt });
    rec.setData('current', { runId: current.record.id, file: current.file, startedAt: current.record.startedAt });
    rec.setData('alpha', opts.alpha);
    rec.setData('options', opts);
    for (const c of baselineChecks(base, current.record.data.scenarios as ScenarioResult[], opts)) rec.addCheck(c);
    // A run that did not complete is compared on what it ran, which is never all of it.
    if (current.record.status === 'aborted' || current.record.status === 'error') {
      rec.addCheck(check('baseline:current-complete', 'the current run completed', 'completed', current.record.status, '', 'no-data',
        { what: `${current.record.id} ${current.record.status === 'aborted' ? 'was aborted' : 'ended in an error'}${current.record.error ? `: ${current.record.error}` : ''}`, how: 'the record\'s status', where: current.file }));
    }
  }, (r) => process.stdout.write(compareMarkdown(r)));
}
