import * as k8s from '@kubernetes/client-node';
import type { Check } from '../core/record.ts';
import { check, errorCheck, passIf } from './check.ts';

/**
 * The seed's "prediction consumer replicas 3/3" as Kubernetes sees it, and pod stability: restarts
 * and crashes (container terminations) in the last five minutes, the seed's crash-alert window.
 */
export async function kubeChecks(kc: k8s.KubeConfig, namespace: string, deployment: string, maxCrashes5m: number, expectedReplicas?: number): Promise<Check[]> {
  const where = `${namespace}/${deployment} @ ${kc.getCurrentContext()}`;
  try {
    const dep = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: deployment, namespace });
    // The seed's "3/3" is against the platform's intended size: a deployment scaled down to 1 is 1/3,
    // not a healthy 1/1.
    const specReplicas = dep.spec?.replicas ?? 0;
    const desired = expectedReplicas ?? specReplicas;
    const ready = dep.status?.readyReplicas ?? 0;
    const labels = Object.entries(dep.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = (await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace, labelSelector: labels })).items;
    const since = Date.now() - 5 * 60_000;
    const restarts = pods.reduce((a, p) => a + (p.status?.containerStatuses ?? []).reduce((b, c) => b + (c.restartCount ?? 0), 0), 0);
    const recentCrashes = pods.flatMap((p) => (p.status?.containerStatuses ?? [])
      .filter((c) => c.lastState?.terminated?.finishedAt && new Date(c.lastState.terminated.finishedAt).getTime() >= since)
      .map(() => p.metadata!.name!));
    return [
      check('daily.kube.replicas', `${deployment} replicas Ready ${ready}/${desired}`, `${desired}/${desired}`, `${ready}/${desired}`, 'replicas',
        passIf(desired > 0 && ready >= desired), { what: `deployment status: ${ready} ready, ${dep.status?.availableReplicas ?? 0} available; spec.replicas ${specReplicas}, expected ${desired}`, how: 'GET deployment status (Kubernetes API)', where }),
      check('daily.kube.crashes', `${deployment} pod crashes in the last 5 min`, `<=${maxCrashes5m}`, recentCrashes.length, 'crashes',
        passIf(recentCrashes.length <= maxCrashes5m), { what: `${restarts} restarts in total over ${pods.length} pods; crashed recently: ${recentCrashes.join(', ') || 'none'}`, how: 'pod containerStatuses restartCount and lastState.terminated.finishedAt', where,
        crashed: recentCrashes }),
    ];
  } catch (e) {
    return [errorCheck('daily.kube.replicas', `${deployment} replicas`, 'all Ready', 'replicas', where, e)];
  }
}
