import * as k8s from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import type { KubernetesProfile } from '../profile/schema.ts';
import { InfraError, UsageError, firstLine } from '../core/errors.ts';

/** A request the API server did not answer in time: the same code as a connection that timed out. */
export class KubeTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(seconds: number) {
    super(`the Kubernetes API did not answer within ${seconds} s (platform.kubernetes.requestTimeoutS)`);
    this.name = 'KubeTimeoutError';
  }
}

/**
 * A KubeConfig whose API clients fail a request whose answer has not begun after `timeoutS`:
 * client-node sets no timeout, so a hung API server (a frozen process, a network that drops
 * packets) held a drill or a daily check for good. The deadline ends when the answer's headers
 * arrive: a large body (a k6 runner's log) may take longer to read. Watches are not requests of
 * these clients (they go through k8s.Watch): a silent watch is found by re-listing it
 * (platform/kube-watch.ts).
 */
export class BoundedKubeConfig extends k8s.KubeConfig {
  constructor(readonly timeoutS: number) { super(); }

  override makeApiClient<T extends k8s.ApiType>(apiClientType: k8s.ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    const fetcher = new k8s.IsomorphicFetchHttpLibrary();
    const ms = this.timeoutS * 1000;
    const seconds = this.timeoutS;
    const httpApi = k8s.wrapHttpLibrary({
      async send(req) {
        const ctrl = new AbortController();
        const timer = setTimeout(() => ctrl.abort(), ms);
        req.setSignal(ctrl.signal);
        try { return await fetcher.send(req).toPromise(); } catch (e) {
          // No signal but this one is ever set on these requests, and it fires only before the
          // answer began: an abort is the timeout.
          throw (e as Error | null)?.name === 'AbortError' ? new KubeTimeoutError(seconds) : e;
        } finally { clearTimeout(timer); }
      },
    });
    return new apiClientType(k8s.createConfiguration({ baseServer: new k8s.ServerConfiguration(cluster.server, {}), authMethods: { default: this }, httpApi }));
  }
}

/**
 * The cluster the profile names: its kubeconfig and context, never `$KUBECONFIG` or
 * `~/.kube/config` implicitly (a drill deletes pods, so the cluster is named in the profile).
 */
export function kubeConfig(k: KubernetesProfile): { kc: k8s.KubeConfig; path: string } {
  if (k.inCluster || k.kubeconfig === undefined) {
    // The pod's ServiceAccount: token and CA from /var/run/secrets/kubernetes.io/serviceaccount, the
    // API server from the environment Kubernetes gives every pod (without it the address would be "undefined").
    if (!process.env.KUBERNETES_SERVICE_HOST) throw new InfraError('not running in a cluster (platform.kubernetes.inCluster): KUBERNETES_SERVICE_HOST is not set', 'kube');
    const kc = new BoundedKubeConfig(k.requestTimeoutS);
    try { kc.loadFromCluster(); } catch (e) { throw new InfraError(`not running in a cluster (platform.kubernetes.inCluster): ${firstLine(e)}`, 'kube'); }
    return { kc, path: 'in-cluster' };
  }
  if (!existsSync(k.kubeconfig)) throw new InfraError(`no kubeconfig at ${k.kubeconfig} (platform.kubernetes.kubeconfig)`, 'kube');
  const kc = new BoundedKubeConfig(k.requestTimeoutS);
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
