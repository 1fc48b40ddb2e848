import { Producer, stringSerializers, ProduceAcks } from '@platformatic/kafka';

/** One message as the engine produces it: a key and a JSON value. */
export interface OutMessage { key: string; value: string }

/** The load generator's producer: connect, write one batch (resolves when acknowledged), close. */
export interface KafkaWriter {
  connect(): Promise<void>;
  send(messages: OutMessage[]): Promise<void>;
  close(): Promise<void>;
}

export type Acks = 'all' | 'leader';

/**
 * The engine writes with @platformatic/kafka, not kafkajs: measured side by side against Kafka's own
 * ProducerPerformance on the same broker (BENCHMARKS.md, `npm run bench`), kafkajs spends ~3× the
 * CPU per message, and on 2 cores shared with the platform that CPU is what made the generator fall
 * behind its own clock at 7,500 msg/s. kafkajs stays for the admin and consumer side.
 */
export function kafkaWriter(brokers: string[], topic: string, acks: Acks, clientId: string): KafkaWriter {
  const producer = new Producer({
    clientId, bootstrapBrokers: brokers, serializers: stringSerializers,
    acks: acks === 'all' ? ProduceAcks.ALL : ProduceAcks.LEADER,
    autocreateTopics: false, retries: 2, timeout: 10_000,
  });
  return {
    async connect() {
      // The metadata request opens the connection and proves the topic exists before any load.
      const meta = await producer.metadata({ topics: [topic] });
      if (!meta.topics.get(topic)) throw new Error(`topic ${topic} does not exist`);
    },
    async send(messages) {
      await producer.send({ messages: messages.map((m) => ({ topic, key: m.key, value: m.value })) });
    },
    async close() { await producer.close(); },
  };
}
