// Runs against the sandbox Kafka that `npm test` brought up (it does not start one).
// Other parts of the sandbox produce to and consume from the same topics while this runs, so every
// check here is about *our* messages only: each carries a per-run header token, and offset checks
// are "advanced by at least what we produced".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AssignerProtocol, Kafka, logLevel, type Consumer, type IHeaders } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sandboxDir } from '../core/config.ts';
import { cfg, sb, eventually } from './support.ts';
import { kafkaBrokers, kafkaPart, TOPICS } from '../sandbox/kafka.ts';
import { ProcessTable } from '../sandbox/proc.ts';
import { makePrice, MODEL, type PredictionMessage } from '../platform/reference-messages.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const kafka = new Kafka({ clientId: 'kafka-test', brokers: kafkaBrokers(sb), logLevel: logLevel.NOTHING });
const TOKEN_HEADER = 'x-carbon-kafka-test';
/** A feed run id no real feed uses (real ones are ms timestamps), so the pipeline treats these as test traffic. */
const RUN = 2_000_000 + Math.floor(Math.random() * 1_000_000);
let seq = 0;
let groupSeq = 0;
const groups: string[] = [];

function newGroup(): string {
  const g = `kafka-test-${process.pid}-${Date.now()}-${++groupSeq}`;
  groups.push(g);
  return g;
}

function fastConsumer(groupId: string): Consumer {
  // Short fetch waits and heartbeats keep rebalances and disconnects well inside a test's budget.
  return kafka.consumer({ groupId, maxWaitTimeInMs: 250, heartbeatInterval: 500, sessionTimeout: 10_000 });
}

/** Valid messages for each topic (the reference consumer reads commodity-prices and must not count ours as corrupt). */
function messagesFor(topic: (typeof TOPICS)[number], n: number, token: string) {
  const headers: IHeaders = { [TOKEN_HEADER]: token };
  return Array.from({ length: n }, () => {
    const s = ++seq;
    const sentAt = Date.now();
    const price = 80 + (s % 100) / 100;
    if (topic === 'commodity-prices') {
      const m = makePrice({ run: RUN, seq: s, commodity: 'brent', price, sentAt });
      return { key: m.commodity, value: JSON.stringify(m), headers };
    }
    const p: PredictionMessage = {
      run: RUN, seq: s, commodity: 'brent', price, predicted: MODEL.predict(price, price, price), emaShort: price, emaLong: price,
      sourceChecksum: 'kafka-test', sentAt, processedAt: sentAt, consumer: 'kafka-test',
    };
    return { key: p.commodity, value: JSON.stringify(p), headers };
  });
}

async function produce(topic: (typeof TOPICS)[number], n: number, token: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < n; i += 250) {
      await producer.send({ topic, acks: -1, messages: messagesFor(topic, Math.min(250, n - i), token) });
    }
  } finally {
    await producer.disconnect();
  }
}

async function highWatermarks(topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offs = await admin.fetchTopicOffsets(topic);
    return new Map(offs.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

const sum = (m: Map<number, bigint>) => [...m.values()].reduce((a, b) => a + b, 0n);

async function withAdmin<T>(fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try { return await fn(admin); } finally { await admin.disconnect(); }
}

/**
 * Consumes our messages (those carrying `token`) from `start` offsets on, with a fresh group.
 * Returns the per-partition next offset after the last of ours, per topic, once `expect` of each arrived.
 */
async function consumeOurs(
  consumer: Consumer, start: Record<string, Map<number, bigint>>, token: string, expect: number, timeoutMs: number,
): Promise<Record<string, Map<number, bigint>>> {
  const seen: Record<string, number> = Object.fromEntries(TOPICS.map((t) => [t, 0]));
  const lastOffset: Record<string, Map<number, bigint>> = Object.fromEntries(TOPICS.map((t) => [t, new Map()]));
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  await consumer.subscribe({ topics: [...TOPICS], fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (message.headers?.[TOKEN_HEADER]?.toString() !== token) return;
      seen[topic] = (seen[topic] ?? 0) + 1;
      lastOffset[topic]!.set(partition, BigInt(message.offset) + 1n);
      if (TOPICS.every((t) => (seen[t] ?? 0) >= expect)) resolveDone();
    },
  });
  // Start exactly where the topics stood before we produced, not at the log end (new group) or
  // the beginning (could be millions of load-test messages).
  for (const topic of TOPICS) {
    for (const [partition, offset] of start[topic]!) consumer.seek({ topic, partition, offset: offset.toString() });
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([done, new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`consumed ${JSON.stringify(seen)} of ${expect} per topic`)), timeoutMs);
    })]);
  } finally {
    clearTimeout(timer);
  }
  for (const t of TOPICS) assert.is(seen[t], expect, `${t}: each of our messages exactly once`);
  return lastOffset;
}

