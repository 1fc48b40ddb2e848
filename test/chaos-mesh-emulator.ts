import * as k8s from '@kubernetes/client-node';
import { CHAOS } from '../drills/chaos-mesh.ts';
import { CHAOS_SCHEDULE } from '../platform/crds.ts';
import { parseDuration } from '../scenarios/thresholds.ts';

/**
 * TEST EMULATOR of Chaos Mesh's pod-kill action (no Chaos Mesh controller can run here): watches
 * PodChaos objects, deletes the selected pods once (mode `fixed`), and writes status records the
 * way the controller does; and runs Schedules of `type: PodChaos` on `@every <duration>` the way
 * Chaos Mesh's cron controller spawns them (controllers/schedule/cron/controller.go: a PodChaos from
 * the embedded spec, labelled `managed-by: <schedule>`, owned by the Schedule, named
 * `<schedule>-<5 random chars>`, and `status.lastScheduleTime` updated). Five-field crons are not
 * run here (a test cannot wait for them). Used only by tests; the harness talks to the real CRD API.
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

  private lastRun = new Map<string, number>();

  private async schedules(api: k8s.CustomObjectsApi): Promise<void> {
    type Sched = { apiVersion: string; kind: string; metadata: { name: string; uid: string; creationTimestamp: string }; spec: { schedule: string; type: string; podChaos?: object } };
    const list = await api.listNamespacedCustomObject({ ...CHAOS_SCHEDULE, namespace: this.namespace }) as { items: Sched[] };
    for (const sc of list.items) {
      const every = sc.spec.schedule.match(/^@every (\S+)$/);
      if (!every || sc.spec.type !== 'PodChaos' || !sc.spec.podChaos) continue;
      const last = this.lastRun.get(sc.metadata.uid) ?? Date.parse(sc.metadata.creationTimestamp);
      if (Date.now() - last < parseDuration(every[1]!)) continue;
      this.lastRun.set(sc.metadata.uid, Date.now());
      const name = `${sc.metadata.name}-${Math.random().toString(36).slice(2, 7)}`;
      await api.createNamespacedCustomObject({ ...CHAOS, namespace: this.namespace, body: {
        apiVersion: `${CHAOS.group}/${CHAOS.version}`, kind: CHAOS.kind,
        metadata: { name, namespace: this.namespace, labels: { 'managed-by': sc.metadata.name },
          ownerReferences: [{ apiVersion: sc.apiVersion, kind: sc.kind, name: sc.metadata.name, uid: sc.metadata.uid, controller: true, blockOwnerDeletion: true }] },
        spec: sc.spec.podChaos,
      } });
      await api.patchNamespacedCustomObjectStatus({ ...CHAOS_SCHEDULE, namespace: this.namespace, name: sc.metadata.name, body: { status: { lastScheduleTime: new Date().toISOString() } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)).catch(() => {});
    }
  }

  private async tick(): Promise<void> {
    const api = this.kc.makeApiClient(k8s.CustomObjectsApi);
    await this.schedules(api).catch(() => {});
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
