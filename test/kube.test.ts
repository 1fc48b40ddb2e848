import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { ctx, sb, eventually, clearFaults } from './support.ts';
import { KUBE_NAMESPACE, apiserverUrl, httpsGet, kubeConfig } from '../sandbox/kube.ts';
import { isAlive } from '../sandbox/proc.ts';
import { consumersPart, replicaName } from '../sandbox/services.ts';
import { PodTimeline } from '../drills/timeline.ts';
import { podReady } from '../platform/kube.ts';

// These run against the shared sandbox `npm test` brought up, with Kubernetes when sandbox.kube.enabled.
const enabled = sb.kube.enabled;
const N = sb.consumers.replicas;
const APP = 'prediction-consumer';

const kc = enabled ? kubeConfig(ctx) : new k8s.KubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);

const consumerPods = async () => (await core.listNamespacedPod({ namespace: KUBE_NAMESPACE, labelSelector: `app=${APP}` })).items;

/** Pod name → consumer pid, from the processes' own environment (CARBON_CONSUMER_ID=<pod name>). */
function processesByPod(): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < 16; i++) {
    const pid = ctx.procs.pid(replicaName(i));
    if (pid === null || !isAlive(pid)) continue;
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const id = env.find((e) => e.startsWith('CARBON_CONSUMER_ID='))?.slice('CARBON_CONSUMER_ID='.length);
    if (id) out.set(id, pid);
  }
  return out;
}

test.before(() => clearFaults());
test.after(() => clearFaults());

if (!enabled) {
  test('kube: disabled by sandbox.kube.enabled=false (nothing to check)', () => {});
} else {
  test('kube: apiserver /readyz answers ok', async () => {
    const r = await httpsGet(ctx, `${apiserverUrl(sb)}/readyz`);
    assert.is(r.status, 200);
    assert.is(r.body.trim(), 'ok');
  });

  test('kube: the kwok node is Ready', async () => {
    const nodes = (await core.listNode({ labelSelector: 'type=kwok' })).items;
    assert.ok(nodes.length >= 1, 'a kwok node exists');
    for (const n of nodes) {
      assert.ok(n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), `${n.metadata?.name} Ready`);
    }
  });

  test(`kube: deployment prediction-consumer is ${N}/${N} ready, each pod one live consumer process`, async () => {
    const d = await eventually('deployment ready', async () => {
      const d = await apps.readNamespacedDeployment({ name: APP, namespace: KUBE_NAMESPACE });
      return d.status?.readyReplicas === N ? d : null;
    }, 60_000);
    assert.is(d.spec?.replicas, N);
    const pods = (await consumerPods()).filter((p) => !p.metadata?.deletionTimestamp);
    assert.is(pods.length, N);
    const procs = processesByPod();
    for (const p of pods) {
      assert.ok(podReady(p), `${p.metadata?.name} Ready`);
      assert.ok(p.spec?.nodeName?.startsWith('kwok-node-'), 'scheduled on a kwok node');
      assert.ok(procs.has(p.metadata!.name!), `pod ${p.metadata?.name} has a live consumer process`);
    }
    const api = await apps.readNamespacedDeployment({ name: 'inference-api', namespace: KUBE_NAMESPACE });
    assert.is(api.status?.readyReplicas, 1, 'inference-api (kwok-faked) is 1/1');
  });

  test('kube: deleting a pod kills exactly its process; the replacement pod gets a new live process and becomes Ready', async () => {
    const before = processesByPod();
    const pods = (await consumerPods()).filter((p) => !p.metadata?.deletionTimestamp && podReady(p));
    const victim = pods[0]!;
    const victimName = victim.metadata!.name!;
    const victimPid = before.get(victimName)!;
    assert.ok(victimPid, 'victim has a process');
    const others = [...before.entries()].filter(([n]) => n !== victimName);

    await core.deleteNamespacedPod({ name: victimName, namespace: KUBE_NAMESPACE });
    await eventually('victim process gone', async () => !isAlive(victimPid), 15_000, 50);
    for (const [name, pid] of others) assert.ok(isAlive(pid), `process of ${name} (pid ${pid}) still alive`);
    await eventually('victim pod gone', async () => !(await consumerPods()).some((p) => p.metadata?.uid === victim.metadata?.uid), 20_000);

    const replacement = await eventually('replacement pod Ready', async () => {
      const now = await consumerPods();
      const fresh = now.filter((p) => !before.has(p.metadata!.name!) && !p.metadata?.deletionTimestamp);
      return fresh.length === 1 && podReady(fresh[0]!) ? fresh[0]! : null;
    }, 45_000);
    const after = processesByPod();
    const newPid = after.get(replacement.metadata!.name!);
    assert.ok(newPid && isAlive(newPid), 'the replacement pod has a live process');
    assert.is.not(newPid, victimPid);
    for (const [name, pid] of others) assert.is(after.get(name), pid, `${name} kept its process`);
    assert.is(after.size, N, `${N} consumer processes, one per pod`);

    await eventually(`deployment ${N}/${N} ready again`, async () => {
      const d = await apps.readNamespacedDeployment({ name: APP, namespace: KUBE_NAMESPACE });
      return d.status?.readyReplicas === N && d.status?.availableReplicas === N;
    }, 30_000);
  });

  test('kube: the drill timeline re-lists once when its watch drops and keeps following (inference-api, kwok pods)', async () => {
    const t = new PodTimeline(kc, KUBE_NAMESPACE, 'app=inference-api', 1);
    const pods = await t.start();
    try {
      assert.ok(pods.length >= 1);
      t.dropWatch(); // as a dropped connection
      await eventually('re-listed', async () => t.relists === 1, 10_000, 50);
      await new Promise((r) => setTimeout(r, 500));
      assert.is(t.relists, 1, 'one re-list, one watch: the aborted watch did not start another');
      t.markKill([pods[0]!]);
      await core.deleteNamespacedPod({ name: pods[0]!.metadata!.name!, namespace: KUBE_NAMESPACE, gracePeriodSeconds: 0 });
      assert.ok(await t.waitFor('replicas-restored', 30_000), t.events.map((e) => e.event).join(', '));
      for (const e of ['pod-gone', 'replacement-created', 'scheduled', 'ready']) assert.ok(t.has(e), e);
    } finally {
      t.stop();
    }
  });

  test('kube: after a kill the timeline re-lists a watch silent for 3 s (a healthy API answers: no event made up, not lost), and confirm() is one LIST answered', async () => {
    const t = new PodTimeline(kc, KUBE_NAMESPACE, 'app=inference-api', 1);
    await t.start();
    try {
      t.markKill([]); // nothing goes: the watch stays silent
      await eventually('re-listed after 3 s of silence', async () => t.relists >= 1, 8_000, 50);
      assert.is(t.lost, null);
      const before = t.relists;
      await t.confirm();
      assert.is(t.relists, before + 1);
      assert.is(t.lost, null);
      assert.equal(t.events.map((e) => e.event), ['kill']);
    } finally {
      t.stop();
    }
  });

  test(`kube: the consumer group is back to ${N} members`, async () => {
    const st = await eventually('group Stable', async () => {
      const s = await consumersPart.status(ctx);
      return s.healthy ? s : null;
    }, 60_000, 1000);
    assert.match(st.reason, new RegExp(`Stable with ${N} member`));
  });
}

test.run();
