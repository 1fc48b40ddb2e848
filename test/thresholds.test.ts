import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError, exitCodeFor, EXIT } from '../core/errors.ts';
import {
  ThresholdError, parseThresholdExpr, parseMetricKey, parseThresholds, parseDuration, evaluate, shouldAbort,
  abortingThresholds, percentileOf, minSamples, MIN_SAMPLES, formatThreshold, thresholdTarget, formatMetricKey, describeResult, toK6Thresholds,
  type MetricSource, type MetricType, type MetricView, type ParsedThreshold, type ThresholdsInput,
} from '../scenarios/thresholds.ts';

const TYPES: Record<string, MetricType> = {
  http_reqs: 'counter',
  dropped_iterations: 'counter',
  vus: 'gauge',
  http_req_failed: 'rate',
  http_req_duration: 'trend',
};

function thresholdError(fn: () => unknown): ThresholdError {
  try { fn(); } catch (e) {
    assert.instance(e, ThresholdError);
    return e as ThresholdError;
  }
  assert.unreachable('expected a ThresholdError');
  throw new Error('unreachable');
}

// --- expressions ---------------------------------------------------------------------------

test('every aggregation of every metric type is accepted', () => {
  const ok: Array<[string, string]> = [
    ['http_reqs', 'count>0'], ['http_reqs', 'rate>=7000'],
    ['vus', 'value<10'],
    ['http_req_failed', 'rate<0.001'],
    ['http_req_duration', 'avg<50'], ['http_req_duration', 'min>=0'], ['http_req_duration', 'med<80'],
    ['http_req_duration', 'max<5000'], ['http_req_duration', 'p(95)<100'], ['http_req_duration', 'p(99.9)<200'],
    ['http_req_duration', 'p(0)>=0'], ['http_req_duration', 'p(100)<1e4'],
  ];
  for (const [metric, expr] of ok) {
    const [p] = parseThresholds({ [metric]: [expr] }, TYPES);
    assert.is(p!.metric, metric);
    assert.is(p!.expr.source, expr);
  }
});

test('aggregation, operator and value are parsed', () => {
  assert.equal(parseThresholdExpr('p(99.9) < 200'), { aggregation: { kind: 'p', p: 99.9 }, op: '<', value: 200, source: 'p(99.9) < 200' });
  assert.equal(parseThresholdExpr('med<=80.5').aggregation, { kind: 'med' });
  assert.is(parseThresholdExpr('rate<0.001').value, 0.001);
  assert.is(parseThresholdExpr('value>-3').value, -3);
  assert.is(parseThresholdExpr('count===0').op, '===');
  assert.is(parseThresholdExpr('count == 0').op, '==');
  assert.is(parseThresholdExpr('count!=0').op, '!=');
  assert.is(parseThresholdExpr('avg>=1').op, '>=');
  assert.is(parseThresholdExpr('avg>1').op, '>');
  assert.is(parseThresholdExpr('avg<=1').op, '<=');
});

test('every invalid aggregation/type pairing is rejected naming the metric and aggregation', () => {
  const all = ['count', 'rate', 'value', 'avg', 'min', 'med', 'max', 'p(95)'];
  const allowed: Record<string, string[]> = {
    http_reqs: ['count', 'rate'], vus: ['value'], http_req_failed: ['rate'],
    http_req_duration: ['avg', 'min', 'med', 'max', 'p(95)'],
  };
  for (const [metric, good] of Object.entries(allowed)) {
    for (const agg of all.filter((a) => !good.includes(a))) {
      const e = thresholdError(() => parseThresholds({ [metric]: [`${agg}<1`] }, TYPES));
      assert.match(e.message, `aggregation "${agg}" is not valid for ${TYPES[metric]} metric ${metric}`);
    }
  }
  const e = thresholdError(() => parseThresholds({ http_reqs: ['count<1', 'p(95)<100'] }, TYPES));
  assert.is(e.message, 'thresholds["http_reqs"][1]: aggregation "p(95)" is not valid for counter metric http_reqs; use count or rate');
  assert.is(e.path, 'thresholds["http_reqs"][1]');
  assert.match(thresholdError(() => parseThresholds({ vus: ['avg<1'] }, TYPES)).message, 'use value');
  assert.match(thresholdError(() => parseThresholds({ http_req_duration: ['rate<1'] }, TYPES)).message, 'use avg, min, med, max or p(N)');
});

