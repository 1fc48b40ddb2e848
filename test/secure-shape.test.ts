/**
 * The second sandbox shape (test/shapes/secure.yaml): other names everywhere, Kafka only through
 * SASL_SSL with SCRAM-SHA-512 and its own CA, PostgreSQL over TLS with a password, Prometheus and
 * Alertmanager behind basic auth, other SLO targets. Every command runs from its profile file
 * alone (`--profile`): nothing here passes the shape's config to them.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { loadConfig, sandboxDir } from '../core/config.ts';
import { projectRoot } from '../core/paths.ts';
import type { Check, RunRecord } from '../core/record.ts';
import { spawn, spawnSync } from 'node:child_process';
import { cli as runCli } from './support.ts';
import { brokerApiVersions } from './kafka-tools.ts';

const CONFIG = join(projectRoot, 'test', 'shapes', 'secure.yaml');
const cfg = loadConfig(CONFIG);
const dir = sandboxDir(cfg);
const shape = suite('secure shape');

/** The shape's profile with its own name and targets, beside the one `sandbox up` wrote (its ${file:} paths are relative to it). */
function profileVariant(name: string, edit: (p: Record<string, any>) => void = () => {}): string {
  const p = parseYaml(readFileSync(join(dir, 'profile.yaml'), 'utf8')) as Record<string, any>;
  p.name = name;
  // Other SLO targets than the seed's: the shape's feed runs at 2,000 msg/s, and its pods must be back in 20 s.
  p.slos = { kafkaThroughputMsgS: 1500, consumerLagS: 8, podRecoveryS: 20, inferenceP95Ms: 150, featureFreshnessS: 90 };
  edit(p);
  const f = join(dir, `profile-${name}.yaml`);
  writeFileSync(f, stringify(p), { mode: 0o600 });
  return f;
}

/** Everything every command printed in this file, searched for the shape's secrets at the end. */
const printed: Array<{ argv: string; text: string }> = [];
const cli = (...a: Parameters<typeof runCli>) => {
  const r = runCli(...a);
  printed.push({ argv: a[0].join(' '), text: `${r.stdout}\n${r.stderr}` });
  return r;
};
const SECRETS = [cfg.sandbox.security.password, cfg.sandbox.postgres.password];

/**
 * Every process's arguments, sampled every 100 ms by a process of its own (the commands run
 * synchronously here) while the shape's commands run: a secret on a command line is readable by
 * any local user. The secrets reach the sampler through its environment, never its arguments.
 */
const argvLeaks = join(mkdtempSync(join(tmpdir(), 'argv-')), 'leaks.txt');
const SAMPLER = `
const fs = require('node:fs');
const secrets = JSON.parse(process.env.SAMPLER_SECRETS);
const seen = new Set();
setInterval(() => {
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let cmd = '';
    try { cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').join(' '); } catch { continue; }
    for (const s of secrets) if (cmd.includes(s) && !seen.has(pid + s)) { seen.add(pid + s); fs.appendFileSync(process.argv[1], pid + ': ' + cmd.slice(0, 300) + '\\n'); }
  }
}, 100);`;
let sampler: ReturnType<typeof spawn> | null = null;

