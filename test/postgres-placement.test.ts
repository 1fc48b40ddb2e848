/**
 * A checkout the postgres user cannot enter (a clone under a mode-0700 folder: root's home, `mktemp -d`)
 * still gets a working feature store: a second PostgreSQL, on a port of its own, beside the shared sandbox.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../core/paths.ts';

/** The CLI run from inside the mode-0700 folder, as from a clone there (its cwd is unreachable to postgres). */
const cliIn = (cwd: string, args: string[]) => {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), ...args], { cwd, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});

test('sandbox postgres from a checkout inside a mode-0700 folder: its files go where the postgres user can reach them', async () => {
  if (userInfo().uid !== 0) return; // only root hands PostgreSQL to another user
  const root = mkdtempSync(join(tmpdir(), 'pg0700-'));
  chmodSync(root, 0o700);
  const dir = join(root, 'clone', '.sandbox');
  mkdirSync(dir, { recursive: true });
  const conf = join(root, 'harness.yaml');
  writeFileSync(conf, `sandbox:\n  dir: ${JSON.stringify(dir)}\n  ports: { postgres: ${await freePort()} }\n`);
  try {
    const up = cliIn(dir, ['-c', conf, 'sandbox', 'up', '--only', 'postgres']);
    assert.is(up.code, 0, up.stdout + up.stderr);
    const st = cliIn(dir, ['-c', conf, '--json', 'sandbox', 'status']);
    const rec = JSON.parse(st.stdout) as { data: { parts?: Array<{ name: string; healthy: boolean; reason: string }> } };
    const pgPart = (rec.data.parts ?? []).find((p) => p.name === 'postgres');
    assert.ok(pgPart?.healthy, JSON.stringify(rec.data).slice(0, 500));
    const location = readFileSync(join(dir, 'postgres', 'location'), 'utf8').split('\n')[0]!;
    assert.match(location, /^\/var\/lib\/postgresql\/carbon-harness\/[0-9a-f]{12}$/);
    assert.ok(existsSync(join(location, 'data', 'PG_VERSION')), 'initdb ran where the postgres user can reach it');
  } finally {
    cliIn(dir, ['-c', conf, 'sandbox', 'down', '--only', 'postgres']);
    const loc = join(dir, 'postgres', 'location');
    if (existsSync(loc)) rmSync(readFileSync(loc, 'utf8').split('\n')[0]!, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
