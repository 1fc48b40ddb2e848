import type { Scenario } from '../types.ts';

/**
 * Seed: "Consumer lag: check < 5 second target". Messages carry their send time; the engine follows
 * them to ml-predictions, so lag is measured per message as produce → prediction time.
 */
export const consumerLag: Scenario = {
  name: 'consumer-lag',
  description: 'price messages at 1,000 msg/s followed through the prediction consumers; lag under 5 s',
  slo: ['consumer-lag'],
  target: { kind: 'kafka-produce', topic: 'prices', batchSize: 20, followTo: 'predictions' },
  // maxVUs by Little's law with headroom: 50 produce calls/s × up to ~0.5 s for an acks=all write on a
  // busy 2-core machine = 25 in flight; 60 lets a stall of the generator's own event loop pass without
  // drops it caused itself (drops still fail the scenario, and saturation is named by its generator check).
  executor: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '30s', preAllocatedVUs: 10, maxVUs: 60 },
  // Connections, JIT and caches warm up first; the measured window starts after (never judged).
  warmup: '2s',
  thresholds: {
    'kafka_e2e_latency{scenario:consumer-lag}': ['p(95)<5000', 'max<5000'],
    // Every message sent must come back as a prediction: a message that never arrives has no
    // latency sample at all, so without this it would make the lag look better, not worse.
    'kafka_e2e_delivered{scenario:consumer-lag}': ['rate==1'],
    'kafka_writer_error_count{scenario:consumer-lag}': ['count==0'],
    'dropped_iterations{scenario:consumer-lag}': ['count==0'],
  },
};
