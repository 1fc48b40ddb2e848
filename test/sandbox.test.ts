import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ctx, cfg, clearFaults } from './support.ts';
import { runsDir } from '../core/config.ts';
import { readFaults, faultsFile } from '../sandbox/faults.ts';
import { PARTS } from '../sandbox/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sandbox-test-'));
test.after(() => clearFaults());

test('status --json prints the run record with one check per part', () => {
  const r = cli(['--json', '--quiet', 'sandbox', 'status']);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const rec = JSON.parse(r.stdout);
  assert.is(rec.kind, 'sandbox-status');
  assert.is(rec.status, 'pass');
  assert.equal(rec.checks.map((c: { id: string }) => c.id), PARTS.map((p) => `sandbox.${p.name}`));
  const onDisk = JSON.parse(readFileSync(join(runsDir(cfg), rec.id, 'record.json'), 'utf8'));
  assert.equal(onDisk, rec, 'the record on disk is what --json printed');
});

test('up is idempotent: a healthy sandbox is left alone', () => {
  const pidsBefore = readdirSync(join(ctx.dir, 'pids')).map((f) => readFileSync(join(ctx.dir, 'pids', f), 'utf8')).sort();
  const r = cli(['sandbox', 'up']);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /starting…/);
  const pidsAfter = readdirSync(join(ctx.dir, 'pids')).map((f) => readFileSync(join(ctx.dir, 'pids', f), 'utf8')).sort();
  assert.equal(pidsAfter, pidsBefore);
});

test('down --only stops just that part; up brings it back', () => {
  const down = cli(['--json', '--quiet', 'sandbox', 'down', '--only', 'user-traffic']);
  assert.is(down.code, 0, down.stderr);
  assert.equal(JSON.parse(down.stdout).data.stopped, ['user-traffic']);
  const st = JSON.parse(cli(['--json', '--quiet', 'sandbox', 'status']).stdout);
  const byId = Object.fromEntries(st.checks.map((c: { id: string; status: string }) => [c.id, c.status]));
  assert.is(byId['sandbox.user-traffic'], 'fail');
  assert.is(byId['sandbox.kafka'], 'pass');
  assert.is(byId['sandbox.inference-api'], 'pass');
  assert.is(st.status, 'fail');
  assert.is(cli(['sandbox', 'up', '--only', 'user-traffic']).code, 0);
  assert.is(cli(['--quiet', 'sandbox', 'status']).code, 0);
});

test('a busy port is a usage error naming the config field; nothing is started', async () => {
  const srv = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as { port: number }).port;
  const dir = join(tmp, 'busy');
  const cfgFile = join(tmp, 'busy.yaml');
  writeFileSync(cfgFile, `sandbox:\n  dir: ${dir}\n  ports:\n    postgres: ${port}\n`);
  const r = cli(['-c', cfgFile, 'sandbox', 'up']);
  srv.close();
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, 'sandbox.ports.postgres');
  assert.match(r.stderr, String(port));
  assert.equal(existsSync(join(dir, 'pids')) ? readdirSync(join(dir, 'pids')) : [], []);
});

test('a malformed config file exits 2 naming the field, before anything runs', () => {
  const f = join(tmp, 'bad.yaml');
  writeFileSync(f, 'sandbox:\n  kafka:\n    partitions: lots\n');
  const r = cli(['-c', f, 'sandbox', 'up']);
  assert.is(r.code, 2);
  assert.match(r.stderr, 'sandbox.kafka.partitions');
});

test('fault: unknown name and out-of-range value exit 2 naming the knob and change nothing', () => {
  clearFaults();
  const mtime = () => existsSync(faultsFile(ctx.dir)) ? readFileSync(faultsFile(ctx.dir), 'utf8') : '';
  const before = mtime();
  const unknown = cli(['sandbox', 'fault', 'inference-speed=3']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, 'inference-speed');
  const range = cli(['sandbox', 'fault', 'consumer-delay-ms=5', 'inference-error-rate=7']);
  assert.is(range.code, 2);
  assert.match(range.stderr, 'inference-error-rate');
  assert.is(mtime(), before, 'the valid knob in a rejected command was not applied either');
});

test('fault: set, merge, show and clear', () => {
  clearFaults();
  assert.is(cli(['sandbox', 'fault', 'inference-latency-ms=150']).code, 0);
  assert.is(cli(['sandbox', 'fault', 'consumer-drop-rate=0.1']).code, 0);
  assert.equal(readFaults(ctx.dir), { 'inference-latency-ms': 150, 'consumer-drop-rate': 0.1 });
  const shown = cli(['sandbox', 'fault']);
  assert.match(shown.stdout, 'inference-latency-ms=150');
  assert.is(cli(['sandbox', 'fault', '--clear']).code, 0);
  assert.equal(readFaults(ctx.dir), {});
});

test('bad CLI arguments exit 2; --help exits 0 on every command', () => {
  assert.is(cli(['sandbox', 'up', '--only', 'kafak']).code, 2);
  assert.match(cli(['sandbox', 'up', '--only', 'kafak']).stderr, '--only');
  assert.is(cli(['no-such-command']).code, 2);
  assert.is(cli(['sandbox', 'up', '--bogus-flag']).code, 2);
  for (const c of [[], ['sandbox'], ['sandbox', 'up'], ['sandbox', 'down'], ['sandbox', 'status'], ['sandbox', 'fault'], ['start']]) {
    const r = cli([...c, '--help']);
    assert.is(r.code, 0, c.join(' '));
    assert.match(r.stdout, 'Usage:');
  }
});

test.run();
