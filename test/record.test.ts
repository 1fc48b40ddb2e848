import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECORD_SCHEMA_VERSION, RunRecorder, statusFromChecks, type Check } from '../core/record.ts';
import { parseRecord } from '../core/journal.ts';
import { runCommand } from '../core/run.ts';
import { UsageError, InfraError } from '../core/errors.ts';
import { addSecret, clearSecrets, mask, maskDeep } from '../core/secrets.ts';
import { registerProfileSecrets } from '../profile/secrets.ts';
import { sandboxProfileValues } from '../sandbox/profile.ts';
import { parseConfig } from '../core/config.ts';
import { parseProfile } from '../profile/load.ts';
import { stringify } from 'yaml';

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

test('a promise rejected with no one awaiting it ends the run as an error (exit 3) with its cleanups and a finished record, not a crash', async () => {
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  let cleaned = false;
  const code = await runCommand({ runsDir: root, platform: 'sandbox', kind: 'sandbox-up', quiet: true }, async ({ onCleanup }) => {
    onCleanup(() => { cleaned = true; });
    void Promise.reject(new Error('a stray callback failed'));
    await new Promise((r) => setTimeout(r, 60_000).unref());
  });
  assert.is(code, 3);
  assert.ok(cleaned, 'cleanup ran');
  const [dir] = readdirSync(root);
  const r = JSON.parse(readFileSync(join(root, dir!, 'record.json'), 'utf8'));
  assert.is(r.status, 'error');
  assert.match(r.error, 'a stray callback failed');
  assert.ok(r.endedAt, 'the record is finished');
  assert.match(r.data.unexpectedFailure, 'record.test.ts', 'where it came from is kept');
  assert.is(process.listenerCount('unhandledRejection'), 0, 'the handler is gone with the run');
});

test('after a stray failure the body is told to stop, and a cleanup it registers on the way out still runs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  let sawAbort = false;
  let lateCleaned = false;
  const code = await runCommand({ runsDir: root, platform: 'sandbox', kind: 'drill', quiet: true }, async ({ signal, onCleanup }) => {
    setTimeout(() => { void Promise.reject(new Error('stray')); }, 10);
    await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    sawAbort = true;
    // What a body winding down might still create, and register for removal.
    await new Promise((r) => setTimeout(r, 20));
    onCleanup(() => { lateCleaned = true; });
  });
  assert.is(code, 3);
  assert.ok(sawAbort, 'the body saw its signal aborted');
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(lateCleaned, 'a cleanup registered after the cleanups ran still ran');
});

test('a stray failure while a passing run cleans up fails the run (error, exit 3); one after the record is written changes nothing', async () => {
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  const during = await runCommand({ runsDir: root, platform: 'sandbox', kind: 'a', quiet: true }, async ({ rec, onCleanup }) => {
    rec.addCheck(check('pass'));
    onCleanup(async () => { void Promise.reject(new Error('during cleanup')); await new Promise((r) => setTimeout(r, 10)); });
  });
  assert.is(during, 3, 'not the pass the checks alone would give');
  // Notifications go out after the record is final.
  const after = await runCommand({ runsDir: root, platform: 'sandbox', kind: 'b', quiet: true,
    announce: async () => { void Promise.reject(new Error('after the record')); await new Promise((r) => setTimeout(r, 10)); return null; } },
  async ({ rec }) => { rec.addCheck(check('pass')); });
  assert.is(after, 0, 'the record was already written as a pass');
  const byKind = Object.fromEntries(readdirSync(root).map((d) => JSON.parse(readFileSync(join(root, d, 'record.json'), 'utf8'))).map((r) => [r.kind, r]));
  assert.is(byKind.a.status, 'error');
  assert.match(byKind.a.error, 'during cleanup');
  assert.is(byKind.b.status, 'pass');
  assert.is(byKind.b.data.unexpectedFailure, undefined);
});

