/**
 * Kafka iterations for the generated scripts (xk6-kafka v2). Messages carry the run id, sequence
 * number, send time and checksum exactly as the native engine's, so the same integrity and lag
 * verifiers read a k6 run's messages. xk6-kafka has no end-to-end latency, so `follow` measures it
 * from the send time stamped into each message.
 */
import { Producer, Consumer, AdminClient, type KafkaMessage } from 'k6/x/kafka';
import { Trend, Rate, Counter } from 'k6/metrics';
import { KAFKA_BROKERS, priceMessage, type PriceMessage } from './platform.ts';

// Declared in the init context, as k6 requires; names match the native engine's.
const e2eLatency = new Trend('kafka_e2e_latency', true);
const e2eDelivered = new Rate('kafka_e2e_delivered');
const e2eReceived = new Counter('kafka_e2e_received');
const e2eDuplicates = new Counter('kafka_e2e_duplicates');

export interface RunData {
  /** Identifies this run's messages among the platform's own feed. */
  run: number;
  groupId: string;
}

export function priceProducer(topic: string): Producer {
  // Keyed by commodity and murmur2-partitioned like the platform's feed; acks from every replica.
  return new Producer({ brokers: KAFKA_BROKERS, topic, balancer: 'balancer_murmur2', requiredAcks: -1 });
}

/** Iteration N sends sequence numbers N·batch+1 … N·batch+batch: unique across every VU. */
export function producePrices(producer: Producer, run: number, batch: number, iterationInTest: number): void {
  const sentAt = Date.now();
  const messages: KafkaMessage[] = [];
  for (let i = 1; i <= batch; i++) {
    const m = priceMessage(run, iterationInTest * batch + i, sentAt);
    messages.push({ key: m.commodity, value: JSON.stringify(m) });
  }
  try {
    producer.produce({ messages });
  } catch (_) {
    // xk6-kafka has already counted the failure in kafka_writer_error_count; keep the schedule.
  }
}

/**
 * Pins fresh consumer groups to the current end of both topics before any load, so the follower
 * sees every message of this run and nothing older ("latest" would resolve only at its first fetch).
 */
export function startFollowing(pricesTopic: string, predictionsTopic: string): RunData {
  const run = Date.now();
  const groupId = `harness-follow-${run}`;
  const admin = new AdminClient({ brokers: KAFKA_BROKERS });
  admin.initializeConsumerGroupOffsets({ groupId, topics: [predictionsTopic] });
  admin.initializeConsumerGroupOffsets({ groupId: `${groupId}-sent`, topics: [pricesTopic] });
  admin.close();
  return { run, groupId };
}

function text(v: string | Uint8Array): string {
  if (typeof v === 'string') return v;
  let s = '';
  for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i]!);
  return s; // the messages are JSON in ASCII
}

function parse<T>(m: KafkaMessage): T | null {
  try {
    return JSON.parse(text(m.value)) as T;
  } catch (_) {
    return null;
  }
}

/**
 * One VU follows this run's prices (what was written) and predictions (what came out) until every
 * price has its prediction or the grace period after the load ends. A price with no prediction
 * counts as not delivered: a lost message must make lag look worse, not better.
 */
export function follow(o: {
  data: RunData; scenario: string; pricesTopic: string; predictionsTopic: string; loadMs: number; graceMs: number;
}): void {
  const tags = { scenario: o.scenario };
  const sent = new Set<number>();
  const seen = new Set<number>();
  const prices = new Consumer({ brokers: KAFKA_BROKERS, groupId: `${o.data.groupId}-sent`, groupTopics: [o.pricesTopic], maxWait: '500ms' });
  const predictions = new Consumer({ brokers: KAFKA_BROKERS, groupId: o.data.groupId, groupTopics: [o.predictionsTopic], maxWait: '500ms' });
  const loadEnd = Date.now() + o.loadMs;
  const deadline = loadEnd + o.graceMs;
  while (Date.now() < deadline) {
    for (const m of prices.consume({ maxMessages: 2000, expectTimeout: true })) {
      const p = parse<PriceMessage>(m);
      if (p && p.run === o.data.run) sent.add(p.seq);
    }
    const now = Date.now();
    for (const m of predictions.consume({ maxMessages: 2000, expectTimeout: true })) {
      const p = parse<{ run: number; seq: number; sentAt: number }>(m);
      if (!p || p.run !== o.data.run) continue;
      if (seen.has(p.seq)) { e2eDuplicates.add(1, tags); continue; }
      seen.add(p.seq);
      e2eReceived.add(1, tags);
      e2eLatency.add(now - p.sentAt, tags);
    }
    if (now > loadEnd && sent.size > 0 && [...sent].every((s) => seen.has(s))) break;
  }
  for (const s of sent) e2eDelivered.add(seen.has(s), tags);
  prices.close();
  predictions.close();
}
