import * as k8s from '@kubernetes/client-node';
import type { Admin } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../core/config.ts';
import type { Profile } from '../profile/schema.ts';
import { kafkajs } from '../platform/kafka.ts';
import { httpClient } from '../platform/http.ts';
import { alertmanagerAlerts } from '../platform/alertmanager.ts';
import type { Check } from '../core/record.ts';
import type { RunContext } from '../core/run.ts';
import { InfraError, UsageError } from '../core/errors.ts';
import { check, passIf, round } from '../verifiers/check.ts';
import { drillChecks, lagPeak, lagSlack, type DrillObservation, type DrillTargets, type LagSample } from './judge.ts';
import { integrityChecks } from '../verifiers/integrity.ts';
import { saturation, scenarioChecks } from '../verifiers/load.ts';
import { sampleLag, totalEnds, type GroupLag } from '../platform/kafka-offsets.ts';
import { endpointsFor } from '../scenarios/endpoints.ts';
import { runNative } from '../scenarios/engines/native/index.ts';
import type { Scenario } from '../scenarios/types.ts';
import type { ScenarioResult } from '../scenarios/result.ts';
import { LOST_S, PodTimeline } from './timeline.ts';
import { drillKubeConfig, checkTarget, checkSafety, kubeError } from './safety.ts';
import { CHAOS, customApi, deletePodChaos, requireChaosMesh, followPodChaos, podChaos } from './chaos-mesh.ts';

export interface PodKillPlan {
  namespace: string;
  deployment: string;
  count: number;
  via: 'api' | 'chaos-mesh';
  /** Seconds a killed pod gets to stop; undefined = the pod's own (chaos-mesh: 0). */
  gracePeriodS?: number;
  recoverySloS: number;
  /** Consumer lag must come back under this after the kill (prediction-consumer only). */
  lagTargetS: number;
  withLoad?: Scenario;
  /** Follow the next kill of a Schedule of ours instead of killing (drill follow). */
  follow?: { schedule: string; timeoutS: number };
  dryRun: boolean;
  yes: boolean;
  alertWaitS: number;
}

/** How long after a followed kill its Schedule's PodChaos may still appear in a LIST. */
const SPAWN_GRACE_MS = 10_000;

