/**
 * Is this run slower, or failing more, than a baseline run of the same scenario? A pure judge over
 * two stored results (docs/baselines.md). A regression needs both a statistical test that does
 * not flag noise and a difference worth acting on:
 * - latency: the per-second p95 series, Mann–Whitney U (current greater), p < alpha; and the run's
 *   p95 above the baseline's by at least `minDeltaPct` % and `minDeltaMs` ms;
 * - throughput: the per-second successful iterations, Mann–Whitney U (current less), p < alpha;
 *   and down by at least `minDeltaPct` %;
 * - errors: failed over all iterations, one-sided two-proportion z-test, p < alpha; and up by at
 *   least `minErrorPts` percentage points.
 */
import type { Check } from '../core/record.ts';
import { mannWhitneyGreater, proportionGreater } from '../core/stats.ts';
import type { ScenarioResult } from '../scenarios/result.ts';
import { TrendSink } from '../scenarios/metrics.ts';
import { check, round } from './check.ts';
import { COMPARE_DEFAULTS, type CompareOptions } from './baseline-options.ts';

export { COMPARE_DEFAULTS, type CompareOptions };

/** Seconds a series needs at least, whatever alpha. */
export const MIN_SECONDS = 5;

/**
 * Whether series of these lengths can reach p < alpha at all: the smallest p the test can give is
 * for complete separation (every value of one above every value of the other). Below that, a
 * regression could never be flagged, so there is no verdict.
 */
export function canReach(n1: number, n2: number, alpha: number): boolean {
  if (n1 < MIN_SECONDS || n2 < MIN_SECONDS) return false;
  const high = Array.from({ length: n1 }, (_, i) => n2 + 1 + i);
  const low = Array.from({ length: n2 }, (_, i) => 1 + i);
  return mannWhitneyGreater(high, low).p < alpha;
}

/** The trend the timeline follows, by what the scenario produced (the engines chart these). */
const TIMELINE_TRENDS = ['http_req_duration', 'feature_store_query_duration', 'kafka_writer_write_seconds'];

export interface BaselineRef { runId: string; startedAt: string }

const fmtP = (p: number) => (p < 1e-4 ? p.toExponential(1) : String(round(p, 4)));

/** Percentiles the comparison chart draws: the body and the tail of each distribution. */
export const CHART_QUANTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9];

/** Both runs' latency at each of CHART_QUANTILES, from their HDR histograms; null when either kept none. */
function distributions(base: ScenarioResult, cur: ScenarioResult, trend: string): { quantiles: number[]; baseline: number[]; current: number[] } | null {
  const [hb, hc] = [base.histograms?.[trend], cur.histograms?.[trend]];
  if (!hb || !hc) return null;
  const at = (h: string) => { const t = TrendSink.decode(h); return CHART_QUANTILES.map((q) => round(t.percentile(q) ?? NaN, 3)); };
  return { quantiles: CHART_QUANTILES, baseline: at(hb), current: at(hc) };
}

