import { homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout root, so commands work from any working directory. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Downloads and builds are keyed by version in a user-level cache so that a fresh clone
 * (CI's) reuses them; runtime state lives in the checkout (ignored).
 */
export function cacheDir(...parts: string[]): string {
  const base = process.env.CARBON_HARNESS_CACHE
    ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'carbon-harness');
  return join(base, ...parts);
}
