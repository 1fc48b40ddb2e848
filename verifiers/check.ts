import type { Check, CheckStatus, Evidence } from '../core/record.ts';

/** Small constructor so every verifier fills the record's check fields the same way. */
export function check(
  id: string, title: string, target: string, observed: Check['observed'], unit: string,
  status: CheckStatus, evidence: Evidence,
): Check {
  return { id, title, target, observed, unit, status, evidence };
}

export const passIf = (ok: boolean): CheckStatus => (ok ? 'pass' : 'fail');

/** A verifier that could not reach its evidence reports `error` with why, instead of throwing. */
export function errorCheck(id: string, title: string, target: string, unit: string, where: string, e: unknown): Check {
  return check(id, title, target, null, unit, 'error', { what: `could not measure: ${(e as Error).message}`, how: '', where });
}

export const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;
