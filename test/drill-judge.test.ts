/** The drill's alert attribution, on synthetic notifications (no sandbox). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertForKill, type Notification } from '../drills/pod-kill.ts';

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
  // Labels other than workload that name it (deployment, job, app) count too.
  assert.ok(alertForKill([note(2, 1, { alertname: 'X', deployment: 'prediction-consumer' })], kill, 'prediction-consumer').hit);
});

test.run();
