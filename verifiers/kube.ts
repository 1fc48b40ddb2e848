import * as k8s from '@kubernetes/client-node';
import type { Check } from '../core/record.ts';
import { check, errorCheck, passIf } from './check.ts';

/** Reads one PromQL scalar (null: no series); `where` names the Prometheus it asks. */
export interface PromReader { scalar(expr: string): Promise<number | null>; where: string }

/** The profile's restart SLI (platform.slis.podRestarts5m) for one deployment. */
export const crashQuery = (sli: string, namespace: string, deployment: string) => sli.replaceAll('$namespace', namespace).replaceAll('$deployment', deployment);

/**
 * The seed's "prediction consumer replicas 3/3" as Kubernetes sees it, and pod stability: container
 * crashes (restarts) in the last five minutes, the seed's crash-alert window (> 3 is critical).
 */
export async function kubeChecks(kc: k8s.KubeConfig, namespace: string, deployment: string, maxCrashes5m: number, expectedReplicas: number | undefined, prom: (PromReader & { sli: string }) | { missing: string }, idSuffix = ''): Promise<Check[]> {
  const id = (k: string) => `daily.kube.${k}${idSuffix}`;
  const where = `${namespace}/${deployment} @ ${kc.getCurrentContext()}`;
  try {
    const dep = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: deployment, namespace });
    // The seed's "3/3" is against the platform's intended size: a deployment scaled down to 1 is 1/3,
    // not a healthy 1/1.
    const specReplicas = dep.spec?.replicas ?? 0;
    const desired = expectedReplicas ?? specReplicas;
    const ready = dep.status?.readyReplicas ?? 0;
    const labels = Object.entries(dep.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const replicasCheck = () => check(id('replicas'), `${deployment} replicas Ready ${ready}/${desired}`, `${desired}/${desired}`, `${ready}/${desired}`, 'replicas',
      passIf(desired > 0 && ready >= desired), { what: `deployment status: ${ready} ready, ${dep.status?.availableReplicas ?? 0} available; spec.replicas ${specReplicas}, expected ${desired}`, how: 'GET deployment status (Kubernetes API)', where });
    const pods = (await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace, labelSelector: labels })).items;
    const since = Date.now() - 5 * 60_000;
    const restarts = pods.reduce((a, p) => a + (p.status?.containerStatuses ?? []).reduce((b, c) => b + (c.restartCount ?? 0), 0), 0);
    const lastCrashed = pods.flatMap((p) => (p.status?.containerStatuses ?? [])
      .filter((c) => c.lastState?.terminated?.finishedAt && new Date(c.lastState.terminated.finishedAt).getTime() >= since)
      .map(() => p.metadata!.name!));
    if ('missing' in prom) {
      return [replicasCheck(), check(id('crashes'), `${deployment} pod crashes in the last 5 min`, `<=${maxCrashes5m}`, null, 'crashes', 'no-data',
        { what: prom.missing, how: '', where })];
    }
    const query = crashQuery(prom.sli, namespace, deployment);
    let crashes: number | null;
    try { crashes = await prom.scalar(query); } catch (e) {
      return [replicasCheck(), errorCheck(id('crashes'), `${deployment} pod crashes in the last 5 min`, `<=${maxCrashes5m}`, 'crashes', prom.where, e)];
    }
    return [
      replicasCheck(),
      check(id('crashes'), `${deployment} pod crashes in the last 5 min`, `<=${maxCrashes5m}`, crashes === null ? null : Math.round(crashes), 'crashes',
        // No series at all: nothing exports the restart counters, so nothing was measured.
        crashes === null ? 'no-data' : passIf(Math.round(crashes) <= maxCrashes5m), {
          what: crashes === null ? 'no kube_pod_container_status_restarts_total series for these pods (is kube-state-metrics scraped?)'
            : `${Math.round(crashes)} container restart(s) in 5 min; ${restarts} in total over the ${pods.length} current pods; last terminated within 5 min: ${lastCrashed.join(', ') || 'none'}`,
          how: `PromQL: ${query}`, where: `${prom.where}; pods ${where}`, crashed: lastCrashed,
        }),
    ];
  } catch (e) {
    return [errorCheck(id('replicas'), `${deployment} replicas`, 'all Ready', 'replicas', where, e)];
  }
}
