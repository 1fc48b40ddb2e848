/**
 * The daily check's judges over stored evidence (no sandbox): the verdicts are a function of the
 * evidence and the targets alone, survive the record's JSON, and each target flips exactly the
 * checks that read it. The probes that gather this evidence are tested against the sandbox
 * (daily.test.ts), where the same record is judged again through `harness judge`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { judgeDaily, type DailyEvidence, type DailyTargets } from '../verifiers/daily.ts';
import { SEED_SLOS } from '../profile/schema.ts';
import type { Check } from '../core/record.ts';
import type { WorkloadEvidence } from '../verifiers/kube.ts';
import { promReading } from '../verifiers/monitoring.ts';

const t0 = Date.parse('2026-12-01T08:00:00Z');
const none = { n: 0, ids: [] };

/** A healthy platform's evidence, with every figure a little inside the seed's targets. */
function healthy(): DailyEvidence {
  const ends = (at: number, n: number) => ({ at, offsets: { 0: n, 1: n } });
  return {
    windowS: 10,
    kafka: {
      brokers: 'b:9092', prices: 'commodity-prices', predictions: 'predictions', group: 'prediction-consumers', via: { tls: false }, unreachable: null,
      start: ends(t0, 0), end: ends(t0 + 10_000, 40_000), // 8,000 msg/s
      topics: [{ name: 'commodity-prices', partitions: 2, leaderless: [] }, { name: 'predictions', partitions: 2, leaderless: [] }],
      // 100 behind on a 4,000 msg/s partition: 0.025 s, 200 messages.
      lag: { samples: [1, 2].map((s) => ({ readFrom: t0 + s * 1000 - 5, at: t0 + s * 1000, committed: { 0: s * 4000 - 100, 1: s * 4000 - 100 }, behind: { 0: 100, 1: 100 }, total: 200, ends: ends(t0 + s * 1000, s * 4000) })) },
      members: { expected: 3, state: 'Stable', members: 3 },
      integrity: {
        topic: 'commodity-prices', group: 'prediction-consumers', where: 'b:9092 → pg', window: { from: t0 - 10_000, to: t0 }, idFields: ['run', 'seq'], checksum: true,
        found: { ok: true, prices: 80_000, identified: 80_000, missing: none, late: none, duplicated: none, corruptInTopic: none, unidentified: none, checksumMismatch: none, accuracy: { sampled: 200, wrong: [] } },
      },
    },
    featureStore: { where: 'pg', connect: { ok: true, ms: 3 }, query: { ok: true, ms: 12, rows: 5 }, freshness: { ok: true, rows: 50, ageS: 2 } },
    workflows: { where: 'pg', windowS: 60, runs: { ok: true, workflows: [{ workflow: 'daily-features', ok: 199, failed: 1 }] } }, // 99.5 %
    inference: {
      health: { url: 'http://api/health', path: '/health', ok: true, status: 200, body: 'ok' },
      probes: { url: 'http://api/predict', method: 'POST', path: '/predict', ms: Array.from({ length: 40 }, (_, i) => 10 + i / 2), failed: 0 }, // p95 28.5 ms
    },
    monitoring: {
      prometheus: 'http://prom', windowS: 10,
      slis: {
        platformHealth: { expr: 'h', ok: true, value: 99.95 }, uptime: { expr: 'u', ok: true, value: 99.95 }, errorRate: { expr: 'e', ok: true, value: 0.0005 },
        inferenceLatencyP95Ms: { expr: 'l', ok: true, value: 20 }, consumerLagS: { expr: 'c', ok: true, value: 0.5 },
      },
      requests: { expr: 'r', ok: true, value: 1000 },
      alerts: { url: 'http://am', ok: true, active: [{ alertname: 'Paged', severity: 'page' }] },
      dashboards: { ok: true, ages: { consumer_lag_messages: 5 } },
    },
    kubernetes: { workloads: [{
      namespace: 'platform', name: 'prediction-consumer', idSuffix: '', where: 'platform/prediction-consumer @ ctx', expected: 3,
      status: { ok: true, specReplicas: 3, ready: 3, available: 3, pods: 3, restarts: 1, lastCrashed: [] },
      crashes: { where: 'http://prom', expr: 'restarts', ok: true, value: 1 },
    }] },
  };
}

const targets = (change: Partial<DailyTargets['slos']> = {}, more: Partial<Omit<DailyTargets, 'slos'>> = {}): DailyTargets =>
  ({ slos: { ...SEED_SLOS, ...change }, staleAfterS: 120, severity: { label: 'severity', critical: ['critical'], warning: ['warning'] }, ...more });
const statuses = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c.status]));
const flipped = (a: Check[], b: Check[]) => a.filter((c, i) => c.status !== b[i]!.status).map((c) => c.id).sort();

