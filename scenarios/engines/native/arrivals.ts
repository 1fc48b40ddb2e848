import type { Executor, Scenario } from '../../types.ts';
import { parseDuration } from '../../thresholds.ts';

/**
 * Arrival offsets (ms from start) of an open-model executor. The schedule is fixed by the clock in
 * advance; nothing about how fast the target answers can slow it down.
 */
export function* arrivals(ex: Executor, parseMs: (d: string) => number): Generator<number> {
  const unit = parseMs(ex.timeUnit);
  if (ex.executor === 'constant-arrival-rate') {
    const total = parseMs(ex.duration);
    const gap = unit / ex.rate;
    for (let i = 0; i * gap < total; i++) yield i * gap;
    return;
  }
  // Ramping: the rate moves linearly within each stage; arrival k is where the integral of the
  // rate reaches k (as k6 does), found per millisecond with linear interpolation inside it.
  let from = ex.startRate;
  let t0 = 0;
  let total = 0; // arrivals due so far (fractional)
  let k = 0; // arrivals emitted
  for (const stage of ex.stages) {
    const len = parseMs(stage.duration);
    for (let ms = 0; ms < len; ms++) {
      const r0 = from + (stage.target - from) * (ms / len);
      const r1 = from + (stage.target - from) * ((ms + 1) / len);
      const inc = (r0 + r1) / 2 / unit; // arrivals due within this millisecond
      const next = total + inc;
      while (k + 1 <= next + 1e-9) {
        k++;
        yield t0 + ms + Math.min(1, Math.max(0, (k - total) / inc));
      }
      total = next;
    }
    t0 += len;
    from = stage.target;
  }
}

export function executorDurationMs(ex: Executor, parseMs: (d: string) => number): number {
  return ex.executor === 'constant-arrival-rate'
    ? parseMs(ex.duration)
    : ex.stages.reduce((a, s) => a + parseMs(s.duration), 0);
}

/** The warm-up runs at the executor's starting rate (a ramp's first rate) for the declared time. */
export function warmupExecutor(ex: Executor, duration: string, parseMs: (d: string) => number = parseDuration): Executor | null {
  const rate = ex.executor === 'constant-arrival-rate' ? ex.rate : ex.startRate || ex.stages[0]?.target || 0;
  if (!(rate > 0) || !(parseMs(duration) > 0)) return null;
  return { executor: 'constant-arrival-rate', rate, timeUnit: ex.timeUnit, duration, preAllocatedVUs: ex.preAllocatedVUs, maxVUs: ex.maxVUs };
}

/** Iterations per second at the schedule's peak. */
export function peakIterationsPerS(s: Scenario): number {
  const ex = s.executor;
  const peak = ex.executor === 'constant-arrival-rate' ? ex.rate : Math.max(ex.startRate, ...ex.stages.map((x) => x.target));
  return peak / (parseDuration(ex.timeUnit) / 1000);
}