test('malformed expressions are rejected with clear messages', () => {
  const cases: Array<[string, string]> = [
    ['p95<100', 'unknown aggregation "p95"'],
    ['p(95)<', 'missing value after operator "<"'],
    ['p(101)<5', 'percentile 101 is out of range'],
    ['p(-1)<5', 'percentile "-1" is not a number'],
    ['p()<5', 'percentile is empty'],
    ['p(x)<5', 'percentile "x" is not a number'],
    ['p( 95 )<5', 'did you mean "p(95)"'],
    ['avg<<3', 'invalid operator "<<"'],
    ['rate<abc', 'value "abc" is not a number'],
    ['rate<NaN', 'value "NaN" is not a number'],
    ['', 'threshold expression is empty'],
    ['   ', 'threshold expression is empty'],
    ['count=1', 'invalid operator "="'],
    ['count=>1', 'invalid operator "=>"'],
    ['count 1', 'no comparison operator'],
    ['<5', 'missing aggregation'],
    ['average<5', 'unknown aggregation "average"'],
    ['AVG<5', 'unknown aggregation "AVG"'],
    ['avg<5 ms', 'value "5 ms" is not a number'],
    ['avg<5<6', 'value "5<6" is not a number'],
  ];
  for (const [expr, why] of cases) {
    const e = thresholdError(() => parseThresholdExpr(expr));
    assert.match(e.message, why, `${JSON.stringify(expr)} → ${e.message}`);
  }
  assert.match(thresholdError(() => parseThresholdExpr('p95<100')).message, 'did you mean "p(95)"');
  // in a block, the path names the entry
  const e = thresholdError(() => parseThresholds({ http_req_duration: ['p(95)<100', 'p95<100'] }, TYPES));
  assert.is(e.path, 'thresholds["http_req_duration"][1]');
  assert.match(e.message, /^thresholds\["http_req_duration"\]\[1\]: "p95<100": unknown aggregation/);
});

test('ThresholdError is a UsageError: the CLI exits 2', () => {
  const e = thresholdError(() => parseThresholdExpr('nope'));
  assert.instance(e, UsageError);
  assert.is(exitCodeFor(e), EXIT.usage);
  assert.is(e.field, e.path);
});

// --- keys ------------------------------------------------------------------------------------

test('metric keys with and without tag filters', () => {
  assert.equal(parseMetricKey('http_req_duration'), { metric: 'http_req_duration', tags: {} });
  assert.equal(parseMetricKey('http_req_duration{scenario:inference}'), { metric: 'http_req_duration', tags: { scenario: 'inference' } });
  assert.equal(parseMetricKey('http_req_duration{status:200,method:GET}'), { metric: 'http_req_duration', tags: { status: '200', method: 'GET' } });
  assert.equal(parseMetricKey(' http_req_duration { status : 200 ,  method:GET } '), { metric: 'http_req_duration', tags: { status: '200', method: 'GET' } });
  assert.equal(parseMetricKey('http_req_duration{url:http://x:8080/a}').tags, { url: 'http://x:8080/a' });
  assert.equal(parseMetricKey(`checks{"check":'status is 200'}`).tags, { check: 'status is 200' });
  assert.is(formatMetricKey(parseMetricKey('m { a : 1 , b:2 }')), 'm{a:1,b:2}');
});