let healthy = '';
const runs = mkdtempSync(join(tmpdir(), 'secure-runs-'));
const env = { CARBON_HARNESS_RUNS: runs };
const run = (args: string[], timeoutMs = 240_000) => {
  const r = cli(['--json', '--quiet', ...args], env, timeoutMs);
  let rec: RunRecord | null = null;
  try { rec = JSON.parse(r.stdout) as RunRecord; } catch { /* printed its error on stderr */ }
  return { ...r, rec, byId: (id: string): Check => rec?.checks.find((c) => c.id === id) ?? assert.unreachable(`no ${id}: ${r.stderr.slice(-800)}`) as never };
};
const fault = (...knobs: string[]) => assert.is(cli(['-c', CONFIG, '--quiet', 'sandbox', 'fault', '--clear', ...knobs]).code, 0);
const notPassing = (rec: RunRecord | null) => (rec?.checks ?? []).filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.status} ${c.observed} (${c.evidence.what})`).join('\n');

shape.before(() => {
  const up = cli(['-c', CONFIG, 'sandbox', 'up'], {}, 900_000);
  // uvu prints nothing of a failed hook: what `sandbox up` said goes to stderr, where npm test shows it.
  if (up.code !== 0) process.stderr.write(`secure shape: sandbox up exited ${up.code}:\n${up.stdout.slice(-4000)}\n${up.stderr.slice(-4000)}\n`);
  assert.is(up.code, 0, `the secured shape came up:\n${up.stdout.slice(-2000)}${up.stderr.slice(-2000)}`);
  healthy = profileVariant('secure');
  writeFileSync(argvLeaks, '');
  sampler = spawn(process.execPath, ['-e', SAMPLER, argvLeaks], { stdio: 'ignore', env: { ...process.env, SAMPLER_SECRETS: JSON.stringify(SECRETS) } });
});
shape.after.each(() => fault());
shape.after(() => { sampler?.kill(); cli(['-c', CONFIG, '--quiet', 'sandbox', 'down'], {}, 120_000); });

shape('its profile names its own names and secured connections, not the defaults\'', () => {
  const p = parseYaml(readFileSync(healthy, 'utf8'));
  assert.equal(p.platform.kafka.topics, { prices: 'market-ticks', predictions: 'model-scores' });
  assert.is(p.platform.kafka.consumerGroup, 'scoring');
  assert.is(p.platform.kafka.sasl.mechanism, 'scram-sha-512');
  assert.is(p.platform.kafka.tls.ca, '${file:tls/ca.crt}');
  assert.ok(p.platform.featureStore.tls, 'PostgreSQL over TLS');
  assert.ok(p.platform.prometheus.auth.basicAuth && p.platform.alertmanager.auth.basicAuth, 'basic auth');
  assert.equal(Object.keys(p.platform.kubernetes.namespaces), ['risk']);
  assert.equal(Object.keys(p.platform.kubernetes.namespaces.risk.deployments), ['scorer']);
});

shape('profile check: every part reachable with the profile\'s credentials (0); wrong SASL password, no TLS, no basic auth: exit 3 naming the cause; Kafka\'s own tool agrees on both logins', async () => {
  const ok = run(['--profile', healthy, 'profile', 'check'], 120_000);
  assert.is(ok.code, 0, notPassing(ok.rec));
  for (const c of ok.rec!.checks) assert.is(c.status, 'pass', `${c.id}: ${c.evidence.what}`);
  assert.match(ok.byId('profile.kafka').evidence.how, 'SASL scram-sha-512');

  const t0 = Date.now();
  const wrong = profileVariant('bad-sasl', (p) => { p.platform.kafka.sasl.password = 'not-the-password'; });
  const badSasl = run(['--profile', wrong, 'profile', 'check'], 120_000);
  assert.is(badSasl.code, 3, badSasl.stderr);
  assert.match(badSasl.byId('profile.kafka').evidence.what, 'SASL');
  assert.ok(Date.now() - t0 < 60_000, `refused, not hung (${Date.now() - t0} ms)`);
  // The daily check cannot measure Kafka with refused credentials: an error naming SASL (exit 3), not a platform failure.
  const daily = run(['--profile', wrong, 'check', 'daily', '--window', '5s'], 120_000);
  assert.is(daily.code, 3, notPassing(daily.rec));
  assert.is(daily.byId('daily.kafka.reachable').status, 'error');
  assert.match(daily.byId('daily.kafka.reachable').evidence.what, 'SASL scram-sha-512 login refused');

  // Without TLS and SASL neither Kafka nor PostgreSQL lets the harness in: the shape has no plaintext way in.
  const plain = run(['--profile', profileVariant('plain', (p) => { delete p.platform.kafka.sasl; delete p.platform.kafka.tls; delete p.platform.featureStore.tls; }), 'profile', 'check'], 120_000);
  assert.is(plain.code, 3);
  assert.is(plain.byId('profile.kafka').status, 'error');
  assert.is(plain.byId('profile.feature-store').status, 'error');
  assert.match(plain.byId('profile.feature-store').evidence.what, /no encryption|pg_hba|SSL/i);

  // Kafka's own tool, given the same credentials as a client config, agrees on both logins.
  const clientConfig = (password: string) => {
    const f = join(dir, `client-${password.length}.properties`);
    writeFileSync(f, ['security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${cfg.sandbox.security.user}" password="${password}";`,
      'ssl.truststore.type=PEM', `ssl.truststore.location=${join(dir, 'tls', 'ca.crt')}`, 'request.timeout.ms=15000', 'default.api.timeout.ms=30000', ''].join('\n'), { mode: 0o600 });
    return f;
  };
  const broker = `${cfg.sandbox.host}:${cfg.sandbox.ports.kafka}`;
  const [toolOk, toolBad] = await Promise.all([brokerApiVersions(cfg.sandbox, broker, clientConfig(cfg.sandbox.security.password)), brokerApiVersions(cfg.sandbox, broker, clientConfig('not-the-password'))]);
  assert.is(toolOk.code, 0, `kafka-broker-api-versions with the profile's credentials: ${toolOk.out.slice(-1500)}`);
  assert.match(toolOk.out, new RegExp(`${broker.replace(/\./g, '\\.')} \\(id: \\d+`));
  // The same broker let the tool in a moment ago with the right password: this refusal is the login's.
  assert.is.not(toolBad.code, 0, 'the tool is refused the wrong password too');
  assert.match(toolBad.out, /SaslAuthenticationException|Authentication failed|failed on brokers/);

  const noAuth = run(['--profile', profileVariant('no-auth', (p) => { delete p.platform.prometheus.auth; delete p.platform.alertmanager.auth; }), 'profile', 'check'], 120_000);
  assert.is(noAuth.code, 3);
  assert.match(noAuth.byId('profile.prometheus').evidence.what, '401');
  assert.match(noAuth.byId('profile.alertmanager').evidence.what, '401');
});

