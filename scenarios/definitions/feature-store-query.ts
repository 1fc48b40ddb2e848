import type { Scenario } from '../types.ts';

/** Seed: "Database query performance: < 5 seconds". A representative feature-store read. */
export const featureStoreQuery: Scenario = {
  name: 'feature-store-query',
  description: 'representative feature-store read: every commodity\'s features with its ten latest predictions',
  slo: ['db-query-latency'],
  target: {
    kind: 'sql', endpoint: 'feature-store',
    query: `SELECT f.commodity, f.last_price, f.ema_short, f.ema_long, f.volatility, p.predicted, p.processed_at
            FROM features f LEFT JOIN LATERAL (
              SELECT predicted, processed_at FROM predictions WHERE commodity = f.commodity
              ORDER BY processed_at DESC LIMIT 10) p ON true`,
  },
  executor: { executor: 'constant-arrival-rate', rate: 5, timeUnit: '1s', duration: '30s', preAllocatedVUs: 2, maxVUs: 10 },
  // Connections, JIT and caches warm up first; the measured window starts after (never judged).
  warmup: '2s',
  thresholds: {
    'feature_store_query_duration{scenario:feature-store-query}': ['max<5000', 'p(95)<5000'],
    'feature_store_query_failed{scenario:feature-store-query}': ['rate==0'],
    'dropped_iterations{scenario:feature-store-query}': ['count==0'],
  },
};