test('malformed metric keys are rejected', () => {
  const cases: Array<[string, string]> = [
    ['http_req_duration{scenario:x', 'unmatched curly brace'],
    ['http_req_duration}', 'unmatched curly brace'],
    ['http_req_duration}{', '"}" comes before "{"'],
    ['http_req_duration{a:b}x', 'text after the closing "}"'],
    ['http_req_duration{}', 'empty tag filter'],
    ['http_req_duration{scenario}', 'malformed tag "scenario"'],
    ['http_req_duration{scenario:}', 'malformed tag "scenario:"'],
    ['http_req_duration{:x}', 'malformed tag ":x"'],
    ['http_req_duration{a:1,a:2}', 'tag "a" appears twice'],
    ['{a:1}', 'metric name is empty'],
    ['', 'metric name is empty'],
    ['http req', 'contains whitespace'],
  ];
  for (const [key, why] of cases) assert.match(thresholdError(() => parseMetricKey(key)).message, why, key);
});

test('tagged keys in a block resolve to the metric type; unknown metrics are rejected', () => {
  const [p] = parseThresholds({ 'http_req_duration{scenario:inference}': ['p(95)<100'] }, TYPES);
  assert.is(p!.type, 'trend');
  assert.equal(p!.tags, { scenario: 'inference' });
  assert.is(p!.key, 'http_req_duration{scenario:inference}');
  const e = thresholdError(() => parseThresholds({ 'http_req_duraton{scenario:x}': ['p(95)<100'] }, TYPES));
  assert.is(e.path, 'thresholds["http_req_duraton{scenario:x}"]');
  assert.match(e.message, 'unknown metric "http_req_duraton"');
  assert.match(e.message, 'known metrics: dropped_iterations, http_req_duration');
  // inherited object keys are not metrics
  assert.match(thresholdError(() => parseThresholds({ toString: ['count<1'] }, TYPES)).message, 'unknown metric "toString"');
});

// --- object form and durations -----------------------------------------------------------------

test('object form with abortOnFail and delayAbortEval', () => {
  const ps = parseThresholds({
    http_req_duration: ['p(95)<100', { threshold: 'p(99)<200', abortOnFail: true, delayAbortEval: '1m30s' }, { threshold: 'max<1000' }],
    http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }],
  }, TYPES);
  assert.is(ps.length, 4);
  assert.equal(ps.map((p) => [p.path, p.abortOnFail, p.delayAbortEvalMs]), [
    ['thresholds["http_req_duration"][0]', false, null],
    ['thresholds["http_req_duration"][1]', true, 90_000],
    ['thresholds["http_req_duration"][2]', false, null],
    ['thresholds["http_req_failed"][0]', true, null],
  ]);
  assert.equal(toK6Thresholds(ps), {
    http_req_duration: ['p(95)<100', { threshold: 'p(99)<200', abortOnFail: true, delayAbortEval: '1m30s' }, 'max<1000'],
    http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }],
  });
});

test('bad object forms are rejected by path', () => {
  const bad = (spec: unknown) => thresholdError(() => parseThresholds({ http_req_duration: [spec] } as unknown as ThresholdsInput, TYPES));
  assert.is(bad({ threshold: 'p(95)<100', abortOnFial: true }).path, 'thresholds["http_req_duration"][0].abortOnFial');
  assert.is(bad({ abortOnFail: true }).path, 'thresholds["http_req_duration"][0].threshold');
  assert.is(bad({ threshold: 'p(95)<100', abortOnFail: 'yes' }).path, 'thresholds["http_req_duration"][0].abortOnFail');
  const d = bad({ threshold: 'p(95)<100', abortOnFail: true, delayAbortEval: '10 sec' });
  assert.is(d.path, 'thresholds["http_req_duration"][0].delayAbortEval');
  assert.match(d.message, 'k6 duration');
  assert.match(bad(42).message, 'must be a string like "p(95)<100"');
  const notArray = thresholdError(() => parseThresholds({ http_req_duration: 'p(95)<100' } as unknown as ThresholdsInput, TYPES));
  assert.is(notArray.path, 'thresholds["http_req_duration"]');
  assert.match(notArray.message, 'must be an array');
});

