/** Flags several commands share, validated the same way everywhere (exit 2 naming the flag). */
import { UsageError } from '../core/errors.ts';
import { parseDuration } from '../scenarios/thresholds.ts';

const DAY_MS = 86_400_000;

/**
 * A duration flag in k6's syntax. A unit is required (a bare `10` would be 10 ms, which nobody
 * means), and the value must lie within the bounds: Node's timers overflow past ~24.8 days.
 */
export function durationFlag(field: string, v: string, minMs = 1, maxMs = DAY_MS): number {
  let ms: number;
  try { ms = parseDuration(v); } catch (e) { throw new UsageError(field, (e as Error).message); }
  if (!/[a-z]/i.test(v)) throw new UsageError(field, `${JSON.stringify(v)} has no unit; write e.g. ${v}s or ${v}ms`);
  if (!(ms >= minMs) || ms > maxMs) throw new UsageError(field, `${JSON.stringify(v)} is out of range: from ${fmt(minMs)} to ${fmt(maxMs)}`);
  return ms;
}

const fmt = (ms: number) => (ms >= 3_600_000 && ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
