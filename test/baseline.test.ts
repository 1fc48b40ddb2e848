/**
 * Baseline comparison without a sandbox: the statistics agree with SciPy's (fixtures written by
 * SciPy itself, test/fixtures/stats/SOURCES.md), and the judge flags a slower or failing run while
 * leaving noise alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import { mannWhitneyGreater, proportionGreater } from '../core/stats.ts';
import { compareScenario, COMPARE_DEFAULTS } from '../verifiers/baseline.ts';
import type { ScenarioResult } from '../scenarios/result.ts';
import type { Scenario } from '../scenarios/types.ts';
import { relativeThresholds, resolveAgainstRun, resolveRelative } from '../scenarios/baseline-thresholds.ts';
import { checkScenario } from '../scenarios/catalog.ts';
import { evaluate } from '../scenarios/thresholds.ts';
import { parseScenarioThresholds } from '../scenarios/verdict.ts';
import { resultSource } from '../scenarios/replay.ts';
import { scenarioChecks } from '../verifiers/load.ts';
import { TrendSink } from '../scenarios/metrics.ts';
import { UsageError } from '../core/errors.ts';
import { compareHtml } from '../reports/compare.ts';

const scipy = JSON.parse(readFileSync(join(projectRoot, 'test', 'fixtures', 'stats', 'scipy-1.17.1.json'), 'utf8')) as {
  mannwhitneyu_greater_asymptotic: Array<{ x: number[]; y: number[]; U: number; p: number }>;
  two_proportion_greater: Array<{ k1: number; n1: number; k2: number; n2: number; z: number; p: number }>;
};

test('Mann–Whitney U agrees with scipy.stats.mannwhitneyu (greater, asymptotic, continuity): U exactly, p within 1e-6', () => {
  assert.ok(scipy.mannwhitneyu_greater_asymptotic.length >= 10);
  for (const c of scipy.mannwhitneyu_greater_asymptotic) {
    const r = mannWhitneyGreater(c.x, c.y);
    assert.is(r.u, c.U, `U for ${JSON.stringify(c.x)} vs ${JSON.stringify(c.y)}`);
    assert.ok(Math.abs(r.p - c.p) < 1e-6, `p ${r.p} vs scipy ${c.p}`);
  }
});

test('the two-proportion z-test agrees with SciPy\'s 2×2 chi-square (z² = χ²): z and p within 1e-6', () => {
  for (const c of scipy.two_proportion_greater) {
    const r = proportionGreater(c.k1, c.n1, c.k2, c.n2);
    assert.ok(Math.abs(r.z - c.z) < 1e-6, `z ${r.z} vs ${c.z}`);
    assert.ok(Math.abs(r.p - c.p) < 1e-6, `p ${r.p} vs ${c.p}`);
  }
  assert.equal(proportionGreater(0, 100, 0, 100), { z: 0, p: 1 }, 'no failures on either side: nothing to test');
});

/** A synthetic result: per-second p95s, and per-second iterations and failures. */
function result(p95s: number[], failed = 0, iterations = 100, offered = 100): ScenarioResult {
  const sorted = [...p95s].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    scenario: 'inference-latency', engine: 'native', startedAt: '', endedAt: '', durationS: p95s.length, where: 'synthetic', aborted: null,
    executor: { executor: 'constant-arrival-rate', rate: offered, timeUnit: '1s', duration: `${p95s.length}s`, preAllocatedVUs: 1, maxVUs: 1 },
    thresholds: [], histograms: {}, crossChecks: {},
    metrics: { http_req_duration: { type: 'trend', unit: 'ms', values: { count: p95s.length * iterations, med: at(0.5) * 0.6, 'p(95)': at(0.95), 'p(99)': at(0.99) * 1.1 } } },
    timeline: p95s.map((p95, i) => ({ t: i + 1, iterations, failed: i < failed ? 1 : 0, p95 })),
  };
}
const ref = { runId: 'baseline-run', startedAt: '2026-12-01T00:00:00Z' };
const noisy = (base: number, seed: number) => Array.from({ length: 8 }, (_, i) => base + ((i * 7 + seed * 3) % 5) - 2);
const byId = (cs: ReturnType<typeof compareScenario>, part: string) => cs.find((c) => c.id.endsWith(part)) ?? assert.unreachable(part) as never;

