/**
 * The drill's injection: killing the target's pods through the API or a PodChaos of ours, or
 * waiting for the next kill of a Schedule of ours (drill follow). Each marks the kill on the pod
 * timeline and registers the clean-up of whatever it created before creating it.
 */
import * as k8s from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunContext } from '../core/run.ts';
import { InfraError } from '../core/errors.ts';
import type { PodKillPlan } from './plan.ts';
import type { PodTimeline } from './timeline.ts';
import type { LagFollower } from './observe.ts';
import { kubeError } from './safety.ts';
import { CHAOS, customApi, deletePodChaos, requireChaosMesh, followPodChaos, podChaos } from './chaos-mesh.ts';

/** How long after a followed kill its Schedule's PodChaos may still appear in a LIST. */
export const SPAWN_GRACE_MS = 10_000;

/** A Schedule's kill seen on the timeline, and the lookup of the PodChaos it spawned. */
export interface ScheduledKill { spawned: Promise<string | null>; stopLooking: AbortController }

/**
 * Waits for the next kill of a Schedule of ours, refreshing the lag baseline meanwhile (the one that
 * counts is the last before the kill). Null when interrupted; an InfraError when no kill came in time.
 */
export async function awaitScheduledKill(o: {
  kc: k8s.KubeConfig; plan: PodKillPlan & { follow: NonNullable<PodKillPlan['follow']> }; timeline: PodTimeline; run: RunContext; lag: LagFollower | null;
}): Promise<ScheduledKill | null> {
  const { kc, plan, timeline, run, lag } = o;
  const { signal, progress } = run;
  await requireChaosMesh(kc);
  const { nextSpawned, spawnedNames } = await import('./schedules.ts');
  let before: Set<string>;
  try { before = await spawnedNames(kc, plan.namespace, plan.follow.schedule); } catch (e) { throw kubeError(e, `PodChaos of Schedule ${plan.follow.schedule}`, '--schedule'); }
  const stopLooking = new AbortController();
  run.onCleanup(() => stopLooking.abort());
  timeline.armForKill(plan.count);
  progress(`drill: waiting up to ${plan.follow.timeoutS} s for the next kill of Schedule ${plan.namespace}/${plan.follow.schedule}…`);
  // Looked for from now; the kill may come before or after its PodChaos is seen (the controller creates it, then deletes pods).
  const spawned = nextSpawned(kc, plan.namespace, plan.follow.schedule, before, plan.follow.timeoutS * 1000 + 30_000, AbortSignal.any([signal, stopLooking.signal]));
  const deadline = Date.now() + plan.follow.timeoutS * 1000;
  while (!timeline.has('kill') && Date.now() < deadline && !signal.aborted) {
    await timeline.waitFor('kill', Math.min(5000, deadline - Date.now()), signal);
    if (lag && !timeline.has('kill')) await lag.baseline().catch(() => {});
  }
  if (!timeline.has('kill')) {
    stopLooking.abort();
    if (signal.aborted) return null;
    throw new InfraError(`Schedule ${plan.namespace}/${plan.follow.schedule} killed no pod of ${plan.deployment} within ${plan.follow.timeoutS} s: is Chaos Mesh's controller running, and the schedule due?`, 'chaos-mesh');
  }
  return { spawned, stopLooking };
}

/**
 * The PodChaos behind a followed kill, its records followed (the pods it names must be the ones that
 * went, or drill.chaos-mesh fails); it is the Schedule's to keep or collect. Chaos Mesh creates the
 * PodChaos before its controller deletes a pod: once the kill is seen it is listed within seconds,
 * or the kill was not the Schedule's (null).
 */
export async function scheduledChaos(kc: k8s.KubeConfig, namespace: string, k: ScheduledKill, run: RunContext, onInjected: (id: string) => void): Promise<string | null> {
  const name = await Promise.race([k.spawned, sleep(SPAWN_GRACE_MS, null, { ref: false })]);
  k.stopLooking.abort();
  if (name) run.onCleanup(followPodChaos(kc, namespace, name, (r) => onInjected(r.id)));
  return name;
}

/** Kills the victims through the API, or creates a PodChaos of ours (its name returned, its deletion registered first). */
export async function killPods(o: {
  kc: k8s.KubeConfig; plan: PodKillPlan; timeline: PodTimeline; run: RunContext; pods: k8s.V1Pod[]; victims: k8s.V1Pod[];
  labels: Record<string, string>; onInjected: (id: string) => void;
}): Promise<string | null> {
  const { kc, plan, timeline, run } = o;
  if (plan.via === 'api') {
    timeline.markKill(o.victims);
    run.progress(`drill: deleting ${o.victims.map((v) => v.metadata!.name).join(', ')} through the API…`);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (const v of o.victims) {
      try { await core.deleteNamespacedPod({ name: v.metadata!.name!, namespace: plan.namespace, gracePeriodSeconds: plan.gracePeriodS }); } catch (e) { throw kubeError(e, `pod ${v.metadata!.name}`, '--target'); }
    }
    return null;
  }
  await requireChaosMesh(kc);
  const name = `carbon-pod-kill-${Date.now().toString(36)}`;
  // Registered before the create: an interrupt between the two must still clean up.
  run.onCleanup(() => deletePodChaos(kc, plan.namespace, name));
  // Any of the Ready pods may be the one Chaos Mesh picks.
  timeline.markKill(o.pods);
  run.progress(`drill: creating PodChaos ${plan.namespace}/${name} (pod-kill, ${plan.count})…`);
  await customApi(kc).createNamespacedCustomObject({ ...CHAOS, namespace: plan.namespace, body: podChaos(name, { namespace: plan.namespace, labels: o.labels, count: plan.count, gracePeriod: plan.gracePeriodS ?? 0 }) });
  run.onCleanup(followPodChaos(kc, plan.namespace, name, (r) => o.onInjected(r.id)));
  return name;
}
