/**
 * Scheduled pod-kill drills as Chaos Mesh `Schedule` objects (`type: PodChaos`): the cluster's
 * Chaos Mesh runs them on their cron, the harness creates, lists and deletes them, and follows a
 * scheduled kill to measure its recovery (`drill follow`). Each run of a Schedule is a PodChaos
 * that Chaos Mesh labels `managed-by: <schedule>` and owns by the Schedule (its cron controller).
 */
import * as k8s from '@kubernetes/client-node';
import { CronExpressionParser } from 'cron-parser';
import { CHAOS, CHAOS_SCHEDULE } from '../platform/crds.ts';
import { UsageError } from '../core/errors.ts';
import { parseDuration } from '../scenarios/thresholds.ts';
import { customApi, requireChaosMesh } from './chaos-mesh.ts';
import { check, passIf } from '../verifiers/check.ts';
import { checkSafety, checkTarget, drillKubeConfig, kubeError } from './safety.ts';
import type { Config } from '../core/config.ts';
import type { Profile } from '../profile/schema.ts';
import type { RunContext } from '../core/run.ts';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'carbon-harness' } as const;
/** Where a Schedule keeps what the harness needs to judge its kills. */
const ANNOTATION = { deployment: 'carbon-harness/target', recoverySloS: 'carbon-harness/recovery-slo-s', count: 'carbon-harness/count' } as const;
/** The label Chaos Mesh's cron controller puts on every chaos object a Schedule spawns. */
export const SPAWNED_BY = 'managed-by';

const DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
/** Below this an `@every` schedule kills faster than a drill can measure recovery. */
const MIN_EVERY_MS = 10_000;

/**
 * A schedule Chaos Mesh accepts (its cron is robfig/cron's standard parser): five fields, a
 * descriptor (`@daily`), or `@every <duration>`. Returns it trimmed; exit 2 naming the flag otherwise.
 */
