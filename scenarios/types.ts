/**
 * A load scenario, independent of the engine that runs it. Everything here has a k6 meaning so the
 * same definition renders to a real k6 script: executors and their options are k6's, thresholds are
 * in k6's grammar, metric names are k6's and xk6-kafka's.
 */

/**
 * The SLO ids: one vocabulary for the targets of DESIGN.md §3 (the week-1 success criteria, the
 * performance KPIs, the daily-check, drill and alert targets). A scenario's `slo` tags use these ids,
 * and so should anything else that names an SLO. Week-1 rows use the same slugs; where the seed
 * names one target twice (API p95 and response time p95; real-time throughput and Kafka throughput;
 * batch-pipeline runs and workflow success) there is one id.
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

export type Duration = string; // k6 duration: "30s", "1m30s", "500ms"

export type Executor =
  | {
      executor: 'constant-arrival-rate';
      rate: number;
      timeUnit: Duration;
      duration: Duration;
      preAllocatedVUs: number;
      maxVUs: number;
    }
  | {
      executor: 'ramping-arrival-rate';
      startRate: number;
      timeUnit: Duration;
      stages: Array<{ target: number; duration: Duration }>;
      preAllocatedVUs: number;
      maxVUs: number;
    };

/** What one iteration does. Endpoints are named; config resolves them to addresses. */
export type Target =
  | { kind: 'http'; endpoint: 'inference-api'; method: 'POST' | 'GET'; path: string; body?: { commodity: 'round-robin' } }
  /** xk6-kafka `Writer.produce` of `batchSize` price messages per iteration; optionally follows them to ml-predictions. */
  | { kind: 'kafka-produce'; topic: 'commodity-prices'; batchSize: number; followTo?: 'ml-predictions' }
  /** xk6-sql `db.query` against the feature store. */
  | { kind: 'sql'; endpoint: 'feature-store'; query: string };

export type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: Duration };

export interface Scenario {
  name: string;
  description: string;
  /** The SLOs (DESIGN.md §3) this scenario gives evidence for; checked when the catalog loads. */
  slo: SloId[];
  target: Target;
  executor: Executor;
  thresholds: Record<string, ThresholdSpec[]>;
  tags?: Record<string, string>;
}
