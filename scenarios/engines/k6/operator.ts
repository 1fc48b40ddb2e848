/**
 * `--engine k6-operator`: one scenario as a k6-operator TestRun (k6.io/v1alpha1) with N runners.
 * k6-operator judges thresholds per runner, each on its share of the load; the harness collects
 * every runner's raw samples and judges the union, so percentiles are over all requests.
 *
 * Stages a TestRun goes through (status.stage): initialization → initialized → created → started →
 * stopped → finished, or error. Runner pods carry the labels k6_cr=<name>, runner=true.
 */
import * as k8s from '@kubernetes/client-node';
import { build } from 'esbuild';
import { listThenWatch, type ListWatch } from '../../../platform/kube-watch.ts';
import { join } from 'node:path';
import { InfraError, UsageError, firstLine } from '../../../core/errors.ts';
import type { Config } from '../../../core/config.ts';
import { KUBE_REQUEST_TIMEOUT_S, type Profile } from '../../../profile/schema.ts';
import { TESTRUN } from '../../../platform/crds.ts';
import { BoundedKubeConfig, kubeConfig } from '../../../platform/kube.ts';
import { existsSync } from 'node:fs';
import { endpointsFor } from '../../endpoints.ts';
import type { Scenario } from '../../types.ts';
import type { K6RunReport, ScenarioResult } from '../../result.ts';
import { evaluate } from '../../thresholds.ts';
import { durationMs, parseScenarioThresholds, toOutcome } from '../../verdict.ts';
import { executorDurationMs } from '../native/arrivals.ts';
import { writeRunScript } from './script.ts';
import { mergeNdjsonRunners, type RunnerOutput } from './parse.ts';
import { scriptEnv, timelineOptions } from './run.ts';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'carbon-harness' };

const NO_STATUS_S = 30;
const STAGES = ['initialization', 'initialized', 'created', 'started', 'stopped', 'finished'] as const;

/** Collects each runner's `--out json` lines once the TestRun finished. */
export type RunnerCollector = (o: { kc: k8s.KubeConfig; namespace: string; name: string; parallelism: number }) => Promise<RunnerOutput[]>;

export interface K6OperatorOptions {
  cfg: Config;
  profile: Profile;
  signal: AbortSignal;
  parallelism: number;
  /** Where the planned script is written before it is bundled (the run folder). */
  outDir: string;
  progress?: (line: string) => void;
  /** Registers an undo step that runs however the command ends (Ctrl-C included). */
  onCleanup?: (fn: () => Promise<void>) => void;
  /** Default: the runner pods' logs. */
  collect?: RunnerCollector;
  /** Test hook: called with the created objects' names as soon as they exist. */
  onCreated?: (names: { namespace: string; testRun: string; configMap: string }) => void;
}

/** k6Operator.kubeconfig when set, else the profile's cluster; never $KUBECONFIG implicitly. */
export function operatorKubeConfig(cfg: Config, p: Profile): k8s.KubeConfig {
  const path = cfg.k6Operator.kubeconfig;
  if (path === undefined) {
    if (!p.platform.kubernetes) throw new UsageError('platform.kubernetes', `profile "${p.name}" names no Kubernetes cluster to run k6-operator in (or set k6Operator.kubeconfig)`);
    return kubeConfig(p.platform.kubernetes).kc;
  }
  if (!existsSync(path)) throw new InfraError(`no kubeconfig at ${path} (k6Operator.kubeconfig)`, 'kube');
  const kc = new BoundedKubeConfig(p.platform.kubernetes?.requestTimeoutS ?? KUBE_REQUEST_TIMEOUT_S);
  kc.loadFromFile(path);
  return kc;
}

/** The generated script and its library as one file: a ConfigMap has no folders. */
export async function bundleScript(s: Scenario, outDir: string): Promise<string> {
  const entry = writeRunScript(s, join(outDir, `k6-${s.name}`));
  const r = await build({
    entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'neutral',
    target: 'es2020', external: ['k6', 'k6/*'], legalComments: 'none', logLevel: 'silent',
  });
  return `// Bundled by carbon-harness from the planned scenario ${s.name} for k6-operator.\n${r.outputFiles[0]!.text}`;
}

/** Script variables that may carry credentials (the feature store's URL, the inference API's auth header): a Secret's, never the TestRun's. */
export const SECRET_ENV = ['FEATURE_STORE_URL', 'INFERENCE_HEADERS'] as const;