const readyPod = (p: k8s.V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * Pod-kill drill: steady state → kill → recovery timeline → alert → lag → data integrity →
 * steady state. Every chaos object it creates is deleted however the drill ends.
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
  const victims = pods.filter(readyPod).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!)).slice(0, plan.count);
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
  const readyBefore = pods.filter(readyPod).length;
  rec.addCheck(check('drill.steady-state-before', 'steady state before: all replicas Ready', `${desired}/${desired}`, `${readyBefore}/${desired}`, 'replicas',
    passIf(readyBefore >= desired), { what: `${readyBefore} Ready of ${pods.length} pods`, how: `LIST pods ${selector}`, where }));
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
  let spawned: Promise<string | null> | null = null;
  const stopLooking = new AbortController();
  if (plan.follow) {
    await requireChaosMesh(kc);
    const { nextSpawned, spawnedNames } = await import('./schedules.ts');
    let before: Set<string>;
    try { before = await spawnedNames(kc, plan.namespace, plan.follow.schedule); } catch (e) { throw kubeError(e, `PodChaos of Schedule ${plan.follow.schedule}`, '--schedule'); }
    run.onCleanup(() => stopLooking.abort());
    timeline.armForKill(plan.count);
    progress(`drill: waiting up to ${plan.follow.timeoutS} s for the next kill of Schedule ${plan.namespace}/${plan.follow.schedule}…`);
    // Looked for from now; the kill may come before or after its PodChaos is seen (the controller creates it, then deletes pods).
    spawned = nextSpawned(kc, plan.namespace, plan.follow.schedule, before, plan.follow.timeoutS * 1000 + 30_000, AbortSignal.any([signal, stopLooking.signal]));
    const deadline = Date.now() + plan.follow.timeoutS * 1000;
    // The lag baseline is the last one before the kill, not the one taken when the follow began.
    while (!timeline.has('kill') && Date.now() < deadline && !signal.aborted) {
      await timeline.waitFor('kill', Math.min(5000, deadline - Date.now()), signal);
      if (lag && !timeline.has('kill')) await lag.baseline().catch(() => {});
    }
    if (!timeline.has('kill')) {
      stopLooking.abort();
      if (signal.aborted) return;
      throw new InfraError(`Schedule ${plan.namespace}/${plan.follow.schedule} killed no pod of ${plan.deployment} within ${plan.follow.timeoutS} s: is Chaos Mesh's controller running, and the schedule due?`, 'chaos-mesh');
    }
    // Steady state as it was when the kill came, not when the follow began.
    const atKill = timeline.readyAtKill ?? 0;
    rec.addCheck(check('drill.steady-state-at-kill', 'steady state when the scheduled kill came: all replicas Ready', `${desired}/${desired}`, `${atKill}/${desired}`, 'replicas',
      passIf(atKill >= desired), { what: `${atKill} Ready just before the first pod went`, how: 'the pod watch at the kill', where: `${plan.namespace}/${plan.deployment} @ ${kc.getCurrentContext()}` }));
  }
  // The kill's wall time: now, or (following a Schedule) when the watch saw its first pod go.
  // Whole milliseconds: the integrity window's bounds become Kafka timestamps (integers).
  const killWall = plan.follow ? Math.round(Date.now() - timeline.elapsedMs()) : Date.now();
  // Watched from the kill on: with Alertmanager as the source, when an alert is first seen active is its time.
  const alerts = watchAlerts(p, killWall, signal);
  run.onCleanup(() => alerts.stop());
  rec.setData('injected', true); // from here a failure leaves the platform changed: the run is aborted, not merely failed
  let chaosName: string | null = null;
  const injected: string[] = [];
  if (spawned) {
    // The Schedule's PodChaos: its records are followed (the pods it names must be the ones that
    // went, or drill.chaos-mesh fails), but it is the Schedule's to keep or collect.
    // Chaos Mesh creates the PodChaos before its controller deletes a pod: once the kill is seen it
    // is listed within seconds, or the kill was not the Schedule's.
    chaosName = await Promise.race([spawned, sleep(SPAWN_GRACE_MS, null, { ref: false })]);
    stopLooking.abort();
    if (chaosName) run.onCleanup(followPodChaos(kc, plan.namespace, chaosName, (r) => { injected.push(r.id); timeline.mark('chaos-injected', r.id); }));
    else {
      rec.addCheck(check('drill.chaos-mesh', 'PodChaos applied', `${plan.count} pod(s) injected and gone`, null, 'pods', 'error', {
        what: `pods went, but no new PodChaos of Schedule ${plan.follow!.schedule} appeared within ${SPAWN_GRACE_MS / 1000} s: the deletion cannot be tied to the schedule (a rollout, an eviction?)`,
        how: 'LIST of PodChaos labelled managed-by=<schedule>, against those present when the follow began', where: `${plan.namespace}/${plan.follow!.schedule}` }));
    }
  } else if (plan.via === 'api') {
    timeline.markKill(victims);
    progress(`drill: deleting ${victims.map((v) => v.metadata!.name).join(', ')} through the API…`);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (const v of victims) {
      try { await core.deleteNamespacedPod({ name: v.metadata!.name!, namespace: plan.namespace, gracePeriodSeconds: plan.gracePeriodS }); } catch (e) { throw kubeError(e, `pod ${v.metadata!.name}`, '--target'); }
    }
  } else {
    await requireChaosMesh(kc);
    chaosName = `carbon-pod-kill-${Date.now().toString(36)}`;
    const created = chaosName;
    // Registered before the create: an interrupt between the two must still clean up.
    run.onCleanup(() => deletePodChaos(kc, plan.namespace, created));
    timeline.markKill(pods.filter(readyPod));
    progress(`drill: creating PodChaos ${plan.namespace}/${chaosName} (pod-kill, ${plan.count})…`);
    await customApi(kc).createNamespacedCustomObject({ ...CHAOS, namespace: plan.namespace, body: podChaos(chaosName, { namespace: plan.namespace, labels, count: plan.count, gracePeriod: plan.gracePeriodS ?? 0 }) });
    run.onCleanup(followPodChaos(kc, plan.namespace, created, (r) => {
      injected.push(r.id);
      timeline.mark('chaos-injected', r.id);
    }));
  }

  let lagError: string | undefined;
  const following = lag?.follow(signal).catch((e: Error) => { lagError = e.message; progress(`drill: lag sampling stopped: ${e.message}`); });
  const budgetMs = Math.max(plan.recoverySloS * 2, 60) * 1000;
  await timeline.waitFor('replicas-restored', budgetMs, signal);
  // The API server gone mid-drill: recovery cannot be seen, so nothing after it can be judged.
  // Never exit 2 here: a pod was killed, so this is no bad input whatever the API said.
  if (timeline.lost) {
    rec.setData('timeline', timeline.events);
    throw new InfraError(`Kubernetes API unreachable for ${LOST_S} s while following the pods of ${plan.deployment} after the kill: ${(timeline.lost as Error).message?.split('\n')[0] ?? String(timeline.lost)}`, 'kube-apiserver');
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
  const alertSpec = p.drill.alert;
  const alert = await alerts.wait(plan.alertWaitS, plan.deployment, signal);
  alerts.stop();
  if (alert.alert) timeline.mark('alert-notified', `${alert.alert.name} (${alert.alert.severity})`);

  let loadResult: ScenarioResult | null = null;
  if (load) { loadResult = await load; rec.setData('scenarios', [loadResult]); }

  rec.setData('timeline', timeline.events);
  rec.setData('victims', plan.follow ? (timeline.events.find((e) => e.event === 'kill')?.pod ?? '').split(', ').filter(Boolean) : victims.map((v) => v.metadata!.name));
  if (plan.follow) rec.setData('followed', { schedule: plan.follow.schedule, chaos: chaosName });
  // What was seen, stored before it is judged: the verdicts below are a function of this and the targets.
  const observation: DrillObservation = {
    timeline: timeline.events, relists: timeline.relists,
    chaos: chaosName ? { name: chaosName, injected, status: chaosStatus } : null,
    lag: lag ? { before: lag.before, samples: lag.samples, everyMs: LAG_SAMPLE_MS, where: ep.kafkaBrokers.join(','), targetS: plan.lagTargetS, ...(lagError && !signal.aborted ? { error: lagError } : {}) } : null,
    alert: { hit: alert.alert, others: alert.others, where: alert.where, how: alert.how, ...(alert.alert ? {} : { chain: await alertChain(p) }) },
  };
  const targets: DrillTargets = {
    namespace: plan.namespace, deployment: plan.deployment, count: plan.count, recoverySloS: plan.recoverySloS, lagTargetS: plan.lagTargetS,
    alertDetectS: p.slos.alertDetectS, alertWaitS: plan.alertWaitS, alert: { workloadLabels: alertSpec.workloadLabels, source: alertSpec.source }, where,
  };
  rec.setData('observation', observation);
  rec.setData('targets', targets);
  for (const c of drillChecks(targets, observation)) rec.addCheck(c);
  if (loadResult && plan.withLoad) for (const c of scenarioChecks(plan.withLoad, loadResult)) rec.addCheck({ ...c, id: `drill.load.${c.id}` });
  // As in the gate: a starved load generator beside a failing load check cannot blame the platform.
  const starved = saturation(rec.record.checks);

  if (isConsumer && !signal.aborted) {
    progress('drill: checking that no data was lost…');
    await sleep(10_000, undefined, { signal });
    const checks: Check[] = await integrityChecks(kafka, ep.featureStore, { from: killWall - 5000, to: Math.max(restoredWall, killWall) + 5000 }, `${ep.kafkaBrokers.join(',')} → ${ep.featureStoreWhere}`,
      { topic: k.topics.prices, group: k.consumerGroup, contract: k.contract, queries: p.platform.featureStore.queries }, signal);
    for (const c of checks) rec.addCheck({ ...c, id: c.id.replace(/^daily\./, 'drill.') });
  }

  let after: k8s.V1PodList;
  try { after = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: plan.namespace, labelSelector: selector }); } catch (e) {
    throw new InfraError(`Kubernetes API unreachable or failing while reading the pods of ${plan.deployment} after the drill: ${(e as Error).message?.split('\n')[0] ?? String(e)}`, 'kube-apiserver');
  }
  const readyAfter = after.items.filter((p) => readyPod(p) && !p.metadata?.deletionTimestamp).length;
  rec.addCheck(check('drill.steady-state-after', 'steady state after: all replicas Ready', `${desired}/${desired}`, `${readyAfter}/${desired}`, 'replicas',
    passIf(readyAfter >= desired), { what: `${readyAfter} Ready`, how: `LIST pods ${selector}`, where }));
  if (chaosName && !plan.follow) {
    await deletePodChaos(kc, plan.namespace, chaosName);
    rec.addCheck(check('drill.chaos-cleanup', 'no chaos object left behind', 'deleted', 'deleted', '', 'pass', { what: `PodChaos ${chaosName} deleted and confirmed gone`, how: 'DELETE then GET until 404', where: plan.namespace }));
  }
  // Ran to the end: an error from here on is the verdict's (status error, exit 3), not an interruption.
  rec.setData('completed', true);
  if (starved) throw starved;
}

