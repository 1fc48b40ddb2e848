/**
 * `harness check security` against the sandbox's apiserver (RBAC on): healthy, every check passes;
 * a grant beyond the RBAC matrix, a namespace without its default-deny policy (and a declared allow
 * gone), and a stale or never-rotated secret each fail at the profile's own targets, then pass once
 * fixed. The RBAC verdicts are the API server's own (SubjectAccessReview).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as k8s from '@kubernetes/client-node';
import { cli, ctx, eventually, sb, writeProfile } from './support.ts';
import { KUBE_NAMESPACE, kubeConfig } from '../sandbox/kube.ts';
import { SANDBOX_POLICIES, SANDBOX_SECRET, ROTATION_ANNOTATION } from '../sandbox/addresses.ts';
import type { RunRecord, Check } from '../core/record.ts';

const security = suite('security');
const enabled = sb.kube.enabled;
const kc = enabled ? kubeConfig(ctx) : new k8s.KubeConfig();
const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
const net = kc.makeApiClient(k8s.NetworkingV1Api);
const core = kc.makeApiClient(k8s.CoreV1Api);
const ns = KUBE_NAMESPACE;

function review(args: string[] = []): { code: number; rec: RunRecord; byId: (id: string) => Check; stderr: string } {
  const r = cli(['--json', '--quiet', ...args, 'check', 'security']);
  let rec: RunRecord;
  try { rec = JSON.parse(r.stdout) as RunRecord; } catch { throw new Error(`exit ${r.code}: ${r.stderr}`); }
  return { code: r.code, rec, stderr: r.stderr, byId: (id) => rec.checks.find((c) => c.id === id) ?? assert.unreachable(`no ${id} in ${rec.checks.map((c) => c.id).join(', ')}`) as never };
}

const statuses = (rec: RunRecord) => Object.fromEntries(rec.checks.map((c) => [c.id, c.status]));
const ALL_PASS = {
  'security.rbac.matrix': 'pass', 'security.rbac.beyond-matrix': 'pass', [`security.network-policies:${ns}`]: 'pass', [`security.secrets:${ns}`]: 'pass',
  'security.audit.unknown-users': 'pass', 'security.audit.forbidden-burst': 'pass', 'security.audit.secret-reads': 'pass',
};

if (!enabled) {
  security('the security review needs the kube sandbox (sandbox.kube.enabled=false)', () => {});
} else {
  security('healthy sandbox: the matrix holds, nothing beyond it, default-deny and the declared allow present, secrets rotated (exit 0)', () => {
    const r = review();
    assert.is(r.code, 0, r.rec.checks.map((c) => `${c.id} ${c.status}: ${c.evidence.what}`).join('\n'));
    assert.equal(statuses(r.rec), ALL_PASS);
    // 4 declared rows (get and list secrets, delete pods, create podchaos), each refused as declared.
    assert.match(r.byId('security.rbac.matrix').evidence.what, '4 declared row(s) hold for 1 subject(s)');
    assert.match(r.byId(`security.network-policies:${ns}`).evidence.what, `${SANDBOX_POLICIES.deny} (default deny)`);
    const reviews = (r.rec.data.evidence as { reviews: Array<{ allowed: boolean }> }).reviews;
    assert.ok(reviews.length >= 70, `${reviews.length} reviews`);
    assert.is(reviews.filter((x) => x.allowed).length, 0, 'the default ServiceAccount may do nothing probed');
  });

  security('a profile that names no namespace to review: security.namespaces is NO DATA and the review incomplete (exit 4), never a pass', () => {
    const f = writeProfile((p) => {
      p.name = 'no-namespaces';
      p.platform.kubernetes!.namespaces = {};
      delete (p.security as { namespaces?: unknown }).namespaces;
    });
    const r = review(['--profile', f]);
    assert.is(r.byId('security.namespaces').status, 'no-data');
    assert.is(r.code, 4, r.stderr);
  });

  security('a grant beyond the matrix fails (and one against it fails the matrix); revoked, both pass', async () => {
    const role = { metadata: { name: 'test-extra-grant', namespace: ns }, rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get'] }] };
    const binding = { metadata: { name: 'test-extra-grant', namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'test-extra-grant' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }] };
    try {
      await rbac.createNamespacedRole({ namespace: ns, body: role });
      await rbac.createNamespacedRoleBinding({ namespace: ns, body: binding });
      const r = await eventually('the grant seen by the authorizer', async () => { const x = review(); return x.byId('security.rbac.beyond-matrix').status === 'fail' ? x : null; }, 20_000, 500);
      assert.is(r.code, 1);
      const beyond = r.byId('security.rbac.beyond-matrix');
      assert.is(beyond.observed, 2);
      assert.match(beyond.evidence.what, `serviceaccount ${ns}/default: get configmaps in ${ns}`);
      assert.match(beyond.evidence.what, `serviceaccount ${ns}/default: get secrets in ${ns}`);
      const matrix = r.byId('security.rbac.matrix');
      assert.is(matrix.status, 'fail');
      assert.is(matrix.observed, 1, matrix.evidence.what);
      assert.match(matrix.evidence.what, `get secrets in ${ns}: allowed, the matrix says refused`);
      assert.is(r.byId(`security.network-policies:${ns}`).status, 'pass', 'only the RBAC checks fail');
    } finally {
      await rbac.deleteNamespacedRoleBinding({ name: 'test-extra-grant', namespace: ns }).catch(() => {});
      await rbac.deleteNamespacedRole({ name: 'test-extra-grant', namespace: ns }).catch(() => {});
    }
    const fixed = await eventually('the grant revoked', async () => { const x = review(); return x.code === 0 ? x : null; }, 20_000, 500);
    assert.equal(statuses(fixed.rec), ALL_PASS);
  });

  security('a namespace without its default-deny policy, and a declared allow gone, fail; restored, they pass', async () => {
    const kept = await Promise.all([SANDBOX_POLICIES.deny, SANDBOX_POLICIES.allow].map((name) => net.readNamespacedNetworkPolicy({ name, namespace: ns })));
    try {
      await net.deleteNamespacedNetworkPolicy({ name: SANDBOX_POLICIES.deny, namespace: ns });
      const noDeny = review();
      assert.is(noDeny.code, 1);
      const c = noDeny.byId(`security.network-policies:${ns}`);
      assert.is(c.status, 'fail');
      assert.match(c.evidence.what, 'no default-deny ingress policy');
      // A policy that selects every pod but allows ingress is not a default deny.
      assert.match(c.evidence.what, `policies: ${SANDBOX_POLICIES.allow}`);
      await net.deleteNamespacedNetworkPolicy({ name: SANDBOX_POLICIES.allow, namespace: ns });
      const neither = review().byId(`security.network-policies:${ns}`);
      assert.is(neither.status, 'fail');
      assert.match(neither.evidence.what, `declared allow ${SANDBOX_POLICIES.allow} missing`);
    } finally {
      for (const p of kept) {
        await net.createNamespacedNetworkPolicy({ namespace: ns, body: { metadata: { name: p.metadata!.name, namespace: ns }, spec: p.spec } }).catch(() => {});
      }
    }
    const fixed = review();
    assert.is(fixed.code, 0);
    assert.equal(statuses(fixed.rec), ALL_PASS);
  });

  security('a secret rotated 200 days ago, and one never rotated, fail at maxAgeDays 90; rotated, they pass', async () => {
    const old = new Date(Date.now() - 200 * 86_400_000).toISOString();
    const names = ['test-stale-secret', 'test-unrotated-secret'];
    try {
      await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: names[0], annotations: { [ROTATION_ANNOTATION]: old } }, stringData: { k: 'v' } } });
      await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: names[1] }, stringData: { k: 'v' } } });
      // The sandbox's platform under a name of its own, so its record can be judged again under a variant.
      const strict = writeProfile((p) => { p.name = 'secured'; }, 'strict.yaml');
      const lenient = writeProfile((p) => { p.name = 'secured'; p.security = { ...p.security, secrets: { maxAgeDays: 365 } }; }, 'lenient.yaml');
      const r = review(['--profile', strict]);
      assert.is(r.code, 1);
      const c = r.byId(`security.secrets:${ns}`);
      assert.is(c.status, 'fail');
      assert.is(c.observed, 2);
      assert.match(c.evidence.what, `${names[0]}: rotated 200 d ago`);
      assert.match(c.evidence.what, `${names[1]}: no ${ROTATION_ANNOTATION} annotation`);
      // Secret values never reach the record: only names, types and times.
      assert.not.match(JSON.stringify(r.rec), /"stringData"|"data":\{"k"|dg==/);
      // The profile's own limit: at 365 days the 200-day-old one passes, the unrotated one still fails.
      const l = review(['--profile', lenient]).byId(`security.secrets:${ns}`);
      assert.is(l.observed, 1, l.evidence.what);
      // Judged again from the stored API answers, without the cluster: the same verdicts under the same
      // profile; under the lenient one only the secrets check changes.
      const judge = (f: string) => JSON.parse(cli(['--json', '--quiet', '--profile', f, 'judge', r.rec.id]).stdout) as RunRecord;
      assert.equal(statuses(judge(strict)), statuses(r.rec));
      const relaxed = judge(lenient);
      assert.is(relaxed.checks.find((x) => x.id === `security.secrets:${ns}`)!.observed, 1);
      assert.equal(relaxed.checks.filter((x) => !x.id.startsWith('security.secrets')).map((x) => x.status), r.rec.checks.filter((x) => !x.id.startsWith('security.secrets')).map((x) => x.status));
      // Rotated now: both pass.
      const now = new Date().toISOString();
      for (const name of names) {
        await core.patchNamespacedSecret({ name, namespace: ns, body: { metadata: { annotations: { [ROTATION_ANNOTATION]: now } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      }
      const fixed = review();
      assert.is(fixed.code, 0, fixed.byId(`security.secrets:${ns}`).evidence.what);
      assert.equal(statuses(fixed.rec), ALL_PASS);
    } finally {
      for (const name of names) await core.deleteNamespacedSecret({ name, namespace: ns }).catch(() => {});
    }
  });

  security('the audit log: a ServiceAccount refused a secret 12 times is an unknown caller and a 403 burst; granted, its read is a secret read by someone not named', async () => {
    const audit = ['security.audit.unknown-users', 'security.audit.forbidden-burst', 'security.audit.secret-reads'];
    const before = review();
    for (const id of audit) assert.is(before.byId(id).status, 'pass', `${id}: ${before.byId(id).evidence.what}`);
    // The namespace's default ServiceAccount, as its pods would call the API.
    const token = (await core.createNamespacedServiceAccountToken({ name: 'default', namespace: ns, body: { spec: { expirationSeconds: 600, audiences: [] } } })).status!.token!;
    const cluster = kc.getCurrentCluster()!;
    const sa = new k8s.KubeConfig();
    sa.loadFromOptions({
      clusters: [{ name: 'sandbox', server: cluster.server, caData: cluster.caData, caFile: cluster.caFile, skipTLSVerify: false }],
      users: [{ name: 'default', token }], contexts: [{ name: 'as-default', cluster: 'sandbox', user: 'default' }], currentContext: 'as-default',
    });
    const asSa = sa.makeApiClient(k8s.CoreV1Api);
    const read = () => asSa.readNamespacedSecret({ name: SANDBOX_SECRET, namespace: ns }).then(() => 200, (e) => (e as { code?: number }).code ?? -1);
    for (let i = 0; i < 12; i++) assert.is(await read(), 403);
    const refused = review();
    const user = `system:serviceaccount:${ns}:default`;
    const unknown = refused.byId(audit[0]!);
    assert.is(unknown.status, 'fail');
    assert.match(unknown.evidence.what, `${user} ×12`);
    const burst = refused.byId(audit[1]!);
    assert.is(burst.status, 'fail');
    assert.ok((burst.observed as number) >= 12, burst.evidence.what);
    assert.is(refused.byId(audit[2]!).status, 'pass', 'a refused read is not a read');
    const role = { metadata: { name: 'test-secret-reader', namespace: ns }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] };
    const binding = { metadata: { name: 'test-secret-reader', namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'test-secret-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }] };
    try {
      await rbac.createNamespacedRole({ namespace: ns, body: role });
      await rbac.createNamespacedRoleBinding({ namespace: ns, body: binding });
      await eventually('the read allowed', async () => (await read()) === 200, 20_000, 250);
      const reads = review().byId(audit[2]!);
      assert.is(reads.status, 'fail');
      assert.match(reads.evidence.what, `${user} get secrets in ${ns} ${SANDBOX_SECRET} → 200`);
    } finally {
      await rbac.deleteNamespacedRoleBinding({ name: 'test-secret-reader', namespace: ns }).catch(() => {});
      await rbac.deleteNamespacedRole({ name: 'test-secret-reader', namespace: ns }).catch(() => {});
    }
  });

  security('no RBAC matrix in the profile: the RBAC check is NO DATA, never a pass; no cluster in the profile: exit 2', () => {
    const bare = writeProfile((p) => { p.name = 'no-matrix'; p.security = { networkPolicies: p.security!.networkPolicies }; }, 'no-matrix.yaml');
    const r = review(['--profile', bare]);
    assert.is(r.byId('security.rbac.matrix').status, 'no-data');
    assert.is(r.rec.checks.find((c) => c.id === 'security.rbac.beyond-matrix'), undefined);
    assert.is(r.rec.status, 'incomplete');
    const noKube = writeProfile((p) => { p.name = 'no-kube'; delete p.platform.kubernetes; }, 'no-kube.yaml');
    const n = cli(['--profile', noKube, 'check', 'security']);
    assert.is(n.code, 2, n.stderr);
    assert.match(n.stderr, 'platform.kubernetes');
    assert.not.match(n.stderr, /\n\s+at /);
  });
}

security.run();
