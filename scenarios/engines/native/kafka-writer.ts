import { Producer, stringSerializers, ProduceAcks, murmur2 } from '@platformatic/kafka';
import { platformaticConn, type KafkaConn } from '../../../platform/kafka-conn.ts';

import type { OutMessage } from '../../../platform/contract.ts';

/** The load generator's producer: connect, write one batch (resolves when acknowledged), close. */
export interface KafkaWriter {
  connect(): Promise<void>;
  send(messages: OutMessage[]): Promise<void>;
  close(): Promise<void>;
}

export type Acks = 'all' | 'leader';

/** Keys whose partition is remembered (a platform's commodities are a few dozen). */
export const PARTITION_MEMO_KEYS = 1024;

/** The Produce request's acks for each setting (what the writer sends on every call). */
export const ACKS: Record<Acks, number> = { all: ProduceAcks.ALL, leader: ProduceAcks.LEADER };

/**
 * The engine writes with @platformatic/kafka, not kafkajs: measured side by side against Kafka's own
 * ProducerPerformance on the same broker (BENCHMARKS.md, `npm run bench`), kafkajs spends ~3× the
 * CPU per message, and on 2 cores shared with the platform that CPU is what made the generator fall
 * behind its own clock at 7,500 msg/s. kafkajs stays for the admin and consumer side.
 */
export function kafkaWriter(conn: KafkaConn, topic: string, acks: Acks, clientId: string, inFlight = 5): KafkaWriter {
  // A key's partition, hashed once: the generator writes a few keys (its commodities) thousands of
  // times a second, and murmur2 over each message was a twentieth of its CPU. Bounded: a profile's
  // key template may make every key unique ({{seq}}), and those are hashed each time.
  const byKey = new Map<string, number>();
  // Both go on every send: the client reads acks only from send()'s options (its constructor's are
  // ignored, and its default is the leader alone).
  const options = {
    acks: ACKS[acks],
    // Java's and kafkajs's default partitioner (murmur2, sign bit masked), so a commodity lands on
    // the partition the platform's own feed and the k6 scripts send it to; the client's own
    // default (unsigned murmur2) puts about half the keys elsewhere.
    partitioner: (m: { key?: string }) => {
      const key = m.key ?? '';
      let p = byKey.get(key);
      if (p === undefined) {
        p = murmur2(key) & 0x7fffffff;
        if (byKey.size < PARTITION_MEMO_KEYS) byKey.set(key, p);
      }
      return p;
    },
  };
  const producer = new Producer({ clientId, bootstrapBrokers: conn.brokers, ...platformaticConn(conn), serializers: stringSerializers, autocreateTopics: false, retries: 2, timeout: 10_000,
    // Requests in flight on a connection: the client's default is 5, so a generator's VUs beyond
    // five waited in its queue with the broker idle (a 100 B profile was a quarter idle).
    maxInflights: inFlight });
  return {
    async connect() {
      // The metadata request opens the connection and proves the topic exists before any load.
      const meta = await producer.metadata({ topics: [topic] });
      if (!meta.topics.get(topic)) throw new Error(`topic ${topic} does not exist`);
    },
    async send(messages) {
      await producer.send({ ...options, messages: messages.map((m) => ({ topic, key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}) })) });
    },
    async close() { await producer.close(); },
  };
}
