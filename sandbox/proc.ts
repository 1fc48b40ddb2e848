import { spawn, type SpawnOptions } from 'node:child_process';
import { openSync, readFileSync, writeFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
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

  pid(name: string): number | null {
    const f = this.pidFile(name);
    if (!existsSync(f)) return null;
    const pid = Number(readFileSync(f, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  alive(name: string): boolean {
    const pid = this.pid(name);
    return pid !== null && isAlive(pid);
  }

  /** Starts a detached process (it outlives the CLI), its output appended to logs/<name>.log. */
  spawn(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): number {
    const out = openSync(this.logFile(name), 'a');
    const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', out, out] });
    if (!child.pid) throw new InfraError(`could not start ${cmd}`, name);
    child.unref();
    writeFileSync(this.pidFile(name), `${child.pid}\n`);
    return child.pid;
  }

  /** Records a pid started by another tool (e.g. pg_ctl daemonises PostgreSQL itself). */
  adopt(name: string, pid: number): void {
    writeFileSync(this.pidFile(name), `${pid}\n`);
  }

  /** `signal` lets a part ask for its own clean shutdown (PostgreSQL: SIGINT = fast shutdown). */
  async stop(name: string, graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
    const pid = this.pid(name);
    if (pid === null) return false;
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
export function run(cmd: string, args: string[], opts: SpawnOptions & { input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    child.on('error', (e) => reject(new InfraError(`${cmd}: ${e.message}`)));
    child.on('close', (code) => code === 0 ? resolve(out)
      : reject(new InfraError(`${cmd} ${args.join(' ')} exited ${code}\n${out.trim().split('\n').slice(-20).join('\n')}`)));
    if (opts.input !== undefined) child.stdin!.end(opts.input); else child.stdin!.end();
  });
}
