/**
 * The SLO ids: one vocabulary for the targets of the user's spec, tabled in docs/slos.md (the
 * week-1 success criteria, the performance KPIs, the daily-check, drill and alert targets). A
 * scenario's `slo` tags use these ids, and so should anything else that names an SLO. Week-1 rows
 * use the same slugs; where the seed names one target twice (API p95 and response time p95;
 * real-time throughput and Kafka throughput; batch-pipeline runs and workflow success) there is
 * one id.
 */
export const SLOS = {
  // Week-1 success criteria
  'platform-health': { title: 'Platform health', target: '≥ 99 %' },
  'uptime': { title: 'Uptime', target: '≥ 99.9 %' },
  'critical-incidents': { title: 'Critical incidents', target: '0' },
  'incident-mttr': { title: 'Incident MTTR', target: '< 1 h' },
  'user-satisfaction': { title: 'User satisfaction', target: '> 4/5' },
  'response-time-p95': { title: 'Response time p95 (also the KPI "API p95")', target: '< 100 ms' },
  'error-rate': { title: 'Error rate', target: '< 0.1 %' },
  'workflow-success-rate': { title: 'Workflow success rate (daily: batch-pipeline runs succeeded)', target: '≥ 99 %' },
  // Performance KPIs
  'kafka-throughput': { title: 'Kafka throughput (daily: real-time throughput)', target: '≥ 7,000 msg/s' },
  'consumer-lag': { title: 'Consumer lag', target: '< 5 s' },
  'ml-inference-latency': { title: 'ML inference latency', target: '< 100 ms' },
  'db-query-latency': { title: 'Database query time', target: '< 5 s' },
  // Daily checks, drill and alert thresholds
  'consumer-group': { title: 'Prediction-consumer replicas', target: '3/3' },
  'pod-recovery': { title: 'Auto-recovery after a pod failure', target: '< 30 s' },
  'pod-stability': { title: 'Pod crashes', target: '≤ 3 in 5 min' },
} as const satisfies Record<string, { title: string; target: string }>;

export type SloId = keyof typeof SLOS;
export const SLO_IDS = Object.keys(SLOS) as SloId[];
export const isSloId = (v: unknown): v is SloId => typeof v === 'string' && Object.hasOwn(SLOS, v);
