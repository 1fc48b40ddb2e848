import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { configFrom, sandboxRunOpts, type GlobalOpts } from './context.ts';
import { runCommand } from '../core/run.ts';
import { projectRoot } from '../core/paths.ts';
import { runsDir } from '../core/config.ts';
import { EXIT, UsageError } from '../core/errors.ts';
import type { CheckStatus, RunRecord } from '../core/record.ts';
import { check } from '../verifiers/check.ts';
import { promScalar } from '../platform/prometheus.ts';
import { httpClient } from '../platform/http.ts';
import { withWindow } from '../verifiers/monitoring.ts';
import { sandboxProfileOf } from './context.ts';
import type { Profile } from '../profile/schema.ts';
import { durationFlag } from './options.ts';
import { parseFeedback, parseIncidents } from '../reports/inputs.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The morning check judges health over its look-back window; a platform that started seconds ago
 * would be judged on its own start-up. Wait (bounded) until every platform target has been up for
 * the whole window; if it never is, the check runs anyway and reports what it sees.
 */
async function steadyFor(p: Profile, window: string, signal: AbortSignal, progress: (m: string) => void): Promise<void> {
  const w = Math.ceil(durationFlag('--window', window) / 1000);
  const { prometheus, slis } = p.platform;
  if (!prometheus || !slis) return;
  // The profile's own health SLI at 100 % over the window: every component up throughout it.
  const query = withWindow(slis.platformHealth, w);
  const prom = httpClient('prometheus', prometheus);
  const deadline = Date.now() + (w + 30) * 1000;
  progress(`   waiting until every platform target has been up for ${w} s (the daily check's window)…`);
  while (Date.now() < deadline && !signal.aborted) {
    if (((await promScalar(prom, query).catch(() => null)) ?? 0) >= 100) return;
    await sleep(1000);
  }
  progress('   not steady yet; running the daily check anyway');
}

/** A step's exit code as the main job's check: incomplete (no data) stays incomplete, never a pass. */
const STEP_STATUS: Record<number, CheckStatus> = { [EXIT.ok]: 'pass', [EXIT.checkFailed]: 'fail', [EXIT.incomplete]: 'no-data' };

export interface StartOpts { incidents?: string; feedback?: string; duration: string; window: string }

interface Step { name: string; args: string[]; optional?: boolean }

/**
 * `npm start`: the compressed week-1 suite against the sandbox — bring it up, the morning check,
 * the deploy gate, the Wednesday drill, then the week-1 table from exactly these runs' records.
 * Each step is the public CLI in a child process, so the main job is what an operator would type.
 */
/**
 * One step: the public CLI in a child process, its record on stdout. The event loop stays free, so
 * Ctrl-C or a CI cancel reaches the step at once (SIGINT: it ends and writes its record as aborted,
 * undoing what it started), and a step that does not end within 15 s of it is killed.
 */
function runStep(args: string[], env: NodeJS.ProcessEnv, signal: AbortSignal, onCleanup: (fn: () => Promise<void>) => void): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'], env });
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    let killer: NodeJS.Timeout | undefined;
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    const onAbort = () => { child.kill('SIGINT'); killer = setTimeout(() => child.kill('SIGKILL'), STEP_GRACE_MS); };
    // However this process ends, the step does not outlive it.
    const onExit = () => child.kill('SIGKILL');
    if (signal.aborted) onAbort(); else signal.addEventListener('abort', onAbort, { once: true });
    process.once('exit', onExit);
    // The main job's record waits for the step to finish its own cleanup (a drill undoing its kill).
    onCleanup(() => Promise.race([closed, new Promise<void>((r) => setTimeout(r, STEP_GRACE_MS + 1000).unref())]));
    child.on('error', (e) => { process.stderr.write(`could not start the step: ${e.message}\n`); });
    child.on('close', (code) => {
      clearTimeout(killer);
      signal.removeEventListener('abort', onAbort);
      process.off('exit', onExit);
      resolve({ status: code, stdout });
    });
  });
}

/** How long an interrupted step gets to clean up and write its record before it is killed. */
const STEP_GRACE_MS = 15_000;