export function testRunObject(o: {
  name: string; namespace: string; configMap: string; scenario: Scenario; parallelism: number; image: string;
  env: Record<string, string>;
  /** Variables read from this Secret (same key names): `valueFrom.secretKeyRef` in the runner's env. */
  secretEnv?: { secret: string; keys: string[] };
}): object {
  const fromSecret = (o.secretEnv?.keys ?? []).map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: o.secretEnv!.secret, key } } }));
  return {
    apiVersion: `${TESTRUN.group}/${TESTRUN.version}`, kind: 'TestRun',
    metadata: { name: o.name, namespace: o.namespace, labels: { ...MANAGED_BY, 'carbon-harness/scenario': o.scenario.name } },
    spec: {
      parallelism: o.parallelism,
      script: { configMap: { name: o.configMap, file: 'script.js' } },
      // Raw samples on stdout (the pod log) for the harness to merge; progress and summary off so
      // the log holds only NDJSON and k6's own messages.
      arguments: '--out json=- --quiet --no-summary',
      runner: { image: o.image, env: [...Object.entries(o.env).map(([name, value]) => ({ name, value })), ...fromSecret] },
    },
  };
}

const code = (e: unknown) => (e as { code?: number }).code;

export async function runK6Operator(s: Scenario, opts: K6OperatorOptions): Promise<ScenarioResult> {
  const { cfg } = opts;
  const parsed = parseScenarioThresholds(s);
  const kc = operatorKubeConfig(cfg, opts.profile);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const namespace = cfg.k6Operator.namespace;
  const id = `${Date.now().toString(36)}`;
  const name = `harness-${s.name}-${id}`.slice(0, 52);
  const configMap = `${name}-script`;
  const secret = `${name}-env`;
  const progress = opts.progress ?? (() => {});

  const script = await bundleScript(s, opts.outDir);
  try {
    await core.readNamespace({ name: namespace });
  } catch (e) {
    if (code(e) !== 404) throw new InfraError(`Kubernetes API unreachable: ${firstLine(e)}`, 'kube-apiserver');
    await core.createNamespace({ body: { metadata: { name: namespace, labels: MANAGED_BY } } }).catch((err) => { if (code(err) !== 409) throw err; });
  }

  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await custom.deleteNamespacedCustomObject({ ...TESTRUN, namespace, name }).catch((e) => { if (code(e) !== 404) throw e; });
    await core.deleteNamespacedConfigMap({ namespace, name: configMap }).catch((e) => { if (code(e) !== 404) throw e; });
    await core.deleteNamespacedSecret({ namespace, name: secret }).catch((e) => { if (code(e) !== 404) throw e; });
    progress(`k6-operator: deleted TestRun ${namespace}/${name}, ConfigMap ${configMap} and Secret ${secret}`);
  };
  opts.onCleanup?.(remove);

  const startedAt = new Date();
  try {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: configMap, namespace, labels: MANAGED_BY }, data: { 'script.js': script } } });
    const all: Record<string, string> = { ...scriptEnv(endpointsFor(opts.profile)), HARNESS_EXECUTOR: JSON.stringify(s.executor) };
    const keys = SECRET_ENV.filter((k) => all[k] !== undefined);
    const env = Object.fromEntries(Object.entries(all).filter(([k]) => !(keys as string[]).includes(k)));
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: secret, namespace, labels: MANAGED_BY }, type: 'Opaque', stringData: Object.fromEntries(keys.map((k) => [k, all[k]!])) } });
    await custom.createNamespacedCustomObject({
      ...TESTRUN, namespace,
      body: testRunObject({ name, namespace, configMap, scenario: s, parallelism: opts.parallelism, image: cfg.k6Operator.runnerImage, env, secretEnv: { secret, keys } }),
    });
  } catch (e) {
    await remove().catch(() => {});
    if (code(e) === 404) throw new InfraError('the cluster has no TestRun kind (k6.io/v1alpha1): install k6-operator (https://grafana.com/docs/k6/latest/set-up/set-up-distributed-k6/install-k6-operator/)', 'k6-operator');
    throw new InfraError(`could not create the TestRun: ${firstLine(e)}`, 'k6-operator');
  }
  opts.onCreated?.({ namespace, testRun: name, configMap });
  progress(`k6-operator: TestRun ${namespace}/${name} created (parallelism ${opts.parallelism}, script ConfigMap ${configMap})`);

  try {
    const plannedMs = executorDurationMs(s.executor, durationMs);
    await followStages(kc, custom, namespace, name, plannedMs + cfg.k6Operator.timeoutS * 1000, opts.signal, progress);
    const outputs = await (opts.collect ?? podLogs)({ kc, namespace, name, parallelism: opts.parallelism });
    if (outputs.length !== opts.parallelism) {
      throw new InfraError(`expected output from ${opts.parallelism} runner(s), got ${outputs.length}`, 'k6-operator');
    }
    const tl = { ...timelineOptions(s), durationS: plannedMs / 1000 };
    const merged = mergeNdjsonRunners(outputs, tl);
    const results = evaluate(parsed, merged);
    // No k6 verdict is compared here: k6-operator judges each runner alone on its share (so runners
    // may rightly disagree with the merged verdict), and the runners' own exit codes are not read.
    // `reported` stays empty, so no "k6 agrees" check is made that could only ever pass.
    const report: K6RunReport = {
      exitCode: null,
      files: Object.fromEntries(merged.sources.map((src) => [src, `${namespace}/${name} runner log`])),
      reported: [],
      disagreements: [],
      runners: outputs.length,
    };
    const keys = Object.keys(s.thresholds);
    return {
      scenario: s.name, engine: 'k6-operator',
      startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(),
      durationS: merged.elapsedS(),
      where: `TestRun ${namespace}/${name} (${opts.parallelism} runners, ${cfg.k6Operator.runnerImage})`,
      executor: s.executor, aborted: null,
      thresholds: results.map(toOutcome),
      metrics: merged.summary(keys), histograms: merged.histograms(keys), timeline: merged.timeline(),
      crossChecks: { runners: outputs.length },
      k6: report,
    };
  } finally {
    await remove();
  }
}