export type { LagSample };

const LAG_SAMPLE_MS = 250;

/**
 * The consumer group's lag through a drill: a baseline before the kill, then a sample every
 * LAG_SAMPLE_MS. `lag-rising` marks the first sample clearly above the baseline;
 * `lag-recovered` the first one, once the replicas are back, under target and back near the baseline.
 */
class LagFollower {
  readonly samples: LagSample[] = [];
  before = 0;
  private prev: GroupLag | null = null;

  constructor(private admin: Admin, private group: string, private topic: string, private targetS: number, private timeline: PodTimeline) {}

  private async sample(): Promise<{ behind: number; rate: number }> {
    const now = await sampleLag(this.admin, this.group, this.topic);
    const rate = this.prev ? (totalEnds(now.ends) - totalEnds(this.prev.ends)) / Math.max(0.001, (now.at - this.prev.at) / 1000) : 0;
    this.prev = now;
    return { behind: now.total, rate };
  }

  /** Two samples before the kill; the higher is the baseline (commits move the committed offset in steps). */
  async baseline(): Promise<void> {
    const a = (await this.sample()).behind;
    await sleep(LAG_SAMPLE_MS);
    this.before = Math.max(a, (await this.sample()).behind);
  }

  async follow(signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + 120_000;
    let rising = false;
    while (Date.now() < deadline && !signal.aborted) {
      await sleep(LAG_SAMPLE_MS);
      const { behind, rate } = await this.sample();
      const lagS = rate > 0 ? behind / rate : 0;
      this.samples.push({ atMs: this.timeline.elapsedMs(), lagMessages: behind, lagS: round(lagS, 3), rate: round(rate, 1) });
      // A twentieth of a second of traffic (at least 250 messages): above commit-interval noise, below
      // what a rebalance's pause in consumption adds.
      const slack = lagSlack(rate);
      if (!rising && behind > this.before + slack) { rising = true; this.timeline.mark('lag-rising', `${behind} messages behind (${lagS.toFixed(2)} s)`); }
      if (this.timeline.has('replicas-restored') && lagS < this.targetS && behind <= this.before + slack) {
        const peak = lagPeak(this);
        if (rising) this.timeline.markAt('lag-peak', peak.atMs, `${peak.lagMessages} messages behind (${peak.lagS.toFixed(2)} s)`);
        this.timeline.mark('lag-recovered', `${behind} messages behind (${lagS.toFixed(2)} s)`);
        return;
      }
    }
  }
}