test('k6 durations', () => {
  assert.is(parseDuration('10s'), 10_000);
  assert.is(parseDuration('500ms'), 500);
  assert.is(parseDuration('1m30s'), 90_000);
  assert.is(parseDuration('1.5h'), 5_400_000);
  assert.is(parseDuration('2h45m'), 9_900_000);
  assert.is(parseDuration('1d'), 86_400_000);
  assert.is(parseDuration('1d12h'), 129_600_000);
  assert.is(parseDuration('1500'), 1500); // a bare number is milliseconds in k6
  assert.is(parseDuration(250), 250);
  assert.is(parseDuration('0'), 0);
  assert.is(parseDuration('100us'), 0.1);
  for (const bad of ['', '10 s', '10sec', 's', '-5s', '-5', '1m30', 'abc', '5d-1h']) {
    assert.throws(() => parseDuration(bad), (e: unknown) => e instanceof ThresholdError && /k6 duration/.test((e as Error).message), bad);
  }
});

// --- evaluation --------------------------------------------------------------------------------

/** An exact in-memory source: keeps every sample, k6 semantics (trend percentiles interpolated as k6). */
class MemSource implements MetricSource {
  samples: Array<{ metric: string; value: number; tags: Record<string, string> }> = [];
  constructor(private types: Record<string, MetricType>, private elapsedS: number) {}
  add(metric: string, value: number, tags: Record<string, string> = {}) { this.samples.push({ metric, value, tags }); return this; }
  metric(metric: string, tags: Readonly<Record<string, string>>): MetricView | null {
    const type = this.types[metric];
    if (!type) return null;
    const vs = this.samples.filter((s) => s.metric === metric && Object.entries(tags).every(([k, v]) => s.tags[k] === v)).map((s) => s.value);
    const sorted = [...vs].sort((a, b) => a - b);
    const none = vs.length === 0;
    const sum = vs.reduce((a, b) => a + b, 0);
    const elapsed = this.elapsedS;
    return {
      type,
      samples: () => vs.length,
      count: () => (none ? null : sum),
      rate: () => (none ? null : type === 'counter' ? sum / elapsed : vs.filter((v) => v !== 0).length / vs.length),
      value: () => (none ? null : vs[vs.length - 1]!),
      avg: () => (none ? null : sum / vs.length),
      min: () => (none ? null : sorted[0]!),
      max: () => (none ? null : sorted[sorted.length - 1]!),
      percentile: (p) => percentileOf(sorted, p),
    };
  }
}

test('k6 percentile interpolation: samples 1..100', () => {
  const s = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.is(percentileOf(s, 95), 95.05);
  assert.is(percentileOf(s, 50), 50.5);
  assert.is(percentileOf(s, 0), 1);
  assert.is(percentileOf(s, 100), 100);
  assert.is(percentileOf([7], 99), 7);
  assert.is(percentileOf([], 50), null);
});

test('evaluation: pass, fail, tags, every aggregation, counter == and rate per second', () => {
  const src = new MemSource(TYPES, 10);
  for (let i = 1; i <= 100; i++) src.add('http_req_duration', i, { scenario: 'inference' });
  src.add('http_req_duration', 5000, { scenario: 'other' });
  for (let i = 0; i < 1000; i++) src.add('http_req_failed', i < 2 ? 1 : 0);
  src.add('http_reqs', 300).add('http_reqs', 200);
  src.add('vus', 3).add('vus', 7);
  const parsed = parseThresholds({
    'http_req_duration{scenario:inference}': ['p(95)<100', 'p(95)<95', 'med==50.5', 'avg==50.5', 'min==1', 'max<=100'],
    http_req_duration: ['max==5000'],
    http_req_failed: ['rate<0.001', 'rate<=0.002'],
    http_reqs: ['count==500', 'count===500', 'count!=500', 'rate==50'],
    vus: ['value==7'],
  }, TYPES);
  const r = evaluate(parsed, src);
  assert.equal(r.map((x) => [x.key, x.expr, x.observed, x.ok]), [
    ['http_req_duration{scenario:inference}', 'p(95)<100', 95.05, true],
    ['http_req_duration{scenario:inference}', 'p(95)<95', 95.05, false],
    ['http_req_duration{scenario:inference}', 'med==50.5', 50.5, true],
    ['http_req_duration{scenario:inference}', 'avg==50.5', 50.5, true],
    ['http_req_duration{scenario:inference}', 'min==1', 1, true],
    ['http_req_duration{scenario:inference}', 'max<=100', 100, true],
    ['http_req_duration', 'max==5000', 5000, true],
    ['http_req_failed', 'rate<0.001', 0.002, false],
    ['http_req_failed', 'rate<=0.002', 0.002, true],
    ['http_reqs', 'count==500', 500, true],
    ['http_reqs', 'count===500', 500, true],
    ['http_reqs', 'count!=500', 500, false],
    ['http_reqs', 'rate==50', 50, true],
    ['vus', 'value==7', 7, true],
  ]);
  assert.ok(r.every((x) => x.k6Ok === x.ok));
  const failed = r[1]!;
  assert.is(failed.target, '< 95');
  assert.is(describeResult(failed), 'http_req_duration{scenario:inference} p(95) < 95: observed 95.05 (FAIL)');
});

