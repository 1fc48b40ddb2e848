import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { pgClient } from '../platform/postgres.ts';
import type { Check } from '../core/record.ts';
import type { Contract, FeatureStoreProfile } from '../profile/schema.ts';
import { messageId, isIntact, checksumOf, headersOf } from '../platform/contract.ts';
import { check, errorCheck, passIf } from './check.ts';

export interface IntegrityWindow { from: number; to: number }

interface Evidence { prices: number; missing: string[]; late: string[]; duplicated: string[]; corruptInTopic: string[]; unidentified: string[]; checksumMismatch: string[] }

/**
 * A price as read from the topic, with where it sits: a missing prediction is lost only behind the
 * group's committed offset. `id` is the contract's id (null: a field is missing, or the value is not JSON).
 */
interface Stored { id: string | null; intact: boolean | null; checksum: string | null; partition: number; offset: number; value: unknown }

/** What the integrity checks read: the topic, the group, the message contract and the store's queries. */
export interface IntegritySpec { topic: string; group: string; contract: Contract; queries: Pick<FeatureStoreProfile['queries'], 'predictions' | 'accuracy'> }

const LIST = 20;
/** Source messages kept for the accuracy spot-check (a uniform sample of the window). */
const SAMPLE = 400;

/**
 * Every price appended to `commodity-prices` in the window must appear exactly once in the
 * predictions table with the checksum it was sent with. Reads the topic range by timestamp
 * (ListOffsets by time), then joins against PostgreSQL. A price without a prediction is *lost*
 * only where the consumer group's committed offset (read before the join) has passed it: the
 * consumers write the prediction before they commit, so behind the committed offset it should be
 * there. Beyond it, the price is *late* (lag, judged by the lag checks), not lost.
 */
