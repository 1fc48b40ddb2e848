// `--engine k6-operator` against the sandbox's real kube-apiserver. No k6-operator and no
// containers can run here (kwok nodes run none), so a TEST EMULATOR moves each TestRun through
// its stages and the runners' output is recorded per-runner NDJSON (test/fixtures/k6/runner-*.ndjson).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { scenarioChecks } from '../verifiers/load.ts';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { cfg, cli, profile, scenarios } from './support.ts';
import { projectRoot } from '../core/paths.ts';
import { TESTRUN } from '../sandbox/crds.ts';
import { operatorKubeConfig, runK6Operator, type RunnerCollector } from '../scenarios/engines/k6/operator.ts';
import { withOverrides } from '../scenarios/plan.ts';
import { percentileOf } from '../scenarios/thresholds.ts';
import { K6OperatorEmulator } from './k6-operator-emulator.ts';
import type { RunRecord } from '../core/record.ts';

const op = suite('k6-operator');
const kc = operatorKubeConfig(cfg, profile);
const ns = cfg.k6Operator.namespace;
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const core = kc.makeApiClient(k8s.CoreV1Api);
const scenario = withOverrides(scenarios['inference-latency']!, { duration: '2s' });
let emu: K6OperatorEmulator;

// Recorded runner output, re-tagged for the scenario under test (the recordings ran "inference").
const RUNNERS = [1, 2, 3].map((i) => ({
  source: `runner-${i}.ndjson`,
  text: readFileSync(join(projectRoot, `test/fixtures/k6/runner-${i}.ndjson`), 'utf8').replaceAll('"scenario":"inference"', '"scenario":"inference-latency"'),
}));
const recorded: RunnerCollector = async ({ parallelism }) => RUNNERS.slice(0, parallelism);