const ALL = [
  'daily.kafka.topic.commodity-prices', 'daily.kafka.topic.predictions', 'daily.kafka.throughput', 'daily.kafka.consumer-lag', 'daily.kafka.consumer-lag-messages',
  'daily.consumers.replicas', 'daily.integrity.loss', 'daily.integrity.duplicates', 'daily.integrity.corruption', 'daily.integrity.accuracy',
  'daily.feature-store.connectivity', 'daily.feature-store.query-latency', 'daily.feature-store.freshness', 'daily.workflow-success',
  'daily.inference.health', 'daily.inference.latency-p95', 'daily.platform-health', 'daily.uptime', 'daily.error-rate',
  'daily.inference.latency-p95-platform', 'daily.kafka.consumer-lag-platform', 'daily.critical-alerts', 'daily.dashboards.fresh',
  'daily.kube.replicas', 'daily.kube.crashes',
];

test('healthy evidence passes every daily check, and the record\'s JSON of it judges the same', () => {
  const checks = judgeDaily(healthy(), targets());
  assert.equal(checks.map((c) => c.id), ALL);
  assert.equal(Object.values(statuses(checks)).filter((s) => s !== 'pass'), [], JSON.stringify(checks.filter((c) => c.status !== 'pass'), null, 1));
  const stored = JSON.parse(JSON.stringify(healthy())) as DailyEvidence;
  assert.equal(judgeDaily(stored, targets()), checks);
});

test('each target flips exactly the checks that read it', () => {
  const base = judgeDaily(healthy(), targets());
  const cases: Array<[string, DailyTargets, string[]]> = [
    ['kafkaThroughputMsgS 9000', targets({ kafkaThroughputMsgS: 9000 }), ['daily.kafka.throughput']],
    ['consumerLagS 0.02', targets({ consumerLagS: 0.02 }), ['daily.kafka.consumer-lag', 'daily.kafka.consumer-lag-messages', 'daily.kafka.consumer-lag-platform']],
    ['dbQueryMs 10', targets({ dbQueryMs: 10 }), ['daily.feature-store.query-latency']],
    ['featureFreshnessS 1', targets({ featureFreshnessS: 1 }), ['daily.feature-store.freshness']],
    ['inferenceP95Ms 15', targets({ inferenceP95Ms: 15 }), ['daily.inference.latency-p95', 'daily.inference.latency-p95-platform']],
    ['platformHealthPct 99.99', targets({ platformHealthPct: 99.99 }), ['daily.platform-health']],
    ['uptimePct 99.99', targets({ uptimePct: 99.99 }), ['daily.uptime']],
    ['errorRate 0.0001', targets({ errorRate: 0.0001 }), ['daily.error-rate']],
    ['workflowSuccessPct 99.9', targets({ workflowSuccessPct: 99.9 }), ['daily.workflow-success']],
    ['podCrashes5m 0', targets({ podCrashes5m: 0 }), ['daily.kube.crashes']],
    ['staleAfterS 1', targets({}, { staleAfterS: 1 }), ['daily.dashboards.fresh']],
    ['"page" is critical', targets({}, { severity: { label: 'severity', critical: ['page'], warning: [] } }), ['daily.critical-alerts']],
    // Targets the daily check does not read change nothing.
    ['podRecoveryS, alertDetectS, incidents', targets({ podRecoveryS: 1, alertDetectS: { critical: 1 }, criticalIncidents: 5 }), []],
  ];
  for (const [name, t, want] of cases) {
    const again = judgeDaily(healthy(), t);
    assert.equal(again.map((c) => c.id), ALL, name);
    assert.equal(flipped(again, base), want.sort(), name);
    for (const id of want) assert.is(again.find((c) => c.id === id)!.status, 'fail', `${name}: ${id}`);
  }
});

