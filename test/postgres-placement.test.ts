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
import { cli } from './support.ts';

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
    const up = cli(['-c', conf, 'sandbox', 'up', '--only', 'postgres'], {}, 180_000);
    assert.is(up.code, 0, up.stdout + up.stderr);
    const st = cli(['-c', conf, '--json', 'sandbox', 'status']);
    const rec = JSON.parse(st.stdout) as { data: { parts?: Array<{ name: string; healthy: boolean; reason: string }> } };
    const pgPart = (rec.data.parts ?? []).find((p) => p.name === 'postgres');
    assert.ok(pgPart?.healthy, JSON.stringify(rec.data).slice(0, 500));
    const location = readFileSync(join(dir, 'postgres', 'location'), 'utf8').split('\n')[0]!;
    assert.match(location, /^\/var\/lib\/postgresql\/carbon-harness\/[0-9a-f]{12}$/);
    assert.ok(existsSync(join(location, 'data', 'PG_VERSION')), 'initdb ran where the postgres user can reach it');
  } finally {
    cli(['-c', conf, 'sandbox', 'down', '--only', 'postgres']);
    const loc = join(dir, 'postgres', 'location');
    if (existsSync(loc)) rmSync(readFileSync(loc, 'utf8').split('\n')[0]!, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
