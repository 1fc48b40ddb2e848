import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { cli, cliAsync, clearFaults, ctx, cfg, eventually, sb, writeProfile, judgedTheSame, flippedUnder } from './support.ts';
import { alertmanagerAlerts } from '../sandbox/prom-api.ts';
import { runsDir } from '../core/config.ts';
import { writeFaults } from '../sandbox/faults.ts';
import { KUBE_NAMESPACE, kubeConfig } from '../sandbox/kube.ts';
import { listPodChaos } from '../drills/chaos-mesh.ts';
import { projectRoot } from '../core/paths.ts';
import { ChaosMeshPodKillEmulator } from './chaos-mesh-emulator.ts';
import type { RunRecord, Check } from '../core/record.ts';
import { podReady } from '../platform/kube.ts';

const drill = suite('drill');
const tmp = mkdtempSync(join(tmpdir(), 'drill-'));
const enabled = sb.kube.enabled;
const kc = enabled ? kubeConfig(ctx) : new k8s.KubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const TARGET = ['--target', 'deployment/prediction-consumer', '-n', KUBE_NAMESPACE];

const podNames = async () => (await core.listNamespacedPod({ namespace: KUBE_NAMESPACE, labelSelector: 'app=prediction-consumer' })).items.map((p) => p.metadata!.name!).sort();
const allReady = async () => (await core.listNamespacedPod({ namespace: KUBE_NAMESPACE, labelSelector: 'app=prediction-consumer' })).items
  .filter((p) => !p.metadata?.deletionTimestamp && podReady(p)).length === sb.consumers.replicas;

function runDrill(args: string[]): { code: number; rec: RunRecord; byId: (id: string) => Check; stderr: string } {
  // A drill may follow lag for up to 120 s and then read the window back: more than cli()'s default 120 s.
  const r = cli(['--json', '--quiet', 'drill', 'pod-kill', ...TARGET, ...args], {}, 300_000);
  let rec: RunRecord;
  try { rec = JSON.parse(r.stdout) as RunRecord; } catch { throw new Error(`exit ${r.code}: ${r.stderr}`); }
  return { code: r.code, rec, stderr: r.stderr, byId: (id) => rec.checks.find((c) => c.id === id) ?? assert.unreachable(`no ${id}`) as never };
}

drill.before(() => clearFaults());
drill.after.each(async () => {
  clearFaults();
  await eventually('consumers Ready again', allReady, 90_000, 500);
});