interface TestRunState {
  metadata?: { uid?: string; name?: string; resourceVersion?: string };
  status?: { stage?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

/**
 * Follows status.stage with LIST then WATCH from the list's resourceVersion (re-listing on a
 * broken or expired watch), so short stages are seen, not sampled.
 */
function followStages(kc: k8s.KubeConfig, custom: k8s.CustomObjectsApi, namespace: string, name: string, timeoutMs: number, signal: AbortSignal, progress: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let last = '';
    let done = false;
    let lw: ListWatch<TestRunState> | null = null;
    const fieldSelector = `metadata.name=${name}`;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(noOperator);
      signal.removeEventListener('abort', onAbort);
      lw?.stop();
      if (err) reject(err); else resolve();
    };
    const see = (obj: TestRunState) => {
      const stage = obj.status?.stage ?? '';
      if (stage !== last) { progress(`k6-operator: stage ${stage || '(none yet)'}`); last = stage; }
      if (stage === 'finished') finish();
      else if (stage === 'error') {
        const why = (obj.status?.conditions ?? []).map((c) => `${c.type}: ${c.reason ?? ''} ${c.message ?? ''}`.trim()).join('; ');
        finish(new InfraError(`TestRun ${namespace}/${name} ended in stage "error"${why ? `: ${why}` : ''}`, 'k6-operator'));
      } else if (stage && !(STAGES as readonly string[]).includes(stage)) progress(`k6-operator: unknown stage "${stage}"`);
    };
    const gone = () => finish(new InfraError(`TestRun ${namespace}/${name} disappeared while running`, 'k6-operator'));
    const onAbort = () => finish(new InfraError(`interrupted while the TestRun was at stage "${last || 'none'}"`, 'k6-operator'));
    const timer = setTimeout(() => finish(new InfraError(
      `TestRun ${namespace}/${name} did not finish within ${Math.round(timeoutMs / 1000)} s (last stage "${last || 'none'}"); is k6-operator running in the cluster?`, 'k6-operator')), timeoutMs);
    // An operator sets a stage within seconds; none at all means nothing is reconciling TestRuns.
    const noOperator = setTimeout(() => {
      if (!last) finish(new InfraError(`TestRun ${namespace}/${name} has no status after ${NO_STATUS_S} s: no k6-operator is running in the cluster (install: https://grafana.com/docs/k6/latest/set-up/set-up-distributed-k6/install-k6-operator/)`, 'k6-operator'));
    }, NO_STATUS_S * 1000);
    const apiDown = (e: unknown) => finish(new InfraError(`Kubernetes API unreachable while following the TestRun: ${firstLine(e)}`, 'kube-apiserver'));
    const follow = () => listThenWatch<TestRunState>({
      kc, path: `/apis/${TESTRUN.group}/${TESTRUN.version}/namespaces/${namespace}/${TESTRUN.plural}`, query: { fieldSelector },
      list: async () => await custom.listNamespacedCustomObject({ ...TESTRUN, namespace, fieldSelector }) as { items: TestRunState[]; metadata?: { resourceVersion?: string } },
      onEvent: (type, obj) => { if (type === 'DELETED') gone(); else see(obj); },
      onList: (count) => { if (count === 0) gone(); },
      onListError: (e) => { apiDown(e); return false; },
    }).then((w) => { if (done) w.stop(); else lw = w; }, apiDown);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort(); else void follow();
  });
}

/** Each runner pod's log, keeping the NDJSON lines (k6 writes `--out json=-` to stdout). */
const podLogs: RunnerCollector = async ({ kc, namespace, name }) => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `k6_cr=${name},runner=true` });
  const out: RunnerOutput[] = [];
  for (const p of pods.items.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!))) {
    const log = await core.readNamespacedPodLog({ namespace, name: p.metadata!.name! });
    const lines = String(log).split('\n').filter((l) => l.startsWith('{"type":'));
    out.push({ text: lines.join('\n') + '\n', source: `${namespace}/${p.metadata!.name!}` });
  }
  return out;
};