export async function integrityChecks(kafka: Kafka, conn: pg.ClientConfig, w: IntegrityWindow, where: string, spec: IntegritySpec, signal?: AbortSignal): Promise<Check[]> {
  const { group, topic } = spec;
  let stored: Awaited<ReturnType<typeof readRange>>;
  try { stored = await readRange(kafka, topic, w, spec.contract, signal); } catch (e) {
    if (signal?.aborted) throw e;
    // Without the topic there is nothing to account for: every integrity check is an error, not a pass.
    return ['loss', 'duplicates', 'corruption', 'accuracy'].map((k) => errorCheck(`daily.integrity.${k}`, `data integrity: ${k}`, '==0', 'messages', where,
      new Error(`the window could not be read back from Kafka topic ${topic}: ${(e as Error).message}`)));
  }
  const ev: Evidence = { prices: stored.length, missing: [], late: [], duplicated: [], corruptInTopic: [], unidentified: [], checksumMismatch: [] };
  // Without a checksum in the contract nothing can be told corrupt: that check has no data.
  const canVerify = spec.contract.checksum !== undefined;
  // A message our own reader was handed twice (a rebalance of its throwaway group) is one message:
  // the same partition and offset. Two offsets with one id are two messages (a duplicate is the platform's).
  const read = new Set<string>();
  const intact = stored.filter((x) => {
    const at = `${x.partition}@${x.offset}`;
    if (read.has(at)) return false;
    read.add(at);
    if (x.id === null) { ev.unidentified.push(`partition ${x.partition} offset ${x.offset}`); return false; }
    if (x.intact === false) { ev.corruptInTopic.push(x.id); return false; }
    return true;
  });
  ev.prices = read.size;
  // Not one message the contract can identify: the contract, not the platform, is what is wrong.
  if (ev.prices > 0 && ev.unidentified.length === ev.prices) {
    return ['loss', 'duplicates', 'corruption', 'accuracy'].map((k) => errorCheck(`daily.integrity.${k}`, `data integrity: ${k}`, '==0', 'messages', where,
      new Error(`none of the ${ev.prices} messages in ${topic} carries the contract's id fields (${spec.contract.id.join(', ')}) as JSON: check platform.kafka.contract`)));
  }
  const position = new Map(intact.map((x) => [x.id!, x]));
  let committed: Map<number, number>;
  const admin = kafka.admin();
  try {
    await admin.connect();
    const parts = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions;
    committed = new Map(parts.map((p) => [p.partition, Number(p.offset)]));
  } catch (e) {
    return ['loss', 'duplicates', 'corruption', 'accuracy'].map((k) =>
      errorCheck(`daily.integrity.${k}`, `data integrity: ${k}`, '==0', 'messages', where, new Error(`committed offsets of ${group} could not be read: ${(e as Error).message}`)));
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const processed = (id: string) => { const x = position.get(id); return x !== undefined && x.offset < (committed.get(x.partition) ?? -1); };
  const client = pgClient({ connectionTimeoutMillis: 5000, ...conn });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    // Without the store there is nothing to compare against: every integrity check is an error, not a pass.
    return ['loss', 'duplicates', 'corruption', 'accuracy'].map((k) =>
      errorCheck(`daily.integrity.${k}`, `data integrity: ${k}`, '==0', 'messages', where, e));
  }
  let accuracy: { sampled: number; wrong: string[] } | null = null;
  try {
    const r = await client.query(spec.queries.predictions, [intact.map((x) => x.id!)]);
    const rows = r.rows as Array<Record<string, unknown>>;
    const columns = ['id', 'n', ...(canVerify ? ['checksums'] : [])];
    if (rows.length && columns.some((c) => !(c in rows[0]!))) throw new Error(`platform.featureStore.queries.predictions must return the columns ${columns.join(', ')}`);
    const byId = new Map(rows.map((row) => [String(row.id), row]));
    // Every intact message is judged, whether or not the query returned a row for it: a missing row is no prediction.
    for (const x of intact) {
      const id = x.id!;
      const row = byId.get(id);
      const n = row === undefined ? 0 : Number(row.n);
      if (!Number.isInteger(n) || n < 0) throw new Error(`platform.featureStore.queries.predictions returned n=${String(row?.n)} for ${id}; expected a count`);
      if (n === 0) (processed(id) ? ev.missing : ev.late).push(id);
      else if (n > 1) ev.duplicated.push(id);
      if (canVerify && n > 0) {
        if (!Array.isArray(row!.checksums)) throw new Error(`platform.featureStore.queries.predictions returned no checksums array for ${id}`);
        if ((row!.checksums as unknown[]).some((s) => String(s) !== x.checksum)) ev.checksumMismatch.push(id);
      }
    }
    if (spec.queries.accuracy) accuracy = await spotCheck(client, spec.queries.accuracy, intact);
  } catch (e) {
    return ['loss', 'duplicates', 'corruption', 'accuracy'].map((k) =>
      errorCheck(`daily.integrity.${k}`, `data integrity: ${k}`, '==0', 'messages', where, e));
  } finally {
    await client.end().catch(() => {});
  }
  const span = `${new Date(w.from).toISOString()} – ${new Date(w.to).toISOString()}`;
  const how = `${ev.prices} price messages read from ${topic} by timestamp range ${span}, joined on their id (${spec.contract.id.join(', ')}) with platform.featureStore.queries.predictions`;
  // The id as the contract builds it (e.g. run:seq), so listed ids can be looked up.
  const idShape = spec.contract.id.map((r) => r.replace(/^header:/, '').split('.').pop()).join(':');
  const sample = (ids: string[]) => ids.slice(0, LIST).join(', ') + (ids.length > LIST ? ` … (+${ids.length - LIST})` : '');
  return [
    // Lost ones fail it; late ones (not yet processed) leave it unverified: no data, never a pass.
    check('daily.integrity.loss', 'no price message lost', '==0', ev.missing.length, 'messages',
      !intact.length ? 'no-data' : ev.missing.length ? 'fail' : ev.late.length ? 'no-data' : 'pass', {
      what: (ev.missing.length ? `lost (${idShape}; behind the group's committed offset, no prediction): ${sample(ev.missing)}` : `every intact message the group has committed past has a prediction`)
        + (ev.late.length ? `; ${ev.late.length} late, not lost (beyond the committed offset, not yet processed): ${sample(ev.late)}` : ''),
      how: `${how}; committed offsets of ${group} read before the join`, where, missing: ev.missing.slice(0, 1000), late: ev.late.length, identified: intact.length,
    }),
    check('daily.integrity.duplicates', 'no price message processed twice', '==0', ev.duplicated.length, 'messages', intact.length ? passIf(ev.duplicated.length === 0) : 'no-data',
      { what: ev.duplicated.length ? `duplicated (${idShape}): ${sample(ev.duplicated)}` : 'no duplicates', how, where }),
    // A message the contract cannot identify is outside the contract: a failure whether or not checksums can be told.
    check('daily.integrity.corruption', 'no corrupted message', '==0', ev.corruptInTopic.length + ev.checksumMismatch.length + ev.unidentified.length, 'messages',
      ev.unidentified.length ? 'fail' : ev.prices && canVerify ? passIf(ev.corruptInTopic.length + ev.checksumMismatch.length === 0) : 'no-data',
      { what: (ev.unidentified.length ? `${ev.unidentified.length} message(s) without the contract's id fields (${spec.contract.id.join(', ')}) or not JSON: ${sample(ev.unidentified)}; ` : '')
        + (canVerify ? `checksum failures in the topic: ${sample(ev.corruptInTopic) || 'none'}; predictions whose source checksum differs: ${sample(ev.checksumMismatch) || 'none'}`
          : 'the profile\'s message contract names no checksum (platform.kafka.contract.checksum): corruption cannot be told'), how: `${how}; checksums recomputed per the contract`, where }),
    check('daily.integrity.accuracy', 'prediction spot-check matches the model', '==0 wrong', accuracy?.wrong.length ?? null, 'predictions',
      accuracy?.sampled ? passIf(accuracy.wrong.length === 0) : 'no-data',
      { what: accuracy ? `${accuracy.sampled} predictions checked; wrong: ${sample(accuracy.wrong) || 'none'}` : 'the profile names no accuracy query (platform.featureStore.queries.accuracy)', how: 'random sample of the window\'s predictions, judged by platform.featureStore.queries.accuracy', where }),
  ];
}

