/**
 * What the gate promises CI, without a sandbox: its JUnit agrees with its exit status, scenario SLO
 * tags come from one vocabulary, and every metric a threshold can name is one an engine emits.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { statusFromChecks, type Check, type RunRecord } from '../core/record.ts';
import { UsageError, exitCodeFor, EXIT } from '../core/errors.ts';
import { gateJunit, gateMarkdown } from '../reports/gate.ts';
import { catalog, checkScenario, scenarioCatalog } from '../scenarios/catalog.ts';
import { sandboxProfile } from '../sandbox/profile.ts';
import { parseConfig } from '../core/config.ts';
import { SLOS, SLO_IDS, isSloId, type Scenario, type SloId } from '../scenarios/types.ts';
import { METRICS } from '../scenarios/metrics.ts';
import { parseScenarioThresholds } from '../scenarios/verdict.ts';
import { WEEK1_ROWS } from '../reports/week1.ts';
import { topicCrossCheck } from '../verifiers/load.ts';

const SCENARIOS = scenarioCatalog(sandboxProfile(parseConfig({})), {}).scenarios;

// --- JUnit agrees with the gate ----------------------------------------------------------------

const check = (id: string, status: Check['status'], observed: number | null): Check => ({
  id, title: id, target: id.split(':').at(-1)!, observed, unit: 'ms', status,
  evidence: { what: `what ${id}`, how: 'synthetic record', where: 'test' },
});

function gateRecord(checks: Check[]): RunRecord {
  return {
    id: 'test-gate', kind: 'gate', startedAt: '2026-01-05T10:00:00.000Z', endedAt: '2026-01-05T10:01:00.000Z',
    // as the gate decides it: `ctx.rec.noDataFails = true`
    status: statusFromChecks(checks, true), platform: 'sandbox', argv: ['gate'], checks, data: { suite: 'deploy', engine: 'native' },
  };
}

const attr = (xml: string, tag: string, name: string, nth = 0): string =>
  [...xml.matchAll(new RegExp(`<${tag}\\b[^>]*\\b${name}="([^"]*)"`, 'g'))][nth]?.[1] ?? '';

test('junit: a no-data check is a <failure> naming target and "no data", counted in failures (the gate exits 1 on it)', () => {
  const r = gateRecord([
    check('inference-latency:http_req_duration:p(95)<100', 'pass', 42),
    check('inference-latency:http_req_failed:rate<0.001', 'no-data', null),
  ]);
  assert.is(r.status, 'fail', 'the gate fails a run whose only problem is no data');
  const xml = gateJunit(r);
  assert.not.match(xml, '<skipped');
  assert.is(attr(xml, 'testsuites', 'failures'), '1');
  assert.is(attr(xml, 'testsuites', 'skipped'), '0');
  assert.is(attr(xml, 'testsuite', 'failures'), '1');
  const failure = xml.match(/<testcase [^>]*name="inference-latency:http_req_failed:rate&lt;0.001"[^>]*>\s*<failure message="([^"]*)" type="([^"]*)">([^<]*)<\/failure>/);
  assert.ok(failure, xml);
  assert.is(failure![1], 'http_req_failed rate&lt;0.001: no data, no samples were recorded');
  assert.is(failure![2], 'no-data');
  assert.match(failure![3]!, 'target rate&lt;0.001, observed no data: no samples were recorded');
  assert.match(failure![3]!, 'what inference-latency:http_req_failed:rate&lt;0.001');
  // the passing check has no failure element
  assert.is((xml.match(/<failure /g) ?? []).length, 1);
});

test('junit: failures counts failed and no-data checks per scenario; zero exactly when the gate passes', () => {
  const mixed = gateRecord([
    check('inference-latency:http_req_duration:p(95)<100', 'fail', 150),
    check('inference-latency:dropped_iterations:count==0', 'no-data', null),
    check('consumer-lag:kafka_e2e_latency:p(95)<5000', 'no-data', null),
    check('consumer-lag:kafka_e2e_delivered:rate==1', 'pass', 1),
    check('consumer-lag:kafka_writer_error_count:count==0', 'error', null),
  ]);
  const xml = gateJunit(mixed);
  assert.is(attr(xml, 'testsuites', 'tests'), '5');
  assert.is(attr(xml, 'testsuites', 'failures'), '3');
  assert.is(attr(xml, 'testsuites', 'errors'), '1');
  assert.equal([attr(xml, 'testsuite', 'name', 0), attr(xml, 'testsuite', 'failures', 0)], ['inference-latency', '2']);
  assert.equal([attr(xml, 'testsuite', 'name', 1), attr(xml, 'testsuite', 'failures', 1)], ['consumer-lag', '1']);
  assert.match(xml, '<failure message="http_req_duration p(95)&lt;100 failed: observed 150 ms" type="threshold">');
  for (const statuses of [['pass'], ['pass', 'no-data'], ['no-data'], ['pass', 'fail'], ['pass', 'error']] as Array<Array<Check['status']>>) {
    const r = gateRecord(statuses.map((s, i) => check(`s:m${i}:count==0`, s, null)));
    assert.is(attr(gateJunit(r), 'testsuites', 'failures') === '0', r.status !== 'fail', statuses.join(','));
  }
  // the Markdown summary is unchanged by this: NO-DATA is still shown as such
  assert.match(gateMarkdown(mixed), '| ➖ | consumer-lag | kafka_e2e_latency | `p(95)<5000` | — ms | NO-DATA |');
});

// --- one SLO vocabulary --------------------------------------------------------------------------

const probe = (slo: unknown): Scenario => ({
  name: 'probe', description: 'test', slo: slo as SloId[],
  target: { kind: 'http', method: 'GET', path: '/healthz', body: false },
  executor: { executor: 'constant-arrival-rate', rate: 1, timeUnit: '1s', duration: '1s', preAllocatedVUs: 1, maxVUs: 1 },
  thresholds: { http_req_duration: ['p(95)<100'], dropped_iterations: ['count==0'] },
});

function usageError(fn: () => unknown): UsageError {
  try { fn(); } catch (e) {
    assert.instance(e, UsageError);
    return e as UsageError;
  }
  assert.unreachable('expected a UsageError');
  throw new Error('unreachable');
}

test('slo: every catalog scenario names known SLO ids, and the vocabulary holds the week-1 rows', () => {
  for (const s of Object.values(SCENARIOS)) {
    assert.ok(s.slo.length > 0, `${s.name} names an SLO`);
    for (const id of s.slo) assert.ok(isSloId(id), `${s.name}: ${id}`);
  }
  assert.equal(SLO_IDS, Object.keys(SLOS));
  for (const row of WEEK1_ROWS) assert.ok(isSloId(row.slug), `week-1 row ${row.slug} is an SLO id`);
  for (const kpi of ['kafka-throughput', 'consumer-lag', 'ml-inference-latency', 'db-query-latency', 'response-time-p95']) assert.ok(isSloId(kpi), kpi);
  assert.not.ok(isSloId('toString'), 'inherited keys are not SLO ids');
  assert.not.ok(isSloId(undefined));
});

test('slo: an unknown SLO id is a clear error naming the scenario, the entry and the known ids (exit 2)', () => {
  assert.is(checkScenario(probe(['response-time-p95', 'error-rate'])).name, 'probe');
  assert.is(checkScenario(probe([])).name, 'probe');
  const e = usageError(() => checkScenario(probe(['response-time-p95', 'p95-latency'])));
  assert.is(e.field, 'scenario probe: slo[1]');
  assert.match(e.message, 'unknown SLO id "p95-latency"');
  assert.match(e.message, `known SLO ids (docs/slos.md): ${SLO_IDS.join(', ')}`);
  assert.is(exitCodeFor(e), EXIT.usage);
  // loading a catalog checks every scenario
  assert.match(usageError(() => catalog([probe(['uptime']), { ...probe(['latency']), name: 'other' }])).message, /^scenario other: slo\[0\]: unknown SLO id "latency"/);
  assert.match(usageError(() => checkScenario(probe('uptime'))).message, 'scenario probe: slo: must be an array of SLO ids');
});

test('open model: every catalog scenario gates on dropped_iterations; one without it is refused naming the scenario', () => {
  for (const s of Object.values(SCENARIOS)) {
    assert.ok(Object.keys(s.thresholds).some((k) => k.startsWith('dropped_iterations')), `${s.name} gates on drops`);
  }
  const { dropped_iterations: _, ...noDrops } = probe([]).thresholds;
  const e = usageError(() => checkScenario({ ...probe([]), thresholds: noDrops }));
  assert.is(e.field, 'scenario probe: thresholds');
  assert.match(e.message, 'needs a dropped_iterations threshold');
});

test('kafka read-back: when the run\'s own messages could not be read back the check is an error, never a pass on offset growth', () => {
  const s = SCENARIOS['kafka-throughput']!;
  const base = { scenario: s.name, engine: 'native' as const, startedAt: '', endedAt: '', durationS: 10, where: 'test', executor: s.executor, aborted: null,
    thresholds: [], metrics: {}, histograms: {}, timeline: [] };
  // The feed shares the topic, so offsets always grew by more than we sent.
  const failed = topicCrossCheck(s, { ...base, crossChecks: { topicEndOffsetDelta: 500_000 }, crossCheckErrors: { ownMessagesInTopic: 'read-back failed: broker gone' } }, 70_000);
  assert.is(failed.status, 'error');
  assert.is(failed.observed, null);
  assert.match(failed.evidence.what, 'read-back failed: broker gone');
  assert.is(topicCrossCheck(s, { ...base, crossChecks: { topicEndOffsetDelta: 500_000 } }, 70_000).status, 'error');
  const ok = topicCrossCheck(s, { ...base, crossChecks: { topicEndOffsetDelta: 500_000, ownMessagesInTopic: 70_000, messagesReadBack: 500_000, readBackComplete: 1 } }, 70_000);
  assert.is(ok.status, 'pass');
  const short = topicCrossCheck(s, { ...base, crossChecks: { topicEndOffsetDelta: 500_000, ownMessagesInTopic: 69_999, messagesReadBack: 500_000, readBackComplete: 1 } }, 70_000);
  assert.is(short.status, 'fail');
});

// --- every declared metric can carry a threshold with data -------------------------------------

test('metrics: a threshold on checks is an unknown metric at parse time; vus and vus_max are gauges', () => {
  assert.is(METRICS.checks, undefined);
  const e = usageError(() => parseScenarioThresholds({ ...probe([]), thresholds: { 'checks{scenario:probe}': ['rate>0.99'] } }));
  assert.is(e.field, 'scenario probe: thresholds["checks{scenario:probe}"]');
  assert.match(e.message, 'unknown metric "checks"');
  const parsed = parseScenarioThresholds({ ...probe([]), thresholds: { 'vus{scenario:probe}': ['value<=100'], vus_max: ['value<=100'] } });
  assert.equal(parsed.map((p) => [p.metric, p.type]), [['vus', 'gauge'], ['vus_max', 'gauge']]);
});

test.run();