test('sandbox part reports kafka healthy with both topics', async () => {
  const ctx = { cfg, sb, dir: sandboxDir(cfg), procs: new ProcessTable(sandboxDir(cfg)), progress: () => {} };
  const st = await kafkaPart.status(ctx);
  assert.ok(st.healthy, st.reason);
  assert.is(st.endpoint, `127.0.0.1:${sb.ports.kafka}`);
  const { topics } = await withAdmin((a) => a.fetchTopicMetadata({ topics: [...TOPICS] }));
  for (const t of topics) {
    assert.ok(t.partitions.length >= sb.kafka.partitions, `${t.name} has ${t.partitions.length} partitions`);
    for (const p of t.partitions) assert.ok(p.leader >= 0, `${t.name}/${p.partitionId} has a leader`);
  }
});

test('produce to both topics advances fetchTopicOffsets by at least the number produced', async () => {
  const N = 500;
  const token = randomUUID();
  for (const topic of TOPICS) {
    const before = await highWatermarks(topic);
    await produce(topic, N, token);
    const after = await highWatermarks(topic);
    assert.ok(sum(after) - sum(before) >= BigInt(N), `${topic}: high watermarks advanced by ${sum(after) - sum(before)}, expected ≥ ${N}`);
    for (const [p, off] of before) assert.ok(after.get(p)! >= off, `${topic}/${p} never goes backwards`);
  }
});

test('a consumer group reads back what was produced, commits it, and is Stable while connected', async () => {
  const N = 400;
  const token = randomUUID();
  const start: Record<string, Map<number, bigint>> = {};
  for (const topic of TOPICS) start[topic] = await highWatermarks(topic);
  for (const topic of TOPICS) await produce(topic, N, token);

  const groupId = newGroup();
  const consumer = fastConsumer(groupId);
  await consumer.connect();
  try {
    const last = await consumeOurs(consumer, start, token, N, 12_000);

    // describeGroups while connected: one member, Stable, holding every partition of both topics.
    const group = await eventually('group Stable', () => withAdmin(async (a) => {
      const g = (await a.describeGroups([groupId])).groups[0]!;
      return g.state === 'Stable' ? g : false;
    }), 5_000);
    assert.is(group.protocolType, 'consumer');
    assert.is(group.members.length, 1);
    assert.is(group.members[0]!.clientId, 'kafka-test');
    const assignment = AssignerProtocol.MemberAssignment.decode(group.members[0]!.memberAssignment)!;
    for (const topic of TOPICS) {
      assert.is(assignment.assignment[topic]?.length, start[topic]!.size, `${topic}: all partitions assigned to the one member`);
    }

    // fetchOffsets: the group committed at least past the last of our messages on every partition.
    await eventually('committed offsets', () => withAdmin(async (a) => {
      const offs = await a.fetchOffsets({ groupId, topics: [...TOPICS] });
      return offs.every(({ topic, partitions }) => partitions.every(({ partition, offset }) =>
        BigInt(offset) >= (last[topic]!.get(partition) ?? 0n)));
    }), 8_000);
  } finally {
    await consumer.disconnect();
  }
});

test('two consumers in one group split the partitions (describeGroups shows both members)', async () => {
  const groupId = newGroup();
  const a = fastConsumer(groupId);
  const b = fastConsumer(groupId);
  await Promise.all([a.connect(), b.connect()]);
  try {
    for (const c of [a, b]) {
      await c.subscribe({ topics: [...TOPICS], fromBeginning: false });
      await c.run({ eachMessage: async () => {} });
    }
    const group = await eventually('two Stable members', () => withAdmin(async (adm) => {
      const g = (await adm.describeGroups([groupId])).groups[0]!;
      return g.state === 'Stable' && g.members.length === 2 ? g : false;
    }), 15_000);
    const owned = new Map<string, string>();
    for (const m of group.members) {
      const asg = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!;
      for (const [topic, parts] of Object.entries(asg.assignment)) {
        for (const p of parts) {
          const key = `${topic}/${p}`;
          assert.not.ok(owned.has(key), `${key} assigned twice`);
          owned.set(key, m.memberId);
        }
      }
    }
    const { topics } = await withAdmin((adm) => adm.fetchTopicMetadata({ topics: [...TOPICS] }));
    assert.is(owned.size, topics.reduce((n, t) => n + t.partitions.length, 0), 'every partition owned by exactly one member');
    assert.is(new Set(owned.values()).size, 2, 'both members own partitions');
  } finally {
    await Promise.all([a.disconnect(), b.disconnect()]);
  }
});

test.after(async () => {
  // Leave no empty test groups behind to clutter `listGroups` for the lag verifier.
  await withAdmin((a) => a.deleteGroups(groups)).catch(() => {});
});

test.run();