test('no data: counters read 0 (as k6); other types give ok null, with k6Ok recording k6 behaviour', () => {
  const src = new MemSource(TYPES, 10);
  const parsed = parseThresholds({
    'dropped_iterations{scenario:x}': ['count==0', 'count>0', 'rate<1'],
    'http_req_duration{scenario:x}': ['p(95)<100', 'p(95)>100'],
    'http_req_failed{scenario:x}': ['rate<0.001', 'rate>0.5'],
    vus: ['value<1'],
  }, TYPES);
  const r = evaluate(parsed, src);
  assert.equal(r.map((x) => [x.expr, x.observed, x.ok, x.noSamples, x.k6Ok]), [
    ['count==0', 0, true, true, true],
    ['count>0', 0, false, true, false],
    ['rate<1', 0, true, true, true],
    ['p(95)<100', null, null, true, true], // k6: empty trend reads 0 → passes
    ['p(95)>100', null, null, true, false],
    ['rate<0.001', null, null, true, true], // k6: empty Rate sink → threshold passes
    ['rate>0.5', null, null, true, true],
    ['value<1', null, null, true, true], // k6: empty gauge reads 0
  ]);
  assert.is(describeResult(r[3]!), 'http_req_duration{scenario:x} p(95) < 100: no data (NO DATA)');
  // a source that does not know the metric at all is the same as no samples
  const r2 = evaluate(parsed, { metric: () => undefined });
  assert.equal(r2.map((x) => x.ok), r.map((x) => x.ok));
});

test('too few samples: a trend or rate threshold that would pass on fewer than its stated minimum is no data, not a verdict; one that fails stays failed', () => {
  const parsed = parseThresholds({
    'http_req_duration{scenario:x}': ['p(95)<100', 'p(99)<100', 'max<100', 'avg<100'],
    'http_req_failed{scenario:x}': ['rate<0.001'],
    'dropped_iterations{scenario:x}': ['count==0'],
  }, TYPES);
  assert.equal(parsed.map(minSamples), [20, 100, MIN_SAMPLES, MIN_SAMPLES, MIN_SAMPLES, null]);
  const few = new MemSource(TYPES, 1);
  for (let i = 0; i < 19; i++) few.add('http_req_duration', 5, { scenario: 'x' });
  for (let i = 0; i < 9; i++) few.add('http_req_failed', 0, { scenario: 'x' });
  const r = evaluate(parsed, few);
  // 19 fast requests: p(95) is merely their maximum, so no verdict; max and avg have enough.
  assert.equal(r.map((x) => [x.expr, x.observed, x.ok, x.samples]), [
    ['p(95)<100', 5, null, 19], ['p(99)<100', 5, null, 19], ['max<100', 5, true, 19], ['avg<100', 5, true, 19],
    ['rate<0.001', 0, null, 9], ['count==0', 0, true, null],
  ]);
  few.add('http_req_duration', 5, { scenario: 'x' });
  assert.is(evaluate(parsed, few)[0]!.ok, true, 'at 20 samples p(95) is judged');
  assert.is(evaluate(parsed, few)[1]!.ok, null);
  // Too few samples only withhold a pass: five requests at 500 ms have already broken p(95)<100.
  const slow = new MemSource(TYPES, 1);
  for (let i = 0; i < 5; i++) slow.add('http_req_duration', 500, { scenario: 'x' });
  const broken = evaluate(parsed, slow);
  assert.equal(broken.slice(0, 4).map((x) => [x.expr, x.ok, x.k6Ok]), [['p(95)<100', false, false], ['p(99)<100', false, false], ['max<100', false, false], ['avg<100', false, false]]);
  // So abortOnFail stops a run on a failure it has already seen, however few the samples.
  const nineteen = new MemSource(TYPES, 1);
  for (let i = 0; i < 19; i++) nineteen.add('http_req_duration', 500, { scenario: 'x' });
  assert.equal(abortingThresholds(evaluate(parseThresholds({ 'http_req_duration{scenario:x}': [{ threshold: 'p(95)<100', abortOnFail: true }] }, TYPES), nineteen), 10_000).map((r) => r.expr), ['p(95)<100']);
});

