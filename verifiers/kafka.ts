import type { Admin } from 'kafkajs';
import type { Check } from '../core/record.ts';
import { check, errorCheck, passIf, round } from './check.ts';
import { totalEnds, type GroupLag, type OffsetSample } from '../platform/kafka-offsets.ts';

/** A topic as the cluster's metadata describes it (`partitions` null: not in the metadata). */
export interface TopicMeta { name: string; partitions: number | null; leaderless: number[] }

/** Reads each topic's partitions and their leaders. */
export async function probeTopics(admin: Admin, topics: string[]): Promise<TopicMeta[]> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  const meta = present.length ? await admin.fetchTopicMetadata({ topics: present }) : { topics: [] };
  return topics.map((name) => {
    const m = meta.topics.find((x) => x.name === name);
    return { name, partitions: m ? m.partitions.length : null, leaderless: m ? m.partitions.filter((p) => p.leader < 0).map((p) => p.partitionId) : [] };
  });
}

/** Topics exist and every partition has a leader (the seed's "topics operational"). */
export function judgeTopics(meta: TopicMeta[], where: string): Check[] {
  return meta.map((m) => {
    const id = `daily.kafka.topic.${m.name}`;
    const title = `Kafka topic ${m.name} operational`;
    if (m.partitions === null) return check(id, title, 'exists, every partition led', 'missing', '', 'fail', { what: 'topic not found in cluster metadata', how: 'Kafka Metadata request', where });
    return check(id, title, 'exists, every partition led', `${m.partitions - m.leaderless.length}/${m.partitions} partitions led`, '',
      passIf(m.leaderless.length === 0), { what: m.leaderless.length ? `partitions without leader: ${m.leaderless.join(', ')}` : 'all partitions have a leader', how: 'Kafka Metadata request', where });
  });
}

export const topicChecks = async (admin: Admin, topics: string[], where: string): Promise<Check[]> => judgeTopics(await probeTopics(admin, topics), where);

/** Produce rate measured from end offsets alone: no load of our own, so it is the platform's real rate. */
export function throughputCheck(a: OffsetSample, b: OffsetSample, topic: string, target: number, where: string): Check {
  const seconds = (b.at - a.at) / 1000;
  const rate = (totalEnds(b) - totalEnds(a)) / seconds;
  return check('daily.kafka.throughput', `real-time throughput into ${topic}`, `>=${target}`, round(rate, 1), 'msg/s', passIf(rate >= target), {
    what: `${totalEnds(b) - totalEnds(a)} messages appended over ${seconds.toFixed(1)} s`,
    how: 'passive: sum of end offsets over all partitions sampled at the start and end of the window (ListOffsets)',
    where,
  });
}

/**
 * Consumer-group lag in messages and in seconds, judged over the window's samples (the worst and
 * the last), not one snapshot. Seconds per sample: each partition's backlog over its produce rate
 * across the window (how long that partition's traffic takes to make up the backlog), worst
 * partition; messages: the whole group's backlog, against `targetS` seconds of the topic's traffic.
 */
export function lagChecks(samples: GroupLag[], a: OffsetSample, b: OffsetSample, group: string, targetS: number, where: string, error?: string): Check[] {
  const how = `committed group offsets (OffsetFetch), then end offsets (ListOffsets), sampled ${samples.length} times over the window; seconds = backlog / the partition's produce rate over the window`;
  if (!samples.length) {
    return [errorCheck('daily.kafka.consumer-lag', `consumer lag of ${group}`, `<${targetS}`, 's', where, new Error(error ?? 'no lag sample was taken'))];
  }
  const spanS = Math.max(0.001, (b.at - a.at) / 1000);
  const perS = new Map([...b.offsets].map(([p, end]) => [p, (end - (a.offsets.get(p) ?? 0)) / spanS]));
  const seconds = (x: GroupLag) => Math.max(0, ...[...x.behind].map(([p, n]) => (n === 0 ? 0 : (perS.get(p) ?? 0) > 0 ? n / perS.get(p)! : Infinity)));
  // Offsets per partition are kept beside the derived lag so the figures can be checked again later.
  const series = samples.map((x) => ({
    readFrom: x.readFrom, at: x.at, messages: x.total, seconds: seconds(x),
    committed: Object.fromEntries(x.committed), ends: Object.fromEntries(x.ends.offsets),
  }));
  const worstS = series.reduce((m, x) => (x.seconds > m.seconds ? x : m));
  const worstMsgs = series.reduce((m, x) => (x.messages > m.messages ? x : m));
  const last = series.at(-1)!;
  const ratePerS = (totalEnds(b) - totalEnds(a)) / spanS;
  const maxMsgs = Math.round(ratePerS * targetS);
  const partial = error ? `; sampling stopped early: ${error}` : '';
  // A series cut short proves a failure it saw, never a pass over the rest of the window.
  const judged = (ok: boolean) => (ok ? (error ? 'error' : 'pass') : 'fail');
  const secs = (v: number) => (Number.isFinite(v) ? round(v) : null);
  return [
    check('daily.kafka.consumer-lag', `consumer lag of ${group} (seconds, worst over the window)`, `<${targetS}`, secs(worstS.seconds), 's',
      Number.isFinite(worstS.seconds) ? judged(worstS.seconds < targetS) : 'fail', {
        what: `worst ${secs(worstS.seconds) ?? '∞ (a partition with a backlog and no traffic)'} s (${worstS.messages} messages behind); last ${secs(last.seconds)} s (${last.messages} messages)${partial}`,
        how, where, lagSamples: series,
      }),
    check('daily.kafka.consumer-lag-messages', `consumer lag of ${group} (messages, worst over the window)`, `<${maxMsgs}`, worstMsgs.messages, 'messages',
      judged(ratePerS > 0 ? worstMsgs.messages < maxMsgs : worstMsgs.messages === 0), {
        what: `worst ${worstMsgs.messages} messages behind, last ${last.messages}; the topic took ${round(ratePerS, 1)} msg/s over the window, so ${targetS} s of traffic is ${maxMsgs} messages${partial}`,
        how: 'sum over partitions of end offset minus committed offset (committed read first), each sample', where,
      }),
  ];
}

/** A consumer group as DescribeGroups answers (`state` null: no such group). */
export interface GroupMembers { state: string | null; members: number }

export async function probeGroup(admin: Admin, group: string): Promise<GroupMembers> {
  const g = (await admin.describeGroups([group])).groups[0];
  return { state: g?.state ?? null, members: g?.members.length ?? 0 };
}

/** The seed's "replicas 3/3" as the consumer group sees it: live members of the group. */
export function judgeGroup(g: GroupMembers, group: string, desired: number, where: string): Check {
  return check('daily.consumers.replicas', `prediction consumers ${g.members}/${desired}`, `${desired}/${desired}`, `${g.members}/${desired}`, 'replicas',
    passIf(g.members === desired && g.state === 'Stable'), { what: `group ${group} state ${g.state ?? 'missing'}, ${g.members} member(s)`, how: 'Kafka DescribeGroups', where });
}
