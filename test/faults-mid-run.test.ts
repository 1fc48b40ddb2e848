/**
 * Parts of the platform killed (SIGKILL, as a crash) while a command runs, and the harness itself
 * interrupted. Each time: the run ends — within what was left of its window plus 10 s — with the
 * exit code of the contract (1: the platform failed a check; 3: the run could not complete), a
 * complete record that names the cause, no stack trace and no process of ours left behind; and once
 * the part is back, a run passes again. README "Exit codes" documents which is which.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { cli, clearFaults, consumersCaughtUp, ctx, eventually, sb } from './support.ts';
import { KUBE_NAMESPACE, kubeConfig } from '../sandbox/kube.ts';
import { writeFaults } from '../sandbox/faults.ts';
import { projectRoot } from '../core/paths.ts';
import type { Check, RunRecord } from '../core/record.ts';
import { podReady } from '../platform/kube.ts';

const faults = suite('faults mid-run');
let stopped = false;

/**
 * Brings the killed part back. A restarted broker or API server takes its clients a moment to find
 * again (the consumer group rebalances), so `up` gets a second go before the sandbox counts as not back.
 */
function restore(): void {
  let up = cli(['sandbox', 'up'], {}, 300_000);
  if (up.code !== 0) up = cli(['sandbox', 'up'], {}, 300_000);
  assert.is(up.code, 0, `sandbox restored: ${up.stdout.slice(-1500)}${up.stderr.slice(-1500)}`);
  stopped = false;
}

faults.before(() => clearFaults());
faults.after.each(async () => {
  clearFaults();
  if (stopped) restore();
  await consumersCaughtUp(5000, 120_000);
});

interface Outcome { code: number; stdout: string; stderr: string; rec: RunRecord; acted: boolean; endedAfterMs: number; byId: (id: string) => Check }

/**
 * Runs the CLI and, `afterMs` into it, does `act` (kill a part, signal the harness); with `once`,
 * the clock starts when its progress first prints that line (start-up time varies with the machine's
 * load, the measuring window does not). Returns how long after the act the command ended, and its record.
 */
function during(args: string[], afterMs: number, act: (pid: number) => void, once?: RegExp, then?: { once: RegExp; act: () => void }): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), '--json', ...(once ? [] : ['--quiet']), ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let actedAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => { timer = setTimeout(() => { actedAt = Date.now(); act(child.pid!); }, afterMs); };
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (once && !timer && once.test(stderr)) arm();
      if (then && actedAt && then.once.test(stderr.slice(stderr.search(once ?? /$/)))) { then.act(); then = undefined; }
    });
    if (!once) arm();
    child.on('close', (code) => {
      clearTimeout(timer);
      let rec: RunRecord;
      try { rec = JSON.parse(stdout) as RunRecord; } catch { reject(new Error(`no JSON record (exit ${code}): ${stderr.slice(-2000)}`)); return; }
      resolve({ code: code ?? -1, stdout, stderr, rec, acted: actedAt > 0, endedAfterMs: actedAt ? Date.now() - actedAt : 0,
        byId: (id) => rec.checks.find((c) => c.id === id) ?? assert.unreachable(`no ${id}: ${rec.checks.map((c) => c.id).join(', ')}`) as never });
    });
  });
}

/** SIGKILL a sandbox part by its pid file: a crash, not a shutdown. */
const crash = (part: string) => () => {
  const pid = ctx.procs.pid(part);
  assert.ok(pid, `${part} is running`);
  stopped = true;
  process.kill(pid!, 'SIGKILL');
};

/**
 * SIGSTOP a sandbox part and its child processes: it keeps its sockets, so connections still open and requests go
 * unanswered, as with a hung process or a network that drops packets. Thawed after `thawMs`
 * whatever happens (and by `thaw`), so a command that waits for it ends rather than hangs the suite.
 */
