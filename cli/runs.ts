/** Stored load runs named on the command line (`compare`, `gate --baseline`), checked before anything runs. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.ts';
import type { RunRecord } from '../core/record.ts';
import { readRecordFile } from '../core/journal.ts';

export interface StoredRun { record: RunRecord; file: string }

const LOAD_KINDS = new Set(['gate', 'run']);

function read(file: string, field: string): RunRecord {
  const parsed = readRecordFile(file);
  if ('error' in parsed) throw new UsageError(field, parsed.unreadable ? `${file} is not a run record: ${parsed.error}` : `${file} is not the record of a load run this harness can read: ${parsed.error}`);
  const r = parsed.record;
  if (!LOAD_KINDS.has(r.kind) || !Array.isArray(r.data.scenarios)) {
    throw new UsageError(field, `${file} is not the record of a load run (gate or run) with scenario results`);
  }
  return r;
}

/** The newest passing load run of `platform` in `runs` (other than `exclude`) that ran every scenario `needs`. */
function latestPass(runs: string, platform: string, field: string, exclude?: string, needs: string[] = []): StoredRun {
  const found: StoredRun[] = [];
  for (const name of existsSync(runs) ? readdirSync(runs) : []) {
    const file = join(runs, name, 'record.json');
    if (name === exclude || !existsSync(file)) continue;
    try {
      const r = read(file, field);
      const ran = new Set((r.data.scenarios as Array<{ scenario: string }>).map((s) => s.scenario));
      if (r.status === 'pass' && r.platform === platform && needs.every((n) => ran.has(n))) found.push({ record: r, file });
    } catch { /* not a load run */ }
  }
  const newest = found.sort((a, b) => Date.parse(b.record.startedAt) - Date.parse(a.record.startedAt))[0];
  if (!newest) throw new UsageError(field, `latest-pass: no passing gate or run of platform "${platform}"${needs.length ? ` with ${needs.join(', ')}` : ''} in ${runs}`);
  return newest;
}

/**
 * `latest-pass`, a run id in the runs folder, a run folder, or a record.json. It must be a load run
 * of the same platform: a baseline from another platform compares nothing.
 */
export function storedRun(ref: string, field: string, runs: string, platform: string, exclude?: string, needs: string[] = []): StoredRun {
  if (ref.trim() === '') throw new UsageError(field, 'names no run');
  if (ref === 'latest-pass') return latestPass(runs, platform, field, exclude, needs);
  const candidates = [isAbsolute(ref) ? ref : resolve(process.cwd(), ref), join(runs, ref)];
  const at = candidates.find((p) => existsSync(p));
  if (!at) throw new UsageError(field, `no run "${ref}" (looked for ${candidates.join(' and ')})`);
  const file = statSync(at).isDirectory() ? join(at, 'record.json') : at;
  if (!existsSync(file)) throw new UsageError(field, `${at} holds no record.json`);
  const record = read(file, field);
  if (record.platform !== platform) throw new UsageError(field, `${record.id} measured platform "${record.platform}", not "${platform}"`);
  return { record, file };
}