test('25 ms slower on every second: the p95 check fails naming both runs\' figures and the test', () => {
  const cs = compareScenario(result(noisy(8, 1)), result(noisy(33, 2)), ref);
  const p95 = byId(cs, 'http_req_duration:p95');
  assert.is(p95.status, 'fail', JSON.stringify(p95.evidence));
  assert.match(p95.evidence.what, /Mann–Whitney U=64, .*a regression/, 'every second of this run above every second of the baseline');
  assert.is((p95.evidence as unknown as { baseline: { runId: string } }).baseline.runId, 'baseline-run');
  assert.is(byId(cs, 'throughput').status, 'pass');
  assert.is(byId(cs, 'errors').status, 'pass');
});

test('noise is not a regression: the same level twice passes; a significant shift smaller than the floor passes too', () => {
  for (let seed = 0; seed < 5; seed++) {
    assert.is(byId(compareScenario(result(noisy(8, seed)), result(noisy(8, seed + 1)), ref), 'http_req_duration:p95').status, 'pass', `seed ${seed}`);
  }
  // 2 ms slower on every second is significant, but below max(10 %, 5 ms): not worth failing a deploy.
  const steady = [20, 20.1, 19.9, 20.2, 19.8, 20.05, 19.95, 20.15];
  const slower = steady.map((v) => v + 2);
  const small = byId(compareScenario(result(steady), result(slower), ref), 'http_req_duration:p95');
  assert.is(small.status, 'pass');
  assert.match(small.evidence.what, /significant but smaller than the practical floor/);
  // The same shift with a floor of 0 is a regression: the floor, not the test, let it pass.
  assert.is(byId(compareScenario(result(steady), result(slower), ref, { ...COMPARE_DEFAULTS, minDeltaMs: 0, minDeltaPct: 0 }), 'http_req_duration:p95').status, 'fail');
});

test('failures: 8 of 800 failed against none is a regression; 1 of 800 is not (below 0.1 points)', () => {
  assert.is(byId(compareScenario(result(noisy(8, 0)), result(noisy(8, 0), 8), ref), 'errors').status, 'fail');
  assert.is(byId(compareScenario(result(noisy(8, 0)), result(noisy(8, 0), 1), ref), 'errors').status, 'pass');
});

test('throughput: a third fewer successful iterations each second at the same offered load is a regression', () => {
  const cs = compareScenario(result(noisy(8, 0), 0, 90), result(noisy(8, 0), 0, 60), ref);
  assert.is(byId(cs, 'throughput').status, 'fail');
});

test('another offered load is not compared: one no-data check says why', () => {
  const cs = compareScenario(result(noisy(8, 0), 0, 100, 100), result(noisy(30, 0), 0, 200, 200), ref);
  assert.equal(cs.map((c) => [c.id, c.status]), [['baseline:inference-latency:load', 'no-data']]);
  assert.match(cs[0]!.evidence.what, /not comparable/);
});

test('a series too short for the chosen alpha is no data: 8 seconds a side cannot reach p<1e-6', () => {
  const cs = compareScenario(result(noisy(8, 1)), result(noisy(33, 2)), ref, { ...COMPARE_DEFAULTS, alpha: 1e-6 });
  assert.is(byId(cs, 'http_req_duration:p95').status, 'no-data');
});

test('too short to compare: fewer than 5 seconds on either side is no data, never a pass', () => {
  const cs = compareScenario(result([8, 9, 8]), result([40, 41, 42]), ref);
  assert.is(byId(cs, 'http_req_duration:p95').status, 'no-data');
  assert.is(byId(cs, 'throughput').status, 'no-data');
});

test('the comparison keeps both distributions and the compared series; its page draws them from the record alone', () => {
  const hist = (ms: number) => { const h = new TrendSink(); for (let i = 0; i < 500; i++) h.add(ms + (i % 10) / 10); return h.encode(); };
  const [b, c] = [{ ...result(noisy(8, 1)), histograms: { http_req_duration: hist(8) } }, { ...result(noisy(33, 2)), histograms: { http_req_duration: hist(33) } }];
  const cs = compareScenario(b, c, ref);
  const p95 = byId(cs, 'http_req_duration:p95');
  const ev = p95.evidence as unknown as { distribution: { quantiles: number[]; baseline: number[]; current: number[] }; series: { baseline: number[]; current: number[] } };
  assert.equal(ev.distribution.quantiles, [1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9]);
  assert.ok(ev.distribution.baseline.every((v) => v >= 8 && v < 9.1) && ev.distribution.current.every((v) => v >= 33 && v < 34.1), JSON.stringify(ev.distribution));
  assert.equal(ev.series, { baseline: noisy(8, 1), current: noisy(33, 2) });
  // Without a histogram on either side there is no distribution to draw, and the page says so.
  const old = compareScenario(result(noisy(8, 1)), result(noisy(33, 2)), ref);
  assert.is((byId(old, 'http_req_duration:p95').evidence as unknown as { distribution: unknown }).distribution, null);
  const record = (checks: typeof cs) => ({ schemaVersion: 1, id: 'cmp-1', kind: 'compare', startedAt: '2026-12-05T00:00:00Z', endedAt: '2026-12-05T00:00:01Z', status: 'fail' as const, platform: 'sandbox', argv: [], checks, data: { baseline: { runId: 'baseline-run' }, current: { runId: 'current-run' }, alpha: 0.01 } });
  const html = compareHtml(record(cs));
  assert.match(html, /<span class="verdict verdict-fail" id="verdict">FAIL<\/span>/);
  // Two charts (distribution, per-second p95), each with both runs as a series.
  assert.is((html.match(/<svg class="chart line-chart"/g) ?? []).length, 2);
  assert.is((html.match(/<polyline class="series" data-series="baseline baseline-run"/g) ?? []).length, 2);
  assert.is((html.match(/<polyline class="series" data-series="current"/g) ?? []).length, 2);
  assert.not.match(html, /<script|\ssrc=/i, 'self-contained');
  assert.match(compareHtml(record(old)), 'One of the runs kept no latency histogram');
});