/** One webhook notification as a receiver log keeps it (Alertmanager's webhook payload, plus when it arrived). */
export interface Notification { status: string; receivedAt: string; alerts: Array<{ status: string; labels: Record<string, string>; startsAt: string }> }

export interface AlertMatch { workloadLabels: string[]; labels: Record<string, string>; severity?: { label: string; critical: string[]; warning: string[] } }

/** `critical` or `warning` as the platform's severity label and values say (else the raw value). */
function severityOf(labels: Record<string, string>, s: AlertMatch['severity'] = { label: 'severity', critical: ['critical'], warning: ['warning'] }): string {
  const v = labels[s.label] ?? '?';
  return s.critical.includes(v) ? 'critical' : s.warning.includes(v) ? 'warning' : v;
}

const DEFAULT_MATCH: AlertMatch = { workloadLabels: ['workload', 'deployment', 'job', 'app'], labels: {} };

/**
 * The alert the kill caused: firing, reached the receiver after the kill, started no earlier than
 * (2 s before) the kill, carrying the profile's labels, and naming the killed workload in one of
 * its workload labels. Any other alert firing meanwhile was not caused by it and is only listed.
 */
export function alertForKill(list: Notification[], sinceWall: number, workload: string, match: AlertMatch = DEFAULT_MATCH): { hit: { name: string; severity: string; afterS: number } | null; others: string[] } {
  const others: string[] = [];
  for (const n of list) {
    const at = Date.parse(n.receivedAt);
    if (at < sinceWall || n.status !== 'firing') continue;
    for (const a of n.alerts) {
      if (a.status !== 'firing' || Date.parse(a.startsAt) < sinceWall - 2000) continue;
      const labelled = Object.entries(match.labels).every(([k, v]) => a.labels[k] === v);
      if (labelled && match.workloadLabels.some((k) => a.labels[k] === workload)) return { hit: { name: a.labels.alertname ?? '?', severity: severityOf(a.labels, match.severity), afterS: (at - sinceWall) / 1000 }, others };
      others.push(`${a.labels.alertname ?? '?'}${a.labels.workload ? ` (${a.labels.workload})` : ''}`);
    }
  }
  return { hit: null, others };
}