export async function startMain(cmd: Command, o: StartOpts): Promise<number> {
  // Every argument is checked before anything is installed or started: exit 2 names it.
  durationFlag('--duration', o.duration);
  durationFlag('--window', o.window, 5000);
  if (o.incidents) parseIncidents(o.incidents);
  if (o.feedback) parseFeedback(o.feedback);
  const cfg = configFrom(cmd);
  const g = cmd.optsWithGlobals() as GlobalOpts;
  const since = new Date(Date.now() - 1000).toISOString();
  const cfgArgs = g.config ? ['-c', g.config] : [];
  const hasDrill = Boolean(cmd.parent?.commands.find((c) => c.name() === 'drill'));
  const steps: Step[] = [
    { name: 'sandbox up', args: ['sandbox', 'up'] },
    { name: 'daily check', args: ['check', 'daily', '--window', o.window] },
    { name: 'deploy gate', args: ['gate', '--duration', o.duration] },
    // No --yes: the drill acts on the sandbox's own context, which drills.allowContexts admits.
    // Compressed like the rest: the drill's load runs twice the gate's duration, at least the 10 s a kill needs to be seen under load.
    ...(hasDrill ? [{ name: 'Wednesday drill', args: ['drill', 'wednesday', '--load-duration', `${Math.max(10, Math.ceil((2 * durationFlag('--duration', o.duration)) / 1000))}s`] }] : []),
    { name: 'week-1 report', args: ['report', 'week1', '--since', since,
      ...(o.incidents ? ['--incidents', o.incidents] : []), ...(o.feedback ? ['--feedback', o.feedback] : [])] },
  ];
  let reportRecord: RunRecord | null = null;
  // The main job measures the sandbox it started, never a platform named elsewhere.
  if (g.profile !== undefined) throw new UsageError('--profile', '`start` runs on the embedded sandbox; point check daily, gate, drill or report at another platform with --profile');
  const { HARNESS_PROFILE: _ignored, ...childEnv } = process.env;
  // Named by reference: a secured sandbox's CA, which its profile reads, exists only once `sandbox up` has run.
  const code = await runCommand(sandboxRunOpts(cmd, 'start', cfg), async (ctx) => {
    const done: Array<{ step: string; exit: number | null; runId?: string; status?: string }> = [];
    for (const [i, s] of steps.entries()) {
      if (ctx.signal.aborted) break;
      ctx.progress(`\n━━ ${i + 1}/${steps.length} ${s.name}: harness ${s.args.join(' ')}`);
      const r = await runStep([...cfgArgs, '--json', ...s.args], childEnv, ctx.signal, ctx.onCleanup);
      let rec: RunRecord | undefined;
      try { rec = JSON.parse(r.stdout) as RunRecord; } catch { /* the step printed its error on stderr */ }
      done.push({ step: s.name, exit: r.status, runId: rec?.id, status: rec?.status });
      ctx.rec.setData('steps', done);
      ctx.progress(`   → ${rec ? `${rec.status.toUpperCase()} (${rec.checks.filter((c) => c.status === 'pass').length}/${rec.checks.length} checks) runs/${rec.id}` : `exit ${r.status}`}`);
      ctx.rec.addCheck(check(`start.${s.name.replace(/\W+/g, '-')}`, s.name, 'completes', rec?.status ?? `exit ${r.status}`, '',
        STEP_STATUS[r.status ?? -1] ?? 'error', { what: `harness ${s.args.join(' ')}`, how: 'child process of the main job', where: rec ? `runs/${rec.id}/record.json` : '' }));
      if (s.name === 'week-1 report') reportRecord = rec ?? null;
      // Nothing after a sandbox that did not come up can produce evidence worth reporting.
      if (s.name === 'sandbox up' && r.status !== EXIT.ok) break;
      if (s.name === 'sandbox up') await steadyFor(sandboxProfileOf(cfg).profile, o.window, ctx.signal, ctx.progress);
    }
  }, () => {
    const rr = reportRecord as RunRecord | null;
    const dir = rr ? join(runsDir(cfg), rr.id) : null;
    const md = dir && join(dir, 'week1.md');
    if (md && existsSync(md)) process.stdout.write(`\n${readFileSync(md, 'utf8')}\n`);
    const html = dir && join(dir, 'week1.html');
    if (html && existsSync(html)) process.stdout.write(`HTML report: ${relative(process.cwd(), html) || html}\n`);
  });
  return code;
}
