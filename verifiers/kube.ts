import * as k8s from '@kubernetes/client-node';
import type { Check } from '../core/record.ts';
import { check, failedReading, passIf, unmeasured, type Reading } from './check.ts';
import { promReading, promValue, type PromReading } from './monitoring.ts';

/** Reads one PromQL scalar (null: no series); `where` names the Prometheus it asks. */
export interface PromReader { scalar(expr: string): Promise<number | null>; where: string }

/** The profile's restart SLI (platform.slis.podRestarts5m) for one deployment. */
export const crashQuery = (sli: string, namespace: string, deployment: string) => sli.replaceAll('$namespace', namespace).replaceAll('$deployment', deployment);

/** What the probe read of one deployment: its status and pods from the Kubernetes API, its restarts from Prometheus. */
export interface WorkloadEvidence {
  namespace: string; name: string;
  /** Appended to the check ids (the consumer deployment keeps the plain ones). */
  idSuffix: string;
  where: string;
  /** The replicas the profile says the platform runs (undefined: the deployment's spec.replicas). */
  expected?: number;
  status: Reading<{ specReplicas: number; ready: number; available: number; pods: number; restarts: number; lastCrashed: string[] }>;
  /** The restart SLI's reading, or why there is none. */
  crashes?: ({ where: string } & PromReading) | { missing: string };
}

/** Reads one deployment's status, its pods' restarts, and the profile's restart SLI for it. */
export async function probeWorkload(kc: k8s.KubeConfig, namespace: string, deployment: string, expected: number | undefined, prom: (PromReader & { sli: string }) | { missing: string }, idSuffix = ''): Promise<WorkloadEvidence> {
  const where = `${namespace}/${deployment} @ ${kc.getCurrentContext()}`;
  const base = { namespace, name: deployment, idSuffix, where, ...(expected === undefined ? {} : { expected }) };
  try {
    const dep = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: deployment, namespace });
    const labels = Object.entries(dep.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = (await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace, labelSelector: labels })).items;
    const since = Date.now() - 5 * 60_000;
    const ev: WorkloadEvidence = {
      ...base,
      status: {
        ok: true, specReplicas: dep.spec?.replicas ?? 0, ready: dep.status?.readyReplicas ?? 0, available: dep.status?.availableReplicas ?? 0, pods: pods.length,
        restarts: pods.reduce((a, p) => a + (p.status?.containerStatuses ?? []).reduce((b, c) => b + (c.restartCount ?? 0), 0), 0),
        lastCrashed: pods.flatMap((p) => (p.status?.containerStatuses ?? [])
          .filter((c) => c.lastState?.terminated?.finishedAt && new Date(c.lastState.terminated.finishedAt).getTime() >= since)
          .map(() => p.metadata!.name!)),
      },
    };
    if ('missing' in prom) ev.crashes = { missing: prom.missing };
    else {
      const expr = crashQuery(prom.sli, namespace, deployment);
      try { ev.crashes = { where: prom.where, ...promReading(expr, await prom.scalar(expr)) }; } catch (e) { ev.crashes = { where: prom.where, expr, ...failedReading(e) }; }
    }
    return ev;
  } catch (e) {
    return { ...base, status: failedReading(e) };
  }
}

/**
 * The seed's "prediction consumer replicas 3/3" as Kubernetes sees it, and pod stability: container
 * crashes (restarts) in the last five minutes, the seed's crash-alert window (> 3 is critical).
 */
export function judgeWorkload(e: WorkloadEvidence, maxCrashes5m: number): Check[] {
  const id = (k: string) => `daily.kube.${k}${e.idSuffix}`;
  const { where, name: deployment } = e;
  const s = e.status;
  if (!s.ok) return [unmeasured(id('replicas'), `${deployment} replicas`, 'all Ready', 'replicas', where, s.error)];
  // The seed's "3/3" is against the platform's intended size: a deployment scaled down to 1 is 1/3,
  // not a healthy 1/1.
  const desired = e.expected ?? s.specReplicas;
  const replicas = check(id('replicas'), `${deployment} replicas Ready ${s.ready}/${desired}`, `${desired}/${desired}`, `${s.ready}/${desired}`, 'replicas',
    passIf(desired > 0 && s.ready >= desired), { what: `deployment status: ${s.ready} ready, ${s.available} available; spec.replicas ${s.specReplicas}, expected ${desired}`, how: 'GET deployment status (Kubernetes API)', where });
  const title = `${deployment} pod crashes in the last 5 min`;
  const c = e.crashes;
  if (!c) return [replicas, check(id('crashes'), title, `<=${maxCrashes5m}`, null, 'crashes', 'no-data', { what: 'the evidence holds no restart reading', how: '', where })];
  if ('missing' in c) return [replicas, check(id('crashes'), title, `<=${maxCrashes5m}`, null, 'crashes', 'no-data', { what: c.missing, how: '', where })];
  if (!c.ok) return [replicas, unmeasured(id('crashes'), title, `<=${maxCrashes5m}`, 'crashes', c.where, c.error)];
  const v = promValue(c);
  const crashes = v === null ? null : Math.round(v);
  return [
    replicas,
    check(id('crashes'), title, `<=${maxCrashes5m}`, crashes === null ? null : c.nonFinite ?? crashes, 'crashes',
      // No series at all: nothing exports the restart counters, so nothing was measured.
      crashes === null ? 'no-data' : passIf(crashes <= maxCrashes5m), {
        what: crashes === null ? 'no kube_pod_container_status_restarts_total series for these pods (is kube-state-metrics scraped?)'
          : `${crashes} container restart(s) in 5 min; ${s.restarts} in total over the ${s.pods} current pods; last terminated within 5 min: ${s.lastCrashed.join(', ') || 'none'}`,
        how: `PromQL: ${c.expr}`, where: `${c.where}; pods ${where}`, crashed: s.lastCrashed,
      }),
  ];
}

export const kubeChecks = async (kc: k8s.KubeConfig, namespace: string, deployment: string, maxCrashes5m: number, expected: number | undefined, prom: (PromReader & { sli: string }) | { missing: string }, idSuffix = ''): Promise<Check[]> =>
  judgeWorkload(await probeWorkload(kc, namespace, deployment, expected, prom, idSuffix), maxCrashes5m);
