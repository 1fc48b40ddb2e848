/**
 * The bad-input corpus: every command, flag, config and profile key, scenario file and input file
 * a user can get wrong, each answered before anything runs — exit 2, the flag, key or
 * `file:line: field` named, no stack trace, no record written, no sandbox state touched. Runs the
 * CLI in-process (no sandbox needed). Then property tests (fast-check) over the parsers: whatever
 * the text, a UsageError or a value, never an uncaught exception.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { main } from '../cli/main.ts';
import { parseConfig, loadConfig, sandboxDir } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { parseProfile } from '../profile/load.ts';
import { sandboxProfileValues } from '../sandbox/profile.ts';
import { parseThresholds, parseDuration, ThresholdError } from '../scenarios/thresholds.ts';
import { parseScenarioFile } from '../scenarios/file.ts';
import { parseCsv, parseFeedback, parseIncidents } from '../reports/inputs.ts';
import { SEED_SLOS } from '../profile/schema.ts';
import { durationFlag } from '../cli/options.ts';

const dir = mkdtempSync(join(tmpdir(), 'bad-input-'));
const runs = join(dir, 'runs');
mkdirSync(runs);
process.env.CARBON_HARNESS_RUNS = runs;
delete process.env.HARNESS_PROFILE;
const f = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
// A sandbox of its own, on ports nothing listens on: an input that slipped through validation can
// only fail to connect, never load or fault a sandbox that is running.
const ports = Object.fromEntries(Object.entries(parseConfig({}).sandbox.ports).map(([k, v]) => [k, v + 30_000]));
const isolated = { sandbox: { dir: join(dir, 'sandbox'), ports } };
const CONFIG = f('isolated.yaml', stringify(isolated));
const faultsFile = join(sandboxDir(parseConfig(isolated)), 'faults.json');

/** A profile file: the isolated sandbox's values under another name, edited. */
function profile(name: string, edit: (p: Record<string, any>) => void): string {
  const v = sandboxProfileValues(parseConfig(isolated)) as Record<string, any>;
  v.name = 'corpus';
  edit(v);
  return f(name, stringify(v));
}

async function run(argv: string[]): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  let out = '';
  const [ew, ow] = [process.stderr.write.bind(process.stderr), process.stdout.write.bind(process.stdout)];
  process.stderr.write = ((c: string | Uint8Array) => { err += String(c); return true; }) as typeof process.stderr.write;
  process.stdout.write = ((c: string | Uint8Array) => { out += String(c); return true; }) as typeof process.stdout.write;
  try {
    const code = await Promise.race([main(argv), new Promise<number>((r) => setTimeout(() => r(-1), 10_000))]);
    return { code, err, out };
  } finally {
    process.stderr.write = ew;
    process.stdout.write = ow;
    process.exitCode = undefined;
  }
}

const incidentsHeader = 'id,severity,detected,responded,resolved,summary\n';
const feedbackHeader = 'user,score,comment,date\n';
const scenario = (body: string) => `scenarios:\n  probe:\n    target: { kind: http }\n    executor: constant-arrival-rate\n${body}`;
const probeOk = "    rate: 10\n    duration: 5s\n    preAllocatedVUs: 2\n    thresholds:\n      dropped_iterations{scenario:probe}: ['count==0']\n";

/** [what, argv, what the error must name]. */
const CORPUS: Array<[string, string[], RegExp]> = [];
const add = (what: string, argv: string[], names: RegExp) => CORPUS.push([what, argv, names]);