function frozen(part: string, thawMs: number): { freeze: () => void; thaw: () => void } {
  const pid = ctx.procs.pid(part);
  assert.ok(pid, `${part} is running`);
  // With its children (PostgreSQL serves each connection from a process of its own), as they are at the freeze.
  let pids: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  const signal = (sig: NodeJS.Signals) => { for (const p of pids) try { process.kill(p, sig); } catch { /* gone meanwhile */ } };
  const thaw = () => { clearTimeout(timer); signal('SIGCONT'); };
  return {
    freeze: () => {
      const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
      pids = [pid!, ...children];
      signal('SIGSTOP');
      timer = setTimeout(thaw, thawMs);
    },
    thaw,
  };
}

/** The outcome is an answer, not a crash: no stack trace, a finished record, no process of ours left. */
function clean(o: Outcome, args: string[]): void {
  assert.ok(o.acted, `the command ended before the fault (exit ${o.code}): nothing was tested`);
  assert.not.match(o.stderr, /^\s+at .+:\d+:\d+\)?$/m, `a stack trace: ${o.stderr.slice(-1500)}`);
  assert.ok(o.rec.endedAt, 'the record was finished');
  const left = spawnSync('pgrep', ['-f', `harness.mjs --json.* ${args.join(' ')}`], { encoding: 'utf8' }).stdout.trim();
  assert.is(left, '', `processes left: ${left}`);
}

faults('the Kafka broker killed during a gate scenario: it stops within 10 s (not at the end of its 30 s), the produce errors fail it (exit 1), the generator is not blamed; restarted, it passes', async () => {
  const args = ['run', 'kafka-throughput', '--duration', '30s'];
  // 5 s after the scenario starts: past its connect and 2 s warm-up, into the measured 30 s.
  const o = await during(args, 5000, crash('kafka'), /▶ kafka-throughput/);
  clean(o, args);
  assert.is(o.code, 1, `${o.rec.status}: ${o.rec.error ?? ''}\n${o.stderr.slice(-800)}`);
  assert.is(o.rec.status, 'fail');
  assert.not.match(o.rec.error ?? '', 'load-generator');
  assert.is(o.byId('kafka-throughput:kafka_writer_error_count:count==0').status, 'fail');
  const outage = o.byId('kafka-throughput:target-answering');
  assert.is(outage.status, 'fail', outage.evidence.what);
  assert.match(outage.evidence.what, 'stopped there');
  assert.ok(o.endedAfterMs < 10_000, `ended ${o.endedAfterMs} ms after the kill`);
  restore();
  // The restarted broker's backlog drains first: the consumers catching up take the cores the
  // generator needs, and a generator starved of them errs (exit 3) whatever the broker does.
  await consumersCaughtUp(2000, 120_000);
  // A broker JVM just restarted compiles its hot paths for a while: on two cores the generator can
  // be starved by it (a measured rerun: lateness p99 142 ms with the harness at 19 % of a core).
  // That is exit 3, "could not judge", never a pass or a fail; the rerun is tried again after a pause.
  let again = cli(['--json', '--quiet', ...args.slice(0, 2), '--duration', '5s']);
  for (let i = 0; i < 2 && again.code === 3 && /load-generator/.test(again.stdout); i++) {
    await sleep(15_000);
    again = cli(['--json', '--quiet', ...args.slice(0, 2), '--duration', '5s']);
  }
  assert.is(again.code, 0, again.stdout.slice(-3000));
});

// The gate reads none of Prometheus, Alertmanager and the API server: killed with PostgreSQL (one
// restore), they must change nothing but what PostgreSQL's loss explains.
faults('PostgreSQL killed during a gate scenario (with Prometheus, Alertmanager and the API server): it stops within 10 s, the failed queries fail it (exit 1); restarted, it passes', async () => {
  const args = ['run', 'feature-store-query', '--duration', '30s'];
  const o = await during(args, 5000, () => { for (const part of ['postgres', 'prometheus', 'alertmanager', 'kube-apiserver']) crash(part)(); }, /▶ feature-store-query/);
  clean(o, args);
  assert.is(o.code, 1, `${o.rec.status}: ${o.rec.error ?? ''}\n${o.stderr.slice(-800)}`);
  assert.is(o.byId('feature-store-query:feature_store_query_failed:rate==0').status, 'fail');
  assert.is(o.byId('feature-store-query:target-answering').status, 'fail');
  assert.ok(o.endedAfterMs < 10_000, `ended ${o.endedAfterMs} ms after the kill`);
  const failing = o.rec.checks.filter((c) => c.status !== 'pass').map((c) => c.id);
  assert.ok(failing.every((id) => id.startsWith('feature-store-query:')), `only the scenario's own checks: ${failing.join(', ')}`);
  restore();
  // The restarted broker's backlog drains first: the consumers catching up take the cores the
  // generator needs, and a generator starved of them errs (exit 3) whatever the broker does.
  await consumersCaughtUp(2000, 120_000);
  const again = cli(['--json', '--quiet', ...args.slice(0, 2), '--duration', '5s']); // 5/s: 20 samples needed
  assert.is(again.code, 0, again.stdout.slice(-3000));
});

