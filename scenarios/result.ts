import type { Executor } from './types.ts';
import type { MetricType } from './metrics.ts';

export interface ThresholdOutcome {
  /** Metric key as written, e.g. `http_req_duration{scenario:inference-latency}`. */
  key: string;
  metric: string;
  expr: string;
  /** What the observed value is compared against, e.g. `< 100`. */
  target: string;
  observed: number | null;
  /** null: the metric had no samples, or fewer than `minSamples`. */
  ok: boolean | null;
  abortOnFail: boolean;
  /** Trend and rate thresholds: samples judged (null: the source cannot tell) and the minimum. */
  samples?: number | null;
  minSamples?: number | null;
}

export interface MetricSummary {
  type: MetricType;
  unit: string;
  values: Record<string, number>;
}

/** What any engine (native, k6, k6-operator) hands to the verdict and the reports. */
export interface ScenarioResult {
  scenario: string;
  engine: 'native' | 'k6' | 'k6-operator';
  startedAt: string;
  endedAt: string;
  durationS: number;
  where: string;
  executor: Executor;
  /** Set when an abortOnFail threshold or an interrupt ended the scenario early. */
  aborted: string | null;
  thresholds: ThresholdOutcome[];
  metrics: Record<string, MetricSummary>;
  /** Trend metrics as compressed HDR histograms (base64), mergeable across runs and runners. */
  histograms: Record<string, string>;
  /**
   * One point per whole second: load achieved and latency, for charts. The native engine adds the
   * arrivals it dropped and the worst lateness of an arrival (ms) that second, to show when the
   * generator fell behind (a last partial second is not a point: its drops are in the totals only).
   */
  timeline: Array<{ t: number; iterations: number; failed: number; p95: number | null; dropped?: number; lateMaxMs?: number }>;
  crossChecks: Record<string, number | null>;
  /** Cross-checks that could not be made, with why (their verdict is `error`, never a pass). */
  crossCheckErrors?: Record<string, string>;
  /** The declared warm-up before the measured window (native engine): shown, never judged. */
  warmup?: {
    duration: string; durationS: number; metric: string; iterations: number; dropped: number; failed: number;
    p50: number | null; p95: number | null; max: number | null;
  };
  /** The longest stretch in which the target failed every iteration it answered (native engine). */
  outage?: TargetOutage;
  /** How well the load generator kept its schedule over the measured window (native engine). */
  generator?: GeneratorHealth;
  /** k6 and k6-operator runs: what k6 itself said, kept next to our own verdict. */
  k6?: K6RunReport;
}

export interface TargetOutage {
  /** Longest time (s) with no successful iteration while at least `minFailures` failed. */
  longestS: number;
  /** Failed iterations in that stretch. */
  failures: number;
  /** A stretch this long stops the scenario: the platform has stopped answering. */
  boundS: number;
  minFailures: number;
  /** The scenario was stopped for it (its remaining schedule not sent). */
  stopped: boolean;
  /** Iterations the target answered at all (succeeded or failed); 0: nothing to judge. Absent in older records. */
  answered?: number;
}

export interface GeneratorHealth {
  /** Arrivals whose dispatch lateness was measured. */
  arrivals: number;
  /** How late arrivals left against their schedule (ms). */
  lateP99Ms: number;
  lateMaxMs: number;
  /** Event-loop delay while the load ran (ms, perf_hooks.monitorEventLoopDelay). */
  loopP99Ms: number;
  loopMaxMs: number;
  /**
   * CPU the harness process used while the load ran, in % of one core (user + system over wall
   * time; the whole process, so a drill's or another scenario's work in it counts too). Absent in
   * older records.
   */
  cpuPct?: number;
  /** Arrivals dropped (dropped_iterations): every VU was busy, or the arrival was stale. Absent in older records. */
  dropped?: number;
  /**
   * Of those, arrivals the generator reached, with a VU free, more than STALE_ARRIVAL_MS (5 s) after their time: the
   * generator's own failure, so any makes it saturated. Absent in older records.
   */
  staleDropped?: number;
  /**
   * Each producer thread's event-loop delay (ms) from its start to its close, where the Kafka load was
   * spread over threads; `loopP99Ms`/`loopMaxMs` are the worst of these and the main thread's.
   */
  producerThreads?: Array<{ p99Ms: number; maxMs: number; answered: boolean }>;
  /** Above this (either p99) the generator is saturated. */
  boundMs: number;
  saturated: boolean;
}

export interface K6RunReport {
  /** k6's exit code (k6-operator: null, runners have no single exit code). */
  exitCode: number | null;
  /** Output files read, by shape. */
  files: Record<string, string>;
  /** k6's own threshold verdicts (per runner for k6-operator), where its output had them. */
  reported: Array<{ key: string; expr: string; ok: boolean; source: string }>;
  /** Thresholds where k6's verdict differs from ours over the same samples. */
  disagreements: Array<{ key: string; expr: string; k6: boolean; ours: boolean | null; source: string }>;
  runners?: number;
}
