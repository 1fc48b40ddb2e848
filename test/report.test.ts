/**
 * `harness report week1` against synthetic run records written by the real RunRecorder (no sandbox
 * needed), then the HTML report in headless Debian Chromium.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli } from './support.ts';
import { RunRecorder, type Check, type RunRecord } from '../core/record.ts';
import { projectRoot } from '../core/paths.ts';
import { launchChromium } from './chromium.ts';
import { buildWeek1, dayCoverage, loadRecords, week1Markdown } from '../reports/week1.ts';
import { SEED_SLOS } from '../profile/schema.ts';
import { TrendSink } from '../scenarios/metrics.ts';
import { scenarioCatalog } from '../scenarios/catalog.ts';
import { sandboxProfile } from '../sandbox/profile.ts';
import { parseConfig } from '../core/config.ts';

const FIX = join(projectRoot, 'test', 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'week1-'));
const recordsDir = join(tmp, 'records');
const ownRuns = join(tmp, 'own-runs');
const config = join(tmp, 'harness.yaml');
mkdirSync(recordsDir, { recursive: true });
writeFileSync(config, `runsDir: ${JSON.stringify(ownRuns)}\n`);
const WINDOW = ['--since', '2026-11-16T00:00:00Z', '--until', '2026-11-23T00:00:00Z'];

// ---------------------------------------------------------------------------------------------
// Synthetic records

const check = (id: string, observed: number | null, unit: string, status: Check['status'] = 'pass'): Check => ({
  id, title: id, target: '', observed, unit, status, evidence: { what: 'synthetic', how: 'test fixture', where: 'test' },
});

function record(kind: string, startedAt: string, checks: Check[], data: Record<string, unknown> = {}, status?: RunRecord['status']): RunRecorder {
  const rec = new RunRecorder(recordsDir, kind, 'sandbox', ['test']);
  rec.record.startedAt = startedAt;
  for (const [k, v] of Object.entries(data)) rec.setData(k, v);
  for (const c of checks) rec.addCheck(c);
  if (status === 'aborted') rec.flush(); else rec.finish(status);
  return rec;
}

const latencyTimeline = [8.9, 7.9, 17.0, 12.1, 62.5, 30.2, 11.4, 9.8, 10.5, 9.1].map((p95, k) => ({ t: k + 1, iterations: 100, failed: 0, p95 }));
const throughputTimeline = Array.from({ length: 10 }, (_, k) => ({ t: k + 1, iterations: k === 4 ? 70 : 75, failed: k === 4 ? 2 : 0, p95: 12 }));
const scenario = (name: string, timeline: unknown[]) => ({ scenario: name, engine: 'native', startedAt: '2026-11-19T10:00:00Z', endedAt: '2026-11-19T10:00:10Z', durationS: 10, where: 'synthetic', timeline, thresholds: [], metrics: {}, histograms: {}, crossChecks: {}, aborted: null });

// As the gate writes them: load checks carry their scenario's SLO tags, the record its plan.
const loadCheck = (id: string, observed: number, unit: string, slo: string[]): Check => ({ ...check(id, observed, unit), evidence: { ...check(id, observed, unit).evidence, slo } });
const SCENARIOS = scenarioCatalog(sandboxProfile(parseConfig({})), {}).scenarios;
const gate = record('gate', '2026-11-19T10:00:00.000Z', [
  loadCheck('inference-latency:http_req_duration:p(95)<100', 62.5, 'ms', ['response-time-p95', 'error-rate', 'ml-inference-latency']),
  loadCheck('inference-latency:http_req_failed:rate<0.001', 0, 'ratio', ['response-time-p95', 'error-rate', 'ml-inference-latency']),
  loadCheck('kafka-throughput:kafka_writer_message_count:rate>=7000', 7430, '/s', ['kafka-throughput']),
], { suite: 'deploy', plan: { scenarios: [SCENARIOS['inference-latency'], SCENARIOS['kafka-throughput']] }, scenarios: [scenario('inference-latency', latencyTimeline), scenario('kafka-throughput', throughputTimeline)] });

const day1 = record('check-daily', '2026-11-17T08:00:00.000Z', [
  check('daily.platform-health', 100, 'percent'),
  check('daily.uptime', 99.95, 'percent'),
  check('daily.critical-alerts', 0, 'count'),
  check('daily.workflow-success', 100, 'percent'),
  check('daily.error-rate', 0.0002, 'ratio'),
  check('daily.inference.latency-p95', 40, 'ms'),
]);
// The breaching day: health 97.5 % and workflows 98 %; its p95 is in seconds (unit conversion).
const day2 = record('check-daily', '2026-11-18T08:00:00.000Z', [
  check('daily.platform-health', 97.5, 'percent', 'fail'),
  check('daily.uptime', 99.99, 'percent'),
  check('daily.critical-alerts', 0, 'count'),
  check('daily.workflow-success', 98, 'percent', 'fail'),
  check('daily.error-rate', 0.0005, 'ratio'),
  check('daily.inference.latency-p95', 0.045, 's'),
], {}, 'fail');
// A day whose uptime probe errored: no value, so it must not count (nor crash anything).
record('check-daily', '2026-11-19T08:00:00.000Z', [check('daily.uptime', null, 'percent', 'error')], {}, 'error');
// Outside the window: a terrible gate that must be ignored.
record('gate', '2026-11-10T10:00:00.000Z', [{ ...loadCheck('inference-latency:http_req_duration:p(95)<100', 900, 'ms', ['response-time-p95']), status: 'fail' }]);
// Aborted before any check: skipped.
record('gate', '2026-11-20T10:00:00.000Z', [], {}, 'aborted');
const drill = record('drill', '2026-11-19T14:00:00.000Z', [check('drill.recovery', 7.6, 's')], {
  recoverySloS: 30,
  timeline: [
    { event: 'kill', atMs: 0 }, { event: 'pod gone', atMs: 1200 }, { event: 'replacement created', atMs: 1500 },
    { event: 'scheduled', atMs: 1900 }, { event: 'Ready', atMs: 7400 }, { event: 'replicas restored', atMs: 7600 },
  ],
});
// Another platform's record in the same folder (a faulted test sandbox, staging…): never mixed in.
{
  const other = new RunRecorder(recordsDir, 'check-daily', 'staging', ['test']);
  other.record.startedAt = '2026-11-17T09:00:00.000Z';
  other.addCheck(check('daily.platform-health', 12, 'percent', 'fail'));
  other.finish();
}
// Unreadable record: a warning, not a failure.
mkdirSync(join(recordsDir, '20261118T000000Z-broken-000000'));
writeFileSync(join(recordsDir, '20261118T000000Z-broken-000000', 'record.json'), '{ "id": "broken", ');

// ---------------------------------------------------------------------------------------------

interface Row { slug: string; status: string; value: number | null; measured: string; reason?: string; breaches: Array<{ runId?: string; where?: string }>; evidence: Array<{ recordPath?: string; runId?: string }> }
interface Report { rows: Row[]; incidents: { bySeverity: Array<{ label: string; count: number; open: number; meanResponseMin: number | null; mttrMin: number | null; mttrOk: boolean | null }> } | null; feedback: { count: number; mean: number } | null; charts: { gate: { runId: string } | null; drill: { runId: string } | null } }

function week1(args: string[]) {
  return cli(['-c', config, 'report', 'week1', '--from', recordsDir, ...WINDOW, ...args]);
}
const fx = (name: string) => join(FIX, name);
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Report;
const row = (r: Report, slug: string): Row => {
  const x = r.rows.find((y) => y.slug === slug);
  if (!x) throw new Error(`no row ${slug}`);
  return x;
};
const near = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-6, `${what}: ${a} ≠ ${b}`);

const report = suite('report week1');
// The inputs here reach 120 MB (the 200,000-row feedback file and its report): not left in /tmp after the run.
report.after(() => rmSync(tmp, { recursive: true, force: true }));
const goodOut = join(tmp, 'good');

report('the rows are judged against the profile\'s targets: the same records pass a looser health target and fail a stricter p95', () => {
  const w = { since: new Date('2026-11-16T00:00:00Z'), until: new Date('2026-11-23T00:00:00Z') };
  const scan = loadRecords(recordsDir, w, () => {}, 'sandbox');
  const none = { incidents: null, feedback: null };
  const seed = buildWeek1(scan, none, w);
  const own = buildWeek1(scan, none, w, { ...SEED_SLOS, platformHealthPct: 97, inferenceP95Ms: 50, errorRate: 0.0001, workflowSuccessPct: 98 });
  const at = (r: ReturnType<typeof buildWeek1>, slug: string) => r.rows.find((x) => x.slug === slug)!;
  assert.equal([at(seed, 'platform-health').status, at(own, 'platform-health').status], ['FAIL', 'PASS'], 'worst day 97.5 %');
  assert.is(at(own, 'platform-health').target, '≥ 97 %');
  assert.equal([at(seed, 'response-time-p95').status, at(own, 'response-time-p95').status], ['PASS', 'FAIL'], 'p95 62.5 ms');
  assert.is(at(own, 'response-time-p95').target, '< 50 ms');
  // Error rate: day 2's 0.05 % passes the seed's 0.1 % and fails 0.01 %.
  assert.equal([at(seed, 'error-rate').status, at(own, 'error-rate').status], ['PASS', 'FAIL']);
  assert.is(at(own, 'error-rate').target, '< 0.01 %');
  assert.equal([at(seed, 'workflow-success-rate').status, at(own, 'workflow-success-rate').status], ['FAIL', 'PASS'], 'worst day 98 %');
  // The charts draw the same targets.
  assert.equal(own.targets, { p95Ms: 50, throughputMsgS: SEED_SLOS.kafkaThroughputMsgS });
});

report('the week\'s p95 is the p95 of the week\'s requests: a short bad run weighs what its requests weigh (histograms merged)', () => {
  const dir = mkdtempSync(join(tmp, 'merged-'));
  const hist = (ms: number[], repeat: number) => { const t = new TrendSink(); for (let k = 0; k < repeat; k++) for (const v of ms) t.add(v); return t; };
  const loadRun = (startedAt: string, h: TrendSink) => {
    const rec = new RunRecorder(dir, 'gate', 'sandbox', ['test']);
    rec.record.startedAt = startedAt;
    rec.setData('scenarios', [{ ...scenario('inference-latency', []), histograms: { http_req_duration: h.encode() } }]);
    rec.addCheck(loadCheck(`inference-latency:http_req_duration:p(95)<100`, h.percentile(95)!, 'ms', ['response-time-p95']));
    rec.finish();
  };
  // A 1-second smoke run at 150 ms (50 requests), and a week of steady load at ~20 ms (12,000 requests).
  loadRun('2026-11-17T10:00:00.000Z', hist([150], 50));
  for (let d = 0; d < 6; d++) loadRun(`2026-11-${17 + d}T12:00:00.000Z`, hist([18, 19, 20, 21, 22], 400));
  const w = { since: new Date('2026-11-16T00:00:00Z'), until: new Date('2026-11-23T00:00:00Z') };
  const rep = buildWeek1(loadRecords(dir, w, () => {}, 'sandbox'), { incidents: null, feedback: null }, w);
  const p95 = rep.rows.find((r) => r.slug === 'response-time-p95')!;
  assert.is(p95.status, 'PASS', p95.measured);
  assert.ok(p95.value! >= 21.9 && p95.value! <= 22.1, `merged p95 ${p95.value}`);
  assert.match(p95.measured, /p95 of 12050 requests over 7 runs; worst run 150 ms/);
  assert.equal(p95.breaches, [], 'a passing week lists no breaching run');
  // The same week read per run (no histograms kept) is decided by its worst run, and says so.
  const old = mkdtempSync(join(tmp, 'unmerged-'));
  for (const name of readdirSync(dir)) {
    const r = JSON.parse(readFileSync(join(dir, name, 'record.json'), 'utf8')) as RunRecord;
    r.data = { ...r.data, scenarios: [] };
    mkdirSync(join(old, name));
    writeFileSync(join(old, name, 'record.json'), JSON.stringify(r));
  }
  const worst = buildWeek1(loadRecords(old, w, () => {}, 'sandbox'), { incidents: null, feedback: null }, w).rows.find((r) => r.slug === 'response-time-p95')!;
  assert.is(worst.status, 'FAIL');
  assert.match(worst.notes.join(' '), /not every run kept its latency histogram/);
});

report('the week\'s error rate is its errors over its requests: a quiet bad day weighs what its requests weigh; without counts the worst run decides, and says so', () => {
  const dir = mkdtempSync(join(tmp, 'pooled-'));
  const w = { since: new Date('2026-11-16T00:00:00Z'), until: new Date('2026-11-23T00:00:00Z') };
  const loadRun = (startedAt: string, fails: number, passes: number) => {
    const rec = new RunRecorder(dir, 'gate', 'sandbox', ['test']);
    rec.record.startedAt = startedAt;
    // k6's Rate of http_req_failed: `passes` are the failed requests.
    rec.setData('scenarios', [{ ...scenario('inference-latency', []), metrics: { http_req_failed: { type: 'rate', unit: 'ratio', values: { rate: fails / (fails + passes), passes: fails, fails: passes } } } }]);
    rec.addCheck(loadCheck('inference-latency:http_req_failed:rate<0.001', fails / (fails + passes), 'ratio', ['error-rate']));
    rec.finish();
  };
  const daily = (startedAt: string, ratio: number, requests?: number) => {
    const rec = new RunRecorder(dir, 'check-daily', 'sandbox', ['test']);
    rec.record.startedAt = startedAt;
    const c = check('daily.error-rate', ratio, 'ratio', ratio < 0.001 ? 'pass' : 'fail');
    if (requests !== undefined) Object.assign(c.evidence, { requests, errors: ratio * requests });
    rec.addCheck(c);
    rec.finish();
  };
  // A 20-request smoke run with one failure (5 %), and six days of 10,000 requests with 2 failures each.
  loadRun('2026-11-17T10:00:00.000Z', 1, 19);
  for (let d = 0; d < 6; d++) loadRun(`2026-11-${17 + d}T12:00:00.000Z`, 2, 9_998);
  daily('2026-11-18T08:00:00.000Z', 0.0004, 5_000);
  const pooled = (d: string) => buildWeek1(loadRecords(d, w, () => {}, 'sandbox'), { incidents: null, feedback: null }, w).rows.find((r) => r.slug === 'error-rate')!;
  const rate = pooled(dir);
  // (1 + 6·2 + 2) / (20 + 60,000 + 5,000) = 15 / 65,020 = 0.02307 %.
  assert.is(rate.status, 'PASS', rate.measured);
  near(rate.value, (15 / 65_020) * 100, 'pooled error rate');
  assert.match(rate.measured, /15 errors of 65020 requests over 8 samples; worst 5 %/, rate.measured);
  assert.equal(rate.breaches, []);
  // The same errors concentrated: 1 % of every request fails → FAIL, breached by every run.
  const bad = mkdtempSync(join(tmp, 'pooled-bad-'));
  const rec = new RunRecorder(bad, 'check-daily', 'sandbox', ['test']);
  rec.record.startedAt = '2026-11-18T08:00:00.000Z';
  rec.addCheck({ ...check('daily.error-rate', 0.01, 'ratio', 'fail'), evidence: { what: 'synthetic', how: 'test', where: 'test', requests: 1000, errors: 10 } });
  rec.finish();
  const failing = pooled(bad);
  assert.is(failing.status, 'FAIL');
  near(failing.value, 1, '10 of 1000');
  // Two thresholds on one scenario's failures read the same counts once.
  const twice = mkdtempSync(join(tmp, 'pooled-twice-'));
  {
    const rec = new RunRecorder(twice, 'gate', 'sandbox', ['test']);
    rec.record.startedAt = '2026-11-17T10:00:00.000Z';
    rec.setData('scenarios', [{ ...scenario('inference-latency', []), metrics: { http_req_failed: { type: 'rate', unit: 'ratio', values: { rate: 0.0005, passes: 1, fails: 1999 } } } }]);
    for (const id of ['inference-latency:http_req_failed:rate<0.001', 'inference-latency:http_req_failed:rate<0.01']) rec.addCheck(loadCheck(id, 0.0005, 'ratio', ['error-rate']));
    rec.finish();
  }
  assert.match(pooled(twice).measured, /1 errors of 2000 requests over 2 samples/);
  // Counts that are not the ratio the check judged (a day with no requests, a check of another
  // figure) do not stand in for it: the worst sample decides, so a failing day is not pooled away.
  const odd = mkdtempSync(join(tmp, 'pooled-odd-'));
  for (const [at, ratio, ev] of [['2026-11-17T08:00:00.000Z', 0.002, { requests: 0, errors: 0 }], ['2026-11-18T08:00:00.000Z', 0.0001, { requests: 1_000_000, errors: 100 }]] as const) {
    const rec = new RunRecorder(odd, 'check-daily', 'sandbox', ['test']);
    rec.record.startedAt = at;
    rec.addCheck({ ...check('daily.error-rate', ratio, 'ratio', ratio < 0.001 ? 'pass' : 'fail'), evidence: { what: 'synthetic', how: 'test', where: 'test', ...ev } });
    rec.finish();
  }
  const oddRow = pooled(odd);
  assert.is(oddRow.status, 'FAIL', oddRow.measured);
  near(oddRow.value, 0.2, 'the failing day, not 100 errors over a million requests');
  // A daily check without the request count (no platform.slis.requests): the worst sample decides, named.
  daily('2026-11-19T08:00:00.000Z', 0.0003);
  const worst = pooled(dir);
  assert.is(worst.status, 'FAIL', worst.measured);
  near(worst.value, 5, 'worst run');
  assert.match(worst.notes.join(' '), /kept no request count.*worst run's value stands/);
});

report('aborted runs are left out of every row and listed, with the failures they saw', () => {
  const dir = mkdtempSync(join(tmp, 'aborted-'));
  const w = { since: new Date('2026-11-16T00:00:00Z'), until: new Date('2026-11-23T00:00:00Z') };
  const ok = new RunRecorder(dir, 'check-daily', 'sandbox', ['test']);
  ok.record.startedAt = '2026-11-17T08:00:00.000Z';
  ok.addCheck(check('daily.platform-health', 100, 'percent'));
  ok.finish();
  // Interrupted mid-run after one failing check: not the week's measurement, but not hidden either.
  const cut = new RunRecorder(dir, 'check-daily', 'sandbox', ['test']);
  cut.record.startedAt = '2026-11-18T08:00:00.000Z';
  cut.addCheck(check('daily.platform-health', 40, 'percent', 'fail'));
  cut.finish('aborted', 'interrupted by SIGINT');
  const warnings: string[] = [];
  const scan = loadRecords(dir, w, (m) => warnings.push(m), 'sandbox');
  assert.is(scan.used.length, 1);
  assert.is(scan.aborted, 1);
  const rep = buildWeek1(scan, { incidents: null, feedback: null }, w);
  const health = rep.rows.find((r) => r.slug === 'platform-health')!;
  assert.is(health.status, 'PASS');
  assert.is(health.evidence.length, 1);
  assert.match(warnings.join('\n'), /1 record\(s\) .* did not finish \(aborted\)/);
  const listed = rep.records.skipped.find((x) => x.file.includes(cut.record.id))!;
  assert.match(listed.reason, /^aborted \(interrupted by SIGINT\): 1 check\(s\) not counted, 1 of them failed \(daily.platform-health\)/);
  assert.is(rep.records.aborted, 1);
  // Every row passes, but a run saw a failure and did not finish: the week is not a PASS.
  assert.is(rep.summary.verdict, 'INCOMPLETE');
  assert.equal(scan.abortedFailing.map((f) => f.includes(cut.record.id)), [true]);
  const md = week1Markdown(rep);
  assert.match(md, /1 run record\(s\) \(1 left out, listed below\)/);
  assert.match(md, new RegExp(`- \`[^\`]*${cut.record.id}[^\`]*\`: aborted \\(interrupted by SIGINT\\)`));
});

report('all inputs: 8 rows with the statuses and values computed by hand; exit 1 because two rows fail', () => {
  const r = week1(['--incidents', fx('incidents.csv'), '--feedback', fx('feedback.csv'), '--out', goodOut]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /warning: skipping .*broken.*unreadable/);
  const rep = readJson(join(goodOut, 'week1.json'));
  assert.is(rep.rows.length, 8);
  assert.equal(rep.rows.map((x) => [x.slug, x.status]), [
    ['platform-health', 'FAIL'], ['uptime', 'PASS'], ['critical-incidents', 'PASS'], ['incident-mttr', 'PASS'],
    ['user-satisfaction', 'PASS'], ['response-time-p95', 'PASS'], ['error-rate', 'PASS'], ['workflow-success-rate', 'FAIL'],
  ]);
  // Platform health: worst day 97.5 % (mean of 100 and 97.5 = 98.75 %); the breach is day 2.
  const health = row(rep, 'platform-health');
  near(health.value, 97.5, 'health');
  assert.match(health.measured, '98.75 %');
  assert.equal(health.breaches.map((b) => b.runId), [day2.record.id]);
  // Uptime: min(99.95, 99.99); the errored day is not counted.
  near(row(rep, 'uptime').value, 99.95, 'uptime');
  // Critical incidents: no Sev1 in the window (INC-090 is before it) + 0 + 0 critical alerts.
  near(row(rep, 'critical-incidents').value, 0, 'critical');
  // MTTR: INC-100 40 min, INC-101 70 min, INC-102 open → 55 min.
  near(row(rep, 'incident-mttr').value, 55, 'mttr');
  assert.match(row(rep, 'incident-mttr').measured, '55 min');
  // Satisfaction: (5+4+5+3+5)/5 = 4.4.
  near(row(rep, 'user-satisfaction').value, 4.4, 'satisfaction');
  assert.is(rep.feedback!.count, 5);
  // p95: max(gate 62.5, day1 40, day2 0.045 s = 45 ms) = 62.5; the 900 ms gate is outside the window.
  near(row(rep, 'response-time-p95').value, 62.5, 'p95');
  assert.is(row(rep, 'response-time-p95').evidence.length, 3);
  // Error rate: max(0, 0.02 %, 0.05 %) = 0.05 %.
  near(row(rep, 'error-rate').value, 0.05, 'error rate');
  // Workflows: min(100, 98) = 98, breached by day 2.
  near(row(rep, 'workflow-success-rate').value, 98, 'workflow');
  assert.equal(row(rep, 'workflow-success-rate').breaches.map((b) => b.runId), [day2.record.id]);
  // Evidence paths are relative to the report and point at real records.
  for (const e of health.evidence) assert.ok(existsSync(resolve(goodOut, e.recordPath!)), e.recordPath);
  // Severity table: Sev2 response 10 min / MTTR 40 min, Sev3 20 / 70, Sev4 open.
  const sev = rep.incidents!.bySeverity;
  assert.equal(sev.map((s) => [s.label, s.count, s.open, s.meanResponseMin, s.mttrMin]), [
    ['Sev1', 0, 0, null, null], ['Sev2', 1, 0, 10, 40], ['Sev3', 1, 0, 20, 70], ['Sev4', 1, 1, 60, null],
  ]);
  assert.is(rep.charts.gate!.runId, gate.record.id);
  assert.is(rep.charts.drill!.runId, drill.record.id);
  // The Markdown table on stdout is the terminal view.
  assert.is((r.stdout.match(/^\| (✅|❌|➖) \|/gm) ?? []).length, 8);
  assert.match(r.stdout, /Platform health \| ≥ 99 % \| 97\.5 % .*\*\*FAIL\*\*/);
});

