import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { maskDeep } from './secrets.ts';

export type CheckStatus = 'pass' | 'fail' | 'error' | 'no-data';
/** `incomplete`: no check failed or errored, but one had no data, so the run proves nothing about it. */
export type RunStatus = 'pass' | 'fail' | 'error' | 'incomplete' | 'aborted';

export interface Evidence {
  /** What was measured, how, and where: enough for an operator to repeat it. */
  what: string;
  how: string;
  where: string;
  [extra: string]: unknown;
}

export interface Check {
  id: string;
  title: string;
  /** e.g. `p(95)<100`, `healthy`, `>=7000` */
  target: string;
  observed: number | string | boolean | null;
  unit: string;
  status: CheckStatus;
  evidence: Evidence;
}

/**
 * The record format's version. Readers take this version and older ones (records without the field
 * are version 0, the same shape); a record from a newer harness is refused, named, never half-read.
 */
export const RECORD_SCHEMA_VERSION = 2;

/** Why a reader cannot take this record, or null when it can. */
export function unreadableVersion(r: { schemaVersion?: unknown }): string | null {
  const v = r.schemaVersion ?? 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return `schemaVersion ${JSON.stringify(v)} is not a version`;
  return v > RECORD_SCHEMA_VERSION ? `written by a newer harness (record schema ${v}; this one reads up to ${RECORD_SCHEMA_VERSION})` : null;
}

export interface RunRecord {
  /** The record format's version (`RECORD_SCHEMA_VERSION` when written). */
  schemaVersion?: number;
  id: string;
  kind: string;
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  /** The platform measured (the profile's name): reports never mix platforms. */
  platform: string;
  /** The profile the run measured through: its name, file and a hash of its text (never its secrets). */
  profile?: { name: string; source: string; hash: string };
  argv: string[];
  checks: Check[];
  /** Why the run ended early or errored. */
  error?: string;
  /** Kind-specific data the reports read (timelines, histograms, per-part status). */
  data: Record<string, unknown>;
}

export function newRunId(kind: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${kind.replace(/[^a-z0-9]+/gi, '-')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Run status follows from the checks: a failed check fails the run, an errored one errors it, and
 * one with no data leaves it incomplete — never a pass. Where a verdict must rest on evidence (a
 * deploy gate), a check with no data fails the run instead.
 */
export function statusFromChecks(checks: Check[], noDataFails = false): RunStatus {
  if (checks.some((c) => c.status === 'fail' || (noDataFails && c.status === 'no-data'))) return 'fail';
  if (checks.some((c) => c.status === 'error')) return 'error';
  if (checks.some((c) => c.status === 'no-data')) return 'incomplete';
  return 'pass';
}

/**
 * The journal of one command. It is written as `aborted` the moment the run starts and rewritten
 * atomically (temp + rename) as it progresses, so a run killed at any point, even by SIGKILL,
 * leaves a readable record that says it did not finish.
 */
export class RunRecorder {
  readonly record: RunRecord;
  readonly dir: string;
  /** Set by commands whose verdict must not pass on missing evidence. */
  noDataFails = false;

  constructor(runsRoot: string, kind: string, platform: string, argv: string[] = process.argv.slice(2), profile?: RunRecord['profile']) {
    const id = newRunId(kind);
    this.dir = join(runsRoot, id);
    this.record = {
      schemaVersion: RECORD_SCHEMA_VERSION, id, kind, startedAt: new Date().toISOString(), endedAt: null,
      status: 'aborted', platform, ...(profile ? { profile } : {}), argv, checks: [], data: {},
    };
    mkdirSync(this.dir, { recursive: true });
    this.flush();
  }

  get path(): string {
    return join(this.dir, 'record.json');
  }

  addCheck(check: Check): void {
    this.record.checks.push(check);
    this.flush();
  }

  setData(key: string, value: unknown): void {
    this.record.data[key] = value;
    this.flush();
  }

  finish(status: RunStatus = statusFromChecks(this.record.checks, this.noDataFails), error?: string): RunRecord {
    this.record.status = status;
    this.record.endedAt = new Date().toISOString();
    if (error) this.record.error = error;
    this.flush();
    return this.record;
  }

  flush(): void {
    writeFileAtomic(this.path, JSON.stringify(maskDeep(this.record), null, 2) + '\n');
  }
}

export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}