export function compareScenario(base: ScenarioResult, cur: ScenarioResult, ref: BaselineRef, o: CompareOptions = COMPARE_DEFAULTS): Check[] {
  const id = (what: string) => `baseline:${cur.scenario}:${what}`;
  const where = `baseline run ${ref.runId} (${ref.startedAt})`;
  const out: Check[] = [];
  const tooShort = (what: string, title: string, unit: string, target: string, nb: number, nc: number) =>
    check(id(what), title, target, null, unit, 'no-data', {
      what: `${nb} second(s) of baseline and ${nc} of this run: too few for any difference to reach p<${o.alpha} (at least ${MIN_SECONDS} each, more for a smaller alpha)`, how: 'per-second series from the run timelines', where,
    });

  // Only the same offered load compares: another rate changes latency and throughput by itself.
  const offered = (r: ScenarioResult) => { const e = r.executor; return e.executor === 'constant-arrival-rate' ? `${e.rate}/${e.timeUnit}` : `${e.startRate}→${e.stages.map((x) => x.target).join('→')}/${e.timeUnit}`; };
  if (offered(base) !== offered(cur)) {
    return [check(id('load'), `${cur.scenario}: the same load as the baseline`, offered(base), offered(cur), '', 'no-data', {
      what: `the baseline offered ${offered(base)} (${base.executor.executor}), this run ${offered(cur)}: latency and throughput are not comparable`, how: 'the two runs\' executors', where,
    })];
  }
  const trend = TIMELINE_TRENDS.find((m) => base.metrics[m] && cur.metrics[m]);
  if (!trend) {
    out.push(check(id('latency'), `${cur.scenario}: latency no slower than the baseline's`, 'a latency trend in both runs', null, 'ms', 'no-data', {
      what: `no latency trend (${TIMELINE_TRENDS.join(', ')}) in both runs: baseline has ${Object.keys(base.metrics).join(', ') || 'none'}`, how: 'the runs\' metrics', where,
    }));
  } else {
    const b = base.metrics[trend]!.values;
    const c = cur.metrics[trend]!.values;
    const bs = base.timeline.map((t) => t.p95).filter((v): v is number => v !== null);
    const cs = cur.timeline.map((t) => t.p95).filter((v): v is number => v !== null);
    const floor = Math.max(b['p(95)']! * (1 + o.minDeltaPct / 100), b['p(95)']! + o.minDeltaMs);
    const title = `${cur.scenario}: ${trend} p95 no slower than the baseline's`;
    const target = `not significantly above ${round(b['p(95)']!, 2)} ms (p<${o.alpha} and ≥ ${round(floor, 2)} ms)`;
    if (!canReach(cs.length, bs.length, o.alpha)) out.push(tooShort(`${trend}:p95`, title, 'ms', target, bs.length, cs.length));
    else {
      const t = mannWhitneyGreater(cs, bs);
      const regressed = t.p < o.alpha && c['p(95)']! >= floor;
      out.push(check(id(`${trend}:p95`), title, target, round(c['p(95)']!, 2), 'ms', regressed ? 'fail' : 'pass', {
        what: `p50/p95/p99 ${round(b.med!, 2)}/${round(b['p(95)']!, 2)}/${round(b['p(99)']!, 2)} ms → ${round(c.med!, 2)}/${round(c['p(95)']!, 2)}/${round(c['p(99)']!, 2)} ms`
          + ` (p95 ${c['p(95)']! >= b['p(95)']! ? '+' : ''}${round(c['p(95)']! - b['p(95)']!, 2)} ms); per-second p95 one-sided Mann–Whitney U=${t.u}, z=${round(t.z, 2)}, p=${fmtP(t.p)}`
          + (regressed ? ': a regression' : t.p < o.alpha ? ': significant but smaller than the practical floor' : ': not significant'),
        how: `Mann–Whitney U (normal approximation, tie and continuity corrected) on ${cs.length} vs ${bs.length} per-second p95 values; the run p95 from each run's HDR histogram`,
        where, baseline: { runId: ref.runId, p50: b.med, p95: b['p(95)'], p99: b['p(99)'], count: b.count }, current: { p50: c.med, p95: c['p(95)'], p99: c['p(99)'], count: c.count },
        test: { method: 'mann-whitney-u', u: t.u, z: t.z, p: t.p, alpha: o.alpha, n1: t.n1, n2: t.n2 },
        // What the reports draw: both runs' latency distributions and the per-second series the test compared.
        distribution: distributions(base, cur, trend), series: { baseline: bs, current: cs },
      }));
    }
  }

  // Throughput and errors from the timeline: iterations and failed ones per second, whatever the target.
  const ok = (r: ScenarioResult) => r.timeline.map((t) => t.iterations - t.failed);
  const [bo, co] = [ok(base), ok(cur)];
  const rate = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
  const title = `${cur.scenario}: successful iterations per second no lower than the baseline's`;
  const target = `not significantly below ${round(rate(bo), 2)}/s (p<${o.alpha} and ≥ ${o.minDeltaPct} % lower)`;
  if (!canReach(bo.length, co.length, o.alpha)) out.push(tooShort('throughput', title, '/s', target, bo.length, co.length));
  else {
    const t = mannWhitneyGreater(bo, co); // the baseline greater = this run lower
    const regressed = t.p < o.alpha && rate(co) <= rate(bo) * (1 - o.minDeltaPct / 100);
    out.push(check(id('throughput'), title, target, round(rate(co), 2), '/s', regressed ? 'fail' : 'pass', {
      what: `${round(rate(bo), 2)}/s → ${round(rate(co), 2)}/s; one-sided Mann–Whitney U=${t.u}, p=${fmtP(t.p)}${regressed ? ': a regression' : ''}`,
      how: `Mann–Whitney U on ${bo.length} vs ${co.length} per-second counts of successful iterations`, where,
      test: { method: 'mann-whitney-u', u: t.u, z: t.z, p: t.p, alpha: o.alpha },
    }));
  }

  const sum = (r: ScenarioResult, k: 'iterations' | 'failed') => r.timeline.reduce((a, t) => a + t[k], 0);
  const [bn, bk, cn, ck] = [sum(base, 'iterations'), sum(base, 'failed'), sum(cur, 'iterations'), sum(cur, 'failed')];
  const bRate = bn ? bk / bn : 0;
  const cRate = cn ? ck / cn : 0;
  const t = proportionGreater(bk, bn, ck, cn);
  const regressed = t.p < o.alpha && (cRate - bRate) * 100 >= o.minErrorPts;
  out.push(check(id('errors'), `${cur.scenario}: failed share no higher than the baseline's`,
    `not significantly above ${round(bRate * 100, 3)} % (p<${o.alpha} and ≥ +${o.minErrorPts} points)`, round(cRate * 100, 3), '%',
    !bn || !cn ? 'no-data' : regressed ? 'fail' : 'pass', {
      what: `${bk}/${bn} failed → ${ck}/${cn} failed; one-sided two-proportion z=${round(t.z, 2)}, p=${fmtP(t.p)}${regressed ? ': a regression' : ''}`,
      how: 'pooled two-proportion z-test on failed over all iterations of each run', where,
      test: { method: 'two-proportion-z', z: t.z, p: t.p, alpha: o.alpha },
    }));
  return out;
}
