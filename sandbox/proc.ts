import { spawn, type SpawnOptions } from 'node:child_process';
import { openSync, readFileSync, writeFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { getPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError, UsageError } from '../core/errors.ts';

/**
 * The sandbox only ever stops processes it recorded itself (pid files under the sandbox dir),
 * so `down` never touches anything else on the machine.
 */
export class ProcessTable {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'pids'), { recursive: true });
    mkdirSync(join(dir, 'logs'), { recursive: true });
  }

  pidFile(name: string): string { return join(this.dir, 'pids', `${name}.pid`); }
  logFile(name: string): string { return join(this.dir, 'logs', `${name}.log`); }

  /**
   * The recorded process, or null when none is recorded or the pid now belongs to someone else:
   * pid files outlive reboots, and `down` must never signal a process the sandbox did not start.
   */
  pid(name: string): number | null {
    const f = this.pidFile(name);
    if (!existsSync(f)) return null;
    const [p, started] = readFileSync(f, 'utf8').trim().split(/\s+/);
    const pid = Number(p);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    if (started !== undefined && isAlive(pid) && startTime(pid) !== started) return null;
    return pid;
  }

  private record(name: string, pid: number): void {
    writeFileSync(this.pidFile(name), `${pid} ${startTime(pid) ?? ''}`.trimEnd() + '\n');
  }

  alive(name: string): boolean {
    const pid = this.pid(name);
    return pid !== null && isAlive(pid);
  }

  /**
   * Starts a detached process (it outlives the CLI), its output appended to logs/<name>.log.
   * `onExit` hears how it ended while this process lives (a supervisor reporting crashes).
   */
  spawn(name: string, cmd: string, args: string[], opts: SpawnOptions = {}, onExit?: (code: number | null, signal: NodeJS.Signals | null) => void): number {
    const out = openSync(this.logFile(name), 'a');
    // `nice` execs the command (same pid), so every thread it ever starts has the lower priority;
    // a sandbox process starting another (the kubelet bridge its pods) is at that level already.
    const by = SANDBOX_NICE - getPriority();
    const [file, argv] = by > 0 ? ['nice', ['-n', String(by), cmd, ...args]] : [cmd, args];
    const child = spawn(file, argv, { ...opts, detached: true, stdio: ['ignore', out, out] });
    if (!child.pid) throw new InfraError(`could not start ${cmd}`, name);
    if (onExit) child.on('exit', onExit);
    child.unref();
    this.record(name, child.pid);
    return child.pid;
  }

  /** Records a pid started by another tool (e.g. pg_ctl daemonises PostgreSQL itself). */
  adopt(name: string, pid: number): void {
    this.record(name, pid);
  }

  /** `signal` lets a part ask for its own clean shutdown (PostgreSQL: SIGINT = fast shutdown). */
  async stop(name: string, graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
    const pid = this.pid(name);
    if (pid === null) { rmSync(this.pidFile(name), { force: true }); return false; }
    const wasAlive = isAlive(pid);
    if (wasAlive) {
      signalGroup(pid, signal);
      const deadline = Date.now() + graceMs;
      while (isAlive(pid) && Date.now() < deadline) await sleep(100);
      if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(50);
    }
    rmSync(this.pidFile(name), { force: true });
    return wasAlive;
  }

  tailLog(name: string, lines = 15): string {
    const f = this.logFile(name);
    if (!existsSync(f)) return '';
    return readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/** Kernel start time of a process (clock ticks since boot, /proc/<pid>/stat field 22): with the pid, a unique identity. */
/**
 * The sandbox is a stand-in for a platform that runs on machines of its own; here it shares the
 * cores with the load generator. At a lower priority it yields them to the generator whenever
 * both want them, so a run measures the platform and not a generator starved by it (nice 5 gives
 * a process a third of the CPU weight of one at nice 0).
 */
export const SANDBOX_NICE = 5;

export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is not running.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  // Detached children lead their own process group: signal the group so helpers die with them.
  try { process.kill(-pid, sig); } catch { try { process.kill(pid, sig); } catch { /* gone */ } }
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host });
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** True when nothing listens on the port and we may bind it. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function requirePortFree(port: number, field: string): Promise<void> {
  if (!(await portFree(port))) {
    throw new UsageError(field, `port ${port} on 127.0.0.1 is already in use by another program; free it or set ${field} in the config`);
  }
}

/** Polls `probe` until it returns true; on timeout the error carries `why()` (e.g. a log tail). */
export async function waitFor(
  what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number,
  why: () => string = () => '', intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try { if (await probe()) return; } catch { /* not yet */ }
    await sleep(intervalMs);
  }
  const detail = why();
  throw new InfraError(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s${detail ? `\n${detail}` : ''}`);
}

/** Runs a command to completion, streaming nothing; throws with its output on failure. */
export function run(cmd: string, args: string[], opts: SpawnOptions & { input?: string; secrets?: string[] } = {}): Promise<string> {
  // A secret on a command line (the SCRAM user's password at Kafka's storage format) never reaches an error or a record.
  const redact = (s: string) => (opts.secrets ?? []).filter(Boolean).reduce((t, x) => t.split(x).join('***'), s);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    child.on('error', (e) => reject(new InfraError(`${cmd}: ${e.message}`)));
    child.on('close', (code) => code === 0 ? resolve(out)
      : reject(new InfraError(redact(`${cmd} ${args.join(' ')} exited ${code}\n${out.trim().split('\n').slice(-20).join('\n')}`))));
    // A child that exits before reading its input (or as its stdin is closed: openssl, fast) makes the
    // pipe fail with EPIPE. Its exit code and output say how it went; unhandled, that 'error' event
    // ended the whole CLI mid-way (the secured shape's `sandbox up`, now and then).
    child.stdin!.on('error', () => {});
    if (opts.input !== undefined) child.stdin!.end(opts.input); else child.stdin!.end();
  });
}