export function checkCron(flag: string, v: string): string {
  const s = v.trim().replace(/\s+/g, ' ');
  const every = s.match(/^@every (\S+)$/);
  if (every) {
    // Go's time.ParseDuration (what Chaos Mesh reads): units always, no days.
    if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(every[1]!)) throw new UsageError(flag, `"${v}": @every needs a Go duration with units, e.g. @every 1h or @every 1h30m`);
    const ms = parseDuration(every[1]!);
    if (ms < MIN_EVERY_MS) throw new UsageError(flag, `"${v}": at most one kill every ${MIN_EVERY_MS / 1000} s`);
    return s;
  }
  if (DESCRIPTORS.includes(s)) return s;
  if (s.split(' ').length !== 5) throw new UsageError(flag, `"${v}" is not a five-field cron schedule (minute hour day-of-month month day-of-week), a descriptor (${DESCRIPTORS.join(', ')}) or @every <duration>`);
  // cron-parser knows L, W and #; robfig/cron's standard parser (Chaos Mesh's) does not.
  if (/[LW#]/i.test(s.replace(/\b(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT)\b/gi, ''))) throw new UsageError(flag, `"${v}": L, W and # are not cron Chaos Mesh reads`);
  try { CronExpressionParser.parse(s); } catch (e) { throw new UsageError(flag, `"${v}": ${(e as Error).message}`); }
  return s;
}

/** When a schedule fires next after `from` (UTC, as Chaos Mesh's controller reads it); null for `@every`, which counts from its last run. */
export function nextRun(cron: string, from: Date): Date | null {
  if (cron.startsWith('@every')) return null;
  const expr = { '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0', '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *' }[cron] ?? cron;
  return CronExpressionParser.parse(expr, { currentDate: from, tz: 'Etc/UTC' }).next().toDate();
}

export interface PodKillSchedule {
  name: string; namespace: string; deployment: string; labels: Record<string, string>;
  count: number; cron: string; recoverySloS: number;
}

export function scheduleObject(s: PodKillSchedule): object {
  return {
    apiVersion: `${CHAOS_SCHEDULE.group}/${CHAOS_SCHEDULE.version}`, kind: CHAOS_SCHEDULE.kind,
    metadata: {
      name: s.name, namespace: s.namespace, labels: { ...MANAGED_BY },
      annotations: { [ANNOTATION.deployment]: s.deployment, [ANNOTATION.recoverySloS]: String(s.recoverySloS), [ANNOTATION.count]: String(s.count) },
    },
    spec: {
      schedule: s.cron, type: CHAOS.kind,
      // One kill at a time, and a kill missed by more than a minute (controller down) is skipped, not made up later.
      concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 60, historyLimit: 5,
      podChaos: { action: 'pod-kill', mode: 'fixed', value: String(s.count), gracePeriod: 0, selector: { namespaces: [s.namespace], labelSelectors: s.labels } },
    },
  };
}

export interface ScheduleInfo {
  name: string; namespace: string; cron: string; deployment: string; count: number; recoverySloS: number | null;
  createdAt: string | null; lastScheduleTime: string | null; nextRun: string | null;
  /** The PodChaos objects it has spawned (its history), newest first. */
  runs: Array<{ name: string; createdAt: string | null }>;
}

type ScheduleObj = { metadata: { name: string; namespace: string; creationTimestamp?: string; annotations?: Record<string, string> }; spec: { schedule: string }; status?: { lastScheduleTime?: string } };
type ChaosObj = { metadata: { name: string; creationTimestamp?: string; labels?: Record<string, string> } };

/** The PodChaos objects a Schedule has spawned (Chaos Mesh labels each with the Schedule's name). */
async function spawned(api: k8s.CustomObjectsApi, namespace: string, schedule: string): Promise<ChaosObj[]> {
  return (await api.listNamespacedCustomObject({ ...CHAOS, namespace, labelSelector: `${SPAWNED_BY}=${schedule}` }) as { items: ChaosObj[] }).items;
}

const ours = (o: { metadata: { labels?: Record<string, string> } }) =>
  o.metadata.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY['app.kubernetes.io/managed-by'];

export async function listSchedules(kc: k8s.KubeConfig, namespaces: string[], now = new Date()): Promise<ScheduleInfo[]> {
  const api = customApi(kc);
  const out: ScheduleInfo[] = [];
  for (const namespace of namespaces) {
    const list = await api.listNamespacedCustomObject({ ...CHAOS_SCHEDULE, namespace, labelSelector: labelSelector(MANAGED_BY) }) as { items: ScheduleObj[] };
    for (const sc of list.items) {
      const a = scheduleAnnotations(sc);
      const runs = (await spawned(api, namespace, sc.metadata.name))
        .map((c) => ({ name: c.metadata.name, createdAt: c.metadata.creationTimestamp ?? null }))
        .sort((x, y) => (y.createdAt ?? '').localeCompare(x.createdAt ?? ''));
      const next = nextRun(sc.spec.schedule, now);
      out.push({
        name: sc.metadata.name, namespace, cron: sc.spec.schedule, deployment: a.deployment ?? '?',
        count: a.count ?? 1, recoverySloS: a.recoverySloS ?? null,
        createdAt: sc.metadata.creationTimestamp ?? null, lastScheduleTime: sc.status?.lastScheduleTime ?? null,
        nextRun: next?.toISOString() ?? null, runs,
      });
    }
  }
  return out;
}

/** Deletes a Schedule of ours and the kills it spawned, and waits until the API has neither. */
export async function deleteSchedule(kc: k8s.KubeConfig, namespace: string, name: string): Promise<{ runs: number }> {
  const api = customApi(kc);
  const sc = await api.getNamespacedCustomObject({ ...CHAOS_SCHEDULE, namespace, name }) as ScheduleObj & { metadata: { labels?: Record<string, string> } };
  if (!ours(sc)) {
    throw new UsageError('NAME', `Schedule ${namespace}/${name} was not created by the harness (no ${labelSelector(MANAGED_BY)} label): delete it with the tool that made it`);
  }
  // Listed before the Schedule goes: they are owned by it, and the garbage collector may remove them
  // before a LIST made after the delete sees them (they would go uncounted). Deleted here too, so none
  // is left while a drill is judged, or on a cluster whose collector lags.
  const runs = await spawned(api, namespace, name);
  await api.deleteNamespacedCustomObject({ ...CHAOS_SCHEDULE, namespace, name });
  for (const c of runs) await api.deleteNamespacedCustomObject({ ...CHAOS, namespace, name: c.metadata.name }).catch((e) => { if ((e as { code?: number }).code !== 404) throw e; });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const gone = await api.getNamespacedCustomObject({ ...CHAOS_SCHEDULE, namespace, name }).then(() => false, () => true);
    if (gone && (await spawned(api, namespace, name)).length === 0) return { runs: runs.length };
    if (Date.now() > deadline) throw new Error(`Schedule ${namespace}/${name} or its PodChaos still present 10 s after delete`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function scheduleAnnotations(sc: { metadata: { annotations?: Record<string, string> } }): { deployment?: string; recoverySloS?: number; count?: number } {
  const a = sc.metadata.annotations ?? {};
  return {
    deployment: a[ANNOTATION.deployment],
    recoverySloS: a[ANNOTATION.recoverySloS] ? Number(a[ANNOTATION.recoverySloS]) : undefined,
    count: a[ANNOTATION.count] ? Number(a[ANNOTATION.count]) : undefined,
  };
}

const labelSelector = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',');

/** What a scheduled kill needs of a drill's plan (drills/plan.ts's PodKillPlan has it). */
export interface ScheduleRequest { namespace: string; deployment: string; count: number; recoverySloS: number; yes: boolean; dryRun: boolean }

/**
 * `drill pod-kill --schedule CRON`: the drill's target and safety checks, then a Schedule that
 * Chaos Mesh runs; nothing is killed now. Read back once created, so the record holds what the
 * cluster stored.
 */
export async function scheduleDrill(cfg: Config, p: Profile, plan: ScheduleRequest, cron: string, run: RunContext): Promise<void> {
  const { rec, progress } = run;
  // The target first, before a kubeconfig is even read.
  checkTarget(p, plan.namespace, plan.deployment);
  const { kc, path } = drillKubeConfig(p);
  checkSafety(cfg, p, kc, { namespace: plan.namespace, deployment: plan.deployment, count: plan.count, yes: plan.yes, desired: Number.MAX_SAFE_INTEGER });
  let dep: k8s.V1Deployment;
  try { dep = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: plan.deployment, namespace: plan.namespace }); } catch (e) {
    throw kubeError(e, `deployment ${plan.namespace}/${plan.deployment}`, '--target');
  }
  const desired = dep.spec?.replicas ?? 1;
  checkSafety(cfg, p, kc, { namespace: plan.namespace, deployment: plan.deployment, count: plan.count, yes: plan.yes, desired });
  const labels = dep.spec?.selector?.matchLabels ?? {};
  if (!Object.keys(labels).length) throw new UsageError('--target', `deployment ${plan.deployment} has no matchLabels selector`);
  const name = `carbon-pod-kill-${plan.deployment}`.slice(0, 50).replace(/-+$/, '') + `-${Date.now().toString(36)}`;
  const body = scheduleObject({ name, namespace: plan.namespace, deployment: plan.deployment, labels, count: plan.count, cron, recoverySloS: plan.recoverySloS });
  rec.setData('plan', { ...plan, schedule: cron, kubeconfig: path, context: kc.getCurrentContext(), desired });
  rec.setData('schedule', body);
  const where = `${plan.namespace} @ ${kc.getCurrentContext()}`;
  if (plan.dryRun) {
    rec.addCheck(check('drill.schedule', 'dry run: no Schedule created', 'no change', name, '', 'pass', { what: `would create Schedule ${plan.namespace}/${name} (${cron}, pod-kill ${plan.count} of ${plan.deployment})`, how: 'rendered only', where }));
    return;
  }
  await requireChaosMesh(kc);
  progress(`drill: creating Schedule ${plan.namespace}/${name} (${cron}: pod-kill ${plan.count} of ${plan.deployment})…`);
  try { await customApi(kc).createNamespacedCustomObject({ ...CHAOS_SCHEDULE, namespace: plan.namespace, body }); } catch (e) {
    throw kubeError(e, `Schedule in ${plan.namespace}`, '--target');
  }
  // Recorded before anything else can fail: a Schedule in the cluster kills pods whether or not this run ends well.
  rec.setData('scheduleName', name);
  const stored = await customApi(kc).getNamespacedCustomObject({ ...CHAOS_SCHEDULE, namespace: plan.namespace, name }) as { spec?: { schedule?: string } };
  const storedCron = stored.spec?.schedule ?? null;
  const asSent = storedCron === cron;
  const next = asSent ? nextRun(cron, new Date()) : null;
  rec.addCheck(check('drill.schedule', 'Schedule created and stored as sent', cron, storedCron, '', passIf(asSent), {
    what: asSent
      ? `Schedule ${plan.namespace}/${name}: pod-kill ${plan.count} of ${plan.deployment} on "${cron}"${next ? `, next at ${next.toISOString()}` : ''}; follow a run with \`harness drill follow --schedule ${name}\``
      // An admission webhook or policy rewrote it: Chaos Mesh runs what was stored, not what was asked.
      : `Schedule ${plan.namespace}/${name} was stored with schedule ${JSON.stringify(storedCron)}, not "${cron}" (an admission webhook or policy changed it); it kills on the stored one: \`harness drill schedules delete ${name}\` if that is not wanted`,
    how: 'create, then GET the stored object', where,
  }));
}

