import * as k8s from '@kubernetes/client-node';
import { InfraError, firstLine } from '../core/errors.ts';

/** API coordinates of the third-party kinds the harness creates (their controllers are the platform's). */
export const CHAOS = { group: 'chaos-mesh.org', version: 'v1alpha1', plural: 'podchaos', kind: 'PodChaos' } as const;
export const CHAOS_SCHEDULE = { group: 'chaos-mesh.org', version: 'v1alpha1', plural: 'schedules', kind: 'Schedule' } as const;
/** k6-operator's TestRun. */
export const TESTRUN = { group: 'k6.io', version: 'v1alpha1', plural: 'testruns', kind: 'TestRun' } as const;

/**
 * The cluster serves this kind: its CRD is there and Established. The harness never installs a CRD
 * on the platform's cluster; a missing one is exit 3 naming what to install.
 */
export async function requireKind(kc: k8s.KubeConfig, k: { group: string; plural: string; kind: string }, install: string): Promise<void> {
  let crd: k8s.V1CustomResourceDefinition;
  try {
    crd = await kc.makeApiClient(k8s.ApiextensionsV1Api).readCustomResourceDefinition({ name: `${k.plural}.${k.group}` });
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === 404) throw new InfraError(`the cluster has no ${k.kind} kind (${k.plural}.${k.group}): install ${install}`, k.group);
    throw new InfraError(`Kubernetes API unreachable while looking for ${k.kind}: ${firstLine(e)}`, 'kube-apiserver');
  }
  if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) {
    throw new InfraError(`${k.kind} (${k.plural}.${k.group}) is not Established in the cluster yet`, k.group);
  }
}
