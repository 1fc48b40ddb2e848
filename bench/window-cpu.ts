import type { ScenarioResult } from '../scenarios/result.ts';

/**
 * The engine's CPU (µs, the whole process, all threads) over a run's measured window, as the
 * engine records it: set-up, a warm-up and teardown left out, so runs with and without a warm-up
 * compare.
 */
export function windowCpuUs(r: ScenarioResult): number {
  const pct = r.generator?.cpuPct;
  if (pct === undefined) throw new Error(`${r.scenario}: the engine recorded no CPU for its window`);
  return (pct / 100) * r.durationS * 1e6;
}
