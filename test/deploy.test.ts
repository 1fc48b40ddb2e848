/**
 * `harness deploy render` against the sandbox's apiserver, RBAC on: every rendered object is
 * accepted by a server-side dry run (the CronJobs included); then, acting as the rendered
 * ServiceAccount (a token from the TokenRequest API), a drill kills a pod where its Role allows,
 * is refused (403, exit 2 naming RBAC) in another namespace, and creating anything else is refused.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { cli, ctx, eventually, sb, writeProfile } from './support.ts';
import { KUBE_NAMESPACE, kubeConfig as sandboxKubeConfig } from '../sandbox/kube.ts';
import { kubeConfig } from '../platform/kube.ts';
import type { RunRecord } from '../core/record.ts';
import { podReady } from '../platform/kube.ts';

const deploy = suite('deploy');
const HARNESS_NS = 'carbon-harness-test';
const dir = mkdtempSync(join(tmpdir(), 'deploy-'));
const admin = sb.kube.enabled ? sandboxKubeConfig(ctx) : new k8s.KubeConfig();
const objects = k8s.KubernetesObjectApi.makeApiClient(admin);
const core = admin.makeApiClient(k8s.CoreV1Api);
type Obj = k8s.KubernetesObject & Record<string, any>;
let docs: Obj[] = [];

/** The sandbox's profile as the Jobs would read it: in the cluster, no kubeconfig. */
const inCluster = writeProfile((p) => {
  p.name = 'in-cluster';
  const k = p.platform.kubernetes!;
  p.platform.kubernetes = { inCluster: true, namespaces: k.namespaces } as typeof k;
});

const cleanup = async () => {
  for (const [kind, fn] of [
    ['namespace', () => core.deleteNamespace({ name: HARNESS_NS })],
    ['rolebinding', () => admin.makeApiClient(k8s.RbacAuthorizationV1Api).deleteNamespacedRoleBinding({ name: 'carbon-harness', namespace: KUBE_NAMESPACE })],
    ['role', () => admin.makeApiClient(k8s.RbacAuthorizationV1Api).deleteNamespacedRole({ name: 'carbon-harness', namespace: KUBE_NAMESPACE })],
  ] as const) {
    try { await fn(); } catch (e) { if ((e as { code?: number }).code !== 404) process.stderr.write(`deploy cleanup ${kind}: ${(e as Error).message}\n`); }
  }
};
deploy.after(cleanup);

