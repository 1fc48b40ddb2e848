import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { request } from 'undici';
import { sb, clearFaults, eventually, ctx } from './support.ts';
import { pgConnection } from '../sandbox/postgres.ts';
import { makePrice, MODEL, type PredictionMessage } from '../platform/reference-messages.ts';
import { writeFaults } from '../sandbox/faults.ts';
import { promQuery, promTargets, alertmanagerAlerts } from '../sandbox/prom-api.ts';

const kafka = new Kafka({ clientId: 'pipeline-test', brokers: [`${sb.host}:${sb.ports.kafka}`], logLevel: logLevel.NOTHING });
const producer = kafka.producer();
const admin = kafka.admin();
const pool = new pg.Pool(pgConnection(sb));
const api = `http://${sb.host}:${sb.ports.inferenceApi}`;
// A feed run id no real feed uses (real ones are ms timestamps), so these messages are ours alone.
const run = 1_000 + Math.floor(Math.random() * 1_000_000);
let seq = 0;

async function sendPrices(n: number, corrupt = false): Promise<number[]> {
  const seqs: number[] = [];
  const messages = Array.from({ length: n }, () => {
    const m = makePrice({ run, seq: ++seq, commodity: 'brent', price: 80 + seq / 100, sentAt: Date.now() });
    seqs.push(m.seq);
    return { key: m.commodity, value: JSON.stringify(corrupt ? { ...m, price: m.price + 1 } : m) };
  });
  await producer.send({ topic: 'commodity-prices', messages });
  return seqs;
}

async function predictedSeqs(seqs: number[]): Promise<Set<number>> {
  const r = await pool.query('SELECT DISTINCT seq FROM predictions WHERE feed_run = $1 AND seq = ANY($2::bigint[])', [run, seqs]);
  return new Set(r.rows.map((x) => Number(x.seq)));
}

async function predict(commodity: string): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  const r = await request(`${api}/v1/predict`, { method: 'POST', body: JSON.stringify({ commodity }), headers: { 'content-type': 'application/json' } });
  const body = await r.body.json();
  return { status: r.statusCode, body, ms: performance.now() - t0 };
}

const flow = suite('pipeline');
flow.before(async () => { clearFaults(); await producer.connect(); await admin.connect(); });
flow.after(async () => { clearFaults(); await producer.disconnect(); await admin.disconnect(); await pool.end(); });
flow.after.each(() => clearFaults());

flow('prices become predictions in Kafka and PostgreSQL, end to end', async () => {
  const seen = new Map<number, PredictionMessage>();
  const consumer = kafka.consumer({ groupId: `pipeline-test-${run}` });
  await consumer.connect();
  await consumer.subscribe({ topic: 'ml-predictions', fromBeginning: false });
  await consumer.run({ eachMessage: async ({ message }) => {
    const p = JSON.parse(message.value!.toString()) as PredictionMessage;
    if (p.run === run) seen.set(p.seq, p);
  } });
  await eventually('test consumer assignment', async () => (await admin.describeGroups([`pipeline-test-${run}`])).groups[0]?.state === 'Stable', 20_000);
  const seqs = await sendPrices(50);
  await eventually('50 predictions on ml-predictions', async () => seen.size === 50, 20_000);
  await eventually('50 prediction rows', async () => (await predictedSeqs(seqs)).size === 50, 10_000);
  const p = seen.get(seqs[0]!)!;
  assert.is(p.commodity, 'brent');
  assert.ok(p.processedAt >= p.sentAt);
  assert.is(p.sourceChecksum.length, 16);
  await consumer.disconnect();
});

flow('a message whose checksum does not match is not turned into a prediction', async () => {
  const bad = await sendPrices(5, true);
  const good = await sendPrices(5);
  await eventually('the good ones', async () => (await predictedSeqs(good)).size === 5, 15_000);
  assert.is((await predictedSeqs(bad)).size, 0);
});

flow('consumer-drop-rate=1 silently loses messages; clearing it restores the flow', async () => {
  writeFaults(ctx.dir, { 'consumer-drop-rate': 1 });
  await new Promise((r) => setTimeout(r, 600)); // knobs are polled every 200 ms
  const lost = await sendPrices(20);
  await new Promise((r) => setTimeout(r, 4000));
  assert.is((await predictedSeqs(lost)).size, 0, 'dropped messages produce nothing');
  clearFaults();
  await new Promise((r) => setTimeout(r, 600));
  const kept = await sendPrices(20);
  await eventually('flow restored', async () => (await predictedSeqs(kept)).size === 20, 15_000);
});