/**
 * Why an alert may not have come: whether Prometheus (which evaluates the rule) and Alertmanager
 * (which routes it) answer at all, so a missing alert with a dead chain reads as such.
 */
async function alertChain(p: Profile): Promise<string[]> {
  const parts = [['prometheus', p.platform.prometheus, '/api/v1/status/buildinfo'], ['alertmanager', p.platform.alertmanager, '/api/v2/status']] as const;
  return Promise.all(parts.filter(([, api]) => api).map(async ([part, api, path]) => {
    const c = httpClient(part, api!, 3000);
    try { await c.getJson(path); return `${part} at ${c.url} answered`; } catch (e) { return `${part} did not answer (${(e as Error).message})`; }
  }));
}

interface AlertWait { alert: { name: string; severity: string; afterS: number } | null; others: string[]; where: string; how: string }

/**
 * Watches for the alert where the profile says notifications are seen: a receiver's log of webhook
 * notifications (timed by when each arrived there), or Alertmanager's API, polled every 500 ms from
 * the kill on (timed by when an alert was first seen active: not silenced, not inhibited).
 */
function watchAlerts(p: Profile, sinceWall: number, signal: AbortSignal): { wait(waitS: number, workload: string, signal: AbortSignal): Promise<AlertWait>; stop(): void } {
  const spec = p.drill.alert;
  let read: () => Promise<Notification[]>;
  let where: string;
  let how: string;
  let stopped = false;
  let pollError: Error | null = null;
  if (spec.source === 'alertmanager') {
    if (!p.platform.alertmanager) throw new UsageError('drill.alert.source', `profile "${p.name}" names no Alertmanager (platform.alertmanager) to watch for the alert`);
    const am = httpClient('alertmanager', p.platform.alertmanager);
    where = am.url;
    how = 'Alertmanager GET /api/v2/alerts (active, not silenced, not inhibited) every 500 ms from the kill; time = first seen active there';
    const seen = new Map<string, Notification>();
    const poll = async () => {
      const now = new Date().toISOString();
      for (const a of await alertmanagerAlerts(am, { active: true, silenced: false, inhibited: false })) {
        // By fingerprint and start: an alert that was firing before the kill and fires again is a new firing.
        const key = `${a.fingerprint}@${a.startsAt}`;
        if (a.status.state !== 'active' || seen.has(key)) continue;
        seen.set(key, { status: 'firing', receivedAt: now, alerts: [{ status: 'firing', labels: a.labels, startsAt: a.startsAt }] });
      }
    };
    void (async () => {
      while (!stopped && !signal.aborted) {
        try { await poll(); } catch (e) { pollError = e as Error; }
        await sleep(500);
      }
    })();
    read = async () => {
      await poll();
      return [...seen.values()];
    };
  } else {
    const url = spec.source;
    where = url;
    how = 'webhook notifications kept by the receiver at drill.alert.source; time = when the notification arrived';
    read = async () => {
      const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return (await r.json()) as Notification[];
    };
  }
  return {
    stop() { stopped = true; },
    async wait(waitS, workload, sig) {
      const deadline = sinceWall + waitS * 1000;
      let others: string[] = [];
      // Looks at least once: the notification may have arrived while recovery and lag were followed.
      for (let first = true; first || (Date.now() < deadline && !sig.aborted); first = false) {
        let list: Notification[];
        try { list = await read(); } catch (e) {
          throw new InfraError(`alerts unreadable at ${where}: ${(e as Error).message}`, spec.source === 'alertmanager' ? 'alertmanager' : 'alert receiver');
        }
        const r = alertForKill(list, sinceWall, workload, { ...spec, severity: p.platform.alertmanager?.severity });
        others = r.others;
        if (r.hit) return { alert: r.hit, others, where, how };
        await sleep(500);
      }
      if (pollError && spec.source === 'alertmanager') others.push(`(a poll failed meanwhile: ${(pollError as Error).message})`);
      return { alert: null, others, where, how };
    },
  };
}
