/** Files a user names (a profile, a scenario file, an incident log): read whole, with a size cap, or exit 2 naming them. */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/** Reads a user's file with a size cap; errors name `field` (the flag or key that named the file). */
export function readUserFile(file: string, field: string, maxBytes: number, base = process.cwd()): { path: string; text: string } {
  const path = isAbsolute(file) ? file : resolve(base, file);
  let st;
  try { st = statSync(path); } catch { throw new UsageError(field, `file not found: ${path}`); }
  if (!st.isFile()) throw new UsageError(field, `not a file: ${path}`);
  if (st.size > maxBytes) throw new UsageError(field, `${path} is ${st.size} bytes; at most ${maxBytes}`);
  return { path, text: readFileSync(path, 'utf8') };
}
