import type { Check, CheckStatus, Evidence } from '../core/record.ts';

/** Small constructor so every verifier fills the record's check fields the same way. */
export function check(
  id: string, title: string, target: string, observed: Check['observed'], unit: string,
  status: CheckStatus, evidence: Evidence,
): Check {
  return { id, title, target, observed, unit, status, evidence };
}

export const passIf = (ok: boolean): CheckStatus => (ok ? 'pass' : 'fail');

/** A check whose evidence could not be gathered: `error` with why, never a pass or a fail. */
export function unmeasured(id: string, title: string, target: string, unit: string, where: string, error: string): Check {
  return check(id, title, target, null, unit, 'error', { what: `could not measure: ${error}`, how: '', where });
}

/** A verifier that could not reach its evidence reports `error` with why, instead of throwing. */
export const errorCheck = (id: string, title: string, target: string, unit: string, where: string, e: unknown): Check =>
  unmeasured(id, title, target, unit, where, (e as Error).message);

/** One reading a probe made, as the record stores it: what it gave, or why it could not be made. */
export type Reading<T> = ({ ok: true } & T) | { ok: false; error: string };
export const failedReading = (e: unknown): { ok: false; error: string } => ({ ok: false, error: (e as Error).message });

export const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;
