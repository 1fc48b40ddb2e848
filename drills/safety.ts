import type * as k8s from '@kubernetes/client-node';
import type { Config } from '../core/config.ts';
import type { Profile } from '../profile/schema.ts';
import { InfraError, UsageError, firstLine } from '../core/errors.ts';
import { kubeConfig, deployments } from '../platform/kube.ts';

/**
 * The cluster a drill acts on: the profile's kubeconfig and context. Never `$KUBECONFIG` or
 * `~/.kube/config` implicitly: a drill deletes pods, so the cluster is named in the profile.
 */
export function drillKubeConfig(p: Profile): { kc: k8s.KubeConfig; path: string } {
  if (!p.platform.kubernetes) throw new UsageError('platform.kubernetes', `profile "${p.name}" names no Kubernetes cluster; a drill needs one`);
  return kubeConfig(p.platform.kubernetes);
}

/** Every guard runs before anything is touched; each refusal names what to change. */
export function checkSafety(cfg: Config, p: Profile, kc: k8s.KubeConfig, o: { namespace: string; deployment: string; count: number; desired: number; yes: boolean }): void {
  const d = cfg.drills;
  checkTarget(p, o.namespace, o.deployment);
  const context = kc.getCurrentContext();
  if (!d.allowContexts.includes(context) && !o.yes) {
    throw new UsageError('--yes', `kubeconfig context "${context}" is not in drills.allowContexts (${d.allowContexts.join(', ')}); pass --yes to act on it anyway`);
  }
  if (o.count < 1) throw new UsageError('--count', 'must be at least 1');
  if (o.count > d.maxPods) throw new UsageError('--count', `${o.count} pods exceeds the blast-radius cap drills.maxPods=${d.maxPods}`);
  const pct = (100 * o.count) / Math.max(1, o.desired);
  if (pct > d.maxPercent) throw new UsageError('--count', `${o.count} of ${o.desired} replicas is ${pct.toFixed(0)} %, over the blast-radius cap drills.maxPercent=${d.maxPercent}`);
}

/** The namespaces drills may act in: those with a `drill: true` deployment in the profile, or the one named with -n. */
export function drillNamespaces(p: Profile, only?: string): string[] {
  if (only) return [only];
  return [...new Set((p.platform.kubernetes ? deployments(p.platform.kubernetes) : []).filter((d) => d.drill).map((d) => d.namespace))];
}

/** A drill may only target a deployment the profile lists with `drill: true`; checked before a kubeconfig is even read. */
export function checkTarget(p: Profile, namespace: string, deployment: string): { consumer: boolean; replicas: number } {
  const all = p.platform.kubernetes ? deployments(p.platform.kubernetes) : [];
  const allowed = all.filter((x) => x.drill);
  if (!allowed.some((x) => x.namespace === namespace)) {
    throw new UsageError('-n/--namespace', `namespace "${namespace}" has no deployment drills may target in profile "${p.name}" (drill: true under platform.kubernetes.namespaces; allowed: ${allowed.map((x) => `${x.namespace}/${x.name}`).join(', ') || 'none'})`);
  }
  const hit = allowed.find((x) => x.namespace === namespace && x.name === deployment);
  if (!hit) {
    throw new UsageError('--target', `deployment ${namespace}/${deployment} is not one drills may target in profile "${p.name}" (allowed: ${allowed.map((x) => `${x.namespace}/${x.name}`).join(', ')}; set drill: true under platform.kubernetes.namespaces.${namespace}.deployments)`);
  }
  return hit;
}

/** A kube API failure: unreachable is exit 3; "not found" is the user's target, exit 2. */
export function kubeError(e: unknown, what: string, field: string): Error {
  const code = (e as { code?: number }).code ?? (e as { statusCode?: number }).statusCode;
  if (code === 404) return new UsageError(field, `${what} not found`);
  const msg = firstLine(e);
  // RBAC said no: the identity the kubeconfig gives may not do this here. The user's to grant (or not).
  if (code === 403) return new UsageError(field, `${what}: forbidden by RBAC for this kubeconfig's identity (${msg}); grant it the harness's Role in that namespace (harness deploy render) or drill where it may act`);
  return new InfraError(`Kubernetes API unreachable or failing while reading ${what}: ${msg}`, 'kube-apiserver');
}
