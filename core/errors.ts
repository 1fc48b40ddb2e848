/**
 * Exit codes are a public contract (README "Exit codes"): CI scripts branch on them.
 * `incomplete` (4): nothing failed, but at least one check had no data — not a pass.
 */
export const EXIT = { ok: 0, checkFailed: 1, usage: 2, infra: 3, incomplete: 4 } as const;

/** Bad arguments or config: exit 2. `field` is what the user must fix. */
export class UsageError extends Error {
  constructor(public readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'UsageError';
  }
}

/** The run could not complete (a part is down, unreachable, interrupted): exit 3. */
export class InfraError extends Error {
  constructor(message: string, public readonly part?: string) {
    super(part ? `${part}: ${message}` : message);
    this.name = 'InfraError';
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  return EXIT.infra;
}

/** An error's first line (API clients append whole response bodies after it), or the value itself when it is no Error. */
export function firstLine(e: unknown): string {
  const m = (e as Error | null | undefined)?.message;
  return typeof m === 'string' ? m.split('\n')[0]! : String(e);
}