if (!sb.kube.enabled) {
  deploy('deploy needs the kube sandbox (sandbox.kube.enabled=false)', () => {});
} else {
  deploy('render: a ServiceAccount, a Role and RoleBinding per profile namespace (nothing cluster-wide), the gate Job, the daily and drill CronJobs', () => {
    const r = cli(['--profile', inCluster, 'deploy', 'render', '--image', 'registry.invalid/carbon-harness:test', '--namespace', HARNESS_NS]);
    assert.is(r.code, 0, r.stderr);
    docs = parseAllDocuments(r.stdout).map((d) => d.toJSON() as Obj).filter(Boolean);
    assert.equal(docs.map((d) => `${d.kind}/${d.metadata!.namespace}/${d.metadata!.name}`), [
      `ServiceAccount/${HARNESS_NS}/carbon-harness`,
      `Role/${KUBE_NAMESPACE}/carbon-harness`, `RoleBinding/${KUBE_NAMESPACE}/carbon-harness`,
      `Job/${HARNESS_NS}/carbon-harness-gate`, `CronJob/${HARNESS_NS}/carbon-harness-daily`, `CronJob/${HARNESS_NS}/carbon-harness-drill`,
    ]);
    const role = docs.find((d) => d.kind === 'Role')!;
    assert.equal(role.rules, [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
    ]);
    const [daily, drill] = docs.filter((d) => d.kind === 'CronJob');
    assert.equal([daily!.spec.schedule, daily!.spec.timeZone, daily!.spec.concurrencyPolicy], ['0 8 * * *', 'Etc/UTC', 'Forbid']);
    assert.equal([drill!.spec.schedule, drill!.spec.concurrencyPolicy], ['0 10 * * 3', 'Forbid']);
    assert.equal(drill!.spec.jobTemplate.spec.template.spec.containers[0].args, ['drill', 'wednesday', '--yes', '--profile', '/etc/carbon-harness/profile.yaml']);
    // A profile that names a kubeconfig is not the one the Jobs read; a bad schedule is named.
    assert.is(cli(['deploy', 'render', '--image', 'x']).code, 2);
    const bad = cli(['--profile', inCluster, 'deploy', 'render', '--image', 'x', '--daily', '8am']);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, '--daily');
  });

  deploy('the sandbox apiserver accepts every rendered object (server-side dry run), the CronJobs included', async () => {
    await core.createNamespace({ body: { metadata: { name: HARNESS_NS } } });
    for (const d of docs) {
      const created = await objects.create(d, undefined, 'All');
      assert.is(created.kind, d.kind);
    }
    // Dry run: nothing was made.
    const jobs = await admin.makeApiClient(k8s.BatchV1Api).listNamespacedCronJob({ namespace: HARNESS_NS });
    assert.is(jobs.items.length, 0);
  });

  deploy('as the ServiceAccount: a drill kills a pod where its Role allows; another namespace is 403 and exit 2 naming RBAC; creating anything else is refused', async () => {
    for (const d of docs.filter((x) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(x.kind!))) await objects.create(d);
    const token = (await core.createNamespacedServiceAccountToken({ name: 'carbon-harness', namespace: HARNESS_NS, body: { spec: { expirationSeconds: 600, audiences: [] } } })).status!.token;
    const cluster = admin.getCurrentCluster()!;
    const sa = new k8s.KubeConfig();
    sa.loadFromOptions({
      clusters: [{ name: 'sandbox', server: cluster.server, caData: cluster.caData, caFile: cluster.caFile, skipTLSVerify: false }],
      users: [{ name: 'carbon-harness', token }],
      contexts: [{ name: 'carbon-sandbox', cluster: 'sandbox', user: 'carbon-harness' }],
      currentContext: 'carbon-sandbox',
    });
    const kubeconfigFile = join(dir, 'sa.kubeconfig');
    writeFileSync(kubeconfigFile, sa.exportConfig(), { mode: 0o600 });
    const asSa = (edit: (p: any) => void = () => {}) => writeProfile((p) => {
      p.name = 'as-service-account';
      p.platform.kubernetes!.kubeconfig = kubeconfigFile;
      p.platform.kubernetes!.context = 'carbon-sandbox';
      edit(p);
    });

    // Allowed: the drill lists, watches and deletes in its namespace.
    const ok = cli(['--json', '--quiet', '--profile', asSa(), 'drill', 'pod-kill', '--target', 'deployment/prediction-consumer', '--alert-wait', '3s'], {}, 300_000);
    const rec = JSON.parse(ok.stdout) as RunRecord;
    assert.ok(ok.code === 0 || ok.code === 1, `exit ${ok.code}: ${rec.error ?? ok.stderr}`);
    assert.is(rec.checks.find((c) => c.id === 'drill.recovery')?.status, 'pass', rec.checks.map((c) => `${c.id}=${c.status}`).join(', '));
    assert.ok((rec.data.timeline as Array<{ event: string }>).some((e) => e.event === 'kill'));

    // Another namespace, which the profile offers but the Role does not cover: 403, exit 2, RBAC named.
    const elsewhere = cli(['--profile', asSa((p) => { p.platform.kubernetes!.namespaces['kube-system'] = { deployments: { coredns: { replicas: 1, drill: true } } }; }),
      'drill', 'pod-kill', '--target', 'deployment/coredns', '-n', 'kube-system', '--alert-wait', '3s']);
    assert.is(elsewhere.code, 2, elsewhere.stderr);
    assert.match(elsewhere.stderr, /forbidden by RBAC/);
    assert.not.match(elsewhere.stderr, /\n\s+at /);

    // Creating anything else, reading secrets, deleting elsewhere: refused.
    const saCore = sa.makeApiClient(k8s.CoreV1Api);
    const forbidden = async (what: string, call: () => Promise<unknown>) => {
      try { await call(); assert.unreachable(`${what} was allowed`); } catch (e) { assert.is((e as { code?: number }).code, 403, `${what}: ${(e as Error).message}`); }
    };
    await forbidden('create a ConfigMap', () => saCore.createNamespacedConfigMap({ namespace: KUBE_NAMESPACE, body: { metadata: { name: 'x' } } }));
    await forbidden('list Secrets', () => saCore.listNamespacedSecret({ namespace: KUBE_NAMESPACE }));
    await forbidden('create a Deployment', () => sa.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({ namespace: KUBE_NAMESPACE, body: { metadata: { name: 'x' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'x', image: 'x' }] } } } } }));
    await forbidden('list pods cluster-wide', () => saCore.listPodForAllNamespaces());
    await eventually('consumers Ready again', async () => (await core.listNamespacedPod({ namespace: KUBE_NAMESPACE, labelSelector: 'app=prediction-consumer' })).items
      .filter((p) => !p.metadata?.deletionTimestamp && podReady(p)).length === sb.consumers.replicas, 90_000, 500);
  });
}

deploy('inCluster outside a cluster: exit 3 naming it, not a silent fallback to another kubeconfig', () => {
  const saved = process.env.KUBERNETES_SERVICE_HOST;
  delete process.env.KUBERNETES_SERVICE_HOST;
  try {
    assert.throws(() => kubeConfig({ inCluster: true, requestTimeoutS: 10, namespaces: {} }), /not running in a cluster/);
  } finally { if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved; }
  assert.ok(readFileSync(inCluster, 'utf8').includes('inCluster: true'));
});

deploy.run();
