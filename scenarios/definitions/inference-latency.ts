import type { Scenario } from '../types.ts';

/** Seed: "API response times < 100 ms (p95)", "Error rate < 0.1 %", "ML inference < 100 ms". */
export const inferenceLatency: Scenario = {
  name: 'inference-latency',
  description: 'ML inference API under a steady open-model load: p95 latency and error rate',
  slo: ['response-time-p95', 'error-rate', 'ml-inference-latency'],
  target: { kind: 'http', endpoint: 'inference-api', method: 'POST', path: '/v1/predict', body: { commodity: 'round-robin' } },
  executor: { executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '30s', preAllocatedVUs: 20, maxVUs: 100 },
  // Connections, JIT and caches warm up first; the measured window starts after (never judged).
  warmup: '3s',
  thresholds: {
    'http_req_duration{scenario:inference-latency}': ['p(95)<100'],
    'http_req_failed{scenario:inference-latency}': ['rate<0.001'],
    'dropped_iterations{scenario:inference-latency}': ['count==0'],
  },
};
