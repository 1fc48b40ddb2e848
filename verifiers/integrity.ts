import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { pgClient } from '../platform/postgres.ts';
import type { Check } from '../core/record.ts';
import type { Contract, FeatureStoreProfile } from '../profile/schema.ts';
import { messageId, isIntact, checksumOf, headersOf } from '../platform/contract.ts';
import { check, failedReading, passIf, unmeasured, type Reading } from './check.ts';

export interface IntegrityWindow { from: number; to: number }

/** Message ids as the record keeps them: how many, and the first KEEP of them. */
export interface IdList { n: number; ids: string[] }
const KEEP = 1000;
const idList = (ids: string[]): IdList => ({ n: ids.length, ids: ids.slice(0, KEEP) });

/** What the integrity probe found: every price of the window read back and joined with the store. */
export interface IntegrityEvidence {
  topic: string; group: string; where: string; window: IntegrityWindow;
  /** The contract's id fields, and whether it names a checksum (without one, corruption cannot be told). */
  idFields: string[]; checksum: boolean;
  found: Reading<{
    /** Distinct messages read (partition and offset). */
    prices: number;
    /** Of them, intact and identified: the ones judged for loss and duplicates. */
    identified: number;
    missing: IdList; late: IdList; duplicated: IdList; corruptInTopic: IdList; unidentified: IdList; checksumMismatch: IdList;
    /** The accuracy spot-check (null: the profile names no accuracy query). */
    accuracy: { sampled: number; wrong: string[] } | null;
  }>;
}

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
export async function probeIntegrity(kafka: Kafka, conn: pg.ClientConfig, w: IntegrityWindow, where: string, spec: IntegritySpec, signal?: AbortSignal): Promise<IntegrityEvidence> {
  const { group, topic } = spec;
  const canVerify = spec.contract.checksum !== undefined;
  const base = { topic, group, where, window: w, idFields: spec.contract.id, checksum: canVerify };
  const unread = (e: unknown): IntegrityEvidence => ({ ...base, found: failedReading(e) });
  let stored: Awaited<ReturnType<typeof readRange>>;
  try { stored = await readRange(kafka, topic, w, spec.contract, signal); } catch (e) {
    if (signal?.aborted) throw e;
    return unread(new Error(`the window could not be read back from Kafka topic ${topic}: ${(e as Error).message}`));
  }
  const missing: string[] = []; const late: string[] = []; const duplicated: string[] = [];
  const corruptInTopic: string[] = []; const unidentified: string[] = []; const checksumMismatch: string[] = [];
  // A message our own reader was handed twice (a rebalance of its throwaway group) is one message:
  // the same partition and offset. Two offsets with one id are two messages (a duplicate is the platform's).
  const read = new Set<string>();
  const intact = stored.filter((x) => {
    const at = `${x.partition}@${x.offset}`;
    if (read.has(at)) return false;
    read.add(at);
    if (x.id === null) { unidentified.push(`partition ${x.partition} offset ${x.offset}`); return false; }
    if (x.intact === false) { corruptInTopic.push(x.id); return false; }
    return true;
  });
  let accuracy: { sampled: number; wrong: string[] } | null = null;
  const found = () => ({ ok: true as const, prices: read.size, identified: intact.length, missing: idList(missing), late: idList(late), duplicated: idList(duplicated),
    corruptInTopic: idList(corruptInTopic), unidentified: idList(unidentified), checksumMismatch: idList(checksumMismatch), accuracy });
  // Not one message the contract can identify: nothing to join (the judge names the contract).
  if (read.size > 0 && unidentified.length === read.size) return { ...base, found: found() };
  const position = new Map(intact.map((x) => [x.id!, x]));
  let committed: Map<number, number>;
  const admin = kafka.admin();
  try {
    await admin.connect();
    const parts = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions;
    committed = new Map(parts.map((p) => [p.partition, Number(p.offset)]));
  } catch (e) {
    return unread(new Error(`committed offsets of ${group} could not be read: ${(e as Error).message}`));
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const processed = (id: string) => { const x = position.get(id); return x !== undefined && x.offset < (committed.get(x.partition) ?? -1); };
  const client = pgClient({ connectionTimeoutMillis: 5000, ...conn });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    // Without the store there is nothing to compare against.
    return unread(e);
  }
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
      if (n === 0) (processed(id) ? missing : late).push(id);
      else if (n > 1) duplicated.push(id);
      if (canVerify && n > 0) {
        if (!Array.isArray(row!.checksums)) throw new Error(`platform.featureStore.queries.predictions returned no checksums array for ${id}`);
        if ((row!.checksums as unknown[]).some((s) => String(s) !== x.checksum)) checksumMismatch.push(id);
      }
    }
    if (spec.queries.accuracy) accuracy = await spotCheck(client, spec.queries.accuracy, intact);
  } catch (e) {
    return unread(e);
  } finally {
    await client.end().catch(() => {});
  }
  return { ...base, found: found() };
}

