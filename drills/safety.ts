import * as k8s from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import type { Config } from '../core/config.ts';
import { InfraError, UsageError } from '../core/errors.ts';
import { kubeconfigPath } from '../sandbox/kube.ts';
import { sandboxDir } from '../core/config.ts';

/**
 * The cluster a drill acts on: the configured kubeconfig, else the sandbox's. Never `$KUBECONFIG`
 * or `~/.kube/config` implicitly: a drill deletes pods, so the cluster is named in the config
 * (`drills.kubeconfig: ${KUBECONFIG}` says so explicitly) or it is the sandbox.
 */
export function drillKubeConfig(cfg: Config): { kc: k8s.KubeConfig; path: string } {
  const path = cfg.drills.kubeconfig ?? kubeconfigPath({ dir: sandboxDir(cfg) });
  if (!existsSync(path)) throw new InfraError(`no kubeconfig at ${path}: start the sandbox's Kubernetes part (harness sandbox up --only kube) or set drills.kubeconfig`, 'kube');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return { kc, path };
}

/** Every guard runs before anything is touched; each refusal names what to change. */
export function checkSafety(cfg: Config, kc: k8s.KubeConfig, o: { namespace: string; count: number; desired: number; yes: boolean }): void {
  const d = cfg.drills;
  checkNamespace(cfg, o.namespace);
  const context = kc.getCurrentContext();
  if (!d.allowContexts.includes(context) && !o.yes) {
    throw new UsageError('--yes', `kubeconfig context "${context}" is not in drills.allowContexts (${d.allowContexts.join(', ')}); pass --yes to act on it anyway`);
  }
  if (o.count < 1) throw new UsageError('--count', 'must be at least 1');
  if (o.count > d.maxPods) throw new UsageError('--count', `${o.count} pods exceeds the blast-radius cap drills.maxPods=${d.maxPods}`);
  const pct = (100 * o.count) / Math.max(1, o.desired);
  if (pct > d.maxPercent) throw new UsageError('--count', `${o.count} of ${o.desired} replicas is ${pct.toFixed(0)} %, over the blast-radius cap drills.maxPercent=${d.maxPercent}`);
}

/** The allowlist needs no cluster: it is checked before a kubeconfig is even read. */
export function checkNamespace(cfg: Config, namespace: string): void {
  const d = cfg.drills;
  if (!d.allowNamespaces.includes(namespace)) {
    throw new UsageError('-n/--namespace', `namespace "${namespace}" is not in drills.allowNamespaces (${d.allowNamespaces.join(', ')}); add it to the config to allow drills there`);
  }
}

/** A kube API failure: unreachable is exit 3; "not found" is the user's target, exit 2. */
export function kubeError(e: unknown, what: string, field: string): Error {
  const code = (e as { code?: number }).code ?? (e as { statusCode?: number }).statusCode;
  if (code === 404) return new UsageError(field, `${what} not found`);
  const msg = (e as Error).message?.split('\n')[0] ?? String(e);
  return new InfraError(`Kubernetes API unreachable or failing while reading ${what}: ${msg}`, 'kube-apiserver');
}
