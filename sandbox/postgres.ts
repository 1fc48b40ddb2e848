import { existsSync, mkdirSync, readdirSync, readFileSync, chownSync, chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SandboxConfig } from '../core/config.ts';
import { InfraError } from '../core/errors.ts';
import type { Part, SandboxContext, PartStatus } from './part.ts';
import { run, waitFor, portOpen } from './proc.ts';
import { aptInstall } from './apt.ts';
import { pgUrl } from './addresses.ts';

export { pgUrl };
import { ensurePlatformTls, platformCa } from './tls.ts';

const NAME = 'postgres';
const SCHEMA = readFileSync(new URL('./schema.sql', import.meta.url), 'utf8');
/** A running sandbox from an older checkout is restarted by `up` so it gets the current schema. */
const SCHEMA_HASH = createHash('sha256').update(SCHEMA).digest('hex').slice(0, 12);

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

/** PostgreSQL refuses to run as root; as root we hand its files and process to the `postgres` user. */
function runAs(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new InfraError('running as root but there is no `postgres` user (install the Debian postgresql package)', NAME);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Where PostgreSQL's files go when its user cannot reach the checkout: a folder of its own per sandbox dir. */
const UNREACHABLE_BASE = '/var/lib/postgresql/carbon-harness';

/** Whether `uid` can enter `dir` (every folder above it searchable): asked of the kernel, as that user. */
function reachable(dir: string, id: { uid: number; gid: number }): boolean {
  return spawnSync('test', ['-x', dir], { uid: id.uid, gid: id.gid }).status === 0;
}

const placed = new Map<string, string>();

/**
 * PostgreSQL's files: `<sandbox dir>/postgres`, unless the server's user (`postgres`, when we run as
 * root) cannot enter the checkout — a clone under a mode-0700 folder such as root's home or a
 * `mktemp -d` — in which case they go to /var/lib/postgresql/carbon-harness/<hash of the sandbox
 * dir>, with `<sandbox dir>/postgres/location` saying where.
 */
function paths(ctx: SandboxContext) {
  let base = placed.get(ctx.dir);
  if (!base) {
    base = join(ctx.dir, 'postgres');
    const id = runAs();
    if (id) {
      mkdirSync(ctx.dir, { recursive: true });
      if (!reachable(ctx.dir, id)) {
        base = join(UNREACHABLE_BASE, createHash('sha256').update(ctx.dir).digest('hex').slice(0, 12));
        mkdirSync(join(ctx.dir, 'postgres'), { recursive: true });
        writeFileSync(join(ctx.dir, 'postgres', 'location'), `${base}\n(the postgres user cannot enter ${ctx.dir}, so PostgreSQL's files live there)\n`);
        mkdirSync(UNREACHABLE_BASE, { recursive: true });
        chownSync(UNREACHABLE_BASE, id.uid, id.gid);
      }
    }
    placed.set(ctx.dir, base);
  }
  return { base, data: join(base, 'data'), sock: join(base, 'run') };
}

export function pgConnection(sb: SandboxConfig): pg.ClientConfig {
  const ca = platformCa(sb);
  return {
    host: sb.host, port: sb.ports.postgres, database: sb.postgres.database,
    user: sb.postgres.user, password: sb.postgres.password,
    connectionTimeoutMillis: 3000,
    // The secured shape accepts TLS only (its pg_hba), verified against the sandbox CA.
    ...(sb.security.enabled ? { ssl: { ca, rejectUnauthorized: true } } : {}),
  };
}


/**
 * SQL as the server's superuser, over its socket. The statement goes on psql's stdin, never its
 * command line (which any local user can read in the process table), and `secrets` are masked in
 * any error it prints.
 */
async function superuserSql(ctx: SandboxContext, sql: string, secrets: string[] = []): Promise<string> {
  const { sock } = paths(ctx);
  const id = runAs();
  return run(join(binDir()!, 'psql'), ['-h', sock, '-p', String(ctx.sb.ports.postgres), '-U', 'postgres',
    // cwd: a folder the server's user can enter, or psql warns on stderr (which `run` returns with the output).
    '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qAt', '-f', '-'], { ...(id ? { uid: id.uid, gid: id.gid } : {}), cwd: paths(ctx).base, input: sql, secrets });
}

async function query(sb: SandboxConfig, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client(pgConnection(sb));
  await c.connect();
  try { return await c.query(sql); } finally { await c.end(); }
}

/**
 * The secured shape: the server's certificate and key beside its data (owned by its user, the key
 * 0600 as PostgreSQL demands), and an hba file that admits TCP connections over TLS with a password
 * only (the superuser's unix socket stays trusted, for set-up).
 */
async function secureFiles(ctx: SandboxContext, base: string, id: { uid: number; gid: number } | null): Promise<string[]> {
  const src = await ensurePlatformTls(ctx.sb, ctx.progress);
  const dir = join(base, 'tls');
  mkdirSync(dir, { recursive: true });
  const hba = join(dir, 'pg_hba.conf');
  copyFileSync(join(src, 'server.crt'), join(dir, 'server.crt'));
  copyFileSync(join(src, 'server.key'), join(dir, 'server.key'));
  writeFileSync(hba, 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 0.0.0.0/0 reject\n');
  chmodSync(join(dir, 'server.key'), 0o600);
  if (id) for (const f of [dir, join(dir, 'server.crt'), join(dir, 'server.key'), hba]) chownSync(f, id.uid, id.gid);
  // The trusted unix socket is for the server's own user only.
  return ['-c', 'ssl=on', '-c', `ssl_cert_file=${join(dir, 'server.crt')}`, '-c', `ssl_key_file=${join(dir, 'server.key')}`, '-c', `hba_file=${hba}`, '-c', 'unix_socket_permissions=0700'];
}

export const postgresPart: Part = {
  name: NAME,
  ports: (ctx) => [{ port: ctx.sb.ports.postgres, field: 'sandbox.ports.postgres' }],

  async install(ctx) {
    if (binDir()) return;
    ctx.progress('postgres: installing Debian package postgresql (first run only)…');
    await aptInstall(['postgresql'], ctx.progress);
    if (!binDir()) throw new InfraError('apt-get installed postgresql but no server binary was found under /usr/lib/postgresql', NAME);
  },

  async start(ctx) {
    const bin = binDir()!;
    const p = paths(ctx);
    const id = runAs();
    const asUser = id ? { uid: id.uid, gid: id.gid } : {};
    for (const d of [p.base, p.sock]) {
      mkdirSync(d, { recursive: true });
      if (id) chownSync(d, id.uid, id.gid);
    }
    if (!existsSync(join(p.data, 'PG_VERSION'))) {
      ctx.progress('postgres: initdb (first run only)…');
      await run(join(bin, 'initdb'), ['-D', p.data, '-U', 'postgres', '--auth-local=trust',
        '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-instructions'], { ...asUser, cwd: p.base });
    }
    const tlsArgs = ctx.sb.security.enabled ? await secureFiles(ctx, p.base, id) : [];
    // Durability is traded for speed: this is a disposable sandbox, not a store of record.
    ctx.procs.spawn(NAME, join(bin, 'postgres'), ['-D', p.data, '-p', String(ctx.sb.ports.postgres), ...tlsArgs,
      '-k', p.sock, '-c', `listen_addresses=${ctx.sb.host}`, '-c', 'fsync=off',
      '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=100',
      '-c', 'shared_buffers=128MB'], { ...asUser, cwd: p.base });
    await waitFor('postgres', async () => {
      if (!ctx.procs.alive(NAME)) throw new InfraError('exited');
      await superuserSql(ctx, 'select 1');
      return true;
    }, 30_000, () => ctx.procs.tailLog(NAME));

    const { user, password, database } = ctx.sb.postgres;
    const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
    await superuserSql(ctx, `DO $$BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${lit(user)}) THEN
        CREATE ROLE ${user} LOGIN PASSWORD ${lit(password)};
      ELSE ALTER ROLE ${user} LOGIN PASSWORD ${lit(password)}; END IF; END$$;`, [password, lit(password)]);
    const exists = (await superuserSql(ctx, `SELECT 1 FROM pg_database WHERE datname = ${lit(database)}`)).trim() === '1';
    if (!exists) await superuserSql(ctx, `CREATE DATABASE ${database} OWNER ${user}`);
    await query(ctx.sb, SCHEMA);
    await query(ctx.sb, `CREATE TABLE IF NOT EXISTS sandbox_meta (key text PRIMARY KEY, value text NOT NULL);
      INSERT INTO sandbox_meta VALUES ('schema', '${SCHEMA_HASH}') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`);
  },

  async stop(ctx) {
    await ctx.procs.stop(NAME, 15_000, 'SIGINT');
  },

  async status(ctx): Promise<PartStatus> {
    const endpoint = `${ctx.sb.host}:${ctx.sb.ports.postgres}/${ctx.sb.postgres.database}`;
    const base = { name: NAME, endpoint };
    if (!ctx.procs.alive(NAME)) {
      const other = await portOpen(ctx.sb.ports.postgres);
      return { ...base, healthy: false, reason: other ? `not started by the sandbox (port ${ctx.sb.ports.postgres} is held by another program)` : 'not running' };
    }
    try {
      const r = await query(ctx.sb, `SELECT count(*)::int AS n FROM information_schema.tables
        WHERE table_name IN ('features','predictions','workflow_runs')`);
      const n = r.rows[0].n as number;
      const hash = await query(ctx.sb, `SELECT value FROM sandbox_meta WHERE key = 'schema'`)
        .then((m) => m.rows[0]?.value as string | undefined, () => undefined);
      if (n !== 3) return { ...base, healthy: false, reason: `schema incomplete: ${n}/3 tables` };
      if (hash !== SCHEMA_HASH) return { ...base, healthy: false, reason: 'schema out of date (restart applies sandbox/schema.sql)' };
      return { ...base, healthy: true, reason: 'accepting connections; feature-store schema current' };
    } catch (e) {
      return { ...base, healthy: false, reason: `connection failed: ${(e as Error).message}` };
    }
  },
};

