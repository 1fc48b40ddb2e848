import type { RunRecord, Check } from '../core/record.ts';
import type { ScenarioResult } from '../scenarios/result.ts';
import { render } from '../core/render.ts';

/** The gate's reports read only the run record. */
function view(r: RunRecord) {
  const scenarios = (r.data.scenarios ?? []) as ScenarioResult[];
  const checks = r.checks.map((c) => ({ ...c, scenario: c.id.split(':')[0], metric: c.id.split(':').slice(1, -1).join(':') || c.title }));
  const count = (cs: Check[], s: Check['status']) => cs.filter((c) => c.status === s).length;
  // The gate fails on a check with no data (a verdict needs evidence), so JUnit reports it as a
  // failure too: CI must never read failures="0" from a run that exited 1.
  const failures = (cs: Check[]) => count(cs, 'fail') + count(cs, 'no-data');
  const bySuite = new Map<string, typeof checks>();
  for (const c of checks) bySuite.set(c.scenario!, [...(bySuite.get(c.scenario!) ?? []), c]);
  const durationS = r.endedAt ? (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000 : 0;
  // Thresholds a --no-baseline run left out on purpose: CI shows them as skipped, never as passes.
  const leftOut = ((r.data.plan as { baselineLeftOut?: Array<{ scenario: string; key: string; written: string }> } | undefined)?.baselineLeftOut ?? []);
  return {
    leftOut,
    id: r.id, suite: (r.data.suite as string) ?? r.kind, engine: (r.data.engine as string) ?? 'native',
    status: r.status, pass: r.status === 'pass', startedAt: r.startedAt, error: r.error,
    total: checks.length, testsTotal: checks.length + leftOut.length, passed: count(r.checks, 'pass'), failures: failures(r.checks),
    errors: count(r.checks, 'error') + (r.error ? 1 : 0), skipped: leftOut.length, durationS,
    checks,
    scenarios: scenarios.map((x) => ({ ...x, warmupText: x.warmup ? warmupText(x.warmup) : null })),
    suites: [...bySuite].map(([name, cs]) => {
      const res = scenarios.find((s) => s.scenario === name);
      return {
        name, checks: cs, failures: failures(cs), errors: count(cs, 'error'), skipped: 0,
        durationS: res?.durationS.toFixed(3) ?? '0', startedAt: res?.startedAt ?? r.startedAt,
      };
    }),
  };
}

const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v * 10) / 10} ms`);

/** The warm-up as the reports show it: what ran before the measured window, and that it was not judged. */
export function warmupText(w: NonNullable<ScenarioResult['warmup']>): string {
  return `warm-up ${w.duration} before the measured window (not judged): ${w.iterations} iterations, ${w.metric} p50 ${ms(w.p50)} / p95 ${ms(w.p95)} / max ${ms(w.max)}, ${w.failed} failed, ${w.dropped} dropped`;
}

export const gateMarkdown = (r: RunRecord): string => render('gate-summary.md.hbs', view(r));
export const gateJunit = (r: RunRecord): string => render('junit.xml.hbs', view(r));