test('evidence that could not be gathered is an error or no data, never a pass', () => {
  const e = healthy();
  const unreachable: DailyEvidence = { ...e, kafka: { ...e.kafka, unreachable: { error: 'ECONNREFUSED', credentials: false, sasl: false }, start: undefined, end: undefined, topics: undefined, lag: undefined, members: undefined, integrity: undefined } };
  const u = statuses(judgeDaily(unreachable, targets()));
  assert.is(u['daily.kafka.reachable'], 'fail');
  assert.ok(!Object.keys(u).some((id) => id.startsWith('daily.integrity') || id === 'daily.kafka.throughput'));
  const refused = { ...unreachable, kafka: { ...unreachable.kafka, unreachable: { error: 'SASL authentication failed', credentials: true, sasl: true } } };
  assert.is(statuses(judgeDaily(refused, targets()))['daily.kafka.reachable'], 'error');

  // The broker gone mid-window: what was read before stays, the rest is named, and the run fails.
  const stopped: DailyEvidence = { ...e, kafka: { ...e.kafka, lag: undefined, members: undefined, integrity: undefined, stopped: { error: 'Connection closed', credentials: false } } };
  const s = judgeDaily(stopped, targets());
  assert.is(statuses(s)['daily.kafka.throughput'], 'pass');
  assert.match(s.find((c) => c.id === 'daily.kafka.reachable')!.evidence.what, /stopped answering during the window: Connection closed; .*\(3 Kafka check\(s\) made before it are kept\)/);

  const blind = judgeDaily({ ...e, monitoring: { missing: 'no Prometheus' }, kubernetes: { missing: 'no cluster' } }, targets());
  for (const id of ['daily.platform-health', 'daily.uptime', 'daily.error-rate', 'daily.critical-alerts', 'daily.dashboards.fresh', 'daily.kube.replicas']) assert.is(statuses(blind)[id], 'no-data', id);

  const failed = { ok: false as const, error: 'timeout' };
  const broken = judgeDaily({
    ...e,
    featureStore: { where: 'pg', connect: { ok: true, ms: 3 }, query: failed, freshness: failed },
    workflows: { where: 'pg', windowS: 60, runs: failed },
    kafka: { ...e.kafka, integrity: { ...e.kafka.integrity!, found: failed } },
    monitoring: { ...e.monitoring as Exclude<DailyEvidence['monitoring'], { missing: string }>, slis: { platformHealth: { expr: 'h', ok: true, value: null } }, alerts: { url: 'http://am', ...failed }, dashboards: { ok: true, ages: {} } },
    kubernetes: { workloads: [{ ...(e.kubernetes as { workloads: WorkloadEvidence[] }).workloads[0]!, crashes: { where: 'p', expr: 'q', ok: true, value: null } }] },
  }, targets());
  const b = statuses(broken);
  for (const id of ['daily.feature-store.query-latency', 'daily.feature-store.freshness', 'daily.workflow-success', 'daily.integrity.loss', 'daily.integrity.accuracy', 'daily.critical-alerts']) assert.is(b[id], 'error', id);
  // A query with no series, dashboards with none read, a restart SLI without series: nothing measured.
  for (const id of ['daily.platform-health', 'daily.dashboards.fresh', 'daily.kube.crashes']) assert.is(b[id], 'no-data', id);

  // Late predictions are not lost, but not proven either; a lost one fails whatever else passed.
  const found = e.kafka.integrity!.found as Extract<NonNullable<DailyEvidence['kafka']['integrity']>['found'], { ok: true }>;
  const late = judgeDaily({ ...e, kafka: { ...e.kafka, integrity: { ...e.kafka.integrity!, found: { ...found, late: { n: 3, ids: ['r:1', 'r:2', 'r:3'] } } } } }, targets());
  assert.is(statuses(late)['daily.integrity.loss'], 'no-data');
  const lost = judgeDaily({ ...e, kafka: { ...e.kafka, integrity: { ...e.kafka.integrity!, found: { ...found, missing: { n: 1500, ids: ['r:7'] } } } } }, targets());
  const loss = lost.find((c) => c.id === 'daily.integrity.loss')!;
  assert.is(loss.status, 'fail');
  assert.is(loss.observed, 1500);
  assert.match(loss.evidence.what, 'r:7 … (+1480)');
});

test('values JSON cannot hold (+Inf from histogram_quantile, NaN) are judged the same live and from the stored record', () => {
  const e = healthy();
  const mon = e.monitoring as Exclude<DailyEvidence['monitoring'], { missing: string }>;
  const odd: DailyEvidence = { ...e, monitoring: { ...mon, slis: { ...mon.slis, inferenceLatencyP95Ms: promReading('l', Infinity), uptime: promReading('u', NaN) } } };
  const live = judgeDaily(odd, targets());
  const stored = judgeDaily(JSON.parse(JSON.stringify(odd)) as DailyEvidence, targets());
  assert.equal(stored, live);
  const byId = (id: string) => live.find((c) => c.id === id)!;
  // Every request slower than the top bucket is a failure, never no data; NaN fails too.
  assert.equal([byId('daily.inference.latency-p95-platform').status, byId('daily.inference.latency-p95-platform').observed], ['fail', '+Inf']);
  assert.equal([byId('daily.uptime').status, byId('daily.uptime').observed], ['fail', 'NaN']);
  // A required SLI missing from the evidence is not left out: no data.
  const { uptime: _gone, ...rest } = mon.slis;
  assert.is(judgeDaily({ ...e, monitoring: { ...mon, slis: rest } }, targets()).find((c) => c.id === 'daily.uptime')!.status, 'no-data');
});

test.run();
