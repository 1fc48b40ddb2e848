import * as k8s from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../core/config.ts';
import type { Profile } from '../profile/schema.ts';
import { kafkajs } from '../platform/kafka.ts';
import { podReady } from '../platform/kube.ts';
import type { Check } from '../core/record.ts';
import type { RunContext } from '../core/run.ts';
import { InfraError, UsageError, firstLine } from '../core/errors.ts';
import { check } from '../verifiers/check.ts';
import type { PodKillPlan } from './plan.ts';
import { drillChecks, steadyChecks, unmatchedKillCheck, type DrillObservation, type DrillSteady, type DrillTargets } from './judge.ts';
import { probeIntegrity } from '../verifiers/integrity.ts';
import { saturation } from '../verifiers/load.ts';
import { endpointsFor } from '../scenarios/endpoints.ts';
import { runNative } from '../scenarios/engines/native/index.ts';
import type { ScenarioResult } from '../scenarios/result.ts';
import { PodTimeline } from './timeline.ts';
import { drillKubeConfig, checkTarget, checkSafety, kubeError } from './safety.ts';
import { CHAOS, customApi, deletePodChaos } from './chaos-mesh.ts';
import { LAG_SAMPLE_MS, LagFollower, alertChain, watchAlerts } from './observe.ts';
import { SPAWN_GRACE_MS, awaitScheduledKill, killPods, scheduledChaos, type ScheduledKill } from './inject.ts';



/**
 * Pod-kill drill: the plan (the target, its selector and desired replicas, the victims, the safety
 * guards) → steady state → the kill (`inject.ts`) → what is observed (the pod timeline, lag, the
 * alert: `timeline.ts`, `observe.ts`; the data read back) → the verdicts (`judge.ts`, from the
 * stored observation alone) → steady state. Every chaos object it creates is deleted however the
 * drill ends.
 */