// Durations: every flag that takes one refuses a number without a unit, nonsense, zero and overflow.
const DURATION_FLAGS: Array<[string[], string]> = [
  [['gate'], '--duration'], [['run', 'inference-latency'], '--duration'], [['check', 'daily'], '--window'],
  [['drill', 'pod-kill', '--target', 'deployment/prediction-consumer'], '--recovery-slo'],
  [['drill', 'pod-kill', '--target', 'deployment/prediction-consumer'], '--alert-wait'],
  [['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--with-load', 'consumer-lag'], '--load-duration'],
  [['start'], '--duration'], [['start'], '--window'],
];
for (const [cmd, flag] of DURATION_FLAGS) {
  for (const v of ['10', 'abc', '0s', '99999h', '-5s', '1x', '']) add(`${cmd[0]} ${flag} ${JSON.stringify(v)}`, [...cmd, flag, v], new RegExp(flag));
}
// Rates and counts.
for (const v of ['0', '-1', 'abc', '1e12', 'Infinity', 'NaN']) add(`run --rate ${v}`, ['run', 'inference-latency', '--rate', v], /--rate|option/);
for (const v of ['0', '101', '1.5', 'x']) add(`gate k6-operator --parallelism ${v}`, ['gate', '--engine', 'k6-operator', '--parallelism', v], /--parallelism/);
for (const v of ['0', '-1', '1.5', 'two']) add(`drill --count ${v}`, ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--count', v], /--count/);
for (const v of ['-1', '1.5', 'x']) add(`drill --grace-period ${v}`, ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--grace-period', v], /--grace-period/);
// Choices and names.
add('gate --engine jmeter', ['gate', '--engine', 'jmeter'], /--engine/);
add('gate --suite nope', ['gate', '--suite', 'nope'], /--suite/);
add('gate --only ,', ['gate', '--only', ','], /--only/);
add('gate --only nope', ['gate', '--only', 'nope'], /--only/);
add('gate --only with a blank', ['gate', '--only', ' '], /--only/);
add('gate --junit ""', ['gate', '--junit', ''], /--junit/);
add('gate --summary ""', ['gate', '--summary', ''], /--summary/);
add('run an unknown scenario', ['run', 'nope'], /<scenario>/);
add('run without a scenario', ['run'], /scenario/);
add('drill without --target', ['drill', 'pod-kill'], /--target/);
add('drill --target without kind', ['drill', 'pod-kill', '--target', 'prediction-consumer'], /--target/);
add('drill --target a statefulset', ['drill', 'pod-kill', '--target', 'statefulset/kafka'], /--target/);
add('drill --target not marked drill', ['drill', 'pod-kill', '--target', 'deployment/inference-api'], /inference-api|drill/);
add('drill --schedule out of range', ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--via', 'chaos-mesh', '--schedule', '61 * * * *'], /--schedule/);
add('drill --schedule with four fields', ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--via', 'chaos-mesh', '--schedule', '0 10 * *'], /--schedule.*five-field/);
add('drill --schedule @every without unit', ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--via', 'chaos-mesh', '--schedule', '@every 30'], /--schedule.*Go duration/);
add('drill --schedule @every too often', ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--via', 'chaos-mesh', '--schedule', '@every 2s'], /--schedule.*every 10 s/);
add('drill --schedule through the API', ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--schedule', '@daily'], /--schedule.*--via chaos-mesh/);
add('drill --schedule with load', ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--via', 'chaos-mesh', '--schedule', '@daily', '--with-load', 'consumer-lag'], /--schedule.*--with-load/);
add('drill follow without --schedule', ['drill', 'follow'], /--schedule/);
add('drill follow --timeout without unit', ['drill', 'follow', '--schedule', 'x', '--timeout', '30'], /--timeout/);
add('drill -n another namespace', ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '-n', 'kube-system'], /kube-system|namespace/);
add('drill --via ssh', ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--via', 'ssh'], /--via/);
add('drill --with-load nope', ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--with-load', 'nope'], /--with-load/);
add('report --format pdf', ['report', 'week1', '--format', 'pdf'], /--format/);
add('report --format ""', ['report', 'week1', '--format', ''], /--format/);
add('report --format ,', ['report', 'week1', '--format', ','], /--format/);
add('report --since words', ['report', 'week1', '--since', 'last tuesday'], /--since/);
add('report --until words', ['report', 'week1', '--until', 'tomorrow'], /--until/);
add('report --since after --until', ['report', 'week1', '--since', '2026-11-20', '--until', '2026-11-10'], /--since/);
add('report --since an impossible date', ['report', 'week1', '--since', '2026-13-45'], /--since/);
add('report --from a missing folder', ['report', 'week1', '--from', join(dir, 'nope')], /--from/);
add('report --from a file', ['report', 'week1', '--from', f('not-a-dir', 'x')], /--from/);
add('report --out ""', ['report', 'week1', '--out', ''], /--out/);
add('sandbox fault unknown knob', ['sandbox', 'fault', 'nope=1'], /nope/);
add('sandbox fault no value', ['sandbox', 'fault', 'inference-latency-ms'], /inference-latency-ms/);
add('sandbox fault not a number', ['sandbox', 'fault', 'inference-latency-ms=abc'], /inference-latency-ms/);
add('sandbox fault negative', ['sandbox', 'fault', 'inference-latency-ms=-5'], /inference-latency-ms/);
add('sandbox fault rate above 1', ['sandbox', 'fault', 'inference-error-rate=2'], /inference-error-rate/);
add('sandbox fault overflow', ['sandbox', 'fault', 'consumer-delay-ms=1e999'], /consumer-delay-ms/);
add('sandbox fault both a knob and --clear', ['sandbox', 'fault', '--clear', 'nope=1'], /nope/);
add('sandbox up --only ,', ['sandbox', 'up', '--only', ','], /--only/);
add('sandbox up --only nope', ['sandbox', 'up', '--only', 'nope'], /--only/);
add('sandbox down --only nope', ['sandbox', 'down', '--only', 'nope'], /--only/);
add('init -o ""', ['init', '-o', ''], /--output/);
add('init over an existing file', ['init', '-o', f('exists.yaml', 'x')], /--output/);
add('an unknown command', ['depoly'], /depoly|command/);
add('an unknown option', ['gate', '--fast'], /--fast/);
add('start --profile', ['--profile', join(dir, 'x.yaml'), 'start'], /--profile/);
add('start --incidents missing', ['start', '--incidents', join(dir, 'nope.csv')], /--incidents/);
add('start --feedback a folder', ['start', '--feedback', dir], /--feedback/);

// Baselines.
add('gate --baseline a run that does not exist', ['gate', '--baseline', 'no-such-run'], /--baseline: no run "no-such-run"/);
add('gate --baseline ""', ['gate', '--baseline', ''], /--baseline: names no run/);
add('gate --baseline latest-pass with none', ['gate', '--baseline', 'latest-pass'], /--baseline: latest-pass: no passing/);
add('gate --baseline a file that is not a record', ['gate', '--baseline', f('not-a-record.json', '{"id": 1}')], /--baseline: .*not the record of a load run/);
for (const [flag, v] of [['--alpha', '2'], ['--alpha', 'x'], ['--min-delta-pct', '-1'], ['--min-delta-ms', 'abc'], ['--min-error-pts', '101']] as const) {
  add(`run ${flag} ${v}`, ['run', 'inference-latency', '--baseline', 'latest-pass', flag, v], new RegExp(`${flag}: "${v}": expected a number`));
}
add('compare without runs', ['compare'], /baseline|argument/);
add('compare a missing run', ['compare', 'nope-1', 'nope-2'], /<current>: no run "nope-2"/);

// Judging a stored run again.
add('judge without a run', ['judge'], /run|argument/);
add('judge a missing run', ['judge', 'no-such-run'], /<run>: no run "no-such-run"/);
add('judge a file that is not a record', ['judge', f('not-a-record-2.json', '[1, 2]')], /<run>: .*not a run record/);
add('judge a record from a newer harness', ['judge', f('future.json', JSON.stringify({ schemaVersion: 99, id: 'x', kind: 'gate', platform: 'corpus', status: 'pass', checks: [], data: {} }))], /<run>: .*written by a newer harness/);
add('judge a daily record whose stored evidence is damaged', ['judge', f('bad-daily.json', JSON.stringify({ schemaVersion: 2, id: 'x', kind: 'daily', startedAt: '2026-12-01T00:00:00Z', platform: 'corpus', status: 'pass', checks: [], data: { evidence: { windowS: 10, kafka: 7 } } }))], /<run>: .*data\.evidence\.kafka: .*record schema 2/);
add('judge a drill record whose observation is damaged', ['judge', f('bad-drill.json', JSON.stringify({ id: 'x', kind: 'drill', startedAt: '2026-12-01T00:00:00Z', platform: 'corpus', status: 'pass', checks: [], data: { observation: { timeline: 'soon' } } }))], /<run>: .*data\.observation\.timeline: /);
add('judge another platform\'s run', ['judge', f('other-platform.json', JSON.stringify({ id: 'x', kind: 'gate', platform: 'prod', status: 'pass', checks: [], data: {} }))], /<run>: x measured platform "prod"/);

// Global options: config and profile files.
add('-c ""', ['-c', '', 'gate'], /--config/);
add('-c missing', ['-c', join(dir, 'nope.yaml'), 'gate'], /--config/);
add('-c a folder', ['-c', dir, 'gate'], /--config/);
add('--profile ""', ['--profile', '', 'gate'], /--profile/);
add('--profile missing', ['--profile', join(dir, 'nope.yaml'), 'gate'], /--profile/);
add('--profile a folder', ['--profile', dir, 'check', 'daily'], /--profile/);
const CONFIGS: Array<[string, string, RegExp]> = [
  ['unknown top key', 'sandboxx: {}\n', /:1: sandboxx/],
  ['unknown nested key', 'sandbox:\n  kafka:\n    partitons: 3\n', /:3: sandbox\.kafka\.partitons/],
  ['port as a string', 'sandbox:\n  ports:\n    kafka: x\n', /:3: sandbox\.ports\.kafka/],
  ['port out of range', 'sandbox:\n  ports:\n    kafka: 70000\n', /sandbox\.ports\.kafka/],
  ['two parts on one port', 'sandbox:\n  ports:\n    postgres: 19092\n', /sandbox\.ports\.postgres.*also ports\.kafka/],
  ['a replica port on another part', 'sandbox:\n  ports:\n    inferenceApi: 18091\n', /sandbox\.ports\.consumerBase/],
  ['empty sandbox dir', 'sandbox:\n  dir: ""\n', /sandbox\.dir/],
  ['replicas 0', 'sandbox:\n  consumers:\n    replicas: 0\n', /sandbox\.consumers\.replicas/],
  ['feed rate above its bound', 'sandbox:\n  priceFeed:\n    rate: 1000000\n', /sandbox\.priceFeed\.rate/],
  ['drills maxPods 0', 'drills:\n  maxPods: 0\n', /drills\.maxPods/],
  ['drills maxPercent 200', 'drills:\n  maxPercent: 200\n', /drills\.maxPercent/],
  ['k6Operator namespace not DNS', 'k6Operator:\n  namespace: Load_Testing\n', /k6Operator\.namespace/],
  ['a missing variable', 'sandbox:\n  postgres:\n    password: ${NO_SUCH_VAR_HERE}\n', /sandbox\.postgres\.password/],
  ['not YAML', 'sandbox: [\n', /not valid YAML/],
  ['a list, not a mapping', '- a\n- b\n', /expected a YAML mapping/],
  ['weak SCRAM password', 'sandbox:\n  security:\n    password: short\n', /sandbox\.security\.password/],
];
CONFIGS.forEach(([what, text, names], i) => add(`config: ${what}`, ['-c', f(`config-${i}.yaml`, text), 'gate'], names));

const PROFILES: Array<[string, (p: Record<string, any>) => void, RegExp]> = [
  ['unknown key', (p) => { p.platfrom = {}; }, /platfrom/],
  ['name reserved for the sandbox', (p) => { p.name = 'sandbox'; }, /name/],
  ['name with spaces', (p) => { p.name = 'my staging'; }, /name/],
  ['broker without port', (p) => { p.platform.kafka.brokers = ['kafka']; }, /platform\.kafka\.brokers\.0/],
  ['no brokers', (p) => { p.platform.kafka.brokers = []; }, /platform\.kafka\.brokers/],
  ['SASL mechanism unknown', (p) => { p.platform.kafka.sasl = { mechanism: 'gssapi', username: 'u', password: 'p' }; }, /platform\.kafka\.sasl\.mechanism/],
  ['SASL without password', (p) => { p.platform.kafka.sasl = { mechanism: 'plain', username: 'u' }; }, /platform\.kafka\.sasl\.password/],
  ['TLS CA not PEM', (p) => { p.platform.kafka.tls = { ca: 'not a certificate' }; }, /platform\.kafka\.tls/],
  ['TLS cert without key', (p) => { p.platform.kafka.tls = { cert: '-----BEGIN CERTIFICATE-----\nx' }; }, /platform\.kafka\.tls/],
  ['topic with a space', (p) => { p.platform.kafka.topics.prices = 'commodity prices'; }, /platform\.kafka\.topics\.prices/],
  ['contract id empty', (p) => { p.platform.kafka.contract.id = []; }, /platform\.kafka\.contract\.id/],
  ['contract path malformed', (p) => { p.platform.kafka.contract.sentAt = 'sentAt'; }, /platform\.kafka\.contract\.sentAt/],
  ['checksum algorithm unknown', (p) => { p.platform.kafka.contract.checksum.algorithm = 'md5'; }, /platform\.kafka\.contract\.checksum\.algorithm/],
  ['message value not an object', (p) => { p.platform.kafka.contract.message.value = 'x'; }, /platform\.kafka\.contract\.message\.value/],
  ['feature store not postgres', (p) => { p.platform.featureStore.url = 'mysql://x/y'; }, /platform\.featureStore\.url/],
  ['two SQL statements', (p) => { p.platform.featureStore.queries.representative = 'SELECT 1; DROP TABLE features'; }, /platform\.featureStore\.queries\.representative/],
  ['inference URL with credentials', (p) => { p.platform.inferenceApi.url = 'http://u:p@api:8080'; }, /platform\.inferenceApi\.url/],
  ['inference URL not http', (p) => { p.platform.inferenceApi.url = 'ftp://api'; }, /platform\.inferenceApi\.url/],
  ['request path without slash', (p) => { p.platform.inferenceApi.request.path = 'v1/predict'; }, /platform\.inferenceApi\.request\.path/],
  ['bad header name', (p) => { p.platform.inferenceApi.request.headers = { 'bad header': 'x' }; }, /platform\.inferenceApi\.request\.headers/],
  ['no commodities', (p) => { p.platform.inferenceApi.commodities = []; }, /platform\.inferenceApi\.commodities/],
  ['Prometheus without SLIs', (p) => { delete p.platform.slis; }, /platform\.slis/],
  ['SLIs without Prometheus', (p) => { delete p.platform.prometheus; }, /platform\.prometheus/],
  ['auth both bearer and basic', (p) => { p.platform.prometheus.auth = { bearerToken: 't', basicAuth: { username: 'u', password: 'p' } }; }, /platform\.prometheus\.auth/],
  ['deployment replicas 0', (p) => { p.platform.kubernetes.namespaces.ml.deployments['prediction-consumer'].replicas = 0; }, /replicas/],
  ['namespace not DNS', (p) => { p.platform.kubernetes.namespaces.ML = p.platform.kubernetes.namespaces.ml; }, /platform\.kubernetes\.namespaces/],
  ['feature-store query timeout negative', (p) => { p.platform.featureStore.queryTimeoutS = -5; }, /platform\.featureStore\.queryTimeoutS/],
  ['feature-store query timeout above an hour', (p) => { p.platform.featureStore.queryTimeoutS = 3601; }, /platform\.featureStore\.queryTimeoutS/],
  ['Kubernetes request timeout 0', (p) => { p.platform.kubernetes.requestTimeoutS = 0; }, /platform\.kubernetes\.requestTimeoutS/],
  ['Kubernetes request timeout with a unit', (p) => { p.platform.kubernetes.requestTimeoutS = '10s'; }, /platform\.kubernetes\.requestTimeoutS/],
  ['Kubernetes request timeout above 300 s', (p) => { p.platform.kubernetes.requestTimeoutS = 301; }, /platform\.kubernetes\.requestTimeoutS/],
  ['slos negative target', (p) => { p.slos = { inferenceP95Ms: -1 }; }, /slos\.inferenceP95Ms/],
  ['slos unknown target', (p) => { p.slos = { p95: 100 }; }, /slos\.p95/],
  ['slos error rate above 1', (p) => { p.slos = { errorRate: 2 }; }, /slos\.errorRate/],
  ['slos alert detection for no severity', (p) => { p.slos = { alertDetectS: {} }; }, /slos\.alertDetectS/],
  ['slos severity missing a level', (p) => { p.slos = { severities: { 1: { detectMin: 1, respondMin: 5, mttrMin: 30 } } }; }, /slos\.severities/],
  ['alert source not a URL', (p) => { p.drill = { alert: { source: 'pager' } }; }, /drill\.alert\.source/],
  ['a missing variable', (p) => { p.platform.kafka.brokers = ['${NO_SUCH_BROKER_VAR}']; }, /platform\.kafka\.brokers\.0/],
  ['a missing ${file:}', (p) => { p.platform.kafka.tls = { ca: '${file:nope.pem}' }; }, /platform\.kafka\.tls\.ca/],
  ['scenarios empty', (p) => { p.scenarios = []; }, /scenarios/],
  ['scenario file missing', (p) => { p.scenarios = ['builtin', 'nope.yaml']; }, /scenarios\.1/],
  ['suite names an unknown scenario', (p) => { p.suites = { smoke: ['nope'] }; }, /suites\.smoke/],
  ['suite empty', (p) => { p.suites = { smoke: [] }; }, /suites\.smoke/],
  ['security: an unknown verb', (p) => { p.security.rbac[0].deny[0].verbs = ['read']; }, /security\.rbac\.0\.deny\.0\.verbs\.0/],
  ['security: a ServiceAccount without its namespace', (p) => { p.security.rbac[0].subject = { serviceAccount: 'default' }; }, /security\.rbac\.0\.subject/],
  ['security: a resource in capitals', (p) => { p.security.rbac[0].deny[0].resources = ['Secrets']; }, /security\.rbac\.0\.deny\.0\.resources\.0/],
  ['security: a row without namespaces', (p) => { p.security.rbac[0].deny[0].namespaces = []; }, /security\.rbac\.0\.deny\.0\.namespaces/],
  ['security: maxAgeDays 0', (p) => { p.security.secrets = { maxAgeDays: 0 }; }, /security\.secrets\.maxAgeDays/],
  ['security: an unknown key', (p) => { p.security.rotation = 90; }, /security.*rotation/],
  ['security: a namespace not DNS', (p) => { p.security.namespaces = ['ML']; }, /security\.namespaces\.0/],
  ['security: an audit log with no known user', (p) => { p.security.auditLog.knownUsers = []; }, /security\.auditLog\.knownUsers/],
  ['security: an audit sample of 1', (p) => { p.security.auditLog.sample = 1; }, /security\.auditLog\.sample/],
  ['security: a declared allow without a name', (p) => { p.security.networkPolicies.allow = [{ namespace: 'ml' }]; }, /security\.networkPolicies\.allow\.0\.name/],
];
PROFILES.forEach(([what, edit, names], i) => add(`profile: ${what}`, ['--profile', profile(`profile-${i}.yaml`, edit), 'gate'], names));

const SCENARIO_FILES: Array<[string, string, RegExp]> = [
  ['unknown key', scenario(probeOk + '    vus: 5\n'), /scenarios\.probe\.vus/],
  ['no thresholds', scenario('    rate: 10\n    duration: 5s\n    preAllocatedVUs: 2\n'), /scenarios\.probe\.thresholds/],
  ['no drops threshold', scenario("    rate: 10\n    duration: 5s\n    preAllocatedVUs: 2\n    thresholds:\n      http_reqs{scenario:probe}: ['count>0']\n"), /scenarios\.probe\.thresholds/],
  ['duration without unit', scenario(probeOk.replace('5s', '"5"')), /scenarios\.probe\.duration/],
  ['duration above 24h', scenario(probeOk.replace('5s', '25h')), /scenarios\.probe\.duration/],
  ['rate 1e12', scenario(probeOk.replace('rate: 10', 'rate: 1e12')), /scenarios\.probe\.rate/],
  ['rate 0', scenario(probeOk.replace('rate: 10', 'rate: 0')), /scenarios\.probe\.rate/],
  ['maxVUs below preAllocatedVUs', scenario(probeOk.replace('preAllocatedVUs: 2', 'preAllocatedVUs: 5\n    maxVUs: 2')), /scenarios\.probe\.maxVUs/],
  ['ramping without stages', `scenarios:\n  probe:\n    target: { kind: http }\n    executor: ramping-arrival-rate\n    preAllocatedVUs: 2\n    thresholds:\n      dropped_iterations{scenario:probe}: ['count==0']\n`, /scenarios\.probe\.stages/],
  ['unknown executor', scenario(probeOk).replace('constant-arrival-rate', 'shared-iterations'), /scenarios\.probe\.executor/],
  ['unknown target kind', scenario(probeOk).replace('{ kind: http }', '{ kind: grpc }'), /scenarios\.probe\.target/],
  ['kafka target without batchSize', scenario(probeOk).replace('{ kind: http }', '{ kind: kafka-produce, topic: prices }'), /scenarios\.probe\.target\.batchSize/],
  ['producer threads above the bound', scenario(probeOk).replace('{ kind: http }', '{ kind: kafka-produce, topic: prices, batchSize: 10, producerThreads: 99 }'), /scenarios\.probe\.target\.producerThreads/],
  ['producer threads not whole', scenario(probeOk).replace('{ kind: http }', '{ kind: kafka-produce, topic: prices, batchSize: 10, producerThreads: 1.5 }'), /scenarios\.probe\.target\.producerThreads/],
  ['path with a backtick', scenario(probeOk).replace('{ kind: http }', '{ kind: http, path: "/v1/`x`" }'), /scenarios\.probe\.target\.path/],
  ['bad threshold expression', scenario(probeOk.replace("['count==0']", "['count=0']")), /thresholds/],
  ['threshold on an unknown metric', scenario(probeOk + "      checks{scenario:probe}: ['rate>0.9']\n"), /checks/],
  ['unknown slo target', scenario(probeOk + "      http_req_duration{scenario:probe}: ['p(95)<${slo:p95}']\n"), /slos\.p95|slo:p95/],
  ['an SLO id that is not one', scenario(probeOk + '    slo: [latency]\n'), /scenarios\.probe\.slo/],
  ['suite of an unknown scenario', scenario(probeOk) + 'suites:\n  smoke: [nope]\n', /suites\.smoke/],
  ['a suite the built-in file defines too', scenario(probeOk) + 'suites:\n  deploy: [probe]\n', /suites\.deploy: already defined at .*deploy\.yaml/],
  ['not YAML', 'scenarios: [\n', /not valid YAML/],
  ['a name in capitals', scenario(probeOk).replace('  probe:', '  Probe:'), /scenarios/],
  ['a baseline threshold of another form', scenario(probeOk + "      http_req_duration{scenario:probe}: ['p(95) < 1.1 * baseline']\n"), /scenarios-\d+\.yaml:10: .*thresholds.*<aggregation> <op> baseline/],
  ['a baseline threshold filtered on another tag', scenario(probeOk + "      http_req_duration{status:200}: ['p(95) < baseline * 1.1']\n"), /http_req_duration\{status:200\}.*not other tag filters/],
];
// A scenario judged against a baseline, run without one: refused, not judged without it.
{
  const file = f('scenarios-relative.yaml', scenario(probeOk + "      http_req_duration{scenario:probe}: ['p(95) < baseline * 1.10']\n"));
  const prof = profile('profile-relative.yaml', (p) => { p.scenarios = ['builtin', file]; });
  add('run a scenario with a baseline threshold and no --baseline', ['--profile', prof, 'run', 'probe'], /--baseline: probe \(.*scenarios-relative\.yaml:2\) judges .*"p\(95\) < baseline \* 1\.10" against a baseline run/);
  add('deploy render without --image', ['deploy', 'render'], /--image/);
  add('deploy render --image ""', ['deploy', 'render', '--image', ' '], /--image: names no image/);
  add('deploy render --namespace Bad_NS', ['deploy', 'render', '--image', 'x', '--namespace', 'Bad_NS'], /--namespace: "Bad_NS" is not a Kubernetes name/);
  add('deploy render --drill "every wednesday"', ['deploy', 'render', '--image', 'x', '--drill', 'every wednesday'], /--drill: "every wednesday" is not a five-field cron/);
  add('deploy render from a profile with a kubeconfig', ['deploy', 'render', '--image', 'x'], /platform\.kubernetes\.inCluster: render from the profile the jobs will read/);
  add('a profile with both a kubeconfig and inCluster', ['--profile', profile('profile-both.yaml', (p) => { p.platform.kubernetes.inCluster = true; }), 'gate'], /platform\.kubernetes\.kubeconfig: .*name a kubeconfig, or set inCluster: true/);
  add('drill wednesday --load-duration 5s (under 10 s)', ['drill', 'wednesday', '--load-duration', '5s'], /--load-duration: "5s" is out of range/);
  add('a drill loaded with a scenario judged against a baseline', ['--profile', prof, 'drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--with-load', 'probe'], /--with-load: probe judges .* against a baseline run, and a drill names none/);
}
SCENARIO_FILES.forEach(([what, text, names], i) => {
  const file = f(`scenarios-${i}.yaml`, text);
  add(`scenario file: ${what}`, ['--profile', profile(`profile-scn-${i}.yaml`, (p) => { p.scenarios = ['builtin', file]; }), 'gate'], names);
});

const INCIDENTS: Array<[string, string, RegExp]> = [
  ['a short row', `${incidentsHeader}INC-1,sev1,2026-11-17T09:00:00Z\n`, /:2: 3 fields/],
  ['a long row', `${incidentsHeader}INC-1,sev1,2026-11-17T09:00:00Z,,,a,b\n`, /:2: 7 fields/],
  ['an unknown severity', `${incidentsHeader}INC-1,sev9,2026-11-17T09:00:00Z,,,x\n`, /:2: severity/],
  ['a detected time that is not one', `${incidentsHeader}INC-1,sev2,yesterday,,,x\n`, /:2: detected/],
  ['a missing id', `${incidentsHeader},sev2,2026-11-17T09:00:00Z,,,x\n`, /:2: id/],
  ['resolved before detected', `${incidentsHeader}INC-1,sev2,2026-11-17T09:00:00Z,,2026-11-17T08:00:00Z,x\n`, /:2: resolved/],
  ['a duplicate id', `${incidentsHeader}INC-1,sev2,2026-11-17T09:00:00Z,,,x\nINC-1,sev2,2026-11-17T10:00:00Z,,,y\n`, /:3: id/],
  ['a header without severity', 'id,detected,resolved\n', /:1: header lacks severity/],
  ['an unknown column', 'id,severity,detected,responded,resolved,summary,owner\n', /:1: unknown column owner/],
  ['an empty file', '', /empty file/],
  ['JSON not an array', '{"id": "INC-1"}', /expected a JSON array/],
  ['JSON a misspelt field', JSON.stringify([{ id: 'I', severity: 1, detected: '2026-11-17T09:00:00Z', resolved: null, summry: 'x' }]), /\[0\]: summry: unknown field/],
  ['JSON not valid', '[{"id": ', /not valid JSON/],
];
INCIDENTS.forEach(([what, text, names], i) => add(`incident log: ${what}`, ['report', 'week1', '--incidents', f(`incidents-${i}.${text.startsWith('[') || text.startsWith('{') ? 'json' : 'csv'}`, text)], names));
add('incident log: a folder', ['report', 'week1', '--incidents', dir], /--incidents: not a file/);
add('incident log: missing', ['report', 'week1', '--incidents', join(dir, 'none.csv')], /--incidents: file not found/);

const FEEDBACK: Array<[string, string, RegExp]> = [
  ['a score of 7', `${feedbackHeader}ana,7,,\n`, /:2: score: out of range/],
  ['a score of 0', `${feedbackHeader}ana,0,,\n`, /:2: score: out of range/],
  ['a score that is a word', `${feedbackHeader}ana,good,,\n`, /:2: score: not a number/],
  ['a missing score', `${feedbackHeader}ana,,,\n`, /:2: score: required/],
  ['a date that is not one', `${feedbackHeader}ana,4,,someday\n`, /:2: date/],
  ['no score column', 'user,comment\n', /:1: header lacks score/],
  ['a short row', `${feedbackHeader}ana,4\n`, /:2: 2 fields/],
  ['JSON a misspelt field', JSON.stringify([{ user: 'a', scre: 4 }]), /\[0\]: (scre|score)/],
];
FEEDBACK.forEach(([what, text, names], i) => add(`feedback: ${what}`, ['report', 'week1', '--feedback', f(`feedback-${i}.${text.startsWith('[') ? 'json' : 'csv'}`, text)], names));
add('feedback: a folder', ['report', 'week1', '--feedback', dir], /--feedback: not a file/);

test(`the corpus holds at least 150 bad inputs (${CORPUS.length})`, () => {
  assert.ok(CORPUS.length >= 150, `${CORPUS.length}`);
});

for (const [what, argv, names] of CORPUS) {
  test(`bad input: ${what} → exit 2 naming it, no stack trace, nothing written or touched`, async () => {
    const before = readdirSync(runs).length;
    const faults = existsSync(faultsFile) ? readFileSync(faultsFile, 'utf8') : null;
    const r = await run(argv.includes('-c') ? argv : ['-c', CONFIG, ...argv]);
    assert.is(r.code, 2, `exit ${r.code}: ${r.err.slice(-600)}`);
    assert.match(r.err, names, r.err);
    assert.not.match(r.err, /\n\s+at [^\n]+:\d+:\d+/, 'no stack trace');
    assert.is(readdirSync(runs).length, before, 'no record');
    assert.is(existsSync(faultsFile) ? readFileSync(faultsFile, 'utf8') : null, faults, 'sandbox faults untouched');
  });
}

// ---------------------------------------------------------------------------------------------
// Properties: whatever the text, each parser answers with a value or a UsageError.

const usageOnly = (fn: () => unknown) => {
  try { fn(); } catch (e) { if (!(e instanceof UsageError)) throw e; }
};
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme-ascii' }), fc.constantFrom('', ' ', '\n', '${X}', '${file:/}', '{{', '---', '- a', 'a: [', '"', '10', '1e999', 'NaN', '-0'));

test('property: duration flags and k6 durations never throw anything but a UsageError', () => {
  fc.assert(fc.property(text, (s) => { usageOnly(() => durationFlag('--d', s)); usageOnly(() => parseDuration(s)); }), { numRuns: 2000 });
});

test('property: threshold parsing never throws anything but a UsageError', () => {
  const key = fc.oneof(fc.constantFrom('http_req_duration', 'http_req_failed', 'dropped_iterations', 'kafka_writer_message_count', 'nope'), text);
  fc.assert(fc.property(key, text, (k, expr) => {
    try { parseThresholds({ [k]: [expr] }, { http_req_duration: 'trend', http_req_failed: 'rate', dropped_iterations: 'counter', kafka_writer_message_count: 'counter' }); } catch (e) {
      if (!(e instanceof ThresholdError) && !(e instanceof UsageError)) throw e;
    }
  }), { numRuns: 2000 });
});

test('property: config, profile and scenario files of any text are a value or a UsageError', () => {
  const yamlish = fc.oneof(text, fc.jsonValue().map((v) => stringify(v)), fc.jsonValue().map((v) => stringify({ sandbox: v })),
    fc.jsonValue().map((v) => stringify({ name: 'x', platform: v, slos: v })), fc.jsonValue().map((v) => stringify({ scenarios: { p: v } })));
  const cfgFile = join(dir, 'prop-config.yaml');
  fc.assert(fc.property(yamlish, (s) => {
    writeFileSync(cfgFile, s);
    usageOnly(() => loadConfig(cfgFile, {}));
    usageOnly(() => parseProfile(s, join(dir, 'prop.yaml'), {}));
    usageOnly(() => parseScenarioFile(s, join(dir, 'prop-scn.yaml'), { slos: SEED_SLOS, request: { method: 'POST', path: '/x' }, env: {} }, dir));
  }), { numRuns: 400 });
});

test('property: the CSV readers never throw anything but a UsageError, and parseCsv keeps every row\'s line', () => {
  const csvFile = join(dir, 'prop.csv');
  const cell = fc.oneof(fc.string(), fc.constantFrom('"', '""', ',', '\n', '\r\n', 'sev1', '2026-11-17T09:00:00Z', '4', '#'));
  const rows = fc.array(fc.array(cell, { maxLength: 8 }), { maxLength: 12 });
  fc.assert(fc.property(fc.boolean(), rows, (incidents, rs) => {
    const body = (incidents ? incidentsHeader : feedbackHeader) + rs.map((r) => r.join(',')).join('\n');
    writeFileSync(csvFile, body);
    usageOnly(() => (incidents ? parseIncidents(csvFile) : parseFeedback(csvFile)));
    for (const r of parseCsv(body)) assert.ok(Number.isInteger(r.line) && r.line >= 1);
  }), { numRuns: 1000 });
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
