import * as k8s from '@kubernetes/client-node';
import { CHAOS } from '../drills/chaos-mesh.ts';

/**
 * TEST EMULATOR of Chaos Mesh's pod-kill action (no Chaos Mesh controller can run here): watches
 * PodChaos objects, deletes the selected pods once (mode `fixed`), and writes status records the
 * way the controller does. Used only by tests; the harness itself talks to the real CRD API.
 */
export class ChaosMeshPodKillEmulator {
  private timer: NodeJS.Timeout | null = null;
  private done = new Set<string>();
  readonly applied: string[] = [];

  constructor(private kc: k8s.KubeConfig, private namespace: string) {}

  start(): void {
    this.timer = setInterval(() => void this.tick().catch(() => {}), 200);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    const api = this.kc.makeApiClient(k8s.CustomObjectsApi);
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const list = await api.listNamespacedCustomObject({ ...CHAOS, namespace: this.namespace }) as { items: Array<{ metadata: { name: string; uid: string }; spec: { action: string; value?: string; selector: { labelSelectors: Record<string, string> } } }> };
    for (const pc of list.items) {
      if (this.done.has(pc.metadata.uid) || pc.spec.action !== 'pod-kill') continue;
      this.done.add(pc.metadata.uid);
      const selector = Object.entries(pc.spec.selector.labelSelectors).map(([k, v]) => `${k}=${v}`).join(',');
      const pods = (await core.listNamespacedPod({ namespace: this.namespace, labelSelector: selector })).items;
      const victims = pods.slice(0, Number(pc.spec.value ?? 1));
      for (const v of victims) await core.deleteNamespacedPod({ name: v.metadata!.name!, namespace: this.namespace, gracePeriodSeconds: 0 });
      this.applied.push(pc.metadata.name);
      const now = new Date().toISOString();
      await api.patchNamespacedCustomObjectStatus({
        ...CHAOS, namespace: this.namespace, name: pc.metadata.name,
        body: { status: { experiment: { containerRecords: victims.map((v) => ({ id: `${this.namespace}/${v.metadata!.name}`, phase: 'Injected', events: [{ type: 'Succeeded', operation: 'Apply', timestamp: now }] })) } } },
      }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)).catch(() => {});
    }
  }
}
