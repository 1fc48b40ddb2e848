/**
 * A load scenario, independent of the engine that runs it. Everything here has a k6 meaning so the
 * same definition renders to a real k6 script: executors and their options are k6's, thresholds are
 * in k6's grammar, metric names are k6's and xk6-kafka's.
 */

export { SLOS, SLO_IDS, isSloId, type SloId } from '../core/slo.ts';
import type { SloId } from '../core/slo.ts';

/** The suite `harness gate` runs when none is named. */
export const DEFAULT_SUITE = 'deploy';

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

/** What one iteration does. Connections come from the platform profile, never from here. */
export type Target =
  /** The profile's inference request (`platform.inferenceApi.request`); method and path may be the scenario's own. `body`: send the profile's body template. */
  | { kind: 'http'; method: 'POST' | 'GET'; path: string; body: boolean }
  /**
   * xk6-kafka `Writer.produce` of `batchSize` price messages per iteration; optionally follows them to
   * ml-predictions. `acks` defaults to all (every in-sync replica); `recordBytes` pads each message's
   * value to that size (benchmarks compare at a fixed record size). `producerThreads` (native engine):
   * threads that render and send the batches; absent, the engine decides by the offered rate.
   */
  | { kind: 'kafka-produce'; topic: TopicRef; batchSize: number; followTo?: TopicRef; acks?: 'all' | 'leader'; recordBytes?: number; producerThreads?: number }
  /** xk6-sql `db.query` against the feature store; without a query, the profile's representative one. */
  | { kind: 'sql'; query?: string };

/** Producer threads a Kafka scenario may ask for, and the most the engine chooses by itself (each is a client and an isolate of its own). */
export const MAX_PRODUCER_THREADS = 16;

/** A topic by its role in the platform (`prices`, `predictions`: the profile names them), or by name. */
export type TopicRef = 'prices' | 'predictions' | (string & {});

export type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: Duration };

export interface Scenario {
  name: string;
  description: string;
  /** The SLOs (docs/slos.md) this scenario gives evidence for; checked when the catalog loads. */
  slo: SloId[];
  target: Target;
  executor: Executor;
  thresholds: Record<string, ThresholdSpec[]>;
  tags?: Record<string, string>;
  /**
   * A warm-up before the measured window, at the executor's starting rate (connections, JIT and
   * caches warm up): its samples are kept apart and shown in the reports, never judged. In k6 this
   * is a `<name>-warmup` scenario the main one starts after (`startTime`).
   */
  warmup?: Duration;
  /** Where it was defined (`file:line`), for errors and listings. */
  source?: string;
  /**
   * Set once thresholds written against a baseline (`p(95) < baseline * 1.10`) were resolved into
   * the plain ones in `thresholds`: what was written, the baseline's value and its run.
   */
  baselineThresholds?: Array<{ key: string; metric: string; aggregation: string; written: string; expr: string; value: number; runId: string }>;
}
