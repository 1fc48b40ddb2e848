import type { IntervalHistogram } from 'node:perf_hooks';

/** monitorEventLoopDelay's timer: its samples include this interval, which is not delay. */
export const LOOP_RESOLUTION_MS = 10;

/** A thread's event-loop delay over a window (ms, the timer's own interval taken off). */
export interface LoopDelay { p99Ms: number; maxMs: number }

/** A producer thread's reading; `answered` false: it could not report (busy past the wait, or gone) and counts as blocked that long. */
export interface ThreadLoop extends LoopDelay { answered: boolean }

export function loopDelay(h: IntervalHistogram): LoopDelay {
  const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - LOOP_RESOLUTION_MS) * 100) / 100);
  return h.count ? { p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) } : { p99Ms: 0, maxMs: 0 };
}