// ---------------------------------------------------------------------------------------------
// Thresholds relative to a baseline: `p(95) < baseline * 1.10`

const relScenario = (thresholds: Scenario['thresholds']): Scenario => ({
  name: 'inference-latency', description: 'x', slo: ['response-time-p95'], target: { kind: 'http', method: 'POST', path: '/v1/predict', body: true },
  executor: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '5s', preAllocatedVUs: 5, maxVUs: 20 },
  thresholds: { 'dropped_iterations{scenario:inference-latency}': ['count==0'], ...thresholds }, source: 'load.yaml:3',
});
/** A stored baseline: 20 ms for 95 % of its requests, 40 ms for the rest; 2 failed of 1000. */
function storedBaseline(): ScenarioResult {
  const h = new TrendSink();
  for (let i = 0; i < 950; i++) h.add(20);
  for (let i = 0; i < 50; i++) h.add(40);
  return { ...result(noisy(20, 1)), histograms: { http_req_duration: h.encode() },
    metrics: { http_req_duration: { type: 'trend', unit: 'ms', values: { count: 1000, avg: 21, 'p(95)': 20 } }, http_req_failed: { type: 'rate', unit: 'ratio', values: { rate: 0.002, passes: 2, fails: 998 } } } };
}
const usage = (f: () => unknown): UsageError => { try { f(); } catch (e) { if (e instanceof UsageError) return e; throw e; } return assert.unreachable('no UsageError') as never; };

test('baseline-relative thresholds resolve from the baseline run\'s stored result before any load: any percentile from its histogram, a rate from its summary', () => {
  const s = relScenario({
    'http_req_duration{scenario:inference-latency}': ['p(95) < baseline * 1.10', 'p(99)<baseline+5', 'p(95)<100'],
    http_req_failed: [{ threshold: 'rate <= baseline + 0.001', abortOnFail: true }],
  });
  assert.is(checkScenario(s), s, 'a scenario written against a baseline is valid before one is named');
  assert.equal(relativeThresholds(s).map((r) => [r.key, r.aggregation, r.op, r.by]), [
    ['http_req_duration{scenario:inference-latency}', 'p(95)', '<', { op: '*', n: 1.1 }],
    ['http_req_duration{scenario:inference-latency}', 'p(99)', '<', { op: '+', n: 5 }],
    ['http_req_failed', 'rate', '<=', { op: '+', n: 0.001 }],
  ]);
  const r = resolveAgainstRun(s, 'base-1', storedBaseline());
  // p(95) of the stored histogram is 20 ms and p(99) 40 ms, as its HDR buckets read them (3
  // significant digits: the bucket's top, 20.0165), the same reading the run itself was judged by.
  const h = TrendSink.decode(storedBaseline().histograms.http_req_duration!);
  const [p95, p99] = [h.percentile(95)!, h.percentile(99)!];
  assert.ok(p95 >= 20 && p95 < 20.03 && p99 >= 40 && p99 < 40.05, `${p95} ${p99}`);
  const six = (v: number) => Number(v.toPrecision(6));
  assert.equal(r.thresholds['http_req_duration{scenario:inference-latency}'], [`p(95)<${six(p95 * 1.1)}`, `p(99)<${six(p99 + 5)}`, 'p(95)<100']);
  assert.equal(r.thresholds.http_req_failed, [{ threshold: 'rate<=0.003', abortOnFail: true }]);
  assert.equal(r.baselineThresholds!.map((b) => [b.written, b.value, b.runId]), [
    ['p(95) < baseline * 1.10', six(p95), 'base-1'], ['p(99)<baseline+5', six(p99), 'base-1'], ['rate <= baseline + 0.001', 0.002, 'base-1'],
  ]);
  const limit = `p(95)<${six(p95 * 1.1)}`;
  checkScenario(r);
  // Judged as plain thresholds: a run 10 % slower at p95 than the baseline fails, one 5 % slower passes.
  const judge = (ms: number) => {
    const h = new TrendSink();
    for (let i = 0; i < 1000; i++) h.add(ms);
    const cur: ScenarioResult = { ...storedBaseline(), histograms: { http_req_duration: h.encode() } };
    const outcomes = evaluate(parseScenarioThresholds(r), resultSource(cur));
    return outcomes.find((o) => o.expr === limit)!.ok;
  };
  assert.is(judge(21), true, '5 % slower');
  assert.is(judge(22.5), false, '12 % slower');
  // The check says what was written and where the number came from.
  const checks = scenarioChecks(r, { ...storedBaseline(), thresholds: [{ key: 'http_req_duration{scenario:inference-latency}', metric: 'http_req_duration', expr: limit, target: '< 22', observed: 23, ok: false, abortOnFail: false }] });
  assert.match(checks[0]!.title, `${limit} (p(95) < baseline * 1.10: ${six(p95)} in base-1)`);
  assert.is((checks[0]!.evidence as unknown as { baseline: { value: number } }).baseline.value, six(p95));
});