async function leftovers(): Promise<string[]> {
  const trs = await custom.listNamespacedCustomObject({ ...TESTRUN, namespace: ns }).catch(() => ({ items: [] })) as { items: Array<{ metadata: { name: string } }> };
  const cms = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=carbon-harness' }).catch(() => ({ items: [] as k8s.V1ConfigMap[] }));
  const secrets = await core.listNamespacedSecret({ namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=carbon-harness' }).catch(() => ({ items: [] as k8s.V1Secret[] }));
  return [...trs.items.map((t) => `TestRun/${t.metadata.name}`), ...cms.items.map((c) => `ConfigMap/${c.metadata!.name}`), ...secrets.items.map((c) => `Secret/${c.metadata!.name}`)];
}

op.before.each(() => { emu = new K6OperatorEmulator(kc, ns); emu.start(); });
op.after.each(async () => { emu.stop(); assert.equal(await leftovers(), [], 'nothing left behind'); });

op('TestRun and script ConfigMap are created with the right spec, followed to finished, merged, and removed', async () => {
  const lines: string[] = [];
  let created = null as { testRun: string; configMap: string } | null;
  const r = await runK6Operator(scenario, {
    cfg, profile, signal: new AbortController().signal, outDir: mkdtempSync(join(tmpdir(), 'k6-op-')), parallelism: 3, collect: recorded,
    progress: (l) => lines.push(l), onCreated: (n) => { created = n; },
  });
  assert.ok(created, 'objects were created');
  const tr = emu.testRuns.find((t) => t.metadata.name === created!.testRun) ?? assert.unreachable('the emulator saw the TestRun') as never;
  assert.is(tr.spec.parallelism, 3);
  assert.equal(tr.spec.script.configMap, { name: created!.configMap, file: 'script.js' });
  assert.match(tr.spec.arguments ?? '', /--out json=-/);
  assert.is(tr.spec.runner?.image, cfg.k6Operator.runnerImage);
  const env = Object.fromEntries((tr.spec.runner?.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(JSON.parse(env.HARNESS_EXECUTOR!), scenario.executor);
  assert.match(env.INFERENCE_API_URL!, /^http:\/\//);
  // Credentials never sit in the TestRun: the feature store's URL (with its password) and the request
  // headers come from a Secret of the run's own, deleted with it.
  assert.not.match(JSON.stringify(tr), /postgres:\/\//);
  for (const key of ['FEATURE_STORE_URL', 'INFERENCE_HEADERS']) {
    const e = tr.spec.runner!.env!.find((x) => x.name === key);
    assert.equal(e, { name: key, valueFrom: { secretKeyRef: { name: `${created!.testRun}-env`, key } } });
  }
  const js = emu.configMaps[created!.configMap]!['script.js']!;
  assert.ok(js, 'the ConfigMap holds the script');
  assert.ok(js.includes('"http_req_duration{scenario:inference-latency}"'), 'thresholds are in the bundled script');
  assert.match(js, /from "k6\/http"/);
  assert.not.match(js, /\.\/lib\//, 'the library is bundled in: a ConfigMap has no folders');
  for (const stage of ['initialization', 'started', 'finished']) assert.ok(lines.some((l) => l.includes(`stage ${stage}`)), `followed stage ${stage}`);
  assert.ok(lines.some((l) => /deleted TestRun/.test(l)));

  // One verdict over the union of the runners' samples.
  assert.is(r.engine, 'k6-operator');
  assert.is(r.k6!.runners, 3);
  const all: number[] = [];
  for (const { text } of RUNNERS) {
    for (const line of text.split('\n')) {
      if (!line) continue;
      const p = JSON.parse(line) as { type: string; metric: string; data: { value: number; tags: Record<string, string> | null } };
      if (p.type === 'Point' && p.metric === 'http_req_duration' && p.data.tags?.scenario === 'inference-latency') all.push(p.data.value);
    }
  }
  all.sort((a, b) => a - b);
  const p95 = r.thresholds.find((t) => t.metric === 'http_req_duration')!;
  const want = percentileOf(all, 95)!;
  assert.ok(Math.abs(p95.observed! - want) / want < 0.01, `merged p95 ${p95.observed} vs union ${want}`);
  assert.is(r.metrics['http_req_duration{scenario:inference-latency}']!.values.count, all.length);
  // k6-operator gives no verdict of its own to agree with: no "k6 agrees" check that could only pass.
  const checks = scenarioChecks(scenario, r);
  assert.not.ok(checks.some((c) => c.id.endsWith(':k6-verdict-agrees')), checks.map((c) => c.id).join(', '));
  assert.equal(r.k6!.reported, []);
});

op('a TestRun that ends in stage "error" is an infrastructure error naming the reason, and is removed', async () => {
  emu.failAt = 'started';
  try {
    await runK6Operator(scenario, { cfg, profile, signal: new AbortController().signal, outDir: mkdtempSync(join(tmpdir(), 'k6-op-')), parallelism: 2, collect: recorded });
    assert.unreachable('should have failed');
  } catch (e) {
    assert.match((e as Error).message, /stage "error".*RunnerFailed/);
  }
});

op('Ctrl-C while the TestRun runs: the harness deletes it and its ConfigMap, the record says aborted', async () => {
  emu.runMs = 60_000;
  const child = spawn(process.execPath, [join(projectRoot, 'bin/harness.mjs'), '--json', 'run', 'inference-latency', '--engine', 'k6-operator', '--parallelism', '2', '--duration', '2s'],
    { cwd: projectRoot, env: process.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const deadline = Date.now() + 30_000;
  while (!/stage started/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.match(stderr, /stage started/);
  assert.is((await leftovers()).length, 3, 'TestRun, ConfigMap and Secret exist while it runs');
  child.kill('SIGINT');
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
  assert.is(code, 3, stderr);
  assert.is((JSON.parse(stdout) as RunRecord).status, 'aborted');
});

op('an unreachable API server: exit 3 with a clear message, nothing created', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kcfg-'));
  const bad = join(dir, 'kubeconfig');
  writeFileSync(bad, readFileSync(join(projectRoot, cfg.sandbox.dir, 'kube/kubeconfig'), 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'));
  const conf = join(dir, 'harness.yaml');
  writeFileSync(conf, `k6Operator:\n  kubeconfig: ${bad}\n`);
  const r = cli(['--config', conf, 'run', 'inference-latency', '--engine', 'k6-operator', '--duration', '2s']);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /Kubernetes API unreachable/);
});

op.run();