/** Loss, duplicates, corruption and the accuracy spot-check, from what the probe found. */
export function judgeIntegrity(e: IntegrityEvidence): Check[] {
  const { where, topic, group } = e;
  const f = e.found;
  const all = (error: string) => ['loss', 'duplicates', 'corruption', 'accuracy'].map((k) => unmeasured(`daily.integrity.${k}`, `data integrity: ${k}`, '==0', 'messages', where, error));
  // Without the topic or the store there is nothing to account for: every integrity check is an error, not a pass.
  if (!f.ok) return all(f.error);
  // Not one message the contract can identify: the contract, not the platform, is what is wrong.
  if (f.prices > 0 && f.unidentified.n === f.prices) {
    return all(`none of the ${f.prices} messages in ${topic} carries the contract's id fields (${e.idFields.join(', ')}) as JSON: check platform.kafka.contract`);
  }
  const span = `${new Date(e.window.from).toISOString()} – ${new Date(e.window.to).toISOString()}`;
  const how = `${f.prices} price messages read from ${topic} by timestamp range ${span}, joined on their id (${e.idFields.join(', ')}) with platform.featureStore.queries.predictions`;
  // The id as the contract builds it (e.g. run:seq), so listed ids can be looked up.
  const idShape = e.idFields.map((r) => r.replace(/^header:/, '').split('.').pop()).join(':');
  const sample = (l: IdList) => l.ids.slice(0, LIST).join(', ') + (l.n > LIST ? ` … (+${l.n - LIST})` : '');
  const accuracy = f.accuracy;
  const bad = f.corruptInTopic.n + f.checksumMismatch.n;
  return [
    // Lost ones fail it; late ones (not yet processed) leave it unverified: no data, never a pass.
    check('daily.integrity.loss', 'no price message lost', '==0', f.missing.n, 'messages',
      !f.identified ? 'no-data' : f.missing.n ? 'fail' : f.late.n ? 'no-data' : 'pass', {
        what: (f.missing.n ? `lost (${idShape}; behind the group's committed offset, no prediction): ${sample(f.missing)}` : `every intact message the group has committed past has a prediction`)
          + (f.late.n ? `; ${f.late.n} late, not lost (beyond the committed offset, not yet processed): ${sample(f.late)}` : ''),
        how: `${how}; committed offsets of ${group} read before the join`, where, missing: f.missing.ids, late: f.late.n, identified: f.identified,
      }),
    check('daily.integrity.duplicates', 'no price message processed twice', '==0', f.duplicated.n, 'messages', f.identified ? passIf(f.duplicated.n === 0) : 'no-data',
      { what: f.duplicated.n ? `duplicated (${idShape}): ${sample(f.duplicated)}` : 'no duplicates', how, where }),
    // A message the contract cannot identify is outside the contract: a failure whether or not checksums can be told.
    check('daily.integrity.corruption', 'no corrupted message', '==0', bad + f.unidentified.n, 'messages',
      f.unidentified.n ? 'fail' : f.prices && e.checksum ? passIf(bad === 0) : 'no-data',
      { what: (f.unidentified.n ? `${f.unidentified.n} message(s) without the contract's id fields (${e.idFields.join(', ')}) or not JSON: ${sample(f.unidentified)}; ` : '')
        + (e.checksum ? `checksum failures in the topic: ${sample(f.corruptInTopic) || 'none'}; predictions whose source checksum differs: ${sample(f.checksumMismatch) || 'none'}`
          : 'the profile\'s message contract names no checksum (platform.kafka.contract.checksum): corruption cannot be told'), how: `${how}; checksums recomputed per the contract`, where }),
    check('daily.integrity.accuracy', 'prediction spot-check matches the model', '==0 wrong', accuracy?.wrong.length ?? null, 'predictions',
      accuracy?.sampled ? passIf(accuracy.wrong.length === 0) : 'no-data',
      { what: accuracy ? `${accuracy.sampled} predictions checked; wrong: ${sample(idList(accuracy.wrong)) || 'none'}` : 'the profile names no accuracy query (platform.featureStore.queries.accuracy)', how: 'random sample of the window\'s predictions, judged by platform.featureStore.queries.accuracy', where }),
  ];
}

export const integrityChecks = async (kafka: Kafka, conn: pg.ClientConfig, w: IntegrityWindow, where: string, spec: IntegritySpec, signal?: AbortSignal): Promise<Check[]> =>
  judgeIntegrity(await probeIntegrity(kafka, conn, w, where, spec, signal));

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
