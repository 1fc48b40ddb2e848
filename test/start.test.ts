import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { cli, clearFaults, cfg, eventually, sb } from './support.ts';
import { alertmanagerAlerts } from '../sandbox/prom-api.ts';
import { runsDir } from '../core/config.ts';
import { projectRoot } from '../core/paths.ts';
import type { RunRecord } from '../core/record.ts';

const start = suite('start');
start.before(() => clearFaults());

const record = (id: string) => JSON.parse(readFileSync(join(runsDir(cfg), id, 'record.json'), 'utf8')) as RunRecord;

start('npm start (compressed) on the healthy sandbox: every daily check passes, the deploy gate passes (Kafka read back), the Wednesday drill passes, and they feed an eight-row week-1 table that is INCOMPLETE (exit 4) without the two input files', async () => {
  // The drill's alert is only notified anew if the previous rebalance alert has resolved.
  if (sb.kube.enabled) {
    await eventually('no ConsumerGroupRebalancing active', async () =>
      (await alertmanagerAlerts(sb, { alertname: 'ConsumerGroupRebalancing', active: true })).length === 0, 60_000, 1000);
  }
  // What `npm start` runs, with the load windows shortened for the test suite — and a user's
  // $KUBECONFIG naming another cluster (context not allowed, server unreachable): the drill must
  // still act on the sandbox alone, without --yes.
  const foreign = join(mkdtempSync(join(tmpdir(), 'kubeconfig-')), 'config');
  writeFileSync(foreign, 'apiVersion: v1\nkind: Config\nclusters: [{name: prod, cluster: {server: "https://127.0.0.1:1"}}]\ncontexts: [{name: prod-admin, context: {cluster: prod, user: admin}}]\ncurrent-context: prod-admin\nusers: [{name: admin, user: {token: not-a-token}}]\n');
  const r = cli(['start', '--duration', '5s', '--window', '8s'], { CI: 'true', KUBECONFIG: foreign }, 420_000);
  const failed = (rec: RunRecord) => rec.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}=${c.observed} ${c.evidence.what}`).join('\n');

  const rows = r.stdout.split('\n').filter((l) => /^\| (✅|❌|➖) \|/.test(l));
  assert.is(rows.length, 8, r.stdout);
  for (const [metric, status] of [['Platform health', 'PASS'], ['Uptime', 'PASS'], ['Critical incidents', 'PASS'], ['Response time p95', 'PASS'],
    ['Error rate', 'PASS'], ['Workflow success rate', 'PASS'], ['Incident MTTR', 'NO DATA'], ['User satisfaction', 'NO DATA']]) {
    const row = rows.find((l) => l.includes(`| ${metric} |`));
    assert.ok(row, `${metric} row`);
    assert.match(row!, `**${status}**`, row);
  }
  // NO DATA says why.
  assert.match(rows.find((l) => l.includes('Incident MTTR'))!, '--incidents');
  assert.match(rows.find((l) => l.includes('User satisfaction'))!, '--feedback');
  const html = r.stdout.match(/^HTML report: (.+)$/m)?.[1];
  assert.ok(html && existsSync(join(projectRoot, html)), `HTML report path printed: ${html}`);
  // Two rows need input files: the week is not a PASS, and not a FAIL either.
  assert.match(r.stdout, /^## ➖ Week-1 success criteria: INCOMPLETE/m);
  assert.is(r.code, 4, r.stderr.slice(-2000));

  // Each step left its own record; the table was computed from exactly these.
  const startRec = latest('start');
  const steps = startRec.data.steps as Array<{ step: string; runId: string; status: string }>;
  assert.equal(steps.map((s) => s.step), ['sandbox up', 'daily check', 'deploy gate', ...(sb.kube.enabled ? ['Wednesday drill'] : []), 'week-1 report']);
  for (const s of steps) assert.is(s.status, s.step === 'week-1 report' ? 'incomplete' : 'pass', `${s.step}: ${failed(record(s.runId))}`);
  assert.is(startRec.status, 'incomplete');
  // The morning check on a healthy platform: every check passes, each with its evidence.
  const daily = record(steps.find((s) => s.step === 'daily check')!.runId);
  assert.ok(daily.checks.length >= 20, `${daily.checks.length} daily checks`);
  for (const c of daily.checks) {
    assert.is(c.status, 'pass', `${c.id}=${c.observed} ${c.evidence.what}`);
    assert.ok(c.evidence.how && c.evidence.where, `${c.id} has evidence`);
  }
  // The deploy gate: Kafka ≥ 7,000 msg/s with every acknowledged message read back from the topic
  // (the platform's feed shares it), inference p95 < 100 ms, JUnit and summary written.
  const gate = record(steps.find((s) => s.step === 'deploy gate')!.runId);
  const byId = (id: string) => gate.checks.find((c) => c.id === id) ?? assert.unreachable(`no ${id}`) as never;
  assert.ok((byId('kafka-throughput:kafka_writer_message_count:rate>=7000').observed as number) >= 7000);
  const offsets = byId('kafka-throughput:topic-end-offsets');
  const sent = (gate.data.scenarios as Array<{ scenario: string; metrics: Record<string, { values: { count: number } }> }>)
    .find((x) => x.scenario === 'kafka-throughput')!.metrics.kafka_writer_message_count!.values.count;
  assert.is(offsets.observed, sent, offsets.evidence.what);
  assert.match(offsets.evidence.what, /found among \d+ messages read back/);
  assert.ok((byId('inference-latency:http_req_duration:p(95)<100').observed as number) < 100);
  const xml = readFileSync(join(runsDir(cfg), gate.id, 'junit.xml'), 'utf8');
  assert.is((xml.match(/<testcase /g) ?? []).length, gate.checks.length);
  assert.match(xml, 'failures="0"');
  assert.match(readFileSync(join(runsDir(cfg), gate.id, 'summary.md'), 'utf8'), 'PASS');
  if (sb.kube.enabled) {
    const drill = record(steps.find((s) => s.step === 'Wednesday drill')!.runId);
    assert.is((drill.data.plan as { context: string }).context, 'carbon-sandbox', 'the drill acted on the sandbox, not $KUBECONFIG');
    assert.not.ok(drill.argv.includes('--yes'), 'npm start never adds --yes');
    const alert = drill.checks.find((c) => c.id === 'drill.alert')!;
    assert.ok((alert.observed as number) > 0 && (alert.observed as number) < 60, `alert notified after ${alert.observed} s`);
    assert.ok((drill.checks.find((c) => c.id === 'drill.recovery')!.observed as number) < 30);
    assert.is(drill.checks.find((c) => c.id === 'drill.integrity.loss')!.status, 'pass');
    assert.match(readFileSync(join(runsDir(cfg), drill.id, 'drill.md'), 'utf8'), 'Recovery timeline');
    assert.ok(existsSync(join(runsDir(cfg), drill.id, 'drill.html')));
  }
});

start('bad arguments to the main job exit 2 before anything is started or installed', () => {
  const before = readdirSync(runsDir(cfg)).length;
  for (const [args, flag] of [[['--duration', '10'], '--duration: "10" has no unit'], [['--window', '2s'], '--window'], [['--incidents', join(tmpdir(), 'no-such-log.csv')], '--incidents: file not found']] as const) {
    const r = cli(['start', ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, flag);
  }
  assert.is(readdirSync(runsDir(cfg)).length, before, 'no record: nothing ran');
});

// SIGTERM as a CI cancel sends it; SIGINT as Ctrl-C in a terminal does.
for (const signal of ['SIGTERM', 'SIGINT'] as const) start(`${signal} to the main job while a step runs: the step is interrupted at once, both records say aborted, no step process is left`, async () => {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), 'start', '--duration', '5s', '--window', '8s'], { cwd: projectRoot, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  let ended = false;
  const closed = new Promise<number>((r) => child.on('close', (c) => { ended = true; r(c ?? -1); }));
  try {
    // Signalled once the step's own run is measuring (its first progress line), not a fixed time after
    // the main job started it: on a loaded machine the step's process may still be loading its modules
    // 3 s later, before it has a run to interrupt.
    await eventually('the daily check step measuring', async () => {
      if (ended) throw new Error(`the main job ended before its daily step measured:\n${stderr.slice(-1500)}`);
      return /2\/\d daily check/.test(stderr) && /daily: measuring over/.test(stderr);
    }, 120_000, 200);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    child.kill(signal);
    const code = await closed;
    assert.ok(Date.now() - t0 < 15_000, `ended ${Date.now() - t0} ms after ${signal}`);
    assert.is(code, 3, stderr.slice(-1500));
    const main = latest('start');
    assert.is(main.status, 'aborted');
    assert.match(main.error ?? '', signal);
    // The step's record as the main job took it from the step (a record begins as "aborted" with no end
    // until its run finishes it, so the file alone proves nothing): finished, and ended by the interrupt.
    const step = (main.data.steps as Array<{ step: string; runId?: string }>).find((x) => x.step === 'daily check');
    assert.ok(step?.runId, `the step printed its record: ${JSON.stringify(main.data.steps)}`);
    const daily = record(step!.runId!);
    assert.is(daily.status, 'aborted', 'the step was interrupted, not left to finish');
    assert.ok(daily.endedAt, 'the step finished its record');
    assert.match(daily.error ?? '', 'interrupted by SIGINT');
    const left = spawnSync('pgrep', ['-f', 'harness.mjs --json check daily'], { encoding: 'utf8' }).stdout.trim();
    assert.is(left, '', 'no step process left running');
  } finally {
    // A failed wait or assertion must not leave the main job running its gate and drill beside later tests.
    if (!ended) child.kill('SIGKILL');
  }
});

/** The newest record of a kind (run ids sort by time). */
function latest(kind: string): RunRecord {
  const id = readdirSync(runsDir(cfg)).filter((d) => d.includes(`-${kind}-`)).sort().at(-1);
  assert.ok(id, `a ${kind} record`);
  return record(id!);
}

start.run();
