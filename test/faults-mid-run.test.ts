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
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { cli, clearFaults, ctx, eventually, sb } from './support.ts';
import { promScalar } from '../sandbox/prom-api.ts';
import { KUBE_NAMESPACE, kubeConfig } from '../sandbox/kube.ts';
import { projectRoot } from '../core/paths.ts';
import type { Check, RunRecord } from '../core/record.ts';

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
  await eventually('consumers caught up', async () => ((await promScalar(sb, 'sum(consumer_lag_messages)')) ?? Infinity) < 5000, 120_000, 1000);
});

interface Outcome { code: number; stdout: string; stderr: string; rec: RunRecord; acted: boolean; endedAfterMs: number; byId: (id: string) => Check }

/**
 * Runs the CLI and, `afterMs` into it, does `act` (kill a part, signal the harness). Returns how
 * long after the act the command ended, and its record.
 */
function during(args: string[], afterMs: number, act: (pid: number) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), '--json', '--quiet', ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let actedAt = 0;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { actedAt = Date.now(); act(child.pid!); }, afterMs);
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

/** The outcome is an answer, not a crash: no stack trace, a finished record, no process of ours left. */
function clean(o: Outcome, args: string[]): void {
  assert.ok(o.acted, `the command ended before the fault (exit ${o.code}): nothing was tested`);
  assert.not.match(o.stderr, /^\s+at .+:\d+:\d+\)?$/m, `a stack trace: ${o.stderr.slice(-1500)}`);
  assert.ok(o.rec.endedAt, 'the record was finished');
  const left = spawnSync('pgrep', ['-f', `harness.mjs --json --quiet ${args.join(' ')}`], { encoding: 'utf8' }).stdout.trim();
  assert.is(left, '', `processes left: ${left}`);
}

faults('the Kafka broker killed during a gate scenario: the produce errors fail it (exit 1), the generator is not blamed; restarted, it passes', async () => {
  const args = ['run', 'kafka-throughput', '--duration', '8s'];
  const o = await during(args, 3000, crash('kafka'));
  clean(o, args);
  assert.is(o.code, 1, `${o.rec.status}: ${o.rec.error ?? ''}\n${o.stderr.slice(-800)}`);
  assert.is(o.rec.status, 'fail');
  assert.not.match(o.rec.error ?? '', 'load-generator');
  assert.is(o.byId('kafka-throughput:kafka_writer_error_count:count==0').status, 'fail');
  // What was left of the 8 s schedule, its read-back refused at once, and 10 s.
  assert.ok(o.endedAfterMs < 5_000 + 10_000, `ended ${o.endedAfterMs} ms after the kill`);
  restore();
  const again = cli(['--json', '--quiet', ...args.slice(0, 2), '--duration', '5s']);
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
  await eventually('every consumer replica Ready again', async () => (await core.listNamespacedPod({ namespace: KUBE_NAMESPACE, labelSelector: 'app=prediction-consumer' })).items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === sb.consumers.replicas, 90_000, 500);
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