report('the command leaves a record: one week1.<slug> check per row, pass/fail/no-data', () => {
  const r = week1(['--json', '--quiet', '--out', join(tmp, 'rec')]);
  assert.is(r.code, 1, r.stderr);
  const rec = JSON.parse(r.stdout) as RunRecord;
  assert.is(rec.kind, 'report-week1');
  assert.is(rec.status, 'fail');
  assert.equal(rec.checks.map((c) => c.id), [
    'week1.platform-health', 'week1.uptime', 'week1.critical-incidents', 'week1.incident-mttr',
    'week1.user-satisfaction', 'week1.response-time-p95', 'week1.error-rate', 'week1.workflow-success-rate',
  ]);
  const c = (id: string) => rec.checks.find((x) => x.id === `week1.${id}`)!;
  assert.is(c('platform-health').status, 'fail');
  assert.is(c('platform-health').observed, 97.5);
  assert.is(c('user-satisfaction').status, 'no-data');
  assert.is(c('incident-mttr').status, 'no-data');
  // Without an incident log the daily checks' critical alerts still measure the row — on the 2 days
  // of 7 that had a daily check, which is not a week's pass.
  assert.is(c('critical-incidents').status, 'no-data');
  assert.equal(c('critical-incidents').evidence.days, { measured: 2, of: 7 });
  assert.ok(existsSync(join(ownRuns, rec.id, 'record.json')));
});

