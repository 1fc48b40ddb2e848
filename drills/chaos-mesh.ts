import * as k8s from '@kubernetes/client-node';

export const CHAOS = { group: 'chaos-mesh.org', version: 'v1alpha1', plural: 'podchaos' } as const;

/** The CRDs the harness needs: enough schema for the API server to store and serve the objects. */
export function chaosMeshCrds(): k8s.V1CustomResourceDefinition[] {
  const crd = (kind: string, plural: string, singular: string): k8s.V1CustomResourceDefinition => ({
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.chaos-mesh.org` },
    spec: {
      group: 'chaos-mesh.org', scope: 'Namespaced',
      names: { kind, plural, singular, listKind: `${kind}List` },
      versions: [{
        name: 'v1alpha1', served: true, storage: true, subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
      }],
    },
  });
  return [crd('PodChaos', 'podchaos', 'podchaos'), crd('Schedule', 'schedules', 'schedule')];
}

export async function ensureChaosMeshCrds(kc: k8s.KubeConfig): Promise<void> {
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  for (const c of chaosMeshCrds()) {
    try { await api.readCustomResourceDefinition({ name: c.metadata!.name! }); continue; } catch { /* create below */ }
    try { await api.createCustomResourceDefinition({ body: c }); } catch (e) { if ((e as { code?: number }).code !== 409) throw e; }
  }
  // The API serves the new kind only once the CRD is Established.
  const deadline = Date.now() + 15_000;
  for (const c of chaosMeshCrds()) {
    while (Date.now() < deadline) {
      const got = await api.readCustomResourceDefinition({ name: c.metadata!.name! });
      if (got.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
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