/** The names of the kills a Schedule has spawned so far: what `nextSpawned` compares against. */
export async function spawnedNames(kc: k8s.KubeConfig, namespace: string, schedule: string): Promise<Set<string>> {
  return new Set((await spawned(customApi(kc), namespace, schedule)).map((c) => c.metadata.name));
}

/**
 * Waits for the next kill a Schedule of ours spawns: a PodChaos labelled `managed-by: <schedule>`
 * that was not there when `before` was taken (names, not clocks: the API server's clock is not ours).
 * Returns its name, or null when none came in time or the wait was stopped.
 */
export async function nextSpawned(kc: k8s.KubeConfig, namespace: string, schedule: string, before: Set<string>, timeoutMs: number, signal: AbortSignal): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal.aborted) {
    // A failed LIST (the API busy or briefly gone) is tried again until the deadline, never thrown.
    const now = await spawnedNames(kc, namespace, schedule).catch(() => null);
    const fresh = now ? [...now].filter((n) => !before.has(n)) : [];
    if (fresh.length) return fresh.sort()[0]!;
    await new Promise((r) => setTimeout(r, 500));
  }
  return null;
}

/** The Schedule a follow names, with what it targets; exit 2 when it is not one of ours. */
export async function readSchedule(kc: k8s.KubeConfig, namespace: string, name: string): Promise<{ cron: string; deployment?: string; recoverySloS?: number; count?: number }> {
  let sc: ScheduleObj & { metadata: { labels?: Record<string, string> } };
  try { sc = await customApi(kc).getNamespacedCustomObject({ ...CHAOS_SCHEDULE, namespace, name }) as typeof sc; } catch (e) {
    throw kubeError(e, `Schedule ${namespace}/${name}`, '--schedule');
  }
  if (!ours(sc)) {
    throw new UsageError('--schedule', `Schedule ${namespace}/${name} was not created by the harness`);
  }
  return { cron: sc.spec.schedule, ...scheduleAnnotations(sc) };
}