flow('the inference API answers from the features in PostgreSQL', async () => {
  const commodity = `test-${run}`;
  await pool.query(`INSERT INTO features (commodity, last_price, ema_short, ema_long, samples) VALUES ($1, 100, 104, 96, 7)
    ON CONFLICT (commodity) DO UPDATE SET last_price = 100, ema_short = 104, ema_long = 96, samples = 7`, [commodity]);
  const r = await predict(commodity);
  assert.is(r.status, 200);
  assert.is(r.body.predicted, MODEL.predict(100, 104, 96));
  assert.is(r.body.features.samples, 7);
  await pool.query('UPDATE features SET last_price = 200 WHERE commodity = $1', [commodity]);
  assert.is((await predict(commodity)).body.predicted, MODEL.predict(200, 104, 96), 'reads the store, not a cache');
  assert.is((await predict(`absent-${run}`)).status, 404);
  await pool.query('DELETE FROM features WHERE commodity = $1', [commodity]);
});

flow('inference fault knobs apply live: latency and errors', async () => {
  const base = await predict('brent');
  assert.is(base.status, 200);
  writeFaults(ctx.dir, { 'inference-latency-ms': 300 });
  await new Promise((r) => setTimeout(r, 600));
  const slow = await predict('brent');
  assert.ok(slow.ms >= 300, `took ${slow.ms} ms`);
  writeFaults(ctx.dir, { 'inference-error-rate': 1 });
  await new Promise((r) => setTimeout(r, 600));
  assert.is((await predict('brent')).status, 500);
  clearFaults();
  await new Promise((r) => setTimeout(r, 600));
  const after = await predict('brent');
  assert.is(after.status, 200);
  assert.ok(after.ms < 300, `took ${after.ms} ms after clearing`);
});

flow('the batch workflows record successful runs', async () => {
  const r = await eventually('workflow runs', async () => {
    const q = await pool.query(`SELECT workflow, count(*) FILTER (WHERE status = 'success')::int AS ok FROM workflow_runs GROUP BY workflow`);
    return q.rows.length === 3 && q.rows.every((x) => x.ok > 0) ? q.rows : null;
  }, sb.batch.intervalS * 3000);
  assert.equal(r.map((x) => x.workflow).sort(), ['feature-refresh', 'prediction-rollup', 'price-quality']);
});

flow('Prometheus scrapes every platform target', async () => {
  const targets = await eventually('all targets up', async () => {
    const t = (await promTargets(sb)).filter((x) => x.labels.platform === 'carbon');
    return t.length > 0 && t.every((x) => x.health === 'up') ? t : null;
  }, 20_000);
  const jobs = new Set(targets.map((t) => t.job));
  for (const j of ['inference-api', 'prediction-consumer', 'price-feed', 'batch-workflow']) assert.ok(jobs.has(j), j);
  assert.is(targets.filter((t) => t.job === 'prediction-consumer').length, sb.consumers.replicas);
  const sent = await promQuery(sb, 'sum(price_feed_messages_sent_total)');
  assert.ok((sent[0]?.value ?? 0) > 0, 'price feed counter scraped');
});

flow('an error-rate fault fires ErrorRateCritical in Alertmanager and clearing it resolves the alert', async () => {
  const firing = () => alertmanagerAlerts(sb, { alertname: 'ErrorRateCritical', active: true });
  assert.is((await firing()).length, 0, 'not firing before the fault');
  writeFaults(ctx.dir, { 'inference-error-rate': 0.5 });
  const t0 = Date.now();
  const alerts = await eventually('ErrorRateCritical active in Alertmanager', async () => (await firing()).length ? await firing() : null,
    (sb.monitoring.ruleWindowS + sb.monitoring.alertForS + 30) * 1000, 500);
  assert.is(alerts[0]!.labels.severity, 'critical');
  const notified = await eventually('webhook notification at the alert sink', async () => {
    const r = await fetch(`http://${sb.host}:${sb.ports.alertSink}/alerts`);
    const list = (await r.json()) as Array<{ status: string; receivedAt: string; alerts: Array<{ labels: Record<string, string> }> }>;
    return list.find((n) => n.status === 'firing' && Date.parse(n.receivedAt) >= t0 && n.alerts.some((a) => a.labels.alertname === 'ErrorRateCritical'));
  }, 15_000, 500);
  assert.ok(notified);
  clearFaults();
  await eventually('ErrorRateCritical resolved', async () => (await firing()).length === 0,
    (sb.monitoring.ruleWindowS * 2 + 30) * 1000, 500);
});

flow.run();