// Both in one check (one restore): each is a part the daily check reads, neither one it cannot go on without.
faults('PostgreSQL and Prometheus killed during the daily check: the checks that need them error naming why, no crash; the rest are judged', async () => {
  const args = ['check', 'daily', '--window', '6s'];
  const o = await during(args, 1500, () => { crash('prometheus')(); crash('postgres')(); });
  clean(o, args);
  // The integrity checks read the store after the window: it is gone, so they could not measure.
  const loss = o.byId('daily.integrity.loss');
  assert.is(loss.status, 'error', loss.evidence.what);
  assert.match(loss.evidence.what, /ECONNREFUSED|terminat|connect/);
  // The crash check reads Prometheus after the window, when it is gone.
  const crashes = o.byId('daily.kube.crashes');
  assert.is(crashes.status, 'error', crashes.evidence.what);
  assert.match(crashes.evidence.what, `127.0.0.1:${sb.ports.prometheus}`);
  assert.is(o.byId('daily.kafka.throughput').status, 'pass', 'what needs neither is still judged');
  // 1 where a judged check failed (the consumers go down with their store), else 3; never 0 and never a crash.
  assert.ok(o.code === 1 || o.code === 3, `exit ${o.code}`);
  assert.is(o.rec.status, o.code === 1 ? 'fail' : 'error');
  assert.ok(o.endedAfterMs < 4_500 + 10_000 + 10_000, `ended ${o.endedAfterMs} ms after the kill (window, integrity read, 10 s)`);
});

faults('Kafka, the API server and Alertmanager killed during the daily check: Kafka fails as unreachable, the rest measured is kept, the API is an error naming it; ends within 10 s of the window', async () => {
  const args = ['check', 'daily', '--window', '8s'];
  const o = await during(args, 2000, () => { for (const part of ['kafka', 'kube-apiserver', 'alertmanager']) crash(part)(); }, /measuring over/);
  clean(o, args);
  const kafka = o.byId('daily.kafka.reachable');
  assert.is(kafka.status, 'fail', kafka.evidence.what);
  assert.match(kafka.evidence.what, 'stopped answering during the window');
  const kube = o.byId('daily.kube.replicas');
  assert.is(kube.status, 'error');
  assert.match(kube.evidence.what, `127.0.0.1:${sb.ports.kubeApiserver}`);
  // Read when the window ends, so its Alertmanager is gone: an error naming it, never a pass.
  const alerts = o.byId('daily.critical-alerts');
  assert.is(alerts.status, 'error', alerts.evidence.what);
  assert.match(alerts.evidence.what, `127.0.0.1:${sb.ports.alertmanager}`);
  assert.is(o.byId('daily.inference.health').status, 'pass', 'what needs none of them is still judged');
  assert.is(o.code, 1);
  assert.ok(o.endedAfterMs < 6_000 + 10_000, `ended ${o.endedAfterMs} ms after the kill (what was left of the window, and 10 s)`);
});

