import type { Admin } from 'kafkajs';
import type { Check } from '../core/record.ts';
import { check, errorCheck, passIf, round } from './check.ts';

/** Topics exist and every partition has a leader (the seed's "topics operational"). */
export async function topicChecks(admin: Admin, topics: string[], where: string): Promise<Check[]> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  const meta = present.length ? await admin.fetchTopicMetadata({ topics: present }) : { topics: [] };
  return topics.map((t) => {
    const id = `daily.kafka.topic.${t}`;
    const title = `Kafka topic ${t} operational`;
    const m = meta.topics.find((x) => x.name === t);
    if (!m) return check(id, title, 'exists, every partition led', 'missing', '', 'fail', { what: 'topic not found in cluster metadata', how: 'Kafka Metadata request', where });
    const leaderless = m.partitions.filter((p) => p.leader < 0).map((p) => p.partitionId);
    return check(id, title, 'exists, every partition led', `${m.partitions.length - leaderless.length}/${m.partitions.length} partitions led`, '',
      passIf(leaderless.length === 0), { what: leaderless.length ? `partitions without leader: ${leaderless.join(', ')}` : 'all partitions have a leader', how: 'Kafka Metadata request', where });
  });
}

export interface OffsetSample { at: number; offsets: Map<number, number> }

export async function sampleEnds(admin: Admin, topic: string): Promise<OffsetSample> {
  const offs = await admin.fetchTopicOffsets(topic);
  return { at: Date.now(), offsets: new Map(offs.map((p) => [p.partition, Number(p.high)])) };
}

/** Sum of the end offsets over all partitions: every message the topic has taken so far. */
export const totalEnds = (s: OffsetSample) => [...s.offsets.values()].reduce((a, b) => a + b, 0);

/** Messages a group still has to process, per partition, at `ends` (all of them where it has committed nothing). */
export async function groupBehind(admin: Admin, group: string, topic: string, ends: OffsetSample): Promise<Map<number, number>> {
  const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions;
  return new Map(committed.map((p) => {
    const c = Number(p.offset);
    const end = ends.offsets.get(p.partition) ?? 0;
    return [p.partition, c < 0 ? end : Math.max(0, end - c)];
  }));
}

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
 * Consumer-group lag in messages and in seconds. Seconds come from interpolating the committed
 * offset on the end-offset samples taken over the window (the method of kafka-lag-exporter): how
 * long ago the newest message the group has processed was appended.
 */
export async function lagChecks(admin: Admin, group: string, topic: string, a: OffsetSample, b: OffsetSample, targetS: number, where: string): Promise<Check[]> {
  try {
    const behindBy = await groupBehind(admin, group, topic, b);
    let lagMsgs = 0;
    let lagS = 0;
    for (const [partition, behind] of behindBy) {
      const endA = a.offsets.get(partition) ?? 0;
      const endB = b.offsets.get(partition) ?? 0;
      lagMsgs += behind;
      if (behind === 0) continue;
      const perMs = (endB - endA) / Math.max(1, b.at - a.at);
      const s = perMs > 0 ? behind / perMs / 1000 : Infinity;
      lagS = Math.max(lagS, s);
    }
    const how = 'committed group offsets (OffsetFetch) against end offsets; seconds interpolated from the end-offset samples of the window';
    // Messages behind is judged against the traffic of `targetS` seconds: the whole group's backlog, where
    // the seconds check looks at the worst partition (a backlog spread thinly can pass one and fail the other).
    const ratePerS = (totalEnds(b) - totalEnds(a)) / Math.max(0.001, (b.at - a.at) / 1000);
    const maxMsgs = Math.round(ratePerS * targetS);
    return [
      check('daily.kafka.consumer-lag', `consumer lag of ${group} (seconds)`, `<${targetS}`, Number.isFinite(lagS) ? round(lagS) : null, 's',
        Number.isFinite(lagS) ? passIf(lagS < targetS) : 'fail', { what: `${lagMsgs} messages behind across ${behindBy.size} partitions`, how, where }),
      check('daily.kafka.consumer-lag-messages', `consumer lag of ${group} (messages)`, `<${maxMsgs}`, lagMsgs, 'messages',
        ratePerS > 0 ? passIf(lagMsgs < maxMsgs) : passIf(lagMsgs === 0), {
          what: `${lagMsgs} messages behind; the topic took ${round(ratePerS, 1)} msg/s over the window, so ${targetS} s of traffic is ${maxMsgs} messages`,
          how: 'sum over partitions of end offset minus committed offset', where,
        }),
    ];
  } catch (e) {
    return [errorCheck('daily.kafka.consumer-lag', `consumer lag of ${group}`, `<${targetS}`, 's', where, e)];
  }
}

/** The seed's "replicas 3/3" as the consumer group sees it: live members of the group. */
export async function groupMembersCheck(admin: Admin, group: string, desired: number, where: string): Promise<Check> {
  const { groups } = await admin.describeGroups([group]);
  const g = groups[0];
  const members = g?.members.length ?? 0;
  return check('daily.consumers.replicas', `prediction consumers ${members}/${desired}`, `${desired}/${desired}`, `${members}/${desired}`, 'replicas',
    passIf(members === desired && g?.state === 'Stable'), { what: `group ${group} state ${g?.state ?? 'missing'}, ${members} member(s)`, how: 'Kafka DescribeGroups', where });
}
