import type { Scenario } from '../types.ts';

/** Seed: "Database query performance: < 5 seconds". A representative feature-store read. */
export const featureStoreQuery: Scenario = {
  name: 'feature-store-query',
  description: 'the profile\'s representative feature-store read (platform.featureStore.queries.representative)',
  slo: ['db-query-latency'],
  // No query of its own: the platform's representative one, from its profile.
  target: { kind: 'sql', endpoint: 'feature-store' },
  executor: { executor: 'constant-arrival-rate', rate: 5, timeUnit: '1s', duration: '30s', preAllocatedVUs: 2, maxVUs: 10 },
  // Connections, JIT and caches warm up first; the measured window starts after (never judged).
  warmup: '2s',
  thresholds: {
    'feature_store_query_duration{scenario:feature-store-query}': ['max<5000', 'p(95)<5000'],
    'feature_store_query_failed{scenario:feature-store-query}': ['rate==0'],
    'dropped_iterations{scenario:feature-store-query}': ['count==0'],
  },
};