shape('check daily: every check passes on the healthy shape; lost messages fail it', async () => {
  const ok = run(['--profile', healthy, 'check', 'daily', '--window', '10s']);
  assert.is(ok.code, 0, notPassing(ok.rec));
  assert.is(ok.rec!.platform, 'secure');
  assert.is(ok.rec!.profile!.source, healthy);
  assert.match(ok.byId('daily.kafka.throughput').title, 'market-ticks');
  assert.is(ok.byId('daily.kafka.throughput').target, '>=1500', 'the profile\'s target, not the seed\'s');
  assert.is(ok.byId('daily.consumers.replicas').observed, '2/2');
  assert.match(ok.byId('daily.kube.replicas').title, 'scorer');
  fault('consumer-drop-rate=0.05');
  await sleep(12_000); // the integrity window ends 10 s before the check starts
  const bad = run(['--profile', healthy, 'check', 'daily', '--window', '6s']);
  assert.is(bad.code, 1);
  assert.is(bad.byId('daily.integrity.loss').status, 'fail');
});

shape('gate: the scenarios pass through SASL_SSL, TLS and the profile\'s names; a slow API fails it', () => {
  const only = ['--only', 'inference-latency,feature-store-query,consumer-lag', '--duration', '5s'];
  const ok = run(['--profile', healthy, 'gate', ...only]);
  assert.is(ok.code, 0, notPassing(ok.rec));
  // Messages went to the profile's prices topic and were followed back from its predictions topic.
  const e2e = ok.rec!.checks.find((c) => c.id.includes('consumer-lag') && c.id.includes('kafka_e2e_delivered'));
  assert.is(e2e?.status, 'pass', notPassing(ok.rec));
  assert.match(JSON.stringify(ok.rec!.data.scenarios), 'market-ticks');
  // Judged against the shape's own targets (slos.inferenceP95Ms 150, consumerLagS 8), not the seed's.
  const ids = ok.rec!.checks.map((c) => c.id);
  assert.ok(ids.includes('inference-latency:http_req_duration:p(95)<150'), ids.join(', '));
  assert.ok(ids.includes('consumer-lag:kafka_e2e_latency:p(95)<8000'), ids.join(', '));
  fault('inference-latency-ms=200');
  const bad = run(['--profile', healthy, 'gate', '--only', 'inference-latency', '--duration', '4s']);
  assert.is(bad.code, 1);
  assert.ok(bad.rec!.checks.some((c) => c.status === 'fail' && c.id.includes('http_req_duration')), notPassing(bad.rec));
});

shape('drill pod-kill: the profile\'s deployment recovers, its alert fires, nothing is lost; a pod slower than the profile\'s recovery target fails it', () => {
  const ok = run(['--profile', healthy, 'drill', 'pod-kill', '--target', 'deployment/scorer'], 300_000);
  assert.is(ok.code, 0, notPassing(ok.rec));
  assert.is(ok.byId('drill.recovery').target, '<20s', 'the profile\'s podRecoveryS');
  assert.is(ok.byId('drill.alert').status, 'pass');
  assert.is(ok.byId('drill.integrity.loss').status, 'pass');
  // A replacement that takes 24 s to be Ready misses the profile's 20 s (it would pass the seed's 30 s).
  fault('ready-delay-s=24');
  const slow = run(['--profile', healthy, 'drill', 'pod-kill', '--target', 'deployment/scorer', '--alert-wait', '5s'], 300_000);
  assert.is(slow.code, 1, notPassing(slow.rec));
  assert.is(slow.byId('drill.recovery').status, 'fail');
  const took = slow.byId('drill.recovery').observed as number;
  assert.ok(took >= 20 && took < 30, `recovered in ${took} s`);
});