test('baseline-relative thresholds that cannot be resolved are exit 2 naming the threshold: malformed, another tag, a baseline without the scenario or the value', () => {
  const bad = (t: string, key = 'http_req_duration') => usage(() => checkScenario(relScenario({ [key]: [t] })));
  assert.match(bad('p(95) < baseline ** 2').message, 'optionally "* F"');
  assert.match(bad('p(95) < baseline * 0').message, 'above 0');
  assert.match(bad('p(95) < 2 * baseline').message, '<aggregation> <op> baseline');
  const tagged = bad('p(95) < baseline * 1.1', 'http_req_duration{status:200}');
  assert.match(tagged.field, 'thresholds["http_req_duration{status:200}"][0]');
  assert.match(tagged.message, 'not other tag filters');
  const s = relScenario({ http_req_duration: ['p(95) < baseline * 1.1'] });
  assert.match(usage(() => resolveAgainstRun(s, 'base-2', undefined)).message, 'baseline run base-2 did not run inference-latency');
  assert.is(usage(() => resolveAgainstRun(s, 'base-2', undefined)).field, '--baseline');
  const noHist = { ...storedBaseline(), histograms: {}, metrics: {} };
  assert.match(usage(() => resolveAgainstRun(s, 'base-2', noHist)).message, 'baseline run base-2 holds no p(95) of http_req_duration');
  // Targets that judge nothing: a count above a negative number, a rate below 0.
  const clean = { ...storedBaseline(), metrics: { ...storedBaseline().metrics, http_req_failed: { type: 'rate' as const, unit: 'ratio', values: { rate: 0, passes: 0, fails: 1000 } } } };
  assert.match(usage(() => resolveAgainstRun(relScenario({ http_req_failed: ['rate < baseline * 1.1'] }), 'b0', clean)).message, 'no run can pass it');
  assert.match(usage(() => resolveAgainstRun(relScenario({ 'dropped_iterations{scenario:inference-latency}': ['count==0', 'count >= baseline - 5'] }), 'b0', clean)).message, 'a negative target judges nothing');
  // A counter that never counted is 0 in the baseline, not missing.
  const zero = resolveAgainstRun(relScenario({ 'dropped_iterations{scenario:inference-latency}': ['count==0', 'count <= baseline + 2'] }), 'b0', clean);
  assert.equal(zero.thresholds['dropped_iterations{scenario:inference-latency}'], ['count==0', 'count<=2']);
  // The baseline must have passed and run the scenario to the end.
  assert.match(usage(() => resolveAgainstRun(s, 'b1', storedBaseline(), 'fail')).message, 'baseline run b1 ended fail');
  assert.match(usage(() => resolveAgainstRun(s, 'b1', { ...storedBaseline(), aborted: 'interrupted: SIGINT' })).message, 'cut inference-latency short');
  // An aggregation the metric does not have is k6's own error once resolved (a rate has no p95).
  const wrong = resolveRelative(relScenario({ http_req_failed: ['p(95) < baseline'] }), 'b', () => 1).scenario;
  assert.match(usage(() => checkScenario(wrong)).field, 'http_req_failed');
});

test.run();
