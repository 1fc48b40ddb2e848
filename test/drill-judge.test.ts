/** The drill's alert attribution, on synthetic notifications (no sandbox). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertForKill, type Notification } from '../drills/observe.ts';
import { lagChecks } from '../verifiers/kafka.ts';

const kill = Date.parse('2026-12-01T10:00:00Z');
const at = (s: number) => new Date(kill + s * 1000).toISOString();
const note = (receivedS: number, startsS: number, labels: Record<string, string>, status = 'firing'): Notification =>
  ({ status, receivedAt: at(receivedS), alerts: [{ status, startsAt: at(startsS), labels }] });

test('drill.alert: only an alert that names the killed workload and started after the kill counts', () => {
  const unrelated = note(3, 2, { alertname: 'ResponseTimeHigh', severity: 'warning', workload: 'inference-api' });
  const unlabelled = note(4, 3, { alertname: 'PlatformHealthDegraded', severity: 'warning' });
  const before = note(5, -60, { alertname: 'KafkaConsumerLagHigh', severity: 'warning', workload: 'prediction-consumer' });
  const resolved = note(6, 4, { alertname: 'ConsumerGroupRebalancing', severity: 'warning', workload: 'prediction-consumer' }, 'resolved');
  const ours = note(9, 7, { alertname: 'ConsumerGroupRebalancing', severity: 'warning', workload: 'prediction-consumer' });

  // Other alerts firing after the kill are not the kill's: no hit, and they are listed.
  const none = alertForKill([unrelated, unlabelled, before, resolved], kill, 'prediction-consumer');
  assert.is(none.hit, null);
  assert.equal(none.others, ['ResponseTimeHigh (inference-api)', 'PlatformHealthDegraded']);

  const r = alertForKill([unrelated, unlabelled, before, resolved, ours], kill, 'prediction-consumer');
  assert.equal(r.hit, { name: 'ConsumerGroupRebalancing', severity: 'warning', afterS: 9 });
  // The same notifications for a drill on another workload: its own alert only.
  assert.equal(alertForKill([unrelated, ours], kill, 'inference-api').hit, { name: 'ResponseTimeHigh', severity: 'warning', afterS: 3 });
  // A notification that reached the receiver before the kill never counts.
  assert.is(alertForKill([note(-1, 0, { alertname: 'ConsumerGroupRebalancing', workload: 'prediction-consumer' })], kill, 'prediction-consumer').hit, null);
  // A notification or alert whose time does not parse cannot be placed after the kill: never counted.
  assert.is(alertForKill([{ ...ours, receivedAt: 'soon' }], kill, 'prediction-consumer').hit, null);
  assert.is(alertForKill([{ ...ours, alerts: [{ ...ours.alerts[0]!, startsAt: '' }] }], kill, 'prediction-consumer').hit, null);
  // Labels other than workload that name it (deployment, job, app) count too.
  assert.ok(alertForKill([note(2, 1, { alertname: 'X', deployment: 'prediction-consumer' })], kill, 'prediction-consumer').hit);
});

test('drill.alert: the profile\'s labels and severity mapping decide what counts and which target applies', () => {
  const page = note(4, 3, { alertname: 'ScorerDown', priority: 'P1', team: 'risk', deployment: 'scorer' });
  const match = { workloadLabels: ['deployment'], labels: { team: 'risk' }, severity: { label: 'priority', critical: ['P1'], warning: ['P2', 'P3'] } };
  assert.equal(alertForKill([page], kill, 'scorer', match).hit, { name: 'ScorerDown', severity: 'critical', afterS: 4 });
  // A required label missing: not the alert the profile expects.
  assert.is(alertForKill([note(4, 3, { alertname: 'ScorerDown', priority: 'P1', deployment: 'scorer' })], kill, 'scorer', match).hit, null);
  // Not in the profile's workload labels: `workload` alone does not name it here.
  assert.is(alertForKill([note(4, 3, { alertname: 'X', team: 'risk', workload: 'scorer' })], kill, 'scorer', match).hit, null);
  // A severity value the profile does not map stays raw (the drill then holds it to the strictest target).
  assert.is(alertForKill([note(4, 3, { alertname: 'X', team: 'risk', deployment: 'scorer', priority: 'P9' })], kill, 'scorer', match).hit!.severity, 'P9');
});

test('consumer lag: a sample series cut short never passes on what it saw, a failure it saw stands', () => {
  const ends = (at: number, base: number) => ({ at, offsets: new Map([[0, base], [1, base]]) });
  const a = ends(0, 0);
  const b = ends(10_000, 10_000); // 1,000 msg/s per partition
  const sample = (at: number, behind: number) => ({ readFrom: at - 5, at, committed: new Map([[0, -1], [1, 0]]), behind: new Map([[0, behind], [1, 0]]), total: behind, ends: ends(at, 0) });
  const ok = lagChecks([sample(1000, 100), sample(2000, 200)], a, b, 'g', 5, 'k');
  assert.equal(ok.map((c) => c.status), ['pass', 'pass']);
  const cut = lagChecks([sample(1000, 100), sample(2000, 200)], a, b, 'g', 5, 'k', 'broker gone');
  assert.equal(cut.map((c) => c.status), ['error', 'error']);
  assert.match(cut[0]!.evidence.what, 'sampling stopped early: broker gone');
  // 6,000 behind on a 1,000 msg/s partition is 6 s: at the seed's 5 s target it fails, cut short or not.
  assert.equal(lagChecks([sample(1000, 6000)], a, b, 'g', 5, 'k', 'broker gone').map((c) => c.status), ['fail', 'error']);
  assert.is(lagChecks([sample(1000, 6000)], a, b, 'g', 5, 'k')[0]!.observed, 6);
  assert.is(lagChecks([], a, b, 'g', 5, 'k', 'no broker')[0]!.status, 'error');
});


test('drill verdicts are a function of the stored observation: other targets flip exactly the checks they govern', async () => {
  const { drillChecks } = await import('../drills/judge.ts');
  const observation = {
    timeline: [
      { event: 'kill', atMs: 0, pod: 'pc-1' }, { event: 'pod-gone', atMs: 400, pod: 'pc-1' }, { event: 'replacement-created', atMs: 450, pod: 'pc-4' },
      { event: 'scheduled', atMs: 500, pod: 'pc-4' }, { event: 'ready', atMs: 11_800, pod: 'pc-4' }, { event: 'replicas-restored', atMs: 12_000 },
      { event: 'lag-recovered', atMs: 15_000 },
    ],
    relists: 0, chaos: null,
    lag: { before: 10, samples: [{ atMs: 1000, lagMessages: 9000, lagS: 1.2, rate: 7500 }, { atMs: 15_000, lagMessages: 12, lagS: 0.4, rate: 7500 }], everyMs: 250, where: 'broker:9092', targetS: 5 },
    alert: { hit: { name: 'ConsumerGroupRebalancing', severity: 'warning', afterS: 70 }, others: [], where: 'http://am', how: 'polled' },
  };
  const targets = {
    namespace: 'ml', deployment: 'prediction-consumer', count: 1, recoverySloS: 30, lagTargetS: 5, alertDetectS: { critical: 60, warning: 300 },
    alertWaitS: 45, alert: { workloadLabels: ['workload'], source: 'alertmanager' }, where: 'ml/prediction-consumer @ test',
  };
  const status = (t: typeof targets) => Object.fromEntries(drillChecks(t, observation).map((c) => [c.id, c.status]));
  assert.equal(status(targets), { 'drill.recovery': 'pass', 'drill.replacement-ready': 'pass', 'drill.lag-recovered': 'pass', 'drill.alert': 'pass' });
  // A 10 s recovery target fails the 12 s recovery, and nothing else.
  assert.equal(status({ ...targets, recoverySloS: 10 }), { 'drill.recovery': 'fail', 'drill.replacement-ready': 'pass', 'drill.lag-recovered': 'pass', 'drill.alert': 'pass' });
  // A warning must now be seen within 60 s: the 70 s alert fails, and nothing else.
  assert.equal(status({ ...targets, alertDetectS: { critical: 30, warning: 60 } }), { 'drill.recovery': 'pass', 'drill.replacement-ready': 'pass', 'drill.lag-recovered': 'pass', 'drill.alert': 'fail' });
  // Another lag target is judged from the samples: 1 s is met by the 0.4 s sample at +15 s; 0.2 s was
  // never seen, because the drill stopped sampling once under its own 5 s: no data, not a pass or a fail.
  const lag = (lagTargetS: number) => drillChecks({ ...targets, lagTargetS }, observation).find((c) => c.id === 'drill.lag-recovered')!;
  assert.equal([lag(1).status, lag(1).observed], ['pass', 15]);
  assert.is(lag(0.2).status, 'no-data');
  assert.match(lag(0.2).evidence.what, /sampling ended once under the run's own 5 s target/);
  // Sampling cut off by an error (the broker gone) before lag was back: an error naming it, not a fail;
  // the same samples without the error are a fail (never back under target).
  const cut = { ...observation, timeline: observation.timeline.filter((e) => e.event !== 'lag-recovered'),
    lag: { ...observation.lag, samples: observation.lag.samples.slice(0, 1) } };
  const cutLag = (o: Omit<typeof cut, 'lag'> & { lag: typeof cut.lag & { error?: string } }) => drillChecks(targets, o).find((c) => c.id === 'drill.lag-recovered')!;
  assert.is(cutLag(cut).status, 'fail');
  const stopped = cutLag({ ...cut, lag: { ...cut.lag, error: 'Connection error: connect ECONNREFUSED' } });
  assert.is(stopped.status, 'error');
  assert.match(stopped.evidence.what, 'sampling stopped before lag was back under target: Connection error');
  // No alert: the evidence says whether the alerting chain answered then.
  const none = drillChecks(targets, { ...observation, alert: { hit: null, others: [], where: 'http://am', how: 'polled', chain: ['prometheus did not answer (ECONNREFUSED)', 'alertmanager at http://am answered'] } })
    .find((c) => c.id === 'drill.alert')!;
  assert.is(none.status, 'fail');
  assert.match(none.evidence.what, 'the alerting chain then: prometheus did not answer (ECONNREFUSED); alertmanager at http://am answered');
  // A severity the profile has no target for is held to the strictest one.
  assert.is(drillChecks({ ...targets, alertDetectS: { critical: 60 } }, { ...observation, alert: { ...observation.alert, hit: { ...observation.alert.hit, severity: 'page' } } })
    .find((c) => c.id === 'drill.alert')!.target, '<=60s');
});

test('scheduled drills: the crons Chaos Mesh reads, their next run in UTC, and the Schedule object', async () => {
  const { checkCron, nextRun, scheduleObject } = await import('../drills/schedules.ts');
  assert.is(checkCron('--schedule', ' 0 10  * * 3 '), '0 10 * * 3');
  assert.is(checkCron('--schedule', '@every 1h30m'), '@every 1h30m');
  assert.is(checkCron('--schedule', '@daily'), '@daily');
  for (const bad of ['0 10 * * 8', '*/0 * * * *', '0 10 * *', '0 0 10 * * 3', '@every 5s', '@every 1d', '@every 30', '@fortnightly', '']) {
    assert.throws(() => checkCron('--schedule', bad), (e: Error) => e.name === 'UsageError', bad);
  }
  const sat = new Date('2026-12-05T18:00:00Z');
  assert.is(nextRun('0 10 * * 3', sat)!.toISOString(), '2026-12-09T10:00:00.000Z'); // the Wednesday drill
  assert.is(nextRun('@daily', sat)!.toISOString(), '2026-12-06T00:00:00.000Z');
  assert.is(nextRun('@every 1h', sat), null);
  // Field names from Chaos Mesh's Schedule type (api/v1alpha1: ScheduleSpec with an embedded
  // `podChaos`, `concurrencyPolicy`, `startingDeadlineSeconds`, `historyLimit`).
  const o = scheduleObject({ name: 's', namespace: 'ml', deployment: 'prediction-consumer', labels: { app: 'prediction-consumer' }, count: 1, cron: '0 10 * * 3', recoverySloS: 30 }) as
    { kind: string; spec: { schedule: string; type: string; concurrencyPolicy: string; podChaos: { action: string; mode: string; value: string; selector: { namespaces: string[]; labelSelectors: Record<string, string> } } } };
  assert.is(o.kind, 'Schedule');
  assert.equal([o.spec.schedule, o.spec.type, o.spec.concurrencyPolicy], ['0 10 * * 3', 'PodChaos', 'Forbid']);
  assert.equal(o.spec.podChaos, { action: 'pod-kill', mode: 'fixed', value: '1', gracePeriod: 0, selector: { namespaces: ['ml'], labelSelectors: { app: 'prediction-consumer' } } });
});

test.run();
