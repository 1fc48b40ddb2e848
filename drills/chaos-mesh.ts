import * as k8s from '@kubernetes/client-node';
import { ensureCrds, storedCrd } from '../sandbox/crds.ts';

export const CHAOS = { group: 'chaos-mesh.org', version: 'v1alpha1', plural: 'podchaos' } as const;

/** The CRDs the harness needs: no Chaos Mesh controller runs in the sandbox, but its API does. */
export function chaosMeshCrds(): k8s.V1CustomResourceDefinition[] {
  return [storedCrd('chaos-mesh.org', 'v1alpha1', 'PodChaos', 'podchaos'), storedCrd('chaos-mesh.org', 'v1alpha1', 'Schedule', 'schedules')];
}

export async function ensureChaosMeshCrds(kc: k8s.KubeConfig): Promise<void> {
  await ensureCrds(kc, chaosMeshCrds());
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