export async function podKillDrill(cfg: Config, p: Profile, plan: PodKillPlan, run: RunContext): Promise<void> {
  const { rec, signal, progress } = run;
  const target = checkTarget(p, plan.namespace, plan.deployment);
  const { kc, path } = drillKubeConfig(p);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  // Refuse early on the target and context, before any API call reveals anything about them.
  const guard = { namespace: plan.namespace, deployment: plan.deployment, count: plan.count, yes: plan.yes };
  checkSafety(cfg, p, kc, { ...guard, desired: Number.MAX_SAFE_INTEGER });
  let dep: k8s.V1Deployment;
  try { dep = await apps.readNamespacedDeployment({ name: plan.deployment, namespace: plan.namespace }); } catch (e) {
    throw kubeError(e, `deployment ${plan.namespace}/${plan.deployment}`, '--target');
  }
  const desired = dep.spec?.replicas ?? 1;
  const labels = dep.spec?.selector?.matchLabels ?? {};
  const selector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  if (!selector) throw new UsageError('--target', `deployment ${plan.deployment} has no matchLabels selector`);

  const timeline = new PodTimeline(kc, plan.namespace, selector, desired);
  run.onCleanup(() => timeline.stop());
  let pods: k8s.V1Pod[];
  try { pods = await timeline.start(); } catch (e) { throw kubeError(e, `pods of ${plan.deployment}`, '--target'); }
  if (!pods.length) throw new UsageError('--target', `selector ${selector} in namespace ${plan.namespace} matches no pods`);
  checkSafety(cfg, p, kc, { ...guard, desired });
  const victims = pods.filter(podReady).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!)).slice(0, plan.count);
  rec.setData('plan', { ...plan, withLoad: plan.withLoad?.name, kubeconfig: path, context: kc.getCurrentContext(), selector, desired });
  rec.setData('recoverySloS', plan.recoverySloS);

  if (plan.dryRun) {
    const names = victims.map((v) => v.metadata!.name!);
    rec.setData('wouldKill', names);
    rec.addCheck(check('drill.dry-run', 'dry run: nothing deleted', 'no change', names.join(', '), 'pods', 'pass',
      { what: `would kill ${names.length} of ${pods.length} pods via ${plan.via}: ${names.join(', ')}`, how: `LIST pods ${selector}`, where: `${plan.namespace} @ ${kc.getCurrentContext()}` }));
    return;
  }

  const where = `${plan.namespace}/${plan.deployment} @ ${kc.getCurrentContext()}`;
  const alertSpec = p.drill.alert;
  // What the drill is judged against, stored before anything is injected.
  const targets: DrillTargets = {
    namespace: plan.namespace, deployment: plan.deployment, count: plan.count, recoverySloS: plan.recoverySloS, lagTargetS: plan.lagTargetS,
    alertDetectS: p.slos.alertDetectS, alertWaitS: plan.alertWaitS, alert: { workloadLabels: alertSpec.workloadLabels, source: alertSpec.source }, where,
    ...(plan.withLoad ? { withLoad: plan.withLoad } : {}),
    ...(plan.recoverySloFixed ? { fixed: ['recoverySloS' as const] } : {}),
  };
  rec.setData('targets', targets);
  // Each verdict is recorded as soon as what it judges has been read (an interrupted drill keeps
  // them), always from the observation through the one judge, so a stored drill judges the same again.
  const judged = new Map<string, Check>();
  const record = (checks: Check[]) => {
    for (const c of checks) {
      const was = judged.get(c.id);
      if (!was) { judged.set(c.id, c); rec.addCheck(c); continue; }
      // Judged again over a grown observation, a verdict already recorded must come out the same:
      // otherwise the record would hold one verdict and its evidence another.
      if (was.status !== c.status || JSON.stringify(was.observed) !== JSON.stringify(c.observed)) {
        throw new Error(`drill: ${c.id} judged ${was.status} (${JSON.stringify(was.observed)}), then ${c.status} (${JSON.stringify(c.observed)}) over the same observation`);
      }
    }
  };
  const readyBefore = pods.filter(podReady).length;
  const steady: DrillSteady = { desired, selector, before: { ready: readyBefore, pods: pods.length } };
  rec.setData('steady', steady);
  record(steadyChecks(targets, steady));
  if (readyBefore < desired) { progress('drill: steady state not met before the kill; nothing injected'); return; }

  const isConsumer = target.consumer;
  const k = p.platform.kafka;
  const ep = endpointsFor(p);
  const kafka = kafkajs(ep.kafka!, 'harness-drill', { retry: { retries: 3 } });
  const admin = kafka.admin();
  if (isConsumer) { await admin.connect(); run.onCleanup(() => admin.disconnect()); }

  // Load runs through the kill, so lag and latency reflect a platform under work.
  let load: Promise<ScenarioResult> | null = null;
  if (plan.withLoad) {
    progress(`drill: load ${plan.withLoad.name} running through the drill…`);
    load = runNative(plan.withLoad, { endpoints: ep, signal });
    await sleep(3000, undefined, { signal });
  }

  // Lag is sampled from just before the kill, so the timeline shows it rise and come back.
  const lag = isConsumer ? new LagFollower(admin, k.consumerGroup, k.topics.prices, plan.lagTargetS, timeline) : null;
  if (lag) await lag.baseline();
  let spawn: ScheduledKill | null = null;
  if (plan.follow) {
    spawn = await awaitScheduledKill({ kc, plan: { ...plan, follow: plan.follow }, timeline, run, lag });
    if (!spawn) return; // interrupted while waiting
    // Steady state as it was when the kill came, not when the follow began.
    steady.atKill = timeline.readyAtKill ?? 0;
    rec.setData('steady', steady);
    record(steadyChecks(targets, steady));
  }
  // The kill's wall time: now, or (following a Schedule) when the watch saw its first pod go.
  // Whole milliseconds: the integrity window's bounds become Kafka timestamps (integers).
  const killWall = plan.follow ? Math.round(Date.now() - timeline.elapsedMs()) : Date.now();
  // Watched from the kill on: with Alertmanager as the source, when an alert is first seen active is its time.
  const alerts = watchAlerts(p, killWall, signal);
  run.onCleanup(() => alerts.stop());
  rec.setData('injected', true); // from here a failure leaves the platform changed: the run is aborted, not merely failed
  const injected: string[] = [];
  const onInjected = (id: string) => { injected.push(id); timeline.mark('chaos-injected', id); };
  let chaosName: string | null;
  let unmatched: DrillObservation['unmatched'];
  if (spawn) {
    chaosName = await scheduledChaos(kc, plan.namespace, spawn, run, onInjected);
    if (!chaosName) {
      unmatched = { schedule: plan.follow!.schedule, graceS: SPAWN_GRACE_MS / 1000 };
      record([unmatchedKillCheck(targets, unmatched)]);
    }
  } else {
    chaosName = await killPods({ kc, plan, timeline, run, pods: pods.filter(podReady), victims, labels, onInjected });
  }

  let lagError: string | undefined;
  const following = lag?.follow(signal).catch((e: Error) => { lagError = e.message; progress(`drill: lag sampling stopped: ${e.message}`); });
  const budgetMs = Math.max(plan.recoverySloS * 2, 60) * 1000;
  await timeline.waitFor('replicas-restored', budgetMs, signal);
  if (!timeline.has('replicas-restored') && !timeline.lost && !signal.aborted) await timeline.confirm(signal);
  // The API server gone mid-drill: recovery cannot be seen, so nothing after it can be judged.
  // Never exit 2 here: a pod was killed, so this is no bad input whatever the API said.
  if (timeline.lost) {
    rec.setData('timeline', timeline.events);
    throw new InfraError(`Kubernetes API unreachable for ${timeline.lostForS} s while following the pods of ${plan.deployment} after the kill: ${firstLine(timeline.lost)}`, 'kube-apiserver');
  }
  const restoredWall = Date.now();

  let chaosStatus: unknown = null;
  if (chaosName) {
    try { chaosStatus = ((await customApi(kc).getNamespacedCustomObject({ ...CHAOS, namespace: plan.namespace, name: chaosName })) as { status?: unknown }).status ?? null; } catch { /* reported below */ }
  }

  if (following && !signal.aborted) {
    progress('drill: waiting for consumer lag to come back under target…');
    await following;
    rec.setData('lagSamples', lag!.samples);
  }

  progress('drill: waiting for the alert notification…');
  const alert = await alerts.wait(plan.alertWaitS, plan.deployment, signal);
  alerts.stop();
  if (alert.alert) timeline.mark('alert-notified', `${alert.alert.name} (${alert.alert.severity})`);

  let loadResult: ScenarioResult | null = null;
  if (load) { loadResult = await load; rec.setData('scenarios', [loadResult]); }

  rec.setData('timeline', timeline.events);
  rec.setData('victims', plan.follow ? (timeline.events.find((e) => e.event === 'kill')?.pod ?? '').split(', ').filter(Boolean) : victims.map((v) => v.metadata!.name));
  if (plan.follow) rec.setData('followed', { schedule: plan.follow.schedule, chaos: chaosName });
  // What was seen, stored before it is judged: the verdicts below are a function of this and the targets.
  // A copy as it is now: the watches run on until clean-up, and the record must hold what was judged.
  const observation: DrillObservation = {
    steady, timeline: [...timeline.events], relists: timeline.relists,
    chaos: chaosName ? { name: chaosName, injected: [...injected], status: chaosStatus } : null,
    ...(unmatched ? { unmatched } : {}),
    lag: lag ? { before: lag.before, samples: lag.samples, everyMs: LAG_SAMPLE_MS, where: ep.kafkaBrokers.join(','), targetS: plan.lagTargetS, ...(lagError && !signal.aborted ? { error: lagError } : {}) } : null,
    alert: { hit: alert.alert, others: alert.others, where: alert.where, how: alert.how, ...(alert.alert ? {} : { chain: await alertChain(p) }) },
  };
  rec.setData('observation', observation);
  record(drillChecks(targets, observation, loadResult ?? undefined));
  // As in the gate: a starved load generator beside a failing load check cannot blame the platform.
  const starved = saturation(rec.record.checks);

  if (isConsumer && !signal.aborted) {
    progress('drill: checking that no data was lost…');
    await sleep(10_000, undefined, { signal });
    observation.integrity = await probeIntegrity(kafka, ep.featureStore, { from: killWall - 5000, to: Math.max(restoredWall, killWall) + 5000 }, `${ep.kafkaBrokers.join(',')} → ${ep.featureStoreWhere}`,
      { topic: k.topics.prices, group: k.consumerGroup, contract: k.contract, queries: p.platform.featureStore.queries }, signal);
    rec.setData('observation', observation);
    record(drillChecks(targets, observation, loadResult ?? undefined));
  }

  let after: k8s.V1PodList;
  try { after = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: plan.namespace, labelSelector: selector }); } catch (e) {
    throw new InfraError(`Kubernetes API unreachable or failing while reading the pods of ${plan.deployment} after the drill: ${firstLine(e)}`, 'kube-apiserver');
  }
  steady.after = after.items.filter((p) => podReady(p) && !p.metadata?.deletionTimestamp).length;
  rec.setData('observation', observation);
  record(drillChecks(targets, observation, loadResult ?? undefined));
  if (chaosName && !plan.follow) {
    await deletePodChaos(kc, plan.namespace, chaosName);
    rec.addCheck(check('drill.chaos-cleanup', 'no chaos object left behind', 'deleted', 'deleted', '', 'pass', { what: `PodChaos ${chaosName} deleted and confirmed gone`, how: 'DELETE then GET until 404', where: plan.namespace }));
  }
  // Ran to the end: an error from here on is the verdict's (status error, exit 3), not an interruption.
  rec.setData('completed', true);
  if (starved) throw starved;
}