/** A random sample of about 200 messages, judged by the profile's accuracy query ($1 ids, $2 the source messages as JSON). */
async function spotCheck(client: pg.Client, query: string, intact: Stored[]): Promise<{ sampled: number; wrong: string[] }> {
  // The reader kept a uniform sample's source values; of those, the intact ones are checked.
  const sample = intact.filter((x) => x.value !== undefined).slice(0, 200);
  if (!sample.length) return { sampled: 0, wrong: [] };
  const r = await client.query(query, [sample.map((x) => x.id!), sample.map((x) => JSON.stringify(x.value))]);
  const rows = r.rows as Array<{ id: unknown; correct: unknown }>;
  if (rows.length && !('id' in rows[0]! && 'correct' in rows[0]!)) throw new Error('platform.featureStore.queries.accuracy must return id and correct columns');
  return { sampled: rows.length, wrong: rows.filter((x) => x.correct !== true).map((x) => String(x.id)) };
}

/** All messages of `topic` appended within the window, read by a throwaway consumer group. */
async function readRange(kafka: Kafka, topic: string, w: IntegrityWindow, contract: Contract, signal?: AbortSignal): Promise<Stored[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `harness-integrity-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const high = new Map(ends.map((p) => [p.partition, Number(p.high)]));
    const at = async (ts: number) => new Map((await admin.fetchTopicOffsetsByTimestamp(topic, ts))
      .map((p) => [p.partition, Number(p.offset) < 0 ? high.get(p.partition)! : Number(p.offset)]));
    // Kafka timestamps are whole milliseconds (a fractional one is refused as a BigInt).
    const start = await at(Math.floor(w.from));
    const stop = await at(Math.ceil(w.to));
    const todo = new Set([...start].filter(([p, o]) => o < stop.get(p)!).map(([p]) => p));
    const out: Stored[] = [];
    // Only a uniform sample keeps its parsed value (reservoir sampling): the accuracy check needs ~200
    // source messages, and a window holds hundreds of thousands.
    const reservoir: Stored[] = [];
    const keep = (x: Stored, n: number) => {
      if (reservoir.length < SAMPLE) { reservoir.push(x); return; }
      const j = Math.floor(Math.random() * n);
      if (j < SAMPLE) { reservoir[j]!.value = undefined; reservoir[j] = x; } else x.value = undefined;
    };
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
          let value: unknown = null;
          try { value = JSON.parse(m.value?.toString() ?? ''); } catch { /* not JSON: no id, counted corrupt */ }
          const raw = { value, headers: headersOf(m.headers) };
          const x: Stored = { id: messageId(contract, raw), intact: isIntact(contract, raw), checksum: checksumOf(contract, raw), partition: batch.partition, offset: Number(m.offset), value };
          out.push(x);
          keep(x, out.length);
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
