/** A scenario as it will run: the catalog's, with the command line's overrides. */
import type { Executor, Scenario } from './types.ts';
import { durationMs } from './verdict.ts';

/** `--duration` / `--rate` overrides, keeping the executor's shape. */
export function withOverrides(s: Scenario, o: { duration?: string; rate?: number }): Scenario {
  if (!o.duration && o.rate === undefined) return s;
  const ex: Executor = structuredClone(s.executor);
  if (ex.executor === 'constant-arrival-rate') {
    if (o.duration) ex.duration = o.duration;
    if (o.rate !== undefined) ex.rate = o.rate;
  } else {
    if (o.duration) {
      const total = ex.stages.reduce((a, st) => a + durationMs(st.duration), 0);
      const scale = durationMs(o.duration) / total;
      ex.stages = ex.stages.map((st) => ({ ...st, duration: `${Math.max(1, Math.round(durationMs(st.duration) * scale))}ms` }));
    }
    if (o.rate !== undefined) {
      const peak = Math.max(ex.startRate, ...ex.stages.map((st) => st.target)) || 1;
      const k = o.rate / peak;
      ex.startRate = Math.round(ex.startRate * k);
      ex.stages = ex.stages.map((st) => ({ ...st, target: Math.round(st.target * k) }));
    }
  }
  return { ...s, executor: ex };
}