test('the one mask: every registered secret, whatever its characters, in every form it travels in; numbers and short values untouched', async () => {
  clearSecrets();
  // A profile with a secret in every place one can be: SASL, the feature store URL, bearer, basic auth, an auth header, a TLS key.
  const v = sandboxProfileValues(parseConfig({})) as Record<string, any>;
  v.name = 'masked';
  const [sasl, pg, token, basic, header, key] = ['s@sl/pa:ss%1', 'pg@pa/ss:2%', 'to/ken:3@x', 'ba:sic/4@%', 'Bearer hdr-5/@:%', '-----BEGIN PRIVATE KEY-----\nk3y6\n-----END PRIVATE KEY-----'];
  v.platform.kafka.sasl = { mechanism: 'scram-sha-512', username: 'u', password: sasl };
  v.platform.featureStore.url = `postgres://carbon:${encodeURIComponent(pg)}@127.0.0.1:1/features`;
  v.platform.prometheus.auth = { bearerToken: token };
  v.platform.alertmanager.auth = { basicAuth: { username: 'am', password: basic } };
  v.platform.inferenceApi.request.headers = { Authorization: header, 'X-Trace': 'not-a-secret-7' };
  v.platform.kafka.tls = { key, cert: key };
  registerProfileSecrets(parseProfile(stringify(v), 'masked.yaml').profile);
  const b64 = Buffer.from(`am:${basic}`).toString('base64');
  const secrets = [sasl, pg, encodeURIComponent(pg), token, basic, b64, header, 'hdr-5/@:%', key];
  const text = `connect ${v.platform.featureStore.url} failed; sasl ${sasl}; Authorization: Basic ${b64}; ${header}; ${encodeURIComponent(token)}; key ${key}`;
  const masked = mask(text);
  for (const s of secrets) assert.not.ok(masked.includes(s), `${s} left in: ${masked}`);
  assert.match(masked, 'postgres://carbon:***@127.0.0.1:1/features');
  assert.match(mask('X-Trace: not-a-secret-7'), 'not-a-secret-7', 'a header that is no credential is left alone');
  // Records: strings masked, numbers and structure kept, what is in memory unchanged.
  addSecret('12345');
  const data = { observed: 12345, what: `token ${token} and 12345`, list: [sasl], id: 'check-12345', histograms: { x: 'AB12345' } };
  assert.equal(maskDeep(data), { observed: 12345, what: 'token *** and ***', list: ['***'], id: 'check-12345', histograms: { x: 'AB12345' } },
    'free text masked; numbers, ids and encoded histograms left whole');
  assert.is(data.what.includes(token), true);
  addSecret('abc');
  assert.is(mask('abc'), 'abc', 'below 4 characters nothing is masked');
  // What a run writes and prints: its record file, and its error on stderr.
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  let err = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((c: string) => { err += c; return true; }) as typeof process.stderr.write;
  let file = '';
  try {
    await runCommand({ kind: 'gate', runsDir: root, platform: 'masked', quiet: false }, async (ctx) => {
      file = ctx.rec.path;
      ctx.progress(`connecting with ${token}`);
      ctx.rec.addCheck({ ...check('fail'), evidence: { what: `login refused for ${sasl}`, how: header, where: v.platform.featureStore.url } });
      throw new InfraError(`SASL ${sasl} refused`);
    });
  } finally { process.stderr.write = write; clearSecrets(); }
  const onDisk = readFileSync(file, 'utf8');
  for (const s of secrets) {
    assert.not.ok(onDisk.includes(s), `record holds ${s}`);
    assert.not.ok(err.includes(s), `stderr holds ${s}`);
  }
  assert.match(onDisk, 'login refused for ***');
  assert.match(err, 'SASL *** refused');
});

test('the journal: every kind is checked against its schema; older versions are read, newer and damaged ones refused naming the field', () => {
  const base = { id: 'r', startedAt: '2026-12-01T08:00:00.000Z', status: 'pass', platform: 'p', checks: [check('pass')] };
  const ok = (v: unknown) => { const r = parseRecord(v); assert.ok('record' in r, JSON.stringify(r)); };
  const refused = (v: unknown, why: RegExp) => { const r = parseRecord(v); assert.ok('error' in r, 'read'); assert.match((r as { error: string }).error, why); };
  // Version 0 (no field) and 1: a daily record without evidence, a drill without steady states.
  ok({ ...base, kind: 'daily', data: { windowS: 30 } });
  ok({ ...base, schemaVersion: 1, kind: 'drill', data: { observation: { timeline: [{ event: 'kill', atMs: 0 }], relists: 0, chaos: null, lag: null, alert: { hit: null, others: [], where: 'w', how: 'h' } } } });
  // A kind with no data schema of its own still needs the common fields.
  ok({ ...base, kind: 'sandbox-up', data: {} });
  refused({ ...base, kind: 'sandbox-up', checks: [{ id: 7 }] }, /^checks\.0\.id: /);
  refused({ ...base, schemaVersion: RECORD_SCHEMA_VERSION + 1, kind: 'daily', data: {} }, /written by a newer harness/);
  refused({ ...base, kind: 'daily', data: { evidence: { windowS: 10, kafka: { brokers: 'b' } } } }, /^data\.evidence\.kafka\.prices: /);
  refused({ ...base, kind: 'gate', data: { scenarios: [{ scenario: 's', metrics: {}, histograms: { x: 5 }, timeline: [], crossChecks: {} }] } }, /^data\.scenarios\.0\.histograms\.x: /);
  refused({ ...base, kind: 'drill', status: 'green', data: {} }, /^status: /);
  refused([1, 2], /not a JSON object/);
  // What a run writes is what a reader takes.
  const root = mkdtempSync(join(tmpdir(), 'runs-'));
  const rec = new RunRecorder(root, 'daily', 'sandbox');
  rec.setData('windowS', 5);
  rec.addCheck(check('fail'));
  ok(JSON.parse(readFileSync(rec.path, 'utf8')));
  assert.is(rec.record.schemaVersion, RECORD_SCHEMA_VERSION);
});

test.run();
