import * as k8s from '@kubernetes/client-node';
import { CHAOS, requireKind } from '../platform/crds.ts';

export { CHAOS };

/** Chaos Mesh must be installed on the cluster: the harness never installs a CRD there. */
export async function requireChaosMesh(kc: k8s.KubeConfig): Promise<void> {
  await requireKind(kc, CHAOS, 'Chaos Mesh (https://chaos-mesh.org/docs/production-installation-using-helm/)');
}

export interface PodChaosSpec { namespace: string; labels: Record<string, string>; count: number; gracePeriod: number }

export function podChaos(name: string, s: PodChaosSpec): object {
  return {
    apiVersion: `${CHAOS.group}/${CHAOS.version}`, kind: 'PodChaos',
    metadata: { name, namespace: s.namespace, labels: { 'app.kubernetes.io/managed-by': 'carbon-harness' } },
    spec: { action: 'pod-kill', mode: 'fixed', value: String(s.count), gracePeriod: s.gracePeriod, selector: { namespaces: [s.namespace], labelSelectors: s.labels } },
  };
}

export function customApi(kc: k8s.KubeConfig): k8s.CustomObjectsApi {
  return kc.makeApiClient(k8s.CustomObjectsApi);
}

/** Deletes a PodChaos and waits until the API no longer has it. */
export async function deletePodChaos(kc: k8s.KubeConfig, namespace: string, name: string): Promise<void> {
  const api = customApi(kc);
  try { await api.deleteNamespacedCustomObject({ ...CHAOS, namespace, name }); } catch (e) { if ((e as { code?: number }).code !== 404) throw e; }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try { await api.getNamespacedCustomObject({ ...CHAOS, namespace, name }); } catch { return; }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`PodChaos ${namespace}/${name} still present 10 s after delete`);
}

export async function listPodChaos(kc: k8s.KubeConfig, namespace: string): Promise<string[]> {
  const r = await customApi(kc).listNamespacedCustomObject({ ...CHAOS, namespace }) as { items: Array<{ metadata: { name: string } }> };
  return r.items.map((i) => i.metadata.name);
}

/** What Chaos Mesh's controller writes back: one record per selected pod, with its Apply events. */
export interface ChaosRecord { id: string; phase: string; events?: Array<{ type: string; operation: string; timestamp?: string }> }

/**
 * Follows one PodChaos through its status (LIST, then WATCH by name) and calls `onInjected` once for
 * every pod the controller reports as injected. Returns at once with the function that stops it, so
 * an interrupt can never land between starting and being able to stop.
 */
export function followPodChaos(kc: k8s.KubeConfig, namespace: string, name: string, onInjected: (r: ChaosRecord) => void): () => void {
  const reported = new Set<string>();
  const seen = (obj: { status?: { experiment?: { containerRecords?: ChaosRecord[] } } }) => {
    for (const r of obj.status?.experiment?.containerRecords ?? []) {
      if (r.phase === 'Injected' && !reported.has(r.id)) { reported.add(r.id); onInjected(r); }
    }
  };
  let stopped = false;
  let ctrl: { abort(): void } | null = null;
  const path = `/apis/${CHAOS.group}/${CHAOS.version}/namespaces/${namespace}/${CHAOS.plural}`;
  const start = async (): Promise<void> => {
    const list = await customApi(kc).listNamespacedCustomObject({ ...CHAOS, namespace, fieldSelector: `metadata.name=${name}` }) as
      { metadata: { resourceVersion: string }; items: Array<Parameters<typeof seen>[0]> };
    if (stopped) return;
    list.items.forEach(seen);
    const c = await new k8s.Watch(kc).watch(path, { fieldSelector: `metadata.name=${name}`, resourceVersion: list.metadata.resourceVersion },
      (type: string, obj: Parameters<typeof seen>[0]) => { if (!stopped && (type === 'ADDED' || type === 'MODIFIED')) seen(obj); },
      // A dropped watch (or 410) re-lists; records already reported are not reported twice.
      () => restart());
    if (stopped) c.abort(); else ctrl = c;
  };
  const restart = () => { if (!stopped) setTimeout(() => { if (!stopped) start().catch(restart); }, 250); };
  start().catch(restart);
  return () => { stopped = true; ctrl?.abort(); };
}
