/**
 * Scenario files (docs/scenarios.md): the built-in deploy suite is a file, a profile adds its own,
 * thresholds follow the profile's targets, and every mistake in a file is exit 2 naming
 * `file:line: key` before anything runs. No sandbox needed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { UsageError } from '../core/errors.ts';
import { parseConfig } from '../core/config.ts';
import { projectRoot } from '../core/paths.ts';
import { parseProfile, type LoadedProfile } from '../profile/load.ts';
import { sandboxProfileValues } from '../sandbox/profile.ts';
import { BUILTIN_FILE, scenarioCatalog } from '../scenarios/catalog.ts';
import { scenarioJsonSchema } from '../scenarios/file.ts';
import { cli } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'scenario-files-'));

/** A profile (the sandbox's values under another name) in `dir`, edited, with scenario files beside it. */
function profileWith(edit: (p: Record<string, any>) => void, files: Record<string, string> = {}): { lp: LoadedProfile; path: string } {
  const v = sandboxProfileValues(parseConfig({})) as Record<string, any>;
  v.name = 'staging';
  edit(v);
  const d = mkdtempSync(join(dir, 'p-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  const path = join(d, 'profile.yaml');
  const text = stringify(v);
  writeFileSync(path, text);
  return { lp: parseProfile(text, path, {}), path };
}

function usageError(fn: () => unknown): UsageError {
  try { fn(); } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  return assert.unreachable('expected a UsageError') as never;
}

const PROBE = `scenarios:
  probe:
    description: the health endpoint at a trickle
    slo: [uptime]
    target: { kind: http, method: GET, path: /healthz }
    executor: constant-arrival-rate
    rate: 10
    duration: 5s
    preAllocatedVUs: 2
    thresholds:
      http_req_duration{scenario:probe}: ['p(95)<\${slo:inferenceP95Ms*2}']
      dropped_iterations{scenario:probe}: ['count==0']
suites:
  smoke: [probe, inference-latency]
`;

test('the built-in suite is a file, and its thresholds are the profile\'s targets (the seed\'s by default)', () => {
  assert.ok(existsSync(BUILTIN_FILE));
  const seed = scenarioCatalog(profileWith(() => {}).lp, {});
  assert.equal(Object.keys(seed.scenarios), ['inference-latency', 'feature-store-query', 'consumer-lag', 'kafka-throughput']);
  assert.equal(seed.suites.deploy!.scenarios, ['inference-latency', 'feature-store-query', 'consumer-lag', 'kafka-throughput']);
  assert.equal(seed.scenarios['inference-latency']!.thresholds['http_req_duration{scenario:inference-latency}'], ['p(95)<100']);
  assert.equal(seed.scenarios['inference-latency']!.thresholds['http_req_failed{scenario:inference-latency}'], ['rate<0.001']);
  assert.equal(seed.scenarios['consumer-lag']!.thresholds['kafka_e2e_latency{scenario:consumer-lag}'], ['p(95)<5000', 'max<5000']);
  assert.equal(seed.scenarios['kafka-throughput']!.thresholds['kafka_writer_message_count{scenario:kafka-throughput}'], ['rate>=7000']);
  // Another platform's targets: every threshold that names one follows it.
  const own = scenarioCatalog(profileWith((p) => { p.slos = { inferenceP95Ms: 150, errorRate: 0.005, consumerLagS: 8, kafkaThroughputMsgS: 1500, dbQueryMs: 2000 }; }).lp, {});
  assert.equal(own.scenarios['inference-latency']!.thresholds['http_req_duration{scenario:inference-latency}'], ['p(95)<150']);
  assert.equal(own.scenarios['inference-latency']!.thresholds['http_req_failed{scenario:inference-latency}'], ['rate<0.005']);
  assert.equal(own.scenarios['consumer-lag']!.thresholds['kafka_e2e_latency{scenario:consumer-lag}'], ['p(95)<8000', 'max<8000']);
  assert.equal(own.scenarios['kafka-throughput']!.thresholds['kafka_writer_message_count{scenario:kafka-throughput}'], ['rate>=1500']);
  assert.equal(own.scenarios['feature-store-query']!.thresholds['feature_store_query_duration{scenario:feature-store-query}'], ['max<2000', 'p(95)<2000']);
  // The HTTP target is the profile's request unless the scenario names its own.
  assert.equal(own.scenarios['inference-latency']!.target, { kind: 'http', method: 'POST', path: '/v1/predict', body: true });
});

test('a profile adds its own scenario file and suites; names and targets are resolved; the record-ready plan carries its source line', () => {
  const { lp } = profileWith((p) => { p.scenarios = ['builtin', 'load.yaml']; p.suites = { nightly: ['probe', 'kafka-throughput'] }; }, { 'load.yaml': PROBE });
  const cat = scenarioCatalog(lp, {});
  const probe = cat.scenarios.probe!;
  assert.equal(probe.target, { kind: 'http', method: 'GET', path: '/healthz', body: false });
  assert.equal(probe.executor, { executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '5s', preAllocatedVUs: 2, maxVUs: 2 });
  assert.equal(probe.thresholds['http_req_duration{scenario:probe}'], ['p(95)<200']);
  assert.match(probe.source!, /load\.yaml:2$/);
  assert.equal(Object.keys(cat.suites).sort(), ['deploy', 'nightly', 'smoke']);
  assert.equal(cat.suites.smoke!.scenarios, ['probe', 'inference-latency']);
  assert.match(cat.suites.nightly!.source, /profile\.yaml:\d+: suites\.nightly$/);
  assert.is(cat.files.length, 2);
  // Without `builtin`, only the profile's own.
  const only = scenarioCatalog(profileWith((p) => { p.scenarios = ['load.yaml']; }, { 'load.yaml': PROBE.replace(', inference-latency', '') }).lp, {});
  assert.equal(Object.keys(only.scenarios), ['probe']);
});

/** Each bad scenario file, the `file:line: key` its error must name, and words of the reason. */
const BAD: Array<[string, string, RegExp, RegExp]> = [
  ['unknown key', PROBE.replace('    rate: 10\n', '    rate: 10\n    rps: 10\n'), /load\.yaml:8: scenarios\.probe\.rps$/, /unknown key/],
  ['stages on a constant executor', PROBE.replace('    rate: 10\n', '    rate: 10\n    stages: [{ target: 5, duration: 5s }]\n'), /:\d+: scenarios\.probe\.stages$/, /ramping-arrival-rate/],
  ['a duration without a unit', PROBE.replace('duration: 5s', 'duration: "5"'), /load\.yaml:8: scenarios\.probe\.duration$/, /with a unit/],
  ['a rate of 1e12', PROBE.replace('rate: 10', 'rate: 1e12'), /load\.yaml:7: scenarios\.probe\.rate$/, /at most 100000/],
  ['an unknown slo target', PROBE.replace('inferenceP95Ms*2', 'inferenceP95'), /load\.yaml:11: scenarios\.probe\.thresholds\.http_req_duration\{scenario:probe\}\.0$/, /no numeric target slos\.inferenceP95; known: .*inferenceP95Ms/],
  ['a slo target outside thresholds', PROBE.replace('the health endpoint at a trickle', 'p95 under ${slo:inferenceP95Ms}'), /load\.yaml:3: scenarios\.probe\.description$/, /in thresholds only/],
  ['a bad threshold', PROBE.replace("'p(95)<${", "'p(95)<<${"), /load\.yaml:11: scenarios\.probe\.thresholds\["http_req_duration\{scenario:probe\}"\]\[0\]$/, /invalid operator "<<"/],
  ['no drops threshold', PROBE.replace("      dropped_iterations{scenario:probe}: ['count==0']\n", ''), /load\.yaml:10: scenarios\.probe\.thresholds$/, /needs a dropped_iterations threshold/],
  ['an unknown SLO id', PROBE.replace('slo: [uptime]', 'slo: [latency]'), /load\.yaml:4: scenarios\.probe\.slo\.0$/, /expected one of/],
  ['a suite naming an unknown scenario', PROBE.replace('[probe, inference-latency]', '[probe, nope]'), /load\.yaml:\d+: suites\.smoke$/, /unknown scenario\(s\) nope/],
  ['a name the built-in file defines too', PROBE.replace('  probe:\n', '  inference-latency:\n').replaceAll('scenario:probe', 'scenario:inference-latency').replace('[probe, inference-latency]', '[inference-latency]'), /load\.yaml:2: scenarios\.inference-latency$/, /already defined at .*deploy\.yaml:\d+/],
  ['a throughput floor the schedule cannot reach', PROBE.replace('target: { kind: http, method: GET, path: /healthz }', 'target: { kind: kafka-produce, topic: prices, batchSize: 10 }')
    .replace("http_req_duration{scenario:probe}: ['p(95)<${slo:inferenceP95Ms*2}']", "kafka_writer_message_count{scenario:probe}: ['rate>=${slo:kafkaThroughputMsgS}']"),
  /load\.yaml:\d+: scenarios\.probe\.thresholds\["kafka_writer_message_count\{scenario:probe\}"\]$/, /rate>=7000 cannot be met: the executor offers at most 100 messages\/s/],
  ['not YAML', PROBE.replace('    rate: 10\n', '    rate: [10\n'), /load\.yaml:\d+$/, /not valid YAML/],
  ['a warm-up beside a counter rate', PROBE.replace('    rate: 10\n', '    rate: 10\n    warmup: 2s\n').replace("dropped_iterations{scenario:probe}: ['count==0']", "dropped_iterations{scenario:probe}: ['count==0']\n      http_reqs{scenario:probe}: ['rate>=5']"),
  /load\.yaml:\d+: scenarios\.probe\.warmup$/, /counter rate threshold/],
];

for (const [what, text, field, reason] of BAD) {
  test(`a scenario file with ${what}: exit 2 naming file:line and key`, () => {
    const { lp } = profileWith((p) => { p.scenarios = ['builtin', 'load.yaml']; }, { 'load.yaml': text });
    const e = usageError(() => scenarioCatalog(lp, {}));
    assert.match(e.field, field, e.message);
    assert.match(e.message, reason);
  });
}

test('a missing scenario file names the profile line that lists it', () => {
  const { lp } = profileWith((p) => { p.scenarios = ['builtin', 'missing.yaml']; });
  const e = usageError(() => scenarioCatalog(lp, {}));
  assert.match(e.field, /profile\.yaml:\d+: scenarios\.1$/);
  assert.match(e.message, /file not found: .*missing\.yaml/);
});

test('the published JSON Schema is the zod schema\'s (regenerate: harness scenarios schema > docs/scenarios.schema.json)', () => {
  assert.equal(JSON.parse(readFileSync(join(projectRoot, 'docs', 'scenarios.schema.json'), 'utf8')), scenarioJsonSchema());
});

test('CLI: scenarios list shows the profile\'s catalog; a bad scenario file stops gate, run, profile check and drill with exit 2 and no record', () => {
  const runs = mkdtempSync(join(dir, 'runs-'));
  const good = profileWith((p) => { p.scenarios = ['builtin', 'load.yaml']; }, { 'load.yaml': PROBE }).path;
  const list = cli(['--json', '-p', good, 'scenarios', 'list'], { CARBON_HARNESS_RUNS: runs });
  assert.is(list.code, 0, list.stderr);
  const cat = JSON.parse(list.stdout);
  assert.equal(cat.scenarios.probe.thresholds['http_req_duration{scenario:probe}'], ['p(95)<200']);
  assert.ok(cat.suites.smoke);
  const bad = profileWith((p) => { p.scenarios = ['builtin', 'load.yaml']; }, { 'load.yaml': PROBE.replace('duration: 5s', 'duration: "5"') }).path;
  for (const args of [['gate'], ['run', 'probe'], ['profile', 'check'], ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--with-load', 'probe', '--dry-run']]) {
    const r = cli(['-p', bad, ...args], { CARBON_HARNESS_RUNS: runs });
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /load\.yaml:8: scenarios\.probe\.duration/);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const unknownSuite = cli(['-p', good, 'gate', '--suite', 'nope'], { CARBON_HARNESS_RUNS: runs });
  assert.is(unknownSuite.code, 2);
  assert.match(unknownSuite.stderr, /--suite: no suite "nope" in the profile.s catalog; suites: deploy, smoke/);
  const bareDuration = cli(['-p', good, 'gate', '--suite', 'smoke', '--duration', '10'], { CARBON_HARNESS_RUNS: runs });
  assert.is(bareDuration.code, 2);
  assert.match(bareDuration.stderr, /--duration: "10" has no unit/);
  const huge = cli(['run', 'inference-latency', '--rate', '1e12'], { CARBON_HARNESS_RUNS: runs });
  assert.is(huge.code, 2);
  assert.match(huge.stderr, /--rate: .*1000000000000 iterations\/s is above the 100000/);
  const starved = cli(['run', 'kafka-throughput', '--rate', '10'], { CARBON_HARNESS_RUNS: runs });
  assert.is(starved.code, 2);
  assert.match(starved.stderr, /--rate: .*rate>=7000 cannot be met: the executor offers at most 1000 messages\/s/);
  assert.equal(readdirSync(runs), [], 'nothing ran, no record written');
});

test.run();
