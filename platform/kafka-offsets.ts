/**
 * Reading a topic's end offsets and a consumer group's committed offsets: the one way the daily
 * check, the drill's lag follower and the load engine's Kafka target read them.
 */
import type { Admin } from 'kafkajs';

export interface OffsetSample { at: number; offsets: Map<number, number> }

export async function sampleEnds(admin: Admin, topic: string): Promise<OffsetSample> {
  const offs = await admin.fetchTopicOffsets(topic);
  return { at: Date.now(), offsets: new Map(offs.map((p) => [p.partition, Number(p.high)])) };
}

/** Sum of the end offsets over all partitions: every message the topic has taken so far. */
export const totalEnds = (s: OffsetSample) => [...s.offsets.values()].reduce((a, b) => a + b, 0);

/** One reading of a group's lag: committed offsets, then the end offsets they are measured against. */
export interface GroupLag {
  /** When the committed-offset read was sent (epoch ms): every offset of this sample is from after it. */
  readFrom: number;
  /** When the end offsets were read (epoch ms): every offset of this sample is from before it. */
  at: number;
  /** The group's committed offset per partition (-1 where it has committed nothing). */
  committed: Map<number, number>;
  /** Messages still to process, per partition (all of them where the group has committed nothing). */
  behind: Map<number, number>;
  total: number;
  /** The end offsets the backlog was measured against. */
  ends: OffsetSample;
}

/**
 * Reads the group's committed offsets first and the end offsets after, as Kafka's own
 * kafka-consumer-groups does: read the other way round, the group's commits in between pass the
 * end offsets already read, and the lag is under-read by the traffic of that interval.
 */
export async function sampleLag(admin: Admin, group: string, topic: string): Promise<GroupLag> {
  const readFrom = Date.now();
  const fetched = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions;
  const ends = await sampleEnds(admin, topic);
  const committed = new Map([...ends.offsets.keys()].map((partition) => [partition, Number(fetched.find((p) => p.partition === partition)?.offset ?? -1)]));
  const behind = new Map([...ends.offsets].map(([partition, end]) => {
    const c = committed.get(partition)!;
    return [partition, c < 0 ? end : Math.max(0, end - c)];
  }));
  return { readFrom, at: ends.at, committed, behind, total: [...behind.values()].reduce((a, b) => a + b, 0), ends };
}

/** Lag samples every `everyMs` until `untilMs` (epoch) or the signal; a failed read ends the series with why. */
export async function followLag(admin: Admin, group: string, topic: string, o: { untilMs: number; everyMs: number; signal: AbortSignal }): Promise<{ samples: GroupLag[]; error?: string }> {
  const samples: GroupLag[] = [];
  while (!o.signal.aborted) {
    try { samples.push(await sampleLag(admin, group, topic)); } catch (e) { return { samples, error: (e as Error).message }; }
    const wait = Math.min(o.everyMs, o.untilMs - Date.now());
    if (wait <= 0) break;
    await new Promise((r) => setTimeout(r, wait));
  }
  return { samples };
}

/** Offsets as a record stores them (JSON has no Map): partition → offset. */
export interface StoredOffsets { at: number; offsets: Record<string, number> }
/** A lag sample as a record stores it. */
export interface StoredLag { readFrom: number; at: number; committed: Record<string, number>; behind: Record<string, number>; total: number; ends: StoredOffsets }

const toRecord = (m: Map<number, number>): Record<string, number> => Object.fromEntries(m);
const toMap = (r: Record<string, number>): Map<number, number> => new Map(Object.entries(r).map(([k, v]) => [Number(k), v]));

export const storeOffsets = (s: OffsetSample): StoredOffsets => ({ at: s.at, offsets: toRecord(s.offsets) });
export const readOffsets = (s: StoredOffsets): OffsetSample => ({ at: s.at, offsets: toMap(s.offsets) });
export const storeLag = (g: GroupLag): StoredLag => ({ readFrom: g.readFrom, at: g.at, committed: toRecord(g.committed), behind: toRecord(g.behind), total: g.total, ends: storeOffsets(g.ends) });
export const readLag = (g: StoredLag): GroupLag => ({ readFrom: g.readFrom, at: g.at, committed: toMap(g.committed), behind: toMap(g.behind), total: g.total, ends: readOffsets(g.ends) });
