import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunRecorder, statusFromChecks, type Check } from '../core/record.ts';
import { runCommand } from '../core/run.ts';
import { UsageError, InfraError } from '../core/errors.ts';

const check = (status: Check['status']): Check => ({ id: 'x', title: 'x', target: 't', observed: 1, unit: '', status, evidence: { what: '', how: '', where: '' } });

test('a record exists, marked aborted, from the moment a run starts', () => {
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  const rec = new RunRecorder(root, 'gate', 'sandbox');
  const onDisk = JSON.parse(readFileSync(rec.path, 'utf8'));
  assert.is(onDisk.status, 'aborted');
  assert.is(onDisk.endedAt, null);
  rec.addCheck(check('pass'));
  rec.finish();
  const done = JSON.parse(readFileSync(rec.path, 'utf8'));
  assert.is(done.status, 'pass');
  assert.ok(done.endedAt);
  for (const k of ['id', 'kind', 'startedAt', 'endedAt', 'status', 'checks']) assert.ok(k in done, k);
  assert.equal(readdirSync(rec.dir), ['record.json'], 'no temp files left behind');
});

test('run status follows the checks', () => {
  assert.is(statusFromChecks([check('pass'), check('no-data')]), 'incomplete', 'no data is never a pass');
  assert.is(statusFromChecks([check('pass'), check('fail')]), 'fail');
  assert.is(statusFromChecks([check('error'), check('pass')]), 'error');
});

test('runCommand maps outcomes to exit codes 0/1/2/3 and always finishes the record', async () => {
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  const quiet = { runsDir: root, platform: 'sandbox', quiet: true };
  assert.is(await runCommand({ ...quiet, kind: 'a' }, async ({ rec }) => rec.addCheck(check('pass'))), 0);
  assert.is(await runCommand({ ...quiet, kind: 'b' }, async ({ rec }) => rec.addCheck(check('fail'))), 1);
  assert.is(await runCommand({ ...quiet, kind: 'c' }, async () => { throw new UsageError('--rate', 'must be > 0'); }), 2);
  assert.is(await runCommand({ ...quiet, kind: 'd' }, async () => { throw new InfraError('broker down', 'kafka'); }), 3);
  const statuses = readdirSync(root).sort().map((d) => JSON.parse(readFileSync(join(root, d, 'record.json'), 'utf8')))
    .sort((x, y) => x.kind.localeCompare(y.kind)).map((r) => r.status);
  assert.equal(statuses, ['pass', 'fail', 'error', 'error']);
});

test('a run with a no-data check and nothing failed is incomplete (exit 4), never a pass; a gate fails on it', async () => {
  assert.is(statusFromChecks([check('pass'), check('no-data')]), 'incomplete');
  assert.is(statusFromChecks([check('pass'), check('no-data')], true), 'fail');
  assert.is(statusFromChecks([check('fail'), check('no-data')]), 'fail');
  assert.is(statusFromChecks([check('error'), check('no-data')]), 'error');
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  assert.is(await runCommand({ runsDir: root, platform: 'sandbox', kind: 'daily', quiet: true }, async ({ rec }) => { rec.addCheck(check('pass')); rec.addCheck(check('no-data')); }), 4);
  const [dir] = readdirSync(root);
  const r = JSON.parse(readFileSync(join(root, dir!, 'record.json'), 'utf8'));
  assert.is(r.status, 'incomplete');
  assert.is(r.platform, 'sandbox', 'every record names the platform it measured');
});

test('an interrupted run runs its cleanups and is recorded as aborted (exit 3)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  let cleaned = false;
  const code = await runCommand({ runsDir: root, platform: 'sandbox', kind: 'drill', quiet: true }, async ({ signal, onCleanup }) => {
    onCleanup(() => { cleaned = true; });
    setTimeout(() => process.emit('SIGINT', 'SIGINT'), 50);
    await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
  });
  assert.is(code, 3);
  assert.ok(cleaned, 'cleanup ran');
  const [dir] = readdirSync(root);
  const r = JSON.parse(readFileSync(join(root, dir!, 'record.json'), 'utf8'));
  assert.is(r.status, 'aborted');
  assert.match(r.error, /SIGINT/);
});

test.run();
