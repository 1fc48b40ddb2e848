import type { Scenario } from '../types.ts';

/**
 * Seed: "Kafka throughput: verify 7,000+ msg/s". Each iteration is one xk6-kafka `produce` of 100
 * price messages, so 75 iterations/s is 7,500 msg/s offered.
 */
export const kafkaThroughput: Scenario = {
  name: 'kafka-throughput',
  description: 'price messages into commodity-prices at 7,500 msg/s offered; at least 7,000 msg/s must be acknowledged',
  slo: ['kafka-throughput'],
  target: { kind: 'kafka-produce', topic: 'prices', batchSize: 100 },
  executor: { executor: 'constant-arrival-rate', rate: 75, timeUnit: '1s', duration: '30s', preAllocatedVUs: 10, maxVUs: 50 },
  // No warm-up: k6 divides a counter's rate by the whole test's duration, so a warm-up scenario
  // would dilute `rate>=7000` there (the catalog refuses that combination).
  thresholds: {
    'kafka_writer_message_count{scenario:kafka-throughput}': ['rate>=7000'],
    'kafka_writer_error_count{scenario:kafka-throughput}': ['count==0'],
    'dropped_iterations{scenario:kafka-throughput}': ['count==0'],
  },
};
