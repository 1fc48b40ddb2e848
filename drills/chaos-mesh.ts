import * as k8s from '@kubernetes/client-node';
import { listThenWatch, type ListWatch } from '../platform/kube-watch.ts';
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
  type State = { metadata?: { uid?: string; name?: string }; status?: { experiment?: { containerRecords?: ChaosRecord[] } } };
  const reported = new Set<string>();
  const seen = (obj: State) => {
    for (const r of obj.status?.experiment?.containerRecords ?? []) {
      if (r.phase === 'Injected' && !reported.has(r.id)) { reported.add(r.id); onInjected(r); }
    }
  };
  let stopped = false;
  let lw: ListWatch<State> | null = null;
  const fieldSelector = `metadata.name=${name}`;
  // Records already reported are not reported twice, whatever a re-list delivers again.
  const start = () => listThenWatch<State>({
    kc, path: `/apis/${CHAOS.group}/${CHAOS.version}/namespaces/${namespace}/${CHAOS.plural}`, query: { fieldSelector }, retryMs: 250,
    list: async () => await customApi(kc).listNamespacedCustomObject({ ...CHAOS, namespace, fieldSelector }) as { items: State[]; metadata?: { resourceVersion?: string } },
    onEvent: (type, obj) => { if (!stopped && type !== 'DELETED') seen(obj); },
  }).then((w) => { if (stopped) w.stop(); else lw = w; }, () => { if (!stopped) setTimeout(start, 250); });
  void start();
  return () => { stopped = true; lw?.stop(); };
}