report('a window fully measured, every row passing: headline PASS, exit 0', () => {
  const out = join(tmp, 'fullday');
  const r = cli(['-c', config, 'report', 'week1', '--from', recordsDir, '--since', '2026-11-17T00:00:00Z', '--until', '2026-11-18T00:00:00Z',
    '--incidents', fx('incidents-empty.csv'), '--feedback', fx('feedback.csv'), '--format', 'md,json', '--out', out]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(readFileSync(join(out, 'week1.md'), 'utf8'), /^## ✅ Week-1 success criteria: PASS/m);
  for (const x of readJson(join(out, 'week1.json')).rows) assert.is(x.status, 'PASS', `${x.slug}: ${x.measured}`);
  // The staging record of that day (health 12 %) is not among them.
  assert.is(row(readJson(join(out, 'week1.json')), 'platform-health').value, 100);
  assert.match(r.stderr, /1 record\(s\) .* measured another platform than "sandbox"/);
  // The same day with a run that saw a failure and was then interrupted: left out of the rows, but the week is no PASS.
  const withCut = join(tmp, 'fullday-cut');
  cpSync(recordsDir, withCut, { recursive: true });
  const cut = new RunRecorder(withCut, 'check-daily', 'sandbox', ['test']);
  cut.record.startedAt = '2026-11-17T12:00:00.000Z';
  cut.addCheck(check('daily.platform-health', 40, 'percent', 'fail'));
  cut.finish('aborted', 'interrupted by SIGTERM');
  const again = cli(['-c', config, '--json', 'report', 'week1', '--from', withCut, '--since', '2026-11-17T00:00:00Z', '--until', '2026-11-18T00:00:00Z',
    '--incidents', fx('incidents-empty.csv'), '--feedback', fx('feedback.csv'), '--format', 'md', '--out', join(tmp, 'fullday-cut-out')]);
  assert.is(again.code, 4, again.stderr);
  const rec = JSON.parse(again.stdout) as RunRecord;
  assert.is(rec.checks.find((c) => c.id === 'week1.unfinished-runs')?.status, 'no-data');
  assert.equal(rec.checks.filter((c) => c.id !== 'week1.unfinished-runs').map((c) => c.status), Array(8).fill('pass'), 'every row still passes');
  assert.match(readFileSync(join(tmp, 'fullday-cut-out', 'week1.md'), 'utf8'), /^## ➖ Week-1 success criteria: INCOMPLETE/m);
});

report('NO DATA is never PASS: one row without data and none failing is INCOMPLETE, exit 4, record incomplete', () => {
  const out = join(tmp, 'incomplete');
  const r = cli(['-c', config, '--json', 'report', 'week1', '--from', recordsDir, '--since', '2026-11-17T00:00:00Z', '--until', '2026-11-18T00:00:00Z',
    '--incidents', fx('incidents-empty.csv'), '--format', 'md', '--out', out]);
  assert.is(r.code, 4, r.stderr);
  assert.match(readFileSync(join(out, 'week1.md'), 'utf8'), /^## ➖ Week-1 success criteria: INCOMPLETE/m);
  const rec = JSON.parse(r.stdout) as RunRecord;
  assert.is(rec.status, 'incomplete');
  assert.is(rec.checks.find((c) => c.id === 'week1.user-satisfaction')!.status, 'no-data');
});

report('rows measured on fewer days than the window says so, and the week is not a PASS', () => {
  const out = join(tmp, 'partial');
  // The two days with daily checks, in a three-day window: uptime passes on both, but day 3 is unmeasured.
  const r = cli(['-c', config, 'report', 'week1', '--from', recordsDir, '--since', '2026-11-17T00:00:00Z', '--until', '2026-11-20T00:00:00Z',
    '--incidents', fx('incidents-empty.csv'), '--feedback', fx('feedback.csv'), '--format', 'json', '--out', out]);
  const up = row(readJson(join(out, 'week1.json')), 'uptime');
  assert.is(up.status, 'PASS');
  assert.match(up.measured, 'measured on 2 of 3 days');
  assert.equal((up as Row & { days?: unknown }).days, { measured: 2, of: 3 });
  assert.is(r.code, 1, 'platform health failed on day 2: FAIL wins over INCOMPLETE');
});

report('day coverage counts 24-hour days from --since: a 7-day window not on midnight is 7 days, and 7 daily runs cover it', () => {
  const since = new Date('2026-11-16T09:30:00Z');
  const w = { since, until: new Date(since.getTime() + 7 * 86_400_000) };
  const daily = (iso: string) => ({ source: 'record' as const, value: 100, label: '', breach: false, startedAt: iso });
  const runs = [16, 17, 18, 19, 20, 21, 22].map((d) => daily(`2026-11-${d}T10:00:00Z`));
  assert.equal(dayCoverage(runs, w), { measured: 7, of: 7 });
  assert.equal(dayCoverage(runs.slice(0, 5), w), { measured: 5, of: 7 });
  // Two runs in one 24-hour slot are one day; a run before the window is none.
  assert.equal(dayCoverage([daily('2026-11-16T09:31:00Z'), daily('2026-11-17T09:29:00Z'), daily('2026-11-16T09:29:00Z')], w), { measured: 1, of: 7 });
});

report('no feedback file: satisfaction is NO DATA with the reason; no incident log: MTTR NO DATA', () => {
  const out = join(tmp, 'nofeedback');
  const r = week1(['--format', 'json', '--out', out]);
  assert.is(r.code, 1, r.stderr);
  const rep = readJson(join(out, 'week1.json'));
  const sat = row(rep, 'user-satisfaction');
  assert.is(sat.status, 'NO DATA');
  assert.is(sat.value, null);
  assert.is(sat.reason, 'no feedback file given (--feedback)');
  assert.is(row(rep, 'incident-mttr').status, 'NO DATA');
  assert.match(row(rep, 'incident-mttr').reason!, '--incidents');
  assert.not.ok(existsSync(join(out, 'week1.md')), 'only the formats asked for');
});

report('an incident log with zero incidents is a measurement: MTTR PASS "no incidents"', () => {
  const out = join(tmp, 'empty');
  week1(['--incidents', fx('incidents-empty.csv'), '--format', 'json', '--out', out]);
  const mttr = row(readJson(join(out, 'week1.json')), 'incident-mttr');
  assert.is(mttr.status, 'PASS');
  assert.is(mttr.measured, 'no incidents');
});

report('a Sev1 in the window fails critical incidents and names it; JSON inputs work', () => {
  const out = join(tmp, 'sev1');
  const r = week1(['--incidents', fx('incidents-sev1.json'), '--feedback', fx('feedback.json'), '--format', 'json', '--out', out]);
  assert.is(r.code, 1, r.stderr);
  const rep = readJson(join(out, 'week1.json'));
  const crit = row(rep, 'critical-incidents');
  assert.is(crit.status, 'FAIL');
  near(crit.value, 1, 'sev1 count');
  assert.match(crit.breaches[0]!.where!, 'incidents-sev1.json[0]');
  near(row(rep, 'incident-mttr').value, 50, 'mttr (25 + 75) / 2');
  near(row(rep, 'user-satisfaction').value, 4.25, 'satisfaction');
});

function snapshot(dir: string, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, readFileSync(join(dir, n), 'latin1')]));
}

report('malformed incident row: exit 2 naming file:line and field; the earlier good report stays byte-identical', () => {
  const names = ['week1.md', 'week1.html', 'week1.json'];
  const before = snapshot(goodOut, names);
  const ownBefore = existsSync(ownRuns) ? readdirSync(ownRuns).length : 0;
  const r = week1(['--incidents', fx('incidents-bad.csv'), '--feedback', fx('feedback.csv'), '--out', goodOut]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /incidents-bad\.csv:4: resolved: not an ISO timestamp/);
  assert.equal(snapshot(goodOut, names), before);
  assert.is(readdirSync(ownRuns).length, ownBefore, 'bad input leaves no record either');
  assert.equal(readdirSync(goodOut).sort(), [...names].sort(), 'no temp files left');
});

report('incident ordering: responded before detected is an error naming the JSON index', () => {
  const r = week1(['--incidents', fx('incidents-bad.json'), '--out', goodOut]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /incidents-bad\.json\[1\]: responded: .*before detected/);
});

report('out-of-range feedback score: exit 2 naming file:line; the stable latest-week1.* copy survives', () => {
  // Default outputs: the run folder plus runs/latest-week1.* (here the test config's runsDir).
  const ok = week1(['--incidents', fx('incidents.csv'), '--feedback', fx('feedback.csv')]);
  assert.is(ok.code, 1, ok.stderr);
  const names = ['latest-week1.md', 'latest-week1.html', 'latest-week1.json'];
  const before = snapshot(ownRuns, names);
  const bad = week1(['--incidents', fx('incidents.csv'), '--feedback', fx('feedback-bad.csv')]);
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /feedback-bad\.csv:3: score: out of range: must be 1–5 \(got "7"\)/);
  assert.equal(snapshot(ownRuns, names), before);
  const html = readFileSync(join(ownRuns, 'latest-week1.html'), 'utf8');
  assert.match(html, `href="${drill.record.id}/record.json"`.replace(/^href="/, 'href="../records/'));
});

report('input files: a folder, a short CSV row, an unknown column or JSON field each exit 2 naming it; 200,000 scores are read, not a stack overflow', () => {
  const d = mkdtempSync(join(tmp, 'inputs-'));
  const folder = week1(['--incidents', d, '--out', goodOut]);
  assert.is(folder.code, 2);
  assert.match(folder.stderr, /--incidents: not a file/);
  assert.not.match(folder.stderr, /\n\s+at /, 'no stack trace');
  const short = join(d, 'short.csv');
  writeFileSync(short, 'id,severity,detected,responded,resolved,summary\nINC-1,sev1,2026-11-17T09:00:00Z\n');
  assert.match(week1(['--incidents', short, '--out', goodOut]).stderr, /short\.csv:2: 3 fields, the header has 6/);
  const column = join(d, 'column.csv');
  writeFileSync(column, 'id,severity,detected,responded,resolved,sumary\n');
  assert.match(week1(['--incidents', column, '--out', goodOut]).stderr, /column\.csv:1: unknown column sumary/);
  const misspelt = join(d, 'misspelt.json');
  writeFileSync(misspelt, JSON.stringify([{ id: 'INC-1', severity: 1, detected: '2026-11-17T09:00:00Z', resolved: '2026-11-17T09:20:00Z', resovled: 'x' }]));
  const m = week1(['--incidents', misspelt, '--out', goodOut]);
  assert.is(m.code, 2);
  assert.match(m.stderr, /misspelt\.json\[0\]: resovled: unknown field/);
  const many = join(d, 'many.csv');
  writeFileSync(many, `user,score,comment,date\n${Array.from({ length: 200_000 }, (_, i) => `u${i},${1 + (i % 5)},,`).join('\n')}\n`);
  const big = week1(['--feedback', many, '--out', join(d, 'out')]);
  assert.ok(big.code === 1 || big.code === 4, big.stderr.slice(-500));
  const rep = readJson(join(d, 'out', 'week1.json'));
  assert.equal([rep.feedback!.count, rep.feedback!.mean], [200_000, 3]);
});

report('a malformed record under --from is skipped with a warning naming it; the table is still made', () => {
  const from = mkdtempSync(join(tmp, 'mixed-'));
  cpSync(recordsDir, from, { recursive: true });
  mkdirSync(join(from, 'broken-checks'));
  writeFileSync(join(from, 'broken-checks', 'record.json'), JSON.stringify({ id: 'x', kind: 'check-daily', startedAt: '2026-11-18T08:00:00.000Z', status: 'pass', platform: 'sandbox', checks: [null, { id: 7 }], data: {} }));
  mkdirSync(join(from, 'from-the-future'));
  writeFileSync(join(from, 'from-the-future', 'record.json'), JSON.stringify({ ...day1.record, id: 'future', schemaVersion: 99 }));
  const r = cli(['-c', config, 'report', 'week1', '--from', from, ...WINDOW, '--out', join(from, 'out')]);
  assert.ok(r.code === 1 || r.code === 4, r.stderr);
  assert.match(r.stderr, /warning: skipping .*broken-checks\/record\.json: not a run record: checks\.0/);
  assert.match(r.stderr, /warning: skipping .*from-the-future\/record\.json: written by a newer harness \(record schema 99; this one reads up to 2\)/);
  assert.is(day1.record.schemaVersion, 2, 'records are written with their schema version');
  assert.not.match(r.stderr, /TypeError/);
});

report('bad arguments exit 2 with the flag named', () => {
  assert.match(week1(['--format', 'pdf']).stderr, '--format');
  assert.is(week1(['--format', 'pdf']).code, 2);
  const r = cli(['-c', config, 'report', 'week1', '--from', join(tmp, 'nope')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, '--from');
  assert.is(week1(['--since', 'last tuesday']).code, 2);
});

// ---------------------------------------------------------------------------------------------
// The HTML in a real browser

report('the HTML report renders in headless Chromium: 8 rows, badges, charts with points; screenshot kept', async () => {
  const browser = await launchChromium('report test');
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (req) => { if (!req.url().startsWith('file:')) requests.push(req.url()); });
    await page.goto(pathToFileURL(join(goodOut, 'week1.html')).href);
    assert.is(await page.locator('table.criteria tbody tr').count(), 8);
    assert.equal(await page.locator('table.criteria td.status .badge').allTextContents(),
      ['FAIL', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'FAIL']);
    assert.is(await page.locator('#verdict').textContent(), 'FAIL');
    // Latency + throughput line charts: a polyline with one vertex per second, one dot per point.
    const lines = page.locator('svg.line-chart');
    assert.is(await lines.count(), 2);
    for (let k = 0; k < 2; k++) {
      const pts = await lines.nth(k).locator('polyline.series').first().getAttribute('points');
      assert.is(pts!.trim().split(/\s+/).length, 10, `chart ${k} points: ${pts}`);
      assert.is(await lines.nth(k).locator('circle.point').count(), 10);
      assert.is(await lines.nth(k).locator('line.threshold').count(), 1);
    }
    const tl = page.locator('svg.timeline-chart');
    assert.is(await tl.count(), 1);
    assert.is(await tl.locator('circle.event').count(), 6);
    assert.match((await tl.textContent()) ?? '', 'replicas restored');
    // The charts are laid out (non-zero size) and evidence links resolve to real record files.
    const box = await lines.first().boundingBox();
    assert.ok(box && box.width > 300 && box.height > 150, JSON.stringify(box));
    const href = await page.locator('tr[data-slug="platform-health"] td.evidence a').first().getAttribute('href');
    assert.ok(href && existsSync(resolve(goodOut, href)), `${href}`);
    assert.equal(requests, [], 'a self-contained report makes no network requests');
    const shot = join(projectRoot, 'test-output', 'week1-report.png');
    mkdirSync(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(existsSync(shot));
  } finally {
    await browser.close();
  }
});

report.run();
