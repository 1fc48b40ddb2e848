import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../core/config.ts';
import { projectRoot } from '../core/paths.ts';
import { sandboxContext } from '../sandbox/index.ts';
import { writeFaults } from '../sandbox/faults.ts';
import { sandboxProfile, sandboxProfileValues } from '../sandbox/profile.ts';
import { scenarioCatalog } from '../scenarios/catalog.ts';
import { promScalar } from '../sandbox/prom-api.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import * as assert from 'uvu/assert';
import type { RunRecord } from '../core/record.ts';
import type { Slos } from '../profile/schema.ts';
import { rejudge } from '../cli/actions/judge.ts';

/** The one sandbox `npm test` brought up; every test file shares it. */
export const cfg = loadConfig();
export const sb = cfg.sandbox;
export const ctx = sandboxContext(cfg);
/** The sandbox's profile: what every command runs against without --profile. */
export const profile = sandboxProfile(cfg).profile;
/** The sandbox profile's scenarios: the built-in ones at the seed's targets. */
export const scenarios = scenarioCatalog(sandboxProfile(cfg)).scenarios;

/** Writes a profile file: the sandbox's values, changed by `edit` (another platform, a fault in its addresses). */
export function writeProfile(edit: (p: ReturnType<typeof sandboxProfileValues>) => void, name = 'profile.yaml'): string {
  const v = sandboxProfileValues(cfg);
  edit(v);
  const f = join(mkdtempSync(join(tmpdir(), 'profile-')), name);
  writeFileSync(f, stringify(v));
  return f;
}

export function clearFaults(): void {
  writeFaults(ctx.dir, {});
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) { last = e; }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * Lag left by an earlier test (or a restarted part) would leak into the next run: the consumers
 * draining a backlog take the cores the load generator needs. Waits until they have caught up.
 */
export async function consumersCaughtUp(belowMessages = 2000, timeoutMs = 60_000): Promise<void> {
  await eventually(`consumer lag below ${belowMessages} messages`, async () => {
    const lag = await promScalar(sb, 'sum(consumer_lag_messages)');
    return lag !== null && lag < belowMessages;
  }, timeoutMs, 1000);
}

/** Runs the real CLI as a user would, capturing output and exit code. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), ...args], {
    cwd: projectRoot, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs,
  });
  // Killed (the timeout, a signal) or never started: say so, or the caller sees only an exit code of -1.
  const how = r.status === null ? `\n[harness ended by ${r.signal ?? 'nothing'}${r.error ? `: ${r.error.message}` : ''}]` : '';
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${how}` };
}

/** As `cli`, without blocking this process's event loop (for tests that act while the CLI runs). */
export function cliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), ...args], { cwd: projectRoot, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * `harness judge` on a stored record with the profile it ran with: the verdicts must be the same,
 * each derived again from what the record stored (`data.rejudged` names every check).
 */
export function judgedTheSame(rec: RunRecord): void {
  const judged = cli(['--json', '--quiet', 'judge', rec.id]);
  const again = JSON.parse(judged.stdout) as RunRecord;
  assert.equal(statusesOf(again), statusesOf(rec), judged.stderr);
  assert.equal((again.data.rejudged as string[]).sort(), rec.checks.map((c) => c.id).sort(), `every check of ${rec.id} judged again from the record`);
}

/**
 * The checks of a stored sandbox record whose status changes under other SLO targets, and to what.
 * Judged in-process: a profile named "sandbox" is the sandbox's own, so no variant of it loads.
 */
export async function flippedUnder(rec: RunRecord, slos: Partial<Slos>): Promise<Array<[string, string]>> {
  const lp = sandboxProfile(cfg);
  const again = await rejudge(rec, { ...lp, profile: { ...lp.profile, slos: { ...lp.profile.slos, ...slos } } });
  const before = statusesOf(rec);
  return again.checks.filter((c) => before[c.id] !== c.status).map((c) => [c.id, c.status]);
}

export const statusesOf = (r: RunRecord): Record<string, string> => Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