if (!enabled) {
  drill('drills need the kube sandbox (sandbox.kube.enabled=false)', () => {});
} else {
  drill('--dry-run names the victim and deletes nothing', async () => {
    const before = await podNames();
    const r = runDrill(['--dry-run']);
    assert.is(r.code, 0, r.stderr);
    assert.ok(before.includes((r.rec.data.wouldKill as string[])[0]!));
    assert.equal(await podNames(), before);
  });

  drill('ready-delay-s=3: the drill passes; time-to-Ready is the configured delay within 0.5 s', async () => {
    await eventually('no ConsumerGroupRebalancing active', async () =>
      (await alertmanagerAlerts(sb, { alertname: 'ConsumerGroupRebalancing', active: true })).length === 0, 60_000, 1000);
    writeFaults(ctx.dir, { 'ready-delay-s': 3 });
    await sleep(500);
    const { code, rec, byId } = runDrill(['--alert-wait', '30s']);
    const rec1 = byId('drill.recovery');
    assert.is(rec1.status, 'pass', rec1.evidence.what);
    const ready = byId('drill.replacement-ready').observed as number;
    assert.ok(Math.abs(ready - 3) <= 0.5, `scheduled → Ready took ${ready} s`);
    const events = (rec.data.timeline as Array<{ event: string }>).map((e) => e.event);
    for (const e of ['kill', 'pod-gone', 'replacement-created', 'scheduled', 'ready', 'replicas-restored']) assert.ok(events.includes(e), e);
    assert.is(byId('drill.integrity.loss').status, 'pass', 'no data lost on a graceful pod kill');
    assert.is(code, 0, rec.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}=${c.observed} ${c.evidence.what}`).join('\n'));
    assert.is(byId('drill.alert').status, 'pass');
    // Judged again from the stored observation alone: the same verdicts, every one of them derived
    // again; with a 2 s recovery target, the recovery check alone flips.
    judgedTheSame(rec);
    assert.equal(await flippedUnder(rec, { podRecoveryS: 2 }), [['drill.recovery', 'fail']]);
  });

  // 34 s: past the seed's 30 s by more than the drill's timing error, without waiting longer than that takes.
  drill('ready-delay-s=34: the 30 s recovery SLO fails with the observed value', async () => {
    writeFaults(ctx.dir, { 'ready-delay-s': 34 });
    await sleep(500);
    const { code, rec, byId } = runDrill(['--alert-wait', '3s']);
    assert.is(code, 1);
    const r = byId('drill.recovery');
    assert.is(r.status, 'fail');
    assert.ok(typeof r.observed === 'number' && r.observed >= 30, `observed ${r.observed}`);
    // The report shows the observed value against the SLO.
    const md = readFileSync(join(runsDir(cfg), rec.id, 'drill.md'), 'utf8');
    const row = md.split('\n').find((l) => l.includes('auto-recovery'));
    assert.ok(row, md);
    assert.match(row!, '`<30s`');
    assert.match(row!, String(Math.round(r.observed as number)).slice(0, 2));
  });

  drill('under load: lag rises and recovers; with consumer-drop-rate the data-loss check lists missing ids', async () => {
    // Killed at once, as in a crash: the group waits out the lost member's session before rebalancing.
    const ok = runDrill(['--with-load', 'consumer-lag', '--load-duration', '12s', '--grace-period', '0', '--alert-wait', '3s']);
    const events = (ok.rec.data.timeline as Array<{ event: string; atMs: number }>);
    const at = (e: string) => events.find((x) => x.event === e)?.atMs ?? assert.unreachable(`no ${e} in ${events.map((x) => x.event).join(', ')}`) as never;
    // The lost replica's partitions wait for the rebalance: lag rises, peaks, and comes back.
    assert.ok((ok.byId('drill.lag-recovered').evidence.peakLagS as number) > 1, `peak lag ${ok.byId('drill.lag-recovered').evidence.peakLagS} s`);
    assert.ok(at('kill') <= at('lag-rising') && at('lag-rising') <= at('lag-peak') && at('lag-peak') < at('lag-recovered'));
    const samples = ok.rec.data.lagSamples as Array<{ lagMessages: number }>;
    const peak = Math.max(...samples.map((x) => x.lagMessages));
    assert.ok(peak > samples.at(-1)!.lagMessages, `peak ${peak} above the recovered ${samples.at(-1)!.lagMessages}`);
    assert.is(ok.byId('drill.lag-recovered').status, 'pass');
    assert.is(ok.byId('drill.integrity.loss').status, 'pass');
    assert.ok(ok.rec.checks.some((c) => c.id.startsWith('drill.load.consumer-lag:')), 'load verdicts recorded');
    writeFaults(ctx.dir, { 'consumer-drop-rate': 0.05 });
    await sleep(500);
    const bad = runDrill(['--alert-wait', '3s']);
    assert.is(bad.code, 1);
    const loss = bad.byId('drill.integrity.loss');
    assert.is(loss.status, 'fail');
    assert.match(loss.evidence.what, /lost \(run:seq; [^)]*\): \d+:\d+/);
    // Messages dropped just before the knob is cleared fall in the next drill's window: let them age out.
    clearFaults();
    await sleep(8000);
  });

  drill('--via chaos-mesh: a PodChaos is created, applied, followed and removed', async () => {
    const emu = new ChaosMeshPodKillEmulator(kc, KUBE_NAMESPACE);
    emu.start();
    try {
      // The emulator runs in this process: the CLI must not block its event loop.
      const r = await cliAsync(['--json', '--quiet', 'drill', 'pod-kill', ...TARGET, '--via', 'chaos-mesh', '--alert-wait', '3s']);
      const rec = JSON.parse(r.stdout) as RunRecord;
      const byId = (id: string) => rec.checks.find((c) => c.id === id) ?? assert.unreachable(`no ${id}: ${r.stderr}`) as never;
      assert.is(byId('drill.recovery').status, 'pass');
      assert.is(byId('drill.chaos-mesh').status, 'pass', byId('drill.chaos-mesh').evidence.what);
      // The PodChaos was followed: its injection is on the timeline, before the pod it names is gone.
      const tl = rec.data.timeline as Array<{ event: string; atMs: number; pod?: string; detail?: string }>;
      const inj = tl.find((e) => e.event === 'chaos-injected');
      assert.ok(inj, tl.map((e) => e.event).join(', '));
      const gone = tl.find((e) => e.event === 'pod-gone')!;
      assert.is(inj!.detail, `${KUBE_NAMESPACE}/${gone.pod}`);
      assert.is(byId('drill.chaos-cleanup').status, 'pass');
      assert.is(emu.applied.length, 1);
      assert.equal(await listPodChaos(kc, KUBE_NAMESPACE), []);
    } finally { emu.stop(); }
  });

  drill('--via chaos-mesh interrupted by SIGINT: no PodChaos left, record aborted (exit 3)', async () => {
    // No emulator: the PodChaos is never applied, so the drill is still waiting when interrupted.
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), '--json', '--quiet', 'drill', 'pod-kill', ...TARGET, '--via', 'chaos-mesh', '--alert-wait', '3s'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    await eventually('PodChaos created', async () => (await listPodChaos(kc, KUBE_NAMESPACE)).length > 0, 30_000, 200);
    child.kill('SIGINT');
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
    assert.is(code, 3);
    assert.is((JSON.parse(out) as RunRecord).status, 'aborted');
    assert.equal(await listPodChaos(kc, KUBE_NAMESPACE), []);
  });

  drill('--schedule: a Chaos Mesh Schedule; `drill follow` measures its next kill as a drill; `schedules list` shows it; `schedules delete` leaves nothing', async () => {
    const emu = new ChaosMeshPodKillEmulator(kc, KUBE_NAMESPACE);
    emu.start();
    let name = '';
    try {
      const made = await cliAsync(['--json', '--quiet', 'drill', 'pod-kill', ...TARGET, '--via', 'chaos-mesh', '--schedule', '@every 20s']);
      assert.is(made.code, 0, made.stderr);
      const rec = JSON.parse(made.stdout) as RunRecord;
      name = rec.data.scheduleName as string;
      assert.is(rec.checks.find((c) => c.id === 'drill.schedule')!.status, 'pass');
      assert.equal(await listPodChaos(kc, KUBE_NAMESPACE), [], 'nothing is killed now');
      const listed = JSON.parse((await cliAsync(['--json', 'drill', 'schedules', 'list'])).stdout) as Array<{ name: string; cron: string; deployment: string; count: number }>;
      assert.equal(listed.map((x) => [x.name, x.cron, x.deployment, x.count]), [[name, '@every 20s', 'prediction-consumer', 1]]);
      // The kill is Chaos Mesh's (the emulator's cron), not the harness's: follow times it from the watch.
      const f = await cliAsync(['--json', '--quiet', 'drill', 'follow', '--schedule', name, '--timeout', '40s', '--alert-wait', '3s']);
      let followed: RunRecord;
      try { followed = JSON.parse(f.stdout) as RunRecord; } catch { throw new Error(`exit ${f.code}: ${f.stderr}`); }
      const recovery = followed.checks.find((c) => c.id === 'drill.recovery')!;
      assert.is(recovery.status, 'pass', recovery.evidence.what);
      assert.ok((recovery.observed as number) < 10, `${recovery.observed} s`);
      const chaos = (followed.data.followed as { chaos: string }).chaos;
      assert.match(chaos, new RegExp(`^${name}-[a-z0-9]{5}$`));
      assert.ok(emu.applied.includes(chaos), `${chaos} among ${emu.applied.join(', ')}`);
      assert.is(followed.checks.find((c) => c.id === 'drill.chaos-cleanup'), undefined, 'the Schedule\'s kill is its own to keep');
      // The pod the watch saw go is the one the Schedule's PodChaos names, and the state at the kill was steady.
      const applied = followed.checks.find((c) => c.id === 'drill.chaos-mesh')!;
      assert.is(applied.status, 'pass', applied.evidence.what);
      assert.is(followed.checks.find((c) => c.id === 'drill.steady-state-at-kill')!.status, 'pass');
      assert.ok(f.code === 0 || f.code === 1, `exit ${f.code}: judged, not aborted (${followed.status})`);
    } finally {
      const d = name ? await cliAsync(['--json', '--quiet', 'drill', 'schedules', 'delete', name]) : null;
      emu.stop();
      if (d) {
        assert.is(d.code, 0, d.stderr);
        // Its kills went with it: the one followed at least.
        assert.match((JSON.parse(d.stdout) as RunRecord).checks[0]!.evidence.what, /and [1-9]\d* PodChaos it spawned deleted/);
      }
    }
    assert.equal(await listPodChaos(kc, KUBE_NAMESPACE), []);
    assert.equal(JSON.parse((await cliAsync(['--json', 'drill', 'schedules', 'list'])).stdout), []);
  });

  drill('follow: a kill its Schedule did not make, with a replica already down: steady-state-at-kill fails, drill.chaos-mesh is an error (exit 1)', async () => {
    // No emulator: the Schedule never fires, so the pod deleted below is someone else's kill.
    const made = await cliAsync(['--json', '--quiet', 'drill', 'pod-kill', ...TARGET, '--via', 'chaos-mesh', '--schedule', '@every 10m']);
    assert.is(made.code, 0, made.stderr);
    const name = (JSON.parse(made.stdout) as RunRecord).data.scheduleName as string;
    try {
      const child = spawn(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), '--json', 'drill', 'follow', '--schedule', name, '--timeout', '60s', '--alert-wait', '3s'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      const closed = new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
      await eventually('the follow waiting for a kill', async () => /waiting up to/.test(err), 60_000, 200);
      const [down, victim] = await podNames();
      const podReady = async (pod: string) => (await core.readNamespacedPod({ name: pod, namespace: KUBE_NAMESPACE })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      // One replica crashes (NotReady until the kubelet's back-off restarts it)…
      const c = (await core.readNamespacedPod({ name: down!, namespace: KUBE_NAMESPACE })).status!.containerStatuses![0]!;
      process.kill(-Number(c.containerID!.replace('carbon-bridge://', '')), 'SIGKILL');
      await eventually(`${down} NotReady`, async () => !(await podReady(down!)), 30_000, 100);
      await sleep(1000); // the follow's watch has the NotReady too
      // …and another is deleted by hand: a kill, but not the Schedule's.
      await core.deleteNamespacedPod({ name: victim!, namespace: KUBE_NAMESPACE, gracePeriodSeconds: 0 });
      const code = await closed;
      let rec: RunRecord;
      try { rec = JSON.parse(out) as RunRecord; } catch { throw new Error(`exit ${code}: ${err}`); }
      const n = sb.consumers.replicas;
      const atKill = rec.checks.find((x) => x.id === 'drill.steady-state-at-kill')!;
      assert.is(atKill.status, 'fail', atKill.evidence.what);
      assert.is(atKill.observed, `${n - 1}/${n}`);
      const applied = rec.checks.find((x) => x.id === 'drill.chaos-mesh')!;
      assert.is(applied.status, 'error');
      assert.match(applied.evidence.what, `no new PodChaos of Schedule ${name}`);
      assert.is(code, 1, err);
    } finally {
      const d = await cliAsync(['--json', '--quiet', 'drill', 'schedules', 'delete', name]);
      assert.is(d.code, 0, d.stderr);
    }
  });

  drill('--schedule rewritten by the cluster (a mutating admission policy): drill.schedule fails naming the stored schedule (exit 1)', async () => {
    // As a Kyverno or Gatekeeper mutation would: every Schedule created is moved to another cron.
    const obj = k8s.KubernetesObjectApi.makeApiClient(kc);
    const apiVersion = 'admissionregistration.k8s.io/v1beta1';
    const policy = { apiVersion, kind: 'MutatingAdmissionPolicy', metadata: { name: 'test-drill-window' }, spec: {
      failurePolicy: 'Fail', reinvocationPolicy: 'Never',
      matchConstraints: { resourceRules: [{ apiGroups: ['chaos-mesh.org'], apiVersions: ['*'], operations: ['CREATE'], resources: ['schedules'] }] },
      mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: "replace", path: "/spec/schedule", value: "@every 30m"}]' } }],
    } };
    const binding = { apiVersion, kind: 'MutatingAdmissionPolicyBinding', metadata: { name: 'test-drill-window' }, spec: { policyName: 'test-drill-window' } };
    let name = '';
    try {
      await obj.create(policy);
      await obj.create(binding);
      // A policy takes effect once the apiserver's policy informer has it.
      const made = await eventually('the policy rewriting Schedules', async () => {
        const r = await cliAsync(['--json', '--quiet', 'drill', 'pod-kill', ...TARGET, '--via', 'chaos-mesh', '--schedule', '@every 10m']);
        const rec = JSON.parse(r.stdout) as RunRecord;
        name = rec.data.scheduleName as string;
        const c = rec.checks.find((x) => x.id === 'drill.schedule')!;
        if (c.status === 'fail') return { r, c };
        await cliAsync(['--quiet', 'drill', 'schedules', 'delete', name]);
        name = '';
        return null;
      }, 30_000, 1000);
      assert.is(made.r.code, 1, made.r.stderr);
      assert.is(made.c.observed, '@every 30m');
      assert.match(made.c.evidence.what, 'an admission webhook or policy changed it');
    } finally {
      await obj.delete(binding).catch(() => {});
      await obj.delete(policy).catch(() => {});
      if (name) assert.is((await cliAsync(['--quiet', 'drill', 'schedules', 'delete', name])).code, 0);
    }
  });

  // The flag-only refusals (a bad cron, --via api, with load) are in the bad-input corpus; these need the API.
  drill('scheduled-drill refusals (2, nothing created): following or deleting a Schedule that is not there', async () => {
    const missing = cli(['drill', 'schedules', 'delete', 'no-such-schedule']);
    assert.is(missing.code, 2);
    assert.match(missing.stderr, 'no scheduled drill no-such-schedule');
    const nf = cli(['drill', 'follow', '--schedule', 'no-such-schedule']);
    assert.is(nf.code, 2, nf.stderr);
    assert.match(nf.stderr, '--schedule');
  });

  drill('a failure mid-drill (the alert receiver is gone): PodChaos removed, record aborted with the reason, exit 3', async () => {
    const emu = new ChaosMeshPodKillEmulator(kc, KUBE_NAMESPACE);
    emu.start();
    try {
      const f = writeProfile((p) => { p.name = 'sink-down'; p.drill!.alert!.source = 'http://127.0.0.1:18999/alerts'; });
      const r = await cliAsync(['--json', '--quiet', '--profile', f, 'drill', 'pod-kill', ...TARGET, '--via', 'chaos-mesh', '--alert-wait', '5s']);
      assert.is(r.code, 3, r.stderr);
      const rec = JSON.parse(r.stdout) as RunRecord;
      assert.is(rec.status, 'aborted');
      assert.match(rec.error ?? '', 'alerts unreadable at http://127.0.0.1:18999/alerts');
      assert.is(emu.applied.length, 1, 'the chaos was injected before the failure');
      assert.equal(await listPodChaos(kc, KUBE_NAMESPACE), []);
    } finally { emu.stop(); }
  });

  drill('refusals: a namespace or deployment the profile does not offer to drills (2), unreachable API server (3); nothing deleted', async () => {
    const before = await podNames();
    const ns = cli(['drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '-n', 'kube-system']);
    assert.is(ns.code, 2);
    assert.match(ns.stderr, 'drill: true');
    const none = cli(['drill', 'pod-kill', '--target', 'deployment/no-such-thing', '-n', KUBE_NAMESPACE]);
    assert.is(none.code, 2);
    assert.match(none.stderr, '--target');
    assert.match(none.stderr, 'not one drills may target');
    const blast = cli(['drill', 'pod-kill', ...TARGET, '--count', '3']);
    assert.is(blast.code, 2);
    assert.match(blast.stderr, '--count');
    const ctxCfg = join(tmp, 'other-context.yaml');
    writeFileSync(ctxCfg, 'drills:\n  allowContexts: [production]\n');
    const refused = cli(['-c', ctxCfg, 'drill', 'pod-kill', ...TARGET]);
    assert.is(refused.code, 2);
    assert.match(refused.stderr, '--yes');
    const yes = cli(['-c', ctxCfg, 'drill', 'pod-kill', ...TARGET, '--yes', '--dry-run']);
    assert.is(yes.code, 0, `--yes acts on an unlisted context: ${yes.stderr}`);
    const pctCfg = join(tmp, 'percent.yaml');
    writeFileSync(pctCfg, 'drills:\n  maxPods: 10\n  maxPercent: 34\n');
    const pct = cli(['-c', pctCfg, 'drill', 'pod-kill', ...TARGET, '--count', '2', '--dry-run']);
    assert.is(pct.code, 2);
    assert.match(pct.stderr, 'drills.maxPercent=34');
    // The profile's targets are checked before any kubeconfig is read: exit 2 even with no cluster at all.
    const noKube = writeProfile((p) => { p.name = 'no-kube'; p.platform.kubernetes!.kubeconfig = join(tmp, 'missing.kubeconfig'); });
    const nsFirst = cli(['--profile', noKube, 'drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '-n', 'kube-system']);
    assert.is(nsFirst.code, 2, nsFirst.stderr);
    // A deployment whose selector matches no pods.
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({ namespace: KUBE_NAMESPACE, body: {
      metadata: { name: 'drill-empty' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'drill-empty' } }, template: { metadata: { labels: { app: 'drill-empty' } }, spec: { containers: [{ name: 'x', image: 'x' }] } } },
    } }).catch(() => {});
    const withEmpty = writeProfile((p) => { p.name = 'with-empty'; (p.platform.kubernetes!.namespaces as Record<string, { deployments: Record<string, object> }>)[KUBE_NAMESPACE]!.deployments['drill-empty'] = { replicas: 1, drill: true }; });
    const empty = cli(['--profile', withEmpty, 'drill', 'pod-kill', '--target', 'deployment/drill-empty', '-n', KUBE_NAMESPACE]);
    await apps.deleteNamespacedDeployment({ name: 'drill-empty', namespace: KUBE_NAMESPACE }).catch(() => {});
    assert.is(empty.code, 2, empty.stderr);
    assert.match(empty.stderr, 'matches no pods');
    const kcFile = join(tmp, 'down.kubeconfig');
    writeFileSync(kcFile, `apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: carbon-sandbox, context: {cluster: x, user: u}}]\ncurrent-context: carbon-sandbox\n`);
    const downProfile = writeProfile((p) => { p.name = 'kube-down'; p.platform.kubernetes!.kubeconfig = kcFile; });
    const down = cli(['--profile', downProfile, 'drill', 'pod-kill', ...TARGET]);
    assert.is(down.code, 3, down.stderr);
    assert.match(down.stderr, /Kubernetes API unreachable.*127\.0\.0\.1:1|ECONNREFUSED/);
    assert.equal(await podNames(), before);
  });
}

drill.run();
