import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InfraError } from '../core/errors.ts';
import { parseThresholds, evaluate, percentileOf } from '../scenarios/thresholds.ts';
import { TrendSink } from '../scenarios/metrics.ts';
import {
  parseHandleSummary, parseSummaryExport, parseMachineReadableSummary, parseK6Summary, parseNdjson, mergeNdjsonRunners,
  sourceFromSummary, thresholdsInput, metricTypes, verdictDisagreements, K6OutputError, type K6Summary,
} from '../scenarios/engines/k6/parse.ts';

const FIX = fileURLToPath(new URL('./fixtures/k6/', import.meta.url));
const read = (f: string) => readFileSync(FIX + f, 'utf8');
const json = (f: string) => JSON.parse(read(f)) as unknown;

const handle = () => parseHandleSummary(json('handle-summary.json'), 'handle-summary.json');
const legacy = () => parseSummaryExport(json('summary-export.json'), 'summary-export.json');
const mrs = () => parseMachineReadableSummary(json('machine-readable-summary.json'), 'machine-readable-summary.json');

function k6Error(fn: () => unknown): K6OutputError {
  try { fn(); } catch (e) {
    assert.instance(e, K6OutputError);
    assert.instance(e, InfraError);
    return e as K6OutputError;
  }
  assert.unreachable('expected a K6OutputError');
  throw new Error('unreachable');
}

// --- aggregate shapes ----------------------------------------------------------------------

const strip = (s: K6Summary) => Object.fromEntries(Object.entries(s.metrics).map(([k, m]) => [k, { type: m.type, values: m.values }]));

test('handleSummary and the legacy --summary-export of one run parse to the same metrics (types and values)', () => {
  const [h, l] = [handle(), legacy()];
  assert.equal(strip(l), strip(h));
  assert.is(Object.keys(h.metrics).length, 11);
  // a legacy Rate's `value` is read as `rate`
  assert.equal(l.metrics.http_req_failed!.values, { rate: 0.004, passes: 2, fails: 498 });
  assert.is(h.metrics.http_req_duration!.unit, 'ms');
  assert.is(h.metrics.data_received!.unit, 'bytes'); // from k6's `contains: data`
});

test('machine-readable summary (k6 schema 1.0.0): rate from matches/total, counter rate from config.duration, trends without p(99)', () => {
  const m = mrs();
  const raw = json('machine-readable-summary.json') as { config: { duration: number }; results: { metrics: Array<{ name: string; values: Record<string, number> }> } };
  const rawOf = (name: string) => raw.results.metrics.find((x) => x.name === name)!.values;
  // a Rate is { matches, total, rate }: normalized to k6's own rate / passes / fails
  assert.equal(rawOf('http_req_failed'), { matches: 2, rate: 0.004, total: 500 });
  assert.equal(m.metrics.http_req_failed!.values, { rate: 2 / 500, passes: 2, fails: 498 });
  assert.is(m.metrics.http_req_failed!.type, 'rate');
  // a Counter is { count } only; its rate is k6's own formula, count over the test run duration
  assert.equal(rawOf('http_reqs'), { count: 500 });
  assert.equal(m.metrics.http_reqs!.values, { count: 500, rate: 500 / raw.config.duration });
  // a Trend keeps avg, min, med, max, p(90), p(95); k6 drops p(99) although summaryTrendStats had it
  assert.equal(Object.keys(m.metrics.http_req_duration!.values).sort(), ['avg', 'max', 'med', 'min', 'p(90)', 'p(95)']);
  // sub-metrics are metrics named with their tag filter
  assert.is(m.metrics['http_req_duration{expected_response:true}']!.values['p(95)'], 87.75);
  assert.is(m.metrics['http_req_duration{scenario:inference}']!.type, 'trend');
  // results.checks.metrics are metrics too; checks_succeeded is the `checks` metric's own sink
  assert.equal(m.metrics.checks_failed!.values, { rate: 0.004, passes: 2, fails: 498 });
  assert.equal(m.metrics.checks!.values, m.metrics.checks_succeeded!.values);
  assert.equal(m.metrics.checks_total!.values, { count: 500, rate: 500 / raw.config.duration });
  assert.is(m.metrics.data_received!.unit, 'bytes');
  // every value agrees with the handleSummary data of the same run, where both have it
  const h = handle().metrics;
  for (const [key, s] of Object.entries(m.metrics)) {
    if (!h[key]) { assert.ok(/^checks_/.test(key), `${key} only in the machine-readable summary`); continue; }
    assert.is(s.type, h[key]!.type, key);
    for (const [stat, v] of Object.entries(s.values)) {
      assert.ok(Math.abs(v - h[key]!.values[stat]!) <= 1e-4 * Math.max(1, Math.abs(v)), `${key} ${stat}: ${v} vs ${h[key]!.values[stat]}`);
    }
  }
});