faults('the Kubernetes API server killed during a drill: exit 3 at once, the record aborted naming the API; restarted, every replica is back', async () => {
  if (!sb.kube.enabled) return;
  const args = ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--alert-wait', '20s'];
  const o = await during(args, 4000, crash('kube-apiserver'));
  clean(o, args);
  assert.is(o.code, 3);
  // Aborted once the pod was killed (the drill had acted); an error if the API went before it could.
  assert.is(o.rec.status, o.rec.data.injected ? 'aborted' : 'error', `injected: ${String(o.rec.data.injected)}`);
  assert.match(o.rec.error ?? '', /Kubernetes API/);
  assert.ok(o.endedAfterMs < 10_000, `ended ${o.endedAfterMs} ms after the kill`);
  restore();
  const core = kubeConfig(ctx).makeApiClient(k8s.CoreV1Api);
  // Every pod Ready, none left behind NotReady: a replacement that became Ready while the API was
  // down must show Ready once it is back (the kubelet bridge sends the status it could not send).
  await eventually('every consumer replica Ready again, and no pod left NotReady', async () => {
    const pods = (await core.listNamespacedPod({ namespace: KUBE_NAMESPACE, labelSelector: 'app=prediction-consumer' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    return pods.length === sb.consumers.replicas && pods.every((p) => podReady(p));
  }, 90_000, 500);
});

// Frozen, a broker or a database answers nothing in flight, and closing a client waits for what is
// in flight: the gate waited until they thawed. Thawed after 120 s whatever happens.
faults('the Kafka broker frozen (SIGSTOP) during a gate scenario: it ends within its window, the graceful stop, 15 s for the end offsets and 10 s to close its producer (not when the broker thaws); nothing acknowledged fails it (exit 1), or, frozen before the clock, the warm-up\'s deadline ends it (exit 3)', async () => {
  const args = ['run', 'kafka-throughput', '--duration', '20s'];
  const broker = frozen('kafka', 120_000);
  let o: Outcome;
  // 10 s after the scenario starts: past its set-up and warm-up on a quiet machine, inside its 20 s window.
  try { o = await during(args, 10_000, broker.freeze, /▶ kafka-throughput/); } finally { broker.thaw(); }
  clean(o, args);
  if (o.code === 3) {
    // A busy machine: frozen during the warm-up (it has a deadline of its own), or the generator's
    // arrivals late beside a failing rate (the machine's other work), which it may not blame on the platform.
    assert.match(o.rec.error ?? '', /kafka: Kafka at .* is not reachable: the warm-up's \d+ produce calls were not all acknowledged within 20 s|load-generator: load generator saturated/);
    assert.ok(o.endedAfterMs < 20_000 + 30_000 + 15_000 + 10_000 + 10_000, `ended ${o.endedAfterMs} ms after the freeze`);
    return;
  }
  assert.is(o.code, 1, `${o.rec.status}: ${o.rec.error ?? ''}\n${o.stderr.slice(-800)}`);
  assert.is(o.byId('kafka-throughput:kafka_writer_message_count:rate>=7000').status, 'fail');
  assert.match(o.byId('kafka-throughput:topic-end-offsets').evidence.what, 'no answer within 15 s');
  assert.ok(o.endedAfterMs < 20_000 + 30_000 + 15_000 + 10_000 + 10_000, `ended ${o.endedAfterMs} ms after the freeze (the window's rest, the graceful stop, the end offsets, closing, 10 s)`);
});

faults('PostgreSQL frozen (SIGSTOP) during a gate scenario: the unanswered queries fail it (exit 1) and it ends within the outage stop, the 10 s given to close its pool and 10 s (not when the database thaws)', async () => {
  const args = ['run', 'feature-store-query', '--duration', '15s'];
  const db = frozen('postgres', 120_000);
  let o: Outcome;
  try { o = await during(args, 5000, db.freeze, /▶ feature-store-query/); } finally { db.thaw(); }
  clean(o, args);
  if (o.code === 3) {
    // A busy machine took longer to set up: frozen at its first query, whose connection times out.
    assert.match(o.rec.error ?? '', 'feature store is not reachable');
    assert.ok(o.endedAfterMs < 5_000 + 10_000 + 10_000, `ended ${o.endedAfterMs} ms after the freeze`);
    return;
  }
  assert.is(o.code, 1, `${o.rec.status}: ${o.rec.error ?? ''}\n${o.stderr.slice(-800)}`);
  assert.is(o.byId('feature-store-query:target-answering').status, 'fail');
  assert.ok(o.endedAfterMs < 15_000 + 10_000 + 10_000, `ended ${o.endedAfterMs} ms after the freeze (connections timing out and the outage stop, closing, 10 s)`);
});

// Before requestTimeoutS the check waited, with the API frozen, for as long as it stayed frozen.
faults('the Kubernetes API server frozen (SIGSTOP) during the daily check: the workload check is an error naming the request timeout, the rest judged; it ends well before the API thaws', async () => {
  if (!sb.kube.enabled) return;
  const args = ['check', 'daily', '--window', '6s'];
  const api = frozen('kube-apiserver', 150_000);
  let o: Outcome;
  try { o = await during(args, 1500, api.freeze, /measuring over/); } finally { api.thaw(); }
  clean(o, args);
  const kube = o.byId('daily.kube.replicas');
  assert.is(kube.status, 'error', kube.evidence.what);
  assert.match(kube.evidence.what, 'did not answer within 10 s (platform.kubernetes.requestTimeoutS)');
  assert.is(o.byId('daily.kafka.throughput').status, 'pass', 'what needs no API is still judged');
  assert.ok(o.code === 1 || o.code === 3, `exit ${o.code}`);
  // The window's rest, the 10 s timeout, and the integrity read after the window: ~25 s here, 58 s in a
  // CI run whose earlier faults had left the consumers 780,000 messages behind. The old code ended only
  // at the thaw, 150 s after the freeze.
  assert.ok(o.endedAfterMs < 90_000, `ended ${o.endedAfterMs} ms after the freeze`);
});

// Frozen, not killed: the process keeps its sockets, so connections open and requests go unanswered,
// and the drill's watch stays open and silent. Before the request timeout and the re-list of a silent
// watch, the drill waited out its whole recovery budget (a recovery FAIL the platform never earned),
// then hung on its last pod LIST for as long as the API stayed frozen.
faults('the Kubernetes API server frozen (SIGSTOP) just after a drill\'s kill: exit 3 within the silence, the request timeout and 10 s, the record aborted naming the API, no recovery verdict; thawed, every replica is back', async () => {
  if (!sb.kube.enabled) return;
  const args = ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--alert-wait', '20s'];
  // The replacement Ready 5 s after it is scheduled: the freeze, 1 s after the kill, comes before the recovery.
  writeFaults(ctx.dir, { 'ready-delay-s': 5 });
  await sleep(500);
  // Thawed after 40 s whatever happens: a drill that waited for it would then see the recovery only
  // at 40 s, past the 30 s SLO, and fail the platform for the API's silence (what this test rules out).
  const api = frozen('kube-apiserver', 40_000);
  let o: Outcome;
  try { o = await during(args, 1000, api.freeze, /drill: deleting/); } finally { api.thaw(); }
  clean(o, args);
  assert.is(o.code, 3, `${o.rec.status}: ${o.rec.error ?? ''}`);
  assert.is(o.rec.status, 'aborted');
  assert.match(o.rec.error ?? '', /Kubernetes API unreachable for [\d.]+ s while following the pods .*did not answer within 10 s \(platform\.kubernetes\.requestTimeoutS\)/);
  assert.not.ok(o.rec.checks.some((c) => c.id === 'drill.recovery'), `a recovery verdict: ${JSON.stringify(o.rec.checks.find((c) => c.id === 'drill.recovery'))}`);
  // Silent 3 s at most, then a LIST unanswered for the 10 s of requestTimeoutS, then the clean-up and the CLI's exit.
  assert.ok(o.endedAfterMs < 3_000 + 10_000 + 10_000, `ended ${o.endedAfterMs} ms after the freeze`);
  const core = kubeConfig(ctx).makeApiClient(k8s.CoreV1Api);
  await eventually('every consumer replica Ready again once the API server runs', async () => {
    const pods = (await core.listNamespacedPod({ namespace: KUBE_NAMESPACE, labelSelector: 'app=prediction-consumer' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    return pods.length === sb.consumers.replicas && pods.every((p) => podReady(p));
  }, 90_000, 500);
});

// The sandbox's kubelet bridge, not the harness: a pod that became Ready while the API server was
// down stayed NotReady in the cluster for good (its status patch was lost), and the next drill
// found 3 Ready of 4 pods and no replacement coming.
faults('the API server down while a replacement pod becomes Ready (ready-delay-s=5): once it is back, the pod shows Ready (the status is sent again)', async () => {
  if (!sb.kube.enabled) return;
  const core = kubeConfig(ctx).makeApiClient(k8s.CoreV1Api);
  const list = async () => (await core.listNamespacedPod({ namespace: KUBE_NAMESPACE, labelSelector: 'app=prediction-consumer' })).items.filter((p) => !p.metadata?.deletionTimestamp);
  const before = new Set((await list()).map((p) => p.metadata!.uid!));
  const log = ctx.procs.logFile('kube-bridge');
  const logFrom = statSync(log).size;
  writeFaults(ctx.dir, { 'ready-delay-s': 5 });
  await sleep(500);
  const victim = (await list())[0]!;
  await core.deleteNamespacedPod({ name: victim.metadata!.name!, namespace: KUBE_NAMESPACE, gracePeriodSeconds: 0 });
  const replacement = await eventually('a replacement bound to a node', async () => (await list()).find((p) => !before.has(p.metadata!.uid!) && p.spec?.nodeName), 20_000, 100);
  crash('kube-apiserver')();
  await sleep(7000); // its 5 s ready delay ends while the API is down
  restore();
  await eventually(`${replacement.metadata!.name} Ready, every replica Ready, none NotReady`, async () => {
    const pods = await list();
    return pods.length === sb.consumers.replicas && pods.every((p) => podReady(p))
      && pods.some((p) => p.metadata!.uid === replacement.metadata!.uid);
  }, 60_000, 500);
  assert.match(readFileSync(log, 'utf8').slice(logFrom), `pod ${replacement.metadata!.name}: status sent again (Ready=true)`);
});

// All four in one drill (one restore): the alerting chain at the kill, the data path once the replacement is Ready.
faults('Prometheus and Alertmanager killed at a drill\'s kill, Kafka and PostgreSQL once it recovered: recovery measured, the alert fails naming the dead chain, data loss is an error naming Kafka, lag never a pass it did not see (exit 1)', async () => {
  if (!sb.kube.enabled) return;
  const args = ['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--alert-wait', '8s'];
  const o = await during(args, 0, () => { crash('prometheus')(); crash('alertmanager')(); }, /drill: deleting/,
    { once: /waiting for consumer lag|waiting for the alert/, act: () => { crash('kafka')(); crash('postgres')(); } });
  clean(o, args);
  assert.is(o.byId('drill.recovery').status, 'pass');
  const alert = o.byId('drill.alert');
  assert.is(alert.status, 'fail', alert.evidence.what);
  assert.match(alert.evidence.what, 'prometheus did not answer');
  assert.match(alert.evidence.what, 'alertmanager did not answer');
  const loss = o.byId('drill.integrity.loss');
  assert.is(loss.status, 'error', loss.evidence.what);
  assert.match(loss.evidence.what, `127.0.0.1:${sb.ports.kafka}`);
  const lag = o.byId('drill.lag-recovered');
  assert.ok(lag.status === 'pass' || lag.status === 'error', `lag ${lag.status}: ${lag.evidence.what}`);
  assert.is(o.code, 1, `${o.rec.status}: ${o.rec.error ?? ''}`);
  assert.is(o.rec.status, 'fail');
});

faults('SIGTERM to the harness during a gate scenario: it stops within 10 s, exit 3, the record aborted with the evidence so far', async () => {
  const args = ['run', 'inference-latency', '--duration', '30s'];
  const o = await during(args, 4000, (pid) => process.kill(pid, 'SIGTERM'));
  clean(o, args);
  assert.is(o.code, 3);
  assert.is(o.rec.status, 'aborted');
  assert.match(o.rec.error ?? '', 'SIGTERM');
  assert.ok(o.endedAfterMs < 10_000, `ended ${o.endedAfterMs} ms after SIGTERM`);
  // The evidence so far: the scenario's result and its checks, judged on what ran.
  const result = (o.rec.data.scenarios as Array<{ scenario: string; aborted: string | null; durationS: number }>)[0]!;
  assert.is(result.scenario, 'inference-latency');
  assert.match(result.aborted ?? '', 'interrupted');
  assert.ok(result.durationS < 10, `${result.durationS} s measured`);
  assert.ok(o.rec.checks.length > 0, 'checks of what ran');
});

faults.run();
