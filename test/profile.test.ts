import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseProfile, loadProfile } from '../profile/load.ts';
import { profileJsonSchema, type Contract } from '../profile/schema.ts';
import { parseConfig } from '../core/config.ts';
import { projectRoot } from '../core/paths.ts';
import { UsageError } from '../core/errors.ts';
import { sandboxProfile, sandboxProfileText } from '../sandbox/profile.ts';
import { compileMessages, headersOf, messageId, isIntact, sentAtOf } from '../platform/contract.ts';
import { makePrice, priceIsIntact } from '../platform/reference-messages.ts';
import { describePg } from '../platform/postgres-conn.ts';
import { STARTER } from '../cli/profile.ts';
import { cli } from './support.ts';
import { scenarioCatalog } from '../scenarios/catalog.ts';

const tmp = mkdtempSync(join(tmpdir(), 'profile-test-'));
const fieldOf = (fn: () => unknown): string => {
  try { fn(); } catch (e) { if (e instanceof UsageError) return e.field; throw e; }
  throw new Error('expected a UsageError');
};
const sandboxText = sandboxProfileText(parseConfig({}));
const env = { KAFKA_PASSWORD: 'k', PG_PASSWORD: 'p', INFERENCE_TOKEN: 't', PROM_TOKEN: 'x', AM_PASSWORD: 'a', KUBECONFIG: '/nowhere/kubeconfig' };