shape('report week1: the shape\'s own records pass; a faulted day fails it', async () => {
  const fx = (f: string) => join(projectRoot, 'test', 'fixtures', f);
  const healthyRuns = mkdtempSync(join(tmpdir(), 'secure-week-'));
  const daily = run(['--profile', healthy, 'check', 'daily', '--window', '6s']);
  assert.is(daily.code, 0, notPassing(daily.rec));
  cpSync(join(runs, daily.rec!.id), join(healthyRuns, daily.rec!.id), { recursive: true });
  const week = (from: string) => run(['--profile', healthy, 'report', 'week1', '--from', from, '--since', new Date(Date.now() - 3_600_000).toISOString(), '--incidents', fx('incidents-empty.csv'), '--feedback', fx('feedback.csv')]);
  const good = week(healthyRuns);
  const rows = good.rec!.checks;
  assert.is(rows.find((c) => c.id === 'week1.response-time-p95')?.target, '<150', 'the shape\'s own p95 target');
  for (const slug of ['platform-health', 'uptime', 'error-rate', 'workflow-success-rate']) {
    const r = rows.find((c) => c.id.endsWith(slug));
    assert.ok(r, `row ${slug}: ${rows.map((c) => c.id).join(', ')}`);
    assert.is(r!.status, 'pass', `${slug}: ${r!.evidence.what}`);
  }
  fault('inference-error-rate=0.2');
  // The error rate looks back over the window before the check starts: let the faulted traffic fill it.
  await sleep(7_000);
  const bad = run(['--profile', healthy, 'check', 'daily', '--window', '6s']);
  assert.is(bad.byId('daily.error-rate').status, 'fail');
  cpSync(join(runs, bad.rec!.id), join(healthyRuns, bad.rec!.id), { recursive: true });
  const worse = week(healthyRuns);
  assert.is(worse.code, 1);
  assert.is(worse.rec!.checks.find((c) => c.id.endsWith('error-rate'))!.status, 'fail');
});

shape('no secret leaves: the shape\'s passwords appear in no record, report, JUnit or summary the runs wrote, nothing they printed, and no process\'s arguments', () => {
  const secrets = SECRETS;
  const leaks: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) { walk(p); continue; }
      const text = readFileSync(p, 'utf8');
      for (const s of secrets) if (text.includes(s)) leaks.push(`${p} holds ${s === secrets[0] ? 'the SCRAM/basic-auth' : 'the PostgreSQL'} password`);
    }
  };
  walk(runs);
  assert.ok(readdirSync(runs).length >= 10, `${readdirSync(runs).length} runs read`);
  // Printed: `sandbox up` may show its own configuration's names, never a password.
  assert.ok(printed.length >= 15, `${printed.length} commands' output read`);
  for (const p of printed) for (const s of secrets) if (p.text.includes(s)) leaks.push(`the output of \`${p.argv}\` holds ${s === secrets[0] ? 'the SCRAM/basic-auth' : 'the PostgreSQL'} password`);
  // The sampler can see a secret on a command line: a process of this test's own shows it one.
  assert.ok(sampler && sampler.exitCode === null, 'the sampler is running');
  // Two commands, so bash stays (a lone command it would exec, and its arguments would be gone).
  spawnSync('bash', ['-c', 'sleep 0.6; true', 'sampler-control', secrets[0]!]);
  spawnSync('sleep', ['0.3']);
  sampler!.kill();
  const lines = readFileSync(argvLeaks, 'utf8').split('\n').filter(Boolean);
  assert.ok(lines.some((l) => l.includes('sampler-control')), 'the sampler caught the control process');
  for (const line of lines.filter((l) => !l.includes('sampler-control'))) leaks.push(`a process's arguments: ${line.replace(secrets[0]!, '<SCRAM>').replace(secrets[1]!, '<PG>')}`);
  assert.equal(leaks, []);
});

shape.run();
