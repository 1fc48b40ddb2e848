import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { cli, clearFaults, ctx, eventually, sb } from './support.ts';
import { writeFaults } from '../sandbox/faults.ts';
import { promScalar } from '../sandbox/prom-api.ts';
import type { RunRecord, Check } from '../core/record.ts';

const daily = suite('daily');
daily.before(() => clearFaults());
daily.after.each(async () => {
  clearFaults();
  // Every test leaves the platform as it found it: all parts up and the consumers caught up.
  assert.is(cli(['--quiet', 'sandbox', 'up']).code, 0, 'sandbox restored');
  await eventually('consumers caught up', async () => ((await promScalar(sb, 'sum(consumer_lag_messages)')) ?? Infinity) < 5000, 90_000, 1000);
});

function runDaily(window = '6s'): { code: number; rec: RunRecord; byId: (id: string) => Check } {
  const r = cli(['--json', '--quiet', 'check', 'daily', '--window', window]);
  const rec = JSON.parse(r.stdout) as RunRecord;
  return {
    code: r.code, rec,
    byId: (id) => rec.checks.find((c) => c.id === id) ?? assert.unreachable(`no check ${id}: ${rec.checks.map((c) => c.id).join(', ')}`) as never,
  };
}
const failing = (rec: RunRecord) => rec.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}=${c.observed} (${c.evidence.what})`).join('\n');

daily('healthy sandbox: every daily check passes, each with evidence', () => {
  const { code, rec } = runDaily('8s');
  assert.is(code, 0, failing(rec));
  assert.ok(rec.checks.length >= 20);
  for (const c of rec.checks) {
    assert.is(c.status, 'pass', c.id);
    assert.ok(c.evidence.how && c.evidence.where, `${c.id} has evidence`);
  }
});

daily('consumer-drop-rate: the integrity check fails and lists the missing sequence numbers', async () => {
  writeFaults(ctx.dir, { 'consumer-drop-rate': 0.02 });
  await sleep(12_000); // the integrity window is the window before the check started
  const { code, byId } = runDaily();
  assert.is(code, 1);
  const loss = byId('daily.integrity.loss');
  assert.is(loss.status, 'fail');
  assert.ok((loss.observed as number) > 0);
  assert.match(loss.evidence.what, /missing \(run:seq\): \d+:\d+/);
  assert.ok(Array.isArray(loss.evidence.missing) && (loss.evidence.missing as string[]).length > 0);
  assert.is(byId('daily.integrity.duplicates').status, 'pass');
});

daily('consumer-delay-ms: the consumer lag check fails', async () => {
  writeFaults(ctx.dir, { 'consumer-delay-ms': 20 });
  await sleep(6_000);
  const { code, byId } = runDaily();
  assert.is(code, 1);
  const lag = byId('daily.kafka.consumer-lag');
  assert.is(lag.status, 'fail');
  assert.ok((lag.observed as number) >= 5, `lag ${lag.observed}`);
});

daily('stopped consumers: replicas 1/3 fails', async () => {
  await ctx.procs.stop('prediction-consumer-1');
  await ctx.procs.stop('prediction-consumer-2');
  await sleep(3_000); // leaving members trigger a rebalance
  const { code, byId } = runDaily();
  assert.is(code, 1);
  const r = byId('daily.consumers.replicas');
  assert.is(r.status, 'fail');
  assert.is(r.observed, '1/3');
});

daily('stopped price feed: passive throughput fails', async () => {
  await ctx.procs.stop('price-feed');
  const { code, byId } = runDaily();
  assert.is(code, 1);
  const t = byId('daily.kafka.throughput');
  assert.is(t.status, 'fail');
  assert.ok((t.observed as number) < 7000, `throughput ${t.observed}`);
});

daily('a bad --window is a usage error', () => {
  const r = cli(['check', 'daily', '--window', '2s']);
  assert.is(r.code, 2);
  assert.match(r.stderr, '--window');
});

daily.run();
