import type { Kafka } from 'kafkajs';
import pg from 'pg';
import type { Check } from '../core/record.ts';
import { check, errorCheck, passIf } from './check.ts';
import { priceIsIntact, MODEL, type PriceMessage } from '../sandbox/services/messages.ts';

export interface IntegrityWindow { from: number; to: number }

interface Evidence { prices: number; missing: string[]; late: string[]; duplicated: string[]; corruptInTopic: string[]; checksumMismatch: string[] }

/** A price as read from the topic, with where it sits: a missing prediction is lost only behind the group's committed offset. */
interface Stored { msg: PriceMessage; partition: number; offset: number }

const LIST = 20;
const idOf = (m: { run: number; seq: number }) => `${m.run}:${m.seq}`;

/**
 * Every price appended to `commodity-prices` in the window must appear exactly once in the
 * predictions table with the checksum it was sent with. Reads the topic range by timestamp
 * (ListOffsets by time), then joins against PostgreSQL. A price without a prediction is *lost*
 * only where the consumer group's committed offset (read before the join) has passed it: the
 * consumers write the prediction before they commit, so behind the committed offset it should be
 * there. Beyond it, the price is *late* (lag, judged by the lag checks), not lost.
 */
export async function integrityChecks(kafka: Kafka, conn: pg.ClientConfig, w: IntegrityWindow, where: string, group: string, signal?: AbortSignal): Promise<Check[]> {
  const stored = await readRange(kafka, 'commodity-prices', w, signal);
  const prices = stored.map((x) => x.msg);
  const ev: Evidence = { prices: prices.length, missing: [], late: [], duplicated: [], corruptInTopic: [], checksumMismatch: [] };
  const intact = prices.filter((p) => {
    if (priceIsIntact(p)) return true;
    ev.corruptInTopic.push(idOf(p));
    return false;
  });
  const position = new Map(stored.map((x) => [idOf(x.msg), x]));
  let committed: Map<number, number>;
  const admin = kafka.admin();
  try {
    await admin.connect();
    const parts = (await admin.fetchOffsets({ groupId: group, topics: ['commodity-prices'] }))[0]!.partitions;
    committed = new Map(parts.map((p) => [p.partition, Number(p.offset)]));
  } catch (e) {
    return ['loss', 'duplicates', 'corruption', 'accuracy'].map((k) =>
      errorCheck(`daily.integrity.${k}`, `data integrity: ${k}`, '==0', 'messages', where, new Error(`committed offsets of ${group} could not be read: ${(e as Error).message}`)));
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const processed = (id: string) => { const x = position.get(id); return x !== undefined && x.offset < (committed.get(x.partition) ?? -1); };
  const client = new pg.Client({ ...conn, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    // Without the store there is nothing to compare against: every integrity check is an error, not a pass.
    return ['loss', 'duplicates', 'corruption', 'accuracy'].map((k) =>
      errorCheck(`daily.integrity.${k}`, `data integrity: ${k}`, '==0', 'messages', where, e));
  }
  let accuracy: { sampled: number; wrong: string[] } = { sampled: 0, wrong: [] };
  try {
    const r = await client.query(
      `SELECT k.run, k.seq, count(p.seq)::int AS n, array_agg(DISTINCT p.source_checksum) FILTER (WHERE p.seq IS NOT NULL) AS sums
       FROM unnest($1::bigint[], $2::bigint[]) AS k(run, seq)
       LEFT JOIN predictions p ON p.feed_run = k.run AND p.seq = k.seq GROUP BY k.run, k.seq`,
      [intact.map((p) => p.run), intact.map((p) => p.seq)]);
    const byId = new Map(intact.map((p) => [idOf(p), p]));
    for (const row of r.rows as Array<{ run: string; seq: string; n: number; sums: string[] | null }>) {
      const id = `${row.run}:${row.seq}`;
      if (row.n === 0) (processed(id) ? ev.missing : ev.late).push(id);
      else if (row.n > 1) ev.duplicated.push(id);
      if (row.sums && row.sums.some((s) => s !== byId.get(id)?.checksum)) ev.checksumMismatch.push(id);
    }
    accuracy = await spotCheck(client, intact);
  } finally {
    await client.end().catch(() => {});
  }
  const span = `${new Date(w.from).toISOString()} – ${new Date(w.to).toISOString()}`;
  const how = `${ev.prices} price messages read from commodity-prices by timestamp range ${span}, joined on (feed run, seq) with the predictions table`;
  const sample = (ids: string[]) => ids.slice(0, LIST).join(', ') + (ids.length > LIST ? ` … (+${ids.length - LIST})` : '');
  return [
    // Lost ones fail it; late ones (not yet processed) leave it unverified: no data, never a pass.
    check('daily.integrity.loss', 'no price message lost', '==0', ev.missing.length, 'messages',
      !ev.prices ? 'no-data' : ev.missing.length ? 'fail' : ev.late.length ? 'no-data' : 'pass', {
      what: (ev.missing.length ? `lost (run:seq; behind the group's committed offset, no prediction): ${sample(ev.missing)}` : `every intact message the group has committed past has a prediction`)
        + (ev.late.length ? `; ${ev.late.length} late, not lost (beyond the committed offset, not yet processed): ${sample(ev.late)}` : ''),
      how: `${how}; committed offsets of ${group} read before the join`, where, missing: ev.missing.slice(0, 1000), late: ev.late.length,
    }),
    check('daily.integrity.duplicates', 'no price message processed twice', '==0', ev.duplicated.length, 'messages', ev.prices ? passIf(ev.duplicated.length === 0) : 'no-data',
      { what: ev.duplicated.length ? `duplicated (run:seq): ${sample(ev.duplicated)}` : 'no duplicates', how, where }),
    check('daily.integrity.corruption', 'no corrupted message', '==0', ev.corruptInTopic.length + ev.checksumMismatch.length, 'messages',
      ev.prices ? passIf(ev.corruptInTopic.length + ev.checksumMismatch.length === 0) : 'no-data',
      { what: `checksum failures in the topic: ${sample(ev.corruptInTopic) || 'none'}; predictions whose source checksum differs: ${sample(ev.checksumMismatch) || 'none'}`, how: `${how}; sha256 checksums recomputed`, where }),
    check('daily.integrity.accuracy', 'prediction spot-check matches the reference model', '==0 wrong', accuracy.wrong.length, 'predictions',
      accuracy.sampled ? passIf(accuracy.wrong.length === 0) : 'no-data',
      { what: `${accuracy.sampled} predictions recomputed with ${MODEL.version}; wrong: ${sample(accuracy.wrong) || 'none'}`, how: 'random sample of the window\'s predictions; predicted value recomputed from the stored price and features, price compared with the source message', where }),
  ];
}

async function spotCheck(client: pg.Client, prices: PriceMessage[]): Promise<{ sampled: number; wrong: string[] }> {
  const sample = prices.filter(() => Math.random() < 200 / Math.max(200, prices.length));
  if (!sample.length) return { sampled: 0, wrong: [] };
  const r = await client.query(
    `SELECT p.feed_run, p.seq, p.price, p.predicted, p.ema_short, p.ema_long FROM predictions p
     JOIN unnest($1::bigint[], $2::bigint[]) AS k(run, seq) ON p.feed_run = k.run AND p.seq = k.seq`,
    [sample.map((p) => p.run), sample.map((p) => p.seq)]);
  const src = new Map(sample.map((p) => [idOf(p), p]));
  const wrong: string[] = [];
  for (const row of r.rows as Array<{ feed_run: string; seq: string; price: number; predicted: number; ema_short: number | null; ema_long: number | null }>) {
    const id = `${row.feed_run}:${row.seq}`;
    const ref = row.ema_short === null || row.ema_long === null ? NaN : MODEL.predict(row.price, row.ema_short, row.ema_long);
    if (Math.abs(ref - row.predicted) > 1e-9 || row.price !== src.get(id)?.price) wrong.push(id);
  }
  return { sampled: r.rowCount ?? 0, wrong };
}

/** All messages of `topic` appended within the window, read by a throwaway consumer group. */
async function readRange(kafka: Kafka, topic: string, w: IntegrityWindow, signal?: AbortSignal): Promise<Stored[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `harness-integrity-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const high = new Map(ends.map((p) => [p.partition, Number(p.high)]));
    const at = async (ts: number) => new Map((await admin.fetchTopicOffsetsByTimestamp(topic, ts))
      .map((p) => [p.partition, Number(p.offset) < 0 ? high.get(p.partition)! : Number(p.offset)]));
    const start = await at(w.from);
    const stop = await at(w.to);
    const todo = new Set([...start].filter(([p, o]) => o < stop.get(p)!).map(([p]) => p));
    const out: Stored[] = [];
    if (!todo.size) return out;
    await admin.setOffsets({ groupId, topic, partitions: [...start].map(([partition, o]) => ({ partition, offset: String(o) })) });
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, maxBytes: 50 << 20 });
    await consumer.connect();
    await consumer.subscribe({ topic });
    let done!: () => void;
    const finished = new Promise<void>((r) => { done = r; });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const end = stop.get(batch.partition)!;
        for (const m of batch.messages) {
          if (Number(m.offset) >= end) break;
          let msg: PriceMessage;
          try { msg = JSON.parse(m.value!.toString()) as PriceMessage; } catch { msg = { run: -1, seq: Number(m.offset), commodity: '', price: 0, sentAt: 0, checksum: 'unparseable' }; }
          out.push({ msg, partition: batch.partition, offset: Number(m.offset) });
        }
        if (batch.messages.length && Number(batch.lastOffset()) >= end - 1) todo.delete(batch.partition);
        if (!todo.size) done();
      },
    });
    const timeout = new Promise<void>((_, rej) => setTimeout(() => rej(new Error(`reading ${topic} range timed out`)), 60_000).unref());
    const aborted = new Promise<void>((_, rej) => signal?.addEventListener('abort', () => rej(signal.reason), { once: true }));
    try { await Promise.race([finished, timeout, aborted]); } finally { await consumer.disconnect().catch(() => {}); }
    return out;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}
