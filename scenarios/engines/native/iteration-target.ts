import type { InfraError } from '../../../core/errors.ts';
import type { ThreadLoop } from './loop-delay.ts';
import type { MetricStore } from '../../metrics.ts';

/** Where an iteration's samples go: the measured run, or the warm-up before it (never judged). */
export interface Phase { store: MetricStore; warmup: boolean }

/** One scenario's target: what a single iteration does, and the metrics it records. */
export interface IterationTarget {
  where: string;
  setup(): Promise<void>;
  /**
   * `scheduledAt` is the arrival's planned time, or its send when it went up to a millisecond early
   * (performance.now() clock): latency counts from it, never from a time still ahead.
   * `phase.store` receives the iteration's samples; in the warm-up phase its messages are not ones
   * the run follows or reads back (they only warm connections and caches up). It records the
   * platform's failures itself and resolves; it rejects only when the generator itself failed (a
   * producer thread died), which stops the run and ends it as incomplete (exit 3).
   */
  iterate(scheduledAt: number, phase: Phase): Promise<void>;
  /** After the last iteration: wait for what is still in flight downstream, then close. */
  teardown(signal: AbortSignal): Promise<void>;
  /** Independent evidence gathered outside the engine's own counters. */
  crossChecks(): Promise<Record<string, number | null>>;
  /**
   * Targets that send from threads of their own: each thread's event-loop delay over the measured
   * window (`start` at its start, `stop` at its end, before teardown), judged with the main thread's.
   */
  threadLoops?: { start(): void; stop(): Promise<ThreadLoop[]> };
  /** The generator's own failure found outside an iteration (a producer thread died with no batch out): the run ends on it. */
  generatorFault?(): InfraError | null;
  /** Why a cross-check could not be made (by cross-check name); absent when all were made. */
  crossCheckErrors?(): Record<string, string>;
}