/** The machine-readable fixture with one change applied. */
function mrsWith(change: (doc: any) => void): unknown { // eslint-disable-line @typescript-eslint/no-explicit-any
  const doc = json('machine-readable-summary.json');
  change(doc);
  return doc;
}

test('machine-readable summary: the old guessed shape (tags, passes/fails, counter rate) is rejected naming the JSON path', () => {
  // what this repository used to assume k6 writes
  const guessed = {
    version: '1.0.0',
    metadata: { generatedAt: '2025-06-02T10:15:10.041Z', k6Version: '1.5.0' },
    config: { script: 'inference-latency.ts', executors: { inference: { type: 'constant-arrival-rate' } }, duration: 10.0405 },
    results: {
      checks: { metrics: { checks_total: 500 }, ordered_checks: [{ name: 'status is 200', passes: 498, fails: 2 }] },
      metrics: [
        { name: 'http_req_duration', tags: { expected_response: 'true' }, type: 'trend', contains: 'time', values: { avg: 47.9, 'p(99)': 161.8 } },
        { name: 'http_req_failed', type: 'rate', contains: 'default', values: { rate: 0.004, passes: 2, fails: 498 } },
        { name: 'http_reqs', type: 'counter', contains: 'default', values: { count: 500, rate: 49.798 } },
      ],
    },
  };
  const where = (doc: unknown) => k6Error(() => parseMachineReadableSummary(doc, 'm.json'));
  let e = where(guessed);
  assert.is(e.source, 'm.json');
  assert.is(e.where, '$.config.executors');
  assert.match(e.message, /unexpected field "executors"/);
  const config = { duration: 10.0405, execution: 'local' };
  e = where({ ...guessed, config });
  assert.is(e.where, '$.results.metrics[0].tags');
  assert.match(e.message, /m\.json: \$\.results\.metrics\[0\]\.tags: unexpected field "tags" \(k6's machine-readable summary has "name", "type", "contains", "values" here\)/);
  e = where({ ...guessed, config, results: { ...guessed.results, metrics: [] } });
  assert.is(e.where, '$.results.checks.ordered_checks'); // k6 calls the list `results`
  e = where({ ...guessed, config, results: { metrics: [], checks: { metrics: guessed.results.checks.metrics } } });
  assert.is(e.where, '$.results.checks.metrics');
  assert.match(e.message, /expected an array of metrics/);
  // each guess on its own, in the real fixture
  e = where(mrsWith((d) => { d.results.metrics[1].tags = { expected_response: 'true' }; }));
  assert.is(e.where, '$.results.metrics[1].tags');
  e = where(mrsWith((d) => { d.results.metrics[3].values = { rate: 0.004, passes: 2, fails: 498 }; }));
  assert.is(e.where, '$.results.metrics[3].values["passes"]');
  assert.match(e.message, /unexpected value "passes" for a rate metric \(k6 writes "matches", "total", "rate"\)/);
  e = where(mrsWith((d) => { d.results.metrics[4].values.rate = 49.798; }));
  assert.is(e.where, '$.results.metrics[4].values["rate"]');
  assert.match(e.message, /for a counter metric \(k6 writes "count"\)/);
  e = where(mrsWith((d) => { d.results.metrics[0].values['p(99)'] = 162.3; }));
  assert.is(e.where, '$.results.metrics[0].values["p(99)"]');
  assert.match(e.message, /only p\(90\) and p\(95\)/);
  e = where(mrsWith((d) => { delete d.config.execution; }));
  assert.equal([e.where, e.reason], ['$.config.execution', 'required field is missing']);
  e = where(mrsWith((d) => { d.results.metrics[3].values.rate = 0.5; }));
  assert.match(e.message, /\$\.results\.metrics\[3\]\.values\["rate"\]: rate 0\.5 does not equal matches \/ total \(2 \/ 500\)/);
  e = where(mrsWith((d) => { d.results.metrics[3].values.matches = 2.5; }));
  assert.is(e.where, '$.results.metrics[3].values["matches"]');
  e = where(mrsWith((d) => { d.version = '2.0.0'; }));
  assert.match(e.message, /\$\.version: schema version 2\.0\.0 is not supported/);
  e = where(mrsWith((d) => { d.results.metrics.push({ ...d.results.metrics[0] }); }));
  assert.match(e.message, /\$\.results\.metrics\[10\]: metric "http_req_duration" appears twice/);
});

test('machine-readable summary: what k6 really writes beyond the schema is read (snake_case metadata, null optionals)', () => {
  // grafana/k6#6004: k6 1.5–2.x renames metadata.generatedAt / k6Version through its JS runtime
  const snake = parseMachineReadableSummary(mrsWith((d) => {
    d.metadata = { generated_at: d.metadata.generatedAt, k6_version: d.metadata.k6Version };
  }), 'm.json');
  assert.equal(strip(snake), strip(mrs()));
  // an optional field may be null, as k6's generated strict reader allows; a required one may not
  const nulls = parseMachineReadableSummary(mrsWith((d) => {
    d.config.script = null; d.results.checks = null; d.results.metrics[0].values['p(90)'] = null;
  }), 'm.json');
  assert.equal(Object.keys(nulls.metrics.http_req_duration!.values).sort(), ['avg', 'max', 'med', 'min', 'p(95)']);
  assert.is(nulls.metrics.checks, undefined);
  assert.is(k6Error(() => parseMachineReadableSummary(mrsWith((d) => { d.results.metrics[4].values.count = null; }), 'm.json')).where, '$.results.metrics[4].values["count"]');
  assert.is(k6Error(() => parseMachineReadableSummary(mrsWith((d) => { d.config.duration = null; }), 'm.json')).reason, 'required field is null');
  // a zero-length run: no counter rate is made up
  const zero = parseMachineReadableSummary(mrsWith((d) => { d.config.duration = 0; }), 'm.json');
  assert.equal(zero.metrics.http_reqs!.values, { count: 500 });
  const e = k6Error(() => sourceFromSummary(zero).metric('http_reqs', {})!.rate!());
  assert.match(e.message, /no "rate" for http_reqs \(the machine-readable summary gives a counter only its count/);
});

test('with --new-machine-readable-summary, k6 writes the machine-readable summary to --summary-export too: it is read as one', () => {
  const viaExport = parseSummaryExport(json('machine-readable-summary.json'), 'summary-export.json');
  assert.is(viaExport.shape, 'machine-readable-summary');
  assert.is(viaExport.source, 'summary-export.json');
  assert.equal(strip(viaExport), strip(mrs()));
  assert.equal(viaExport.thresholds, []);
});

test('our evaluate() over the machine-readable summary: what it carries is judged, p(99) is an error naming the NDJSON', () => {
  const src = sourceFromSummary(mrs());
  const parsed = parseThresholds({
    http_req_duration: ['p(95)<100'], 'http_req_duration{scenario:inference}': ['p(90)<80'],
    http_req_failed: ['rate<0.01'], dropped_iterations: ['count==0'], checks: ['rate>0.99'],
  }, metricTypes(mrs().metrics));
  const res = evaluate(parsed, src);
  const byKey = Object.fromEntries(res.map((r) => [`${r.key} ${r.expr}`, r]));
  assert.equal([byKey['http_req_duration p(95)<100']!.ok, byKey['http_req_duration p(95)<100']!.observed], [true, 88.25]);
  assert.is(byKey['http_req_duration{scenario:inference} p(90)<80']!.ok, true);
  assert.equal([byKey['http_req_failed rate<0.01']!.ok, byKey['http_req_failed rate<0.01']!.observed], [true, 0.004]);
  assert.equal([byKey['dropped_iterations count==0']!.ok, byKey['dropped_iterations count==0']!.observed], [false, 3]);
  assert.equal([byKey['checks rate>0.99']!.ok, byKey['checks rate>0.99']!.observed], [true, 0.996]);
  // the same verdicts k6 reported in the handleSummary data of the run
  const reported = handle().thresholds.filter((t) => t.expr !== 'p(99)<150');
  assert.equal(verdictDisagreements(reported, res), []);
  const e = k6Error(() => src.metric('http_req_duration', {})!.percentile!(99));
  assert.match(e.message, /machine-readable-summary\.json: metrics\["http_req_duration"\]\.values: k6 reported no p\(99\)/);
  assert.match(e.message, /carries no trend statistic but avg, min, med, max, p\(90\), p\(95\)/);
  assert.not.match(e.message, /add "p\(99\)"/);
});

test('handleSummary: k6 verdicts are read as reported, one passing and one failing', () => {
  const h = handle();
  const find = (key: string, expr: string) => h.thresholds.find((t) => t.key === key && t.expr === expr);
  assert.is(find('http_req_duration', 'p(95)<100')!.ok, true);
  assert.is(find('http_req_duration', 'p(99)<150')!.ok, false);
  assert.is(find('dropped_iterations', 'count==0')!.ok, false);
  assert.is(find('http_req_duration{scenario:inference}', 'p(90)<80')!.ok, true);
  assert.is(h.thresholds.length, 6);
});

test('legacy --summary-export: true means FAILED, so it is de-inverted', () => {
  const raw = json('summary-export.json') as { metrics: Record<string, { thresholds?: Record<string, boolean> }> };
  assert.is(raw.metrics.http_req_duration!.thresholds!['p(99)<150'], true); // the file says true …
  const l = legacy();
  const p99 = l.thresholds.find((t) => t.key === 'http_req_duration' && t.expr === 'p(99)<150')!;
  assert.is(p99.ok, false); // … which is a failed threshold
  assert.is(l.thresholds.find((t) => t.expr === 'p(95)<100')!.ok, true);
  // identical verdicts to the handleSummary of the same run
  const byKey = (s: K6Summary) => s.thresholds.map((t) => `${t.key} ${t.expr} ${t.ok}`).sort();
  assert.equal(byKey(l), byKey(handle()));
});

test('machine-readable summary carries no thresholds', () => {
  const m = mrs();
  assert.is(m.shape, 'machine-readable-summary');
  assert.equal(m.thresholds, []);
});

test('parseK6Summary tells the shapes apart', () => {
  assert.is(parseK6Summary(json('handle-summary.json'), 'a').shape, 'handleSummary');
  assert.is(parseK6Summary(json('summary-export.json'), 'b').shape, 'summary-export');
  assert.is(parseK6Summary(json('machine-readable-summary.json'), 'c').shape, 'machine-readable-summary');
  assert.is(parseK6Summary(read('summary-export.json'), 'd').shape, 'summary-export'); // text is parsed too
});

test('our evaluate() over each shape agrees with the verdicts k6 reported', () => {
  const reported = handle().thresholds;
  for (const s of [handle(), legacy()]) {
    const parsed = parseThresholds(thresholdsInput(handle()), metricTypes(s.metrics));
    const results = evaluate(parsed, sourceFromSummary(s));
    assert.is(results.length, reported.length, s.shape);
    assert.equal(verdictDisagreements(reported, results), [], s.shape);
    for (const t of reported) {
      const r = results.find((x) => x.key === t.key && x.expr === t.expr)!;
      assert.is(r.ok, t.ok, `${s.shape} ${t.key} ${t.expr}`);
    }
    const p99 = results.find((r) => r.expr === 'p(99)<150')!;
    assert.is(p99.observed, 162.3);
  }
  // and a disagreement is reported when there is one
  const flipped = handle().thresholds.map((t) => (t.expr === 'p(99)<150' ? { ...t, ok: true } : t));
  const results = evaluate(parseThresholds(thresholdsInput(handle()), metricTypes(handle().metrics)), sourceFromSummary(handle()));
  assert.equal(verdictDisagreements(flipped, results), [{ key: 'http_req_duration', expr: 'p(99)<150', k6: true, ours: false }]);
});

test('sub-metric lookup ignores tag order; a missing percentile names summaryTrendStats', () => {
  const src = sourceFromSummary(handle());
  assert.is(src.metric('http_req_duration', { scenario: 'inference' })!.percentile!(90), 71.5);
  assert.is(src.metric('http_req_duration', { scenario: 'nope' }), null);
  assert.is(src.metric('http_req_duration', {})!.percentile!(50), 44.75); // med
  const e = k6Error(() => src.metric('http_req_duration', {})!.percentile!(99.9));
  assert.match(e.message, /handle-summary\.json/);
  assert.match(e.message, /p\(99\.9\)/);
  assert.match(e.message, /summaryTrendStats/);
  const parsed = parseThresholds({ http_req_duration: ['p(99.9)<500'] }, metricTypes());
  assert.throws(() => evaluate(parsed, src), /summaryTrendStats/);
});

// --- bad input -----------------------------------------------------------------------------

test('malformed JSON names the file and where', () => {
  const e = k6Error(() => parseK6Summary(read('malformed-summary.json'), 'malformed-summary.json'));
  assert.is(e.source, 'malformed-summary.json');
  assert.match(e.message, /^malformed-summary\.json: line 6/);
  assert.match(e.message, /malformed JSON/);
  k6Error(() => parseHandleSummary('', 'empty.json'));
});

test('wrong shapes are errors with a JSON path, never a partial result', () => {
  let e = k6Error(() => parseHandleSummary({ metrics: { http_reqs: { type: 'counter', values: { count: '500' } } } }, 'x.json'));
  assert.match(e.message, /x\.json: metrics\["http_reqs"\]\.values\["count"\]: expected a finite number/);
  e = k6Error(() => parseHandleSummary({ metrics: { vus: { type: 'histogram', values: {} } } }, 'x.json'));
  assert.match(e.message, /metrics\["vus"\]\.type/);
  e = k6Error(() => parseHandleSummary({ metrics: { http_req_duration: { type: 'trend', values: { avg: 1 }, thresholds: { 'p(95)<1': true } } } }, 'x.json'));
  assert.match(e.message, /thresholds\["p\(95\)<1"\]: expected \{ ok/);
  e = k6Error(() => parseSummaryExport({ metrics: { http_req_failed: { value: 0.1, passes: 1, fails: 9, thresholds: { 'rate<0.01': 'yes' } } } }, 'y.json'));
  assert.match(e.message, /expected true \(failed\) or false \(passed\)/);
  e = k6Error(() => parseSummaryExport(json('handle-summary.json'), 'h.json'));
  assert.match(e.message, /handleSummary data, not a legacy/);
  e = k6Error(() => parseMachineReadableSummary(json('handle-summary.json'), 'h.json'));
  assert.match(e.message, /\$\.version/);
  e = k6Error(() => parseMachineReadableSummary(mrsWith((d) => { d.results.metrics[4].values = {}; }), 'm.json'));
  assert.match(e.message, /m\.json: \$\.results\.metrics\[4\]\.values: a counter metric must have "count"/);
  e = k6Error(() => parseHandleSummary([], 'arr.json'));
  assert.match(e.message, /arr\.json: \$: expected a JSON object/);
});

test('a truncated NDJSON file is an error naming the cut line', () => {
  const text = read('truncated.ndjson');
  const lastLine = text.split('\n').length;
  const e = k6Error(() => parseNdjson(text, 'truncated.ndjson'));
  assert.is(e.source, 'truncated.ndjson');
  assert.is(e.where, `line ${lastLine}`);
  assert.match(e.message, /truncated/);
  // a broken line in the middle is "not valid JSON", also with its line
  const mid = 'x' + text.split('\n').slice(0, 5).join('\n') + '\n';
  assert.match(k6Error(() => parseNdjson(mid, 'mid.ndjson')).message, /mid\.ndjson: line 1: not valid JSON/);
  // a runner's truncated file fails the whole merge, naming that runner's file
  const e2 = k6Error(() => mergeNdjsonRunners([{ text: read('runner-1.ndjson'), source: 'runner-1.ndjson' }, { text, source: 'runner-2.ndjson' }]));
  assert.is(e2.source, 'runner-2.ndjson');
});

test('NDJSON shape errors name the line', () => {
  const metric = '{"type":"Metric","data":{"type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}';
  const point = (v: string, time = '"2025-06-02T10:15:00.5Z"') => `{"type":"Point","data":{"time":${time},"value":${v},"tags":null},"metric":"http_req_duration"}`;
  assert.match(k6Error(() => parseNdjson(`${point('1')}\n`, 'a')).message, /a: line 1: Point for metric "http_req_duration" before its Metric line/);
  assert.match(k6Error(() => parseNdjson(`${metric}\n${point('"12"')}\n`, 'a')).message, /line 2\.data\.value: expected a finite number/);
  assert.match(k6Error(() => parseNdjson(`${metric}\n${point('1', '"yesterday"')}\n`, 'a')).message, /line 2\.data\.time/);
  assert.match(k6Error(() => parseNdjson(`${metric}\n{"type":"Sample","data":{},"metric":"x"}\n`, 'a')).message, /line 2\.type: expected "Metric" or "Point"/);
  assert.match(k6Error(() => parseNdjson('\n\n', 'empty.ndjson')).message, /empty\.ndjson: \$: no NDJSON lines/);
  // a complete last line without the final newline is fine
  assert.is(parseNdjson(`${metric}\n${point('12.5')}`, 'a').points, 1);
  // thresholds as k6 writes them: a string, or { threshold, abortOnFail, delayAbortEval } when abortOnFail is set
  const withAbort = metric.replace('"thresholds":[]', '"thresholds":["p(95)<100",{"threshold":"p(99)<300","abortOnFail":true,"delayAbortEval":"10s"}]');
  assert.equal(parseNdjson(`${withAbort}\n${point('1')}\n`, 'a').declaredThresholds(), { http_req_duration: ['p(95)<100', 'p(99)<300'] });
  const badThreshold = metric.replace('"thresholds":[]', '"thresholds":[{"source":"p(95)<100"}]');
  assert.match(k6Error(() => parseNdjson(`${badThreshold}\n`, 'a')).message, /a: line 1\.data\.thresholds\[0\]: expected a threshold expression or \{ threshold, abortOnFail, delayAbortEval \}/);
  const badSub = metric.replace('"submetrics":null', '"submetrics":[{"name":"http_req_duration{name:x}"}]');
  assert.match(k6Error(() => parseNdjson(`${badSub}\n`, 'a')).message, /line 1\.data\.submetrics\[0\]: expected \{ name, suffix, tags \}/);
  // k6's current key order for a Point ({metric,type,data}) reads the same
  assert.is(parseNdjson(`${metric}\n{"metric":"http_req_duration","type":"Point","data":{"time":"2025-06-02T10:15:00.5Z","value":3,"tags":{}}}\n`, 'a').points, 1);
});

// --- NDJSON --------------------------------------------------------------------------------

interface RawPoint { metric: string; value: number; tags: Record<string, string> }
function rawPoints(file: string): RawPoint[] {
  return read(file).trim().split('\n').map((l) => JSON.parse(l) as { type: string; metric: string; data: { value: number; tags: Record<string, string> | null } })
    .filter((r) => r.type === 'Point').map((r) => ({ metric: r.metric, value: r.data.value, tags: r.data.tags ?? {} }));
}
const sorted = (xs: number[]) => Float64Array.from(xs).sort();
const RUNNERS = ['runner-1.ndjson', 'runner-2.ndjson', 'runner-3.ndjson'];
/**
 * The fixtures' latencies are whole milliseconds, so the union has ties around every percentile the tests
 * check: k6's interpolated percentile (rank p·(n−1)) and the histogram's nearest rank (p·n) land on the same
 * sample, and what remains is the histogram's 3-significant-digit precision. This asserts that precondition.
 */
function tied(xs: Float64Array, p: number): void {
  const i = (p / 100) * (xs.length - 1);
  const nearest = Math.max(1, Math.floor((p / 100) * xs.length + 0.5)) - 1;
  assert.ok(xs[Math.floor(i)] === xs[Math.ceil(i)] && xs[nearest] === xs[Math.floor(i)], `fixture has no tie at p(${p})`);
}
const relClose = (got: number | null | undefined, want: number | null, msg: string) => {
  assert.ok(got !== null && got !== undefined && want !== null, msg);
  assert.ok(Math.abs(got! - want!) <= 0.001 * Math.abs(want!), `${msg}: got ${got}, want ${want} (±0.1%)`);
};

test('NDJSON: sinks per metric — counters summed, rates pooled, gauges last, trends in HDR', () => {
  const s = parseNdjson(read('runner-1.ndjson'), 'runner-1.ndjson');
  const pts = rawPoints('runner-1.ndjson');
  const of = (m: string) => pts.filter((p) => p.metric === m);
  assert.is(s.points, pts.length);
  assert.is(s.metric('http_reqs', {})!.count!(), of('http_reqs').length);
  const failed = of('http_req_failed');
  assert.is(s.metric('http_req_failed', {})!.rate!(), failed.filter((p) => p.value).length / failed.length);
  assert.is(s.metric('vus', {})!.value!(), of('vus').at(-1)!.value);
  assert.equal(s.types().http_req_duration, 'trend');
  const sum = s.summary();
  assert.is(sum.http_req_duration!.values.count, of('http_req_duration').length);
  assert.is(sum.http_req_duration!.unit, 'ms');
  const hist = TrendSink.decode(s.histograms().http_req_duration!);
  assert.is(hist.count, of('http_req_duration').length);
  // counter rate divides by the span of point times
  assert.ok(s.elapsedS() > 5 && s.elapsedS() < 6.1, `elapsed ${s.elapsedS()}`);
  // k6 lists a metric's own thresholds on its Metric line, never a sub-metric's (submetrics are { name, suffix, tags })
  assert.equal(s.declaredThresholds(), {
    http_req_duration: ['p(95)<100', 'p(99)<150'],
    http_req_failed: ['rate<0.01'],
  });
});

test('NDJSON: sub-metric thresholds select points whose tags include the filter', () => {
  const s = parseNdjson(read('runner-2.ndjson'), 'runner-2.ndjson');
  const pts = rawPoints('runner-2.ndjson').filter((p) => p.metric === 'http_req_duration');
  const health = sorted(pts.filter((p) => p.tags.name === 'healthz').map((p) => p.value));
  const predict = sorted(pts.filter((p) => p.tags.name === 'predict' && p.tags.scenario === 'inference').map((p) => p.value));
  assert.ok(health.length > 0 && predict.length > 0);
  assert.is(s.metric('http_req_duration', { name: 'healthz' })!.count, undefined); // a trend view
  tied(health, 99);
  tied(predict, 50);
  relClose(s.metric('http_req_duration', { name: 'healthz' })!.percentile!(99), percentileOf(health, 99), 'healthz p99');
  relClose(s.metric('http_req_duration', { name: 'predict', scenario: 'inference' })!.percentile!(50), percentileOf(predict, 50), 'predict med');
  assert.is(s.metric('http_req_duration', { name: 'nope' }), null);
  assert.is(s.metric('http_reqs', { name: 'healthz' })!.count!(), health.length);

  // the script's thresholds (a sub-metric's are not in the NDJSON)
  const parsed = parseThresholds({ ...s.declaredThresholds(), 'http_req_duration{name:healthz}': ['p(95)<10', 'p(99)<10'] }, metricTypes(s.types()));
  const res = evaluate(parsed, s);
  const sub = res.filter((r) => r.key === 'http_req_duration{name:healthz}');
  assert.is(sub[0]!.ok, true); // health checks are fast …
  // … but 25 samples are too few for a p(99) (it needs 100): no data, not a pass
  assert.equal([sub[1]!.ok, sub[1]!.samples, sub[1]!.minSamples], [null, health.length, 100]);
  assert.is(res.find((r) => r.key === 'http_req_duration' && r.expr === 'p(95)<100')!.ok, true);
  // … and the sub-metric appears in the summary and histograms when asked for
  const sum = s.summary(['http_req_duration{name:healthz}']);
  assert.is(sum['http_req_duration{name:healthz}']!.values.count, health.length);
  assert.ok(s.histograms(['http_req_duration{name:healthz}'])['http_req_duration{name:healthz}']);
});

test('merging N runners: percentiles equal those over the union of samples (HDR precision)', () => {
  const merged = mergeNdjsonRunners(RUNNERS.map((f) => ({ text: read(f), source: f })));
  const all = RUNNERS.flatMap(rawPoints);
  const durations = all.filter((p) => p.metric === 'http_req_duration');
  const union = sorted(durations.map((p) => p.value));
  const view = merged.metric('http_req_duration', {})!;
  for (const p of [50, 90, 95, 99]) tied(union, p);
  for (const p of [50, 90, 95, 99]) relClose(view.percentile!(p), percentileOf(union, p), `p(${p})`);
  relClose(view.max!(), union[union.length - 1]!, 'max');
  relClose(view.avg!(), union.reduce((a, b) => a + b, 0) / union.length, 'avg');
  assert.is(merged.metric('http_reqs', {})!.count!(), all.filter((p) => p.metric === 'http_reqs').length);
  assert.is(merged.sources.length, 3);

  // The runners really differ: no single runner's p95 is the merged one.
  const merged95 = view.percentile!(95)!;
  const perRunner = RUNNERS.map((f) => parseNdjson(read(f), f).metric('http_req_duration', {})!.percentile!(95)!);
  for (const r of perRunner) assert.ok(Math.abs(r - merged95) / merged95 > 0.01, `runner p95 ${r} vs merged ${merged95}`);

  // Merging is the same as adding each runner's encoded histogram.
  const added = new TrendSink();
  for (const f of RUNNERS) added.merge(TrendSink.decode(parseNdjson(read(f), f).histograms().http_req_duration!));
  assert.is(added.percentile(99), view.percentile!(99));
  assert.is(added.count, union.length);

  // One verdict over the union, with sub-metric filtering across runners too.
  const parsed = parseThresholds(merged.declaredThresholds(), metricTypes(merged.types()));
  const res = evaluate(parsed, merged);
  const p99 = res.find((r) => r.expr === 'p(99)<150')!;
  relClose(p99.observed, percentileOf(union, 99), 'threshold observed');
  assert.is(p99.ok, percentileOf(union, 99)! < 150);
  const health = sorted(durations.filter((p) => p.tags.name === 'healthz').map((p) => p.value));
  tied(health, 95);
  relClose(merged.metric('http_req_duration', { name: 'healthz' })!.percentile!(95), percentileOf(health, 95), 'healthz p95 merged');
  const runner3 = sorted(durations.filter((p) => p.tags.instance === 'k6-inference-3').map((p) => p.value));
  tied(runner3, 90);
  relClose(merged.metric('http_req_duration', { instance: 'k6-inference-3' })!.percentile!(90), percentileOf(runner3, 90), 'one runner by tag');
});

test('merging plain strings names them runner-N; an empty list is an error', () => {
  const m = mergeNdjsonRunners(RUNNERS.map(read));
  assert.equal(m.sources, ['runner-1', 'runner-2', 'runner-3']);
  k6Error(() => mergeNdjsonRunners([]));
});

test('NDJSON timeline: one entry per second, iterations, failures and p95', () => {
  const merged = mergeNdjsonRunners(RUNNERS.map(read));
  const tl = merged.timeline();
  assert.is(tl.length, 6);
  assert.equal(tl.map((x) => x.t), [1, 2, 3, 4, 5, 6]);
  const all = RUNNERS.flatMap(rawPoints);
  assert.is(tl.reduce((a, x) => a + x.iterations, 0), all.filter((p) => p.metric === 'iterations').length);
  assert.is(tl.reduce((a, x) => a + x.failed, 0), all.filter((p) => p.metric === 'http_req_failed' && p.value).length);
  for (const x of tl) assert.ok(x.p95 !== null && x.p95 > 0);
});

test.run();
