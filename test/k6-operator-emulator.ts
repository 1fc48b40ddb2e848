import * as k8s from '@kubernetes/client-node';
import { TESTRUN } from '../sandbox/crds.ts';

interface TestRunObj {
  metadata: { name: string; uid: string; namespace: string };
  spec: { parallelism: number; script: { configMap: { name: string; file: string } }; arguments?: string; runner?: { image?: string; env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }> } };
  status?: { stage?: string };
}

/**
 * TEST EMULATOR of k6-operator's TestRun lifecycle (no k6-operator, and no containers under kwok,
 * can run here): takes each new TestRun through the stages the operator reports, and records what
 * it saw — the TestRun and its script ConfigMap — for the test to assert on. It runs no k6: the
 * runners' output comes from recorded NDJSON. `failAt` makes it end a run in stage "error".
 */
export class K6OperatorEmulator {
  private timer: NodeJS.Timeout | null = null;
  private seen = new Map<string, { step: number; at: number }>();
  readonly testRuns: TestRunObj[] = [];
  readonly configMaps: Record<string, Record<string, string>> = {};
  failAt: string | null = null;
  /** How long the emulated load runs (stage "started"). */
  runMs = 1000;

  constructor(private kc: k8s.KubeConfig, private namespace: string) {}

  start(): void { this.timer = setInterval(() => void this.tick().catch(() => {}), 150); }
  stop(): void { if (this.timer) clearInterval(this.timer); }

  private async tick(): Promise<void> {
    const api = this.kc.makeApiClient(k8s.CustomObjectsApi);
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const list = await api.listNamespacedCustomObject({ ...TESTRUN, namespace: this.namespace }) as { items: TestRunObj[] };
    const stages = ['initialization', 'initialized', 'created', 'started', 'stopped', 'finished'];
    for (const tr of list.items) {
      let st = this.seen.get(tr.metadata.uid);
      if (!st) {
        st = { step: -1, at: 0 };
        this.seen.set(tr.metadata.uid, st);
        this.testRuns.push(tr);
        const cm = await core.readNamespacedConfigMap({ namespace: this.namespace, name: tr.spec.script.configMap.name }).catch(() => null);
        this.configMaps[tr.spec.script.configMap.name] = cm?.data ?? {};
      }
      if (st.step >= stages.length - 1 || tr.status?.stage === 'error') continue;
      const dwell = stages[st.step] === 'started' ? this.runMs : 100;
      if (st.step >= 0 && Date.now() - st.at < dwell) continue;
      const next = this.failAt && stages[st.step + 1] === this.failAt ? 'error' : stages[st.step + 1]!;
      st.step++;
      st.at = Date.now();
      const status = next === 'error'
        ? { stage: 'error', conditions: [{ type: 'TestRunRunning', status: 'False', reason: 'RunnerFailed', message: 'emulated runner failure' }] }
        : { stage: next };
      await api.patchNamespacedCustomObjectStatus({ ...TESTRUN, namespace: this.namespace, name: tr.metadata.name, body: { status } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)).catch(() => {});
      if (next === 'error') st.step = stages.length;
    }
  }
}