test('a source missing a needed method or disagreeing on the type is an engine bug', () => {
  const parsed = parseThresholds({ http_req_duration: ['p(95)<100'] }, TYPES);
  assert.throws(() => evaluate(parsed, { metric: () => ({ type: 'trend' }) }), /does not provide percentile\(\)/);
  assert.throws(() => evaluate(parsed, { metric: () => ({ type: 'counter', count: () => 1 }) }), /reports http_req_duration as counter/);
});

test('shouldAbort respects abortOnFail and delayAbortEval (strictly after the delay, as k6)', () => {
  const src = new MemSource(TYPES, 10);
  for (let i = 0; i < 10; i++) src.add('http_req_failed', 1);
  for (let i = 0; i < 20; i++) src.add('http_req_duration', 500); // p(95) is judged from 20 samples
  const mk = (th: ThresholdsInput) => evaluate(parseThresholds(th, TYPES), src);
  assert.not.ok(shouldAbort(mk({ http_req_failed: ['rate<0.01'] }), 60_000)); // fails, but no abortOnFail
  assert.ok(shouldAbort(mk({ http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }] }), 0));
  const delayed = mk({ http_req_duration: [{ threshold: 'p(95)<100', abortOnFail: true, delayAbortEval: '10s' }] });
  assert.not.ok(shouldAbort(delayed, 5_000));
  assert.not.ok(shouldAbort(delayed, 10_000));
  assert.ok(shouldAbort(delayed, 10_001));
  assert.equal(abortingThresholds(delayed, 20_000).map((r) => r.expr), ['p(95)<100']);
  assert.not.ok(shouldAbort(mk({ http_req_failed: [{ threshold: 'rate>0.5', abortOnFail: true }] }), 60_000)); // passing
  // no samples never abort (k6 skips empty sinks during the run), even a counter that reads 0
  assert.not.ok(shouldAbort(mk({ 'http_req_duration{scenario:none}': [{ threshold: 'p(95)>1', abortOnFail: true }] }), 60_000));
  assert.not.ok(shouldAbort(mk({ dropped_iterations: [{ threshold: 'count>0', abortOnFail: true }] }), 60_000));
});

// --- rendering -------------------------------------------------------------------------------

test('formatThreshold and thresholdTarget render canonically', () => {
  const [p] = parseThresholds({ http_req_duration: ['  p(99.9)   <=  200.5 '] }, TYPES) as [ParsedThreshold];
  assert.is(formatThreshold(p), 'p(99.9)<=200.5');
  assert.is(formatThreshold(parseThresholdExpr('count === 0')), 'count===0');
  assert.is(thresholdTarget(p), '<= 200.5');
  assert.is(thresholdTarget(parseThresholdExpr('rate<1e-3')), '< 0.001');
  // every canonical rendering parses back to the same expression
  for (const s of ['p(95)<100', 'med>=1', 'rate!=0.5', 'value>-2', 'count===3']) {
    const e = parseThresholdExpr(s);
    assert.equal({ ...parseThresholdExpr(formatThreshold(e)), source: s }, e);
  }
});

test.run();
