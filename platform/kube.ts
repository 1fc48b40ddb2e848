import * as k8s from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import type { KubernetesProfile } from '../profile/schema.ts';
import { InfraError, UsageError, firstLine } from '../core/errors.ts';

/**
 * The cluster the profile names: its kubeconfig and context, never `$KUBECONFIG` or
 * `~/.kube/config` implicitly (a drill deletes pods, so the cluster is named in the profile).
 */
export function kubeConfig(k: KubernetesProfile): { kc: k8s.KubeConfig; path: string } {
  if (k.inCluster || k.kubeconfig === undefined) {
    // The pod's ServiceAccount: token and CA from /var/run/secrets/kubernetes.io/serviceaccount, the
    // API server from the environment Kubernetes gives every pod (without it the address would be "undefined").
    if (!process.env.KUBERNETES_SERVICE_HOST) throw new InfraError('not running in a cluster (platform.kubernetes.inCluster): KUBERNETES_SERVICE_HOST is not set', 'kube');
    const kc = new k8s.KubeConfig();
    try { kc.loadFromCluster(); } catch (e) { throw new InfraError(`not running in a cluster (platform.kubernetes.inCluster): ${firstLine(e)}`, 'kube'); }
    return { kc, path: 'in-cluster' };
  }
  if (!existsSync(k.kubeconfig)) throw new InfraError(`no kubeconfig at ${k.kubeconfig} (platform.kubernetes.kubeconfig)`, 'kube');
  const kc = new k8s.KubeConfig();
  try { kc.loadFromFile(k.kubeconfig); } catch (e) {
    throw new UsageError('platform.kubernetes.kubeconfig', `${k.kubeconfig} is not a kubeconfig: ${firstLine(e)}`);
  }
  if (k.context) {
    if (!kc.getContexts().some((c) => c.name === k.context)) {
      throw new UsageError('platform.kubernetes.context', `context "${k.context}" is not in ${k.kubeconfig} (it has ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(k.context);
  }
  return { kc, path: k.kubeconfig };
}

/** Every deployment the profile names, with its namespace. */
export function deployments(k: KubernetesProfile): Array<{ namespace: string; name: string; replicas: number; drill: boolean; consumer: boolean }> {
  return Object.entries(k.namespaces).flatMap(([namespace, ns]) => Object.entries(ns.deployments).map(([name, d]) => ({ namespace, name, ...d })));
}

/** A pod whose Ready condition is True: what the drill, the daily check and a kubelet's status mean by Ready. */
export const podReady = (p: k8s.V1Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
