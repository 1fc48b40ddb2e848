import * as k8s from '@kubernetes/client-node';
import { CHAOS, CHAOS_SCHEDULE, TESTRUN } from '../platform/crds.ts';

/**
 * A CRD for a kind whose controller cannot run in the sandbox (Chaos Mesh, k6-operator): enough
 * schema for the API server to store and serve the objects, with a status subresource as upstream.
 */
export function storedCrd(group: string, version: string, kind: string, plural: string): k8s.V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group, scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{
        name: version, served: true, storage: true, subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
      }],
    },
  };
}

/** Creates the CRDs that are missing and waits until the API serves them (Established). */
export async function ensureCrds(kc: k8s.KubeConfig, crds: k8s.V1CustomResourceDefinition[]): Promise<void> {
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  for (const c of crds) {
    try { await api.readCustomResourceDefinition({ name: c.metadata!.name! }); continue; } catch { /* create below */ }
    try { await api.createCustomResourceDefinition({ body: c }); } catch (e) { if ((e as { code?: number }).code !== 409) throw e; }
  }
  const deadline = Date.now() + 15_000;
  for (const c of crds) {
    while (Date.now() < deadline) {
      const got = await api.readCustomResourceDefinition({ name: c.metadata!.name! });
      if (got.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export { TESTRUN };
/** k6-operator's TestRun: `--engine k6-operator` creates them; no operator runs here. */
export const testRunCrd = () => storedCrd(TESTRUN.group, TESTRUN.version, TESTRUN.kind, TESTRUN.plural);
/** Chaos Mesh's PodChaos and Schedule: no Chaos Mesh controller runs in the sandbox, but its API does. */
export const chaosMeshCrds = () => [CHAOS, CHAOS_SCHEDULE].map((k) => storedCrd(k.group, k.version, k.kind, k.plural));
