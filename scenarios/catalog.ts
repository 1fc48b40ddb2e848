import type { Scenario } from './types.ts';
import { inferenceLatency } from './definitions/inference-latency.ts';
import { featureStoreQuery } from './definitions/feature-store-query.ts';
import { consumerLag } from './definitions/consumer-lag.ts';
import { kafkaThroughput } from './definitions/kafka-throughput.ts';

export const SCENARIOS: Record<string, Scenario> = Object.fromEntries(
  [inferenceLatency, featureStoreQuery, consumerLag, kafkaThroughput].map((s) => [s.name, s]),
);

/**
 * Suites run their scenarios one after another. Throughput goes last: its backlog would otherwise
 * show up as lag in the consumer-lag scenario.
 */
export const SUITES: Record<string, string[]> = {
  deploy: ['inference-latency', 'feature-store-query', 'consumer-lag', 'kafka-throughput'],
};