function starterDir(): string {
  const d = mkdtempSync(join(tmp, 'starter-'));
  mkdirSync(join(d, 'certs'));
  for (const f of ['kafka-ca.pem', 'pg-ca.pem', 'monitoring-ca.pem']) writeFileSync(join(d, 'certs', f), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(join(d, 'p.yaml'), readFileSync(STARTER, 'utf8'));
  return join(d, 'p.yaml');
}

test('the sandbox is one profile: its text parses as any profile file does, with the seed\'s targets', () => {
  const lp = sandboxProfile(parseConfig({}));
  assert.is(lp.profile.name, 'sandbox');
  assert.equal(lp.profile.platform.kafka.topics, { prices: 'commodity-prices', predictions: 'ml-predictions' });
  assert.is(lp.profile.slos.podRecoveryS, 30);
  assert.is(lp.profile.slos.kafkaThroughputMsgS, 7000);
  assert.equal(lp.profile.slos.alertDetectS, { critical: 60, warning: 300 });
  // Another config (other ports, group) gives another profile: the sandbox's names are values, not code.
  const other = sandboxProfile(parseConfig({ sandbox: {
    ports: { kafka: 29092 }, consumers: { group: 'g2', replicas: 2, deployment: 'scorer' }, kube: { namespace: 'risk' }, topics: { prices: 'ticks', predictions: 'scores' },
  } })).profile;
  assert.equal(other.platform.kafka.brokers, ['127.0.0.1:29092']);
  assert.is(other.platform.kafka.consumerGroup, 'g2');
  assert.equal(other.platform.kafka.topics, { prices: 'ticks', predictions: 'scores' });
  assert.equal(Object.keys(other.platform.kubernetes!.namespaces), ['risk']);
  assert.is(other.platform.kubernetes!.namespaces.risk!.deployments.scorer!.replicas, 2);
});

test('the starter profile `harness init` writes is a valid profile once its secrets are given', () => {
  const lp = loadProfile(starterDir(), env);
  assert.is(lp.profile.name, 'staging');
  assert.is(lp.profile.platform.kafka.sasl!.mechanism, 'scram-sha-512');
  assert.match(String((lp.profile.platform.kafka.tls as { ca: string }).ca), 'BEGIN CERTIFICATE');
  assert.is(lp.profile.platform.inferenceApi.request.headers.authorization, 'Bearer t');
  // Its message template is one its contract reads back, and its scenario files load.
  assert.is(compileMessages(lp.profile.platform.kafka.contract).render({ run: 1, seq: 2, commodity: 'wti', price: 3, sentAt: 4 }).key, 'wti');
  assert.ok(scenarioCatalog(lp, {}).suites.deploy);
  // Without the variable, the key that used it is named with its line.
  const f = starterDir();
  const { KAFKA_PASSWORD: _, ...rest } = env;
  const field = fieldOf(() => loadProfile(f, rest));
  const line = readFileSync(f, 'utf8').split('\n').findIndex((l) => l.includes('${KAFKA_PASSWORD}')) + 1;
  assert.is(field, `${f}:${line}: platform.kafka.sasl.password`);
});

test('bad profiles are exit-2 errors naming file:line: key — unknown keys, wrong types, bad values, missing files', () => {
  const lines = sandboxText.split('\n');
  const at = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
  const bad = (text: string) => fieldOf(() => parseProfile(text, '/p.yaml', {}));
  assert.is(bad(sandboxText.replace('    brokers:', '    brokerz: [x]\n    brokers:')), `/p.yaml:${at('    brokers:')}: platform.kafka.brokerz`);
  const noBrokers = fieldOf(() => parseProfile(sandboxText.replace(/    brokers:\n      - \S+\n/, ''), '/p.yaml', {}));
  assert.is(noBrokers, `/p.yaml:${at('  kafka:')}: platform.kafka.brokers`);
  assert.is(bad(sandboxText.replace('consumerGroup: prediction-consumer', 'consumerGroup: 7')), `/p.yaml:${at('consumerGroup:')}: platform.kafka.consumerGroup`);
  assert.is(bad(sandboxText.replace(/url: http:\/\/127\.0\.0\.1:18080/, 'url: nowhere')), `/p.yaml:${at('url: http://127.0.0.1:18080')}: platform.inferenceApi.url`);
  assert.is(bad(sandboxText.replace('slos: {}', 'slos:\n  podRecoveryS: -1')), `/p.yaml:${at('slos: {}') + 1}: slos.podRecoveryS`);
  assert.is(bad(sandboxText.replace('slos: {}', 'slos:\n  p95: 3')), `/p.yaml:${at('slos: {}') + 1}: slos.p95`);
  assert.match(bad('name: [unclosed\n'), /^\/p\.yaml:\d+$/);
  assert.is(bad('- a list\n'), '/p.yaml');
  assert.is(bad(sandboxText.replace("'$.sentAt'", "'sentAt'").replace('sentAt: $.sentAt', 'sentAt: sentAt')), `/p.yaml:${at('    sentAt:')}: platform.kafka.contract.sentAt`);
  // Prometheus without its SLIs (or the other way round) is refused.
  const noSlis = sandboxText.slice(0, sandboxText.indexOf('  slis:')) + sandboxText.slice(sandboxText.indexOf('  kubernetes:'));
  assert.match(bad(noSlis), 'platform.slis');
  assert.is(fieldOf(() => loadProfile(join(tmp, 'absent.yaml'))), '--profile');
  assert.is(fieldOf(() => loadProfile(tmp)), '--profile');
  const missingFile = join(tmp, 'missing-file.yaml');
  writeFileSync(missingFile, sandboxText.replace(/password: \S+|url: postgres:\/\/carbon:carbon-sandbox-pg@/, (m) => m.replace('carbon:carbon-sandbox-pg@', 'carbon:${file:no-such-secret}@')));
  assert.match(fieldOf(() => loadProfile(missingFile, {})), 'platform.featureStore.url');
});

test('secrets: ${VAR} and ${file:PATH} are resolved, never part of the hash a record keeps', () => {
  const text = sandboxText.replace('carbon:carbon-sandbox-pg@', 'carbon:${PG_SECRET}@');
  const a = parseProfile(text, '/p.yaml', { PG_SECRET: 'one' });
  const b = parseProfile(text, '/p.yaml', { PG_SECRET: 'two' });
  assert.match(a.profile.platform.featureStore.url, ':one@');
  assert.is(a.hash, b.hash);
  assert.is.not(a.hash, parseProfile(sandboxText, '/p.yaml', {}).hash);
  // Evidence names the store without its password, whatever characters it has.
  assert.is(describePg('postgres://u:p%40ss%2Fw:rd@db:5432/f?sslmode=require'), 'postgres://u:***@db:5432/f');
});

test('the published JSON Schema is the zod schema\'s (regenerate: harness profile schema > docs/profile.schema.json)', () => {
  const published = JSON.parse(readFileSync(join(projectRoot, 'docs', 'profile.schema.json'), 'utf8'));
  assert.equal(published, JSON.parse(JSON.stringify(profileJsonSchema())));
  // It refuses what the loader refuses: unknown keys are not allowed anywhere.
  assert.is((published as { additionalProperties?: boolean }).additionalProperties, false);
});

test('the message contract reads ids, send time and checksums as the reference platform writes them', () => {
  const c = sandboxProfile(parseConfig({})).profile.platform.kafka.contract;
  for (let i = 0; i < 500; i++) {
    const m = makePrice({ run: 1_700_000_000_000 + i, seq: i * 7919, commodity: ['brent', 'wti', 'carbon-eua'][i % 3]!, price: Math.round(Math.random() * 1e6) / 100, sentAt: Date.now() + i });
    const raw = { value: JSON.parse(JSON.stringify(m)), headers: {} };
    assert.is(messageId(c, raw), `${m.run}:${m.seq}`);
    assert.is(sentAtOf(c, raw), m.sentAt);
    assert.is(isIntact(c, raw), true);
    const damaged = { ...m, price: m.price + 0.01 };
    assert.is(isIntact(c, { value: damaged, headers: {} }), priceIsIntact(damaged));
    assert.is(isIntact(c, { value: damaged, headers: {} }), false);
  }
  assert.is(messageId(c, { value: null, headers: {} }), null);
  assert.is(isIntact({ ...c, checksum: undefined }, { value: {}, headers: {} }), null, 'no checksum in the contract: cannot tell');
  assert.is(messageId({ ...c, id: ['header:x-id'] }, { value: {}, headers: { 'x-id': 'abc' } }), 'abc');
});

test('the generator\'s message: the reference template writes exactly the reference message, and the contract reads it back', () => {
  const c = sandboxProfile(parseConfig({})).profile.platform.kafka.contract;
  const codec = compileMessages(c);
  for (let i = 1; i <= 300; i++) {
    const f = { run: 1_700_000_000_000 + i, seq: i * 7919, commodity: ['brent', 'wti', 'carbon-eua'][i % 3]!, price: 100 + (i % 1000) / 100, sentAt: Date.now() + i };
    const out = codec.render(f);
    assert.is(out.value, JSON.stringify(makePrice(f)), 'byte for byte the reference message');
    assert.is(out.key, f.commodity);
    assert.is(codec.priceSeq(f.run)({ value: Buffer.from(out.value) }), f.seq);
    assert.is(codec.priceSeq(f.run + 1)({ value: Buffer.from(out.value) }), null, 'another run\'s message is not ours');
  }
});

test('the generator\'s message: another platform\'s template (nested value, run and checksum in headers) renders what its contract reads', () => {
  const c = parseProfile(sandboxText.replace('name: sandbox', 'name: other'), join(tmp, 'x.yaml'), {}).profile.platform.kafka.contract;
  const other: Contract = {
    ...c,
    id: ['header:x-run', '$.tick.n'], sentAt: '$.tick.ts',
    checksum: { at: 'header:x-sum', algorithm: 'sha256-hex16' as const, of: ['header:x-run', '$.tick.n', '$.sym', '$.px'], separator: '/' },
    predictionId: ['header:x-source-run', '$.source.n'],
    message: { key: 'px-{{commodity}}', value: { tick: { n: '{{seq}}', ts: '{{sentAt}}' }, sym: '{{commodity}}', px: '{{price}}', note: 'from run {{run}} "quoted"' }, headers: { 'X-Run': '{{run}}', 'x-sum': '{{checksum}}' } },
  };
  const codec = compileMessages(other);
  const out = codec.render({ run: 42, seq: 7, commodity: 'wti', price: 70.5, sentAt: 1_800_000_000_000 });
  assert.is(out.key, 'px-wti');
  assert.equal(JSON.parse(out.value), { tick: { n: 7, ts: 1_800_000_000_000 }, sym: 'wti', px: 70.5, note: 'from run 42 "quoted"' });
  assert.equal(Object.keys(out.headers!), ['X-Run', 'x-sum'], 'headers sent as the profile names them');
  const raw = { value: JSON.parse(out.value), headers: headersOf(out.headers) };
  assert.is(messageId(other, raw), '42:7');
  assert.is(sentAtOf(other, raw), 1_800_000_000_000);
  assert.is(isIntact(other, raw), true);
  assert.is(codec.priceSeq(42)({ value: Buffer.from(out.value), headers: { 'x-run': Buffer.from('42') } }), 7);
  assert.is(codec.priceSeq(43)({ value: Buffer.from(out.value), headers: { 'x-run': Buffer.from('42') } }), null);
  const prediction = { value: Buffer.from(JSON.stringify({ source: { n: 7 }, score: 1 })), headers: { 'x-source-run': Buffer.from('42') } };
  assert.is(codec.predictionSeq(42)(prediction), 7);
  // Templates the contract could not read back are refused before any load, naming the key.
  const refused = (m: Contract, why: RegExp) => {
    try { compileMessages(m); } catch (e) { assert.instance(e, UsageError); assert.match((e as Error).message, why); return; }
    assert.unreachable(`accepted: ${JSON.stringify(m.message)}`);
  };
  const msg = other.message!;
  refused({ ...other, message: { ...msg, headers: { 'x-sum': '{{checksum}}' } } }, /platform\.kafka\.contract\.message: the contract's id fields .* must read \{\{run\}\} and \{\{seq\}\}/);
  refused({ ...other, message: { ...msg, value: { ...msg.value, tick: { n: '{{seq}}', ts: 5 } } } }, /sentAt .* must read \{\{sentAt\}\}/);
  refused({ ...other, message: { ...msg, headers: { 'X-Run': '{{run}}' } } }, /must carry \{\{checksum\}\} where the contract reads it/);
  refused({ ...other, message: { ...msg, key: '{{symbol}}' } }, /message\.key: unknown field \{\{symbol\}\}/);
  refused({ ...other, message: undefined }, /platform\.kafka\.contract\.message: the Kafka scenarios write price messages/);
  refused({ ...other, message: { ...msg, value: { ...msg.value, note: 'at {{sent_at}}' } } }, /message\.value\.note: unknown field \{\{sent_at\}\}/);
  refused({ ...other, message: { ...msg, headers: { ...msg.headers, 'x-RUN': '{{run}}' } } }, /message\.headers: names header x-run twice/);
  refused({ ...other, checksum: undefined, message: msg }, /uses \{\{checksum\}\}, but the contract names no checksum/);
  refused({ ...other, predictionId: ['$.source.n'] }, /predictionId: names 1 fields; id names 2/);
});

test('CLI: --profile and HARNESS_PROFILE are validated before anything runs; "sandbox" is reserved; init writes a starter', () => {
  const empty = cli(['--profile', '', 'check', 'daily']);
  assert.is(empty.code, 2);
  assert.match(empty.stderr, '--profile');
  const missing = cli(['check', 'daily'], { HARNESS_PROFILE: join(tmp, 'nope.yaml') });
  assert.is(missing.code, 2);
  assert.match(missing.stderr, 'HARNESS_PROFILE');
  const impostor = join(tmp, 'impostor.yaml');
  writeFileSync(impostor, sandboxText.replace('127.0.0.1:18080', '10.0.0.1:18080'));
  const r = cli(['--profile', impostor, 'gate', '--only', 'inference-latency']);
  assert.is(r.code, 2);
  assert.match(r.stderr, `${impostor}: name`);
  const printed = cli(['sandbox', 'profile']);
  assert.is(printed.code, 0);
  assert.is(parseYaml(printed.stdout).name, 'sandbox');
  const schema = cli(['profile', 'schema']);
  assert.equal(JSON.parse(schema.stdout), JSON.parse(readFileSync(join(projectRoot, 'docs', 'profile.schema.json'), 'utf8')));
  const out = join(tmp, 'init', 'mine.yaml');
  mkdirSync(join(tmp, 'init'));
  assert.is(cli(['init', '-o', out]).code, 0);
  assert.ok(existsSync(out));
  assert.match(readFileSync(out, 'utf8'), `$schema=${join(projectRoot, 'docs', 'profile.schema.json')}`);
  const again = cli(['init', '-o', out]);
  assert.is(again.code, 2);
  assert.match(again.stderr, '--force');
});

test.run();
