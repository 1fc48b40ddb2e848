/**
 * The security review's judge on hand-made evidence (no cluster): `*` rows expanded before asking,
 * every gap NO DATA rather than a pass, policies and rotation times read strictly, the audit log's anomalies.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProfileSchema, type SecurityProfile } from '../profile/schema.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judgeSecurity, plannedReviews, readAuditTail, rfc3339, type AuditEntry, type Review, type SecurityEvidence } from '../verifiers/security.ts';

const security = (v: unknown): SecurityProfile => ProfileSchema.shape.security.parse(v);
const NS = ['ml'];
const AT = '2026-12-05T12:00:00Z';
const SA = 'serviceaccount ml/app';

/** Evidence where every planned review was asked: allowed when `allowed` says so, refused otherwise. */
function evidence(s: SecurityProfile, allowed: (r: { verb: string; resource: string; namespace: string }) => boolean = () => false, over: Partial<SecurityEvidence> = {}): SecurityEvidence {
  const p = plannedReviews(s, NS);
  const seen = new Set<string>();
  const reviews: Review[] = [...p.rows.map(({ want: _w, ...a }) => a), ...p.probes]
    .filter((a) => { const k = `${a.subject}|${a.verb}|${a.resource}|${a.namespace}`; return !seen.has(k) && seen.add(k); })
    .map((a) => ({ ...a, allowed: allowed(a) }));
  return {
    context: 'test', namespaces: NS, reviews, missingSubjects: [], at: AT, errors: {},
    policies: { ml: [{ name: 'deny', selectsAll: true, types: ['Ingress'], ingressRules: 0 }] },
    secrets: { ml: [{ name: 's', type: 'Opaque', createdAt: AT, rotatedAt: '2026-12-01T00:00:00Z' }] },
    ...over,
  };
}
const byId = (cs: ReturnType<typeof judgeSecurity>, id: string) => cs.find((c) => c.id === id) ?? assert.unreachable(`no ${id}`) as never;
const denyAll = security({ rbac: [{ subject: { serviceAccount: 'ml/app' }, deny: [{ verbs: ['*'], resources: ['pods'], namespaces: ['*'] }] }] });

test('a * row is asked verb by verb and namespace by namespace: "deny every verb on pods" fails a subject that may delete one', () => {
  const p = plannedReviews(denyAll, NS);
  assert.is(p.rows.length, 7 * 2, 'seven probed verbs × (ml, cluster-wide)');
  assert.ok(p.rows.every((r) => r.verb !== '*' && r.want === false));
  const ok = judgeSecurity(evidence(denyAll), denyAll, NS);
  assert.is(byId(ok, 'security.rbac.matrix').status, 'pass');
  const del = judgeSecurity(evidence(denyAll, (r) => r.verb === 'delete' && r.resource === 'pods' && r.namespace === 'ml'), denyAll, NS);
  const m = byId(del, 'security.rbac.matrix');
  assert.is(m.status, 'fail');
  assert.match(m.evidence.what, 'serviceaccount ml/app: delete pods in ml: allowed, the matrix says refused');
  assert.is(byId(del, 'security.rbac.beyond-matrix').status, 'fail');
});

test('an allow row covers its grants; anything else allowed is beyond the matrix', () => {
  const s = security({ rbac: [{ subject: { serviceAccount: 'ml/app' }, allow: [{ verbs: ['get', 'list'], resources: ['configmaps'], namespaces: ['ml'] }] }] });
  const mine = (r: { verb: string; resource: string; namespace: string }) => r.resource === 'configmaps' && ['get', 'list'].includes(r.verb) && r.namespace === 'ml';
  const ok = judgeSecurity(evidence(s, mine), s, NS);
  assert.is(byId(ok, 'security.rbac.matrix').status, 'pass');
  assert.is(byId(ok, 'security.rbac.beyond-matrix').status, 'pass');
  const more = judgeSecurity(evidence(s, (r) => mine(r) || (r.resource === 'configmaps' && r.verb === 'get' && r.namespace === '*')), s, NS);
  const b = byId(more, 'security.rbac.beyond-matrix');
  assert.is(b.status, 'fail');
  assert.is(b.observed, 1);
  assert.match(b.evidence.what, `${SA}: get configmaps in all namespaces`);
  const less = judgeSecurity(evidence(s), s, NS);
  assert.is(byId(less, 'security.rbac.matrix').status, 'fail', 'a declared grant refused');
});

test('NO DATA, never a pass: no rows; a ServiceAccount that does not exist; reviews never asked; no namespace', () => {
  const none = security({});
  assert.is(byId(judgeSecurity(evidence(none), none, NS), 'security.rbac.matrix').status, 'no-data');
  const gone = judgeSecurity(evidence(denyAll, undefined, { missingSubjects: [SA] }), denyAll, NS);
  assert.is(byId(gone, 'security.rbac.matrix').status, 'no-data');
  assert.match(byId(gone, 'security.rbac.matrix').evidence.what, 'does not exist');
  assert.is(byId(gone, 'security.rbac.beyond-matrix').status, 'no-data');
  // Judged again with a namespace the probe never looked at.
  const wider = judgeSecurity(evidence(denyAll), denyAll, ['ml', 'risk']);
  assert.is(byId(wider, 'security.rbac.matrix').status, 'no-data');
  assert.is(byId(wider, 'security.network-policies:risk').status, 'no-data');
  assert.is(byId(wider, 'security.secrets:risk').status, 'no-data');
  assert.is(byId(judgeSecurity(evidence(none), none, []), 'security.namespaces').status, 'no-data');
});

test('an authorizer that could not decide is an error, even on a deny row it "refused"', () => {
  const e = evidence(denyAll);
  e.reviews[0] = { ...e.reviews[0]!, error: 'webhook authorizer timed out' };
  const m = byId(judgeSecurity(e, denyAll, NS), 'security.rbac.matrix');
  assert.is(m.status, 'error');
  assert.match(m.evidence.what, 'webhook authorizer timed out');
});

test('network policies: unset policyTypes still deny; a catch-all allow beside the deny fails unless declared', () => {
  const s = security({});
  const with_ = (ps: SecurityEvidence['policies']['ml']) => byId(judgeSecurity(evidence(s, undefined, { policies: { ml: ps } }), s, NS), 'security.network-policies:ml');
  assert.is(with_([{ name: 'deny', selectsAll: true, types: ['Ingress'], ingressRules: 0 }]).status, 'pass');
  assert.is(with_([{ name: 'deny-egress', selectsAll: true, types: ['Egress'], ingressRules: 0 }]).status, 'fail', 'an egress-only policy denies no ingress');
  assert.is(with_([{ name: 'some', selectsAll: false, types: ['Ingress'], ingressRules: 0 }]).status, 'fail', 'a deny for some pods is not a default deny');
  const open = with_([{ name: 'deny', selectsAll: true, types: ['Ingress'], ingressRules: 0 }, { name: 'allow-all', selectsAll: true, types: ['Ingress'], ingressRules: 1 }]);
  assert.is(open.status, 'fail');
  assert.match(open.evidence.what, 'allow-all allows ingress but is not declared');
  const declared = security({ networkPolicies: { allow: [{ namespace: 'ml', name: 'allow-all' }] } });
  assert.is(byId(judgeSecurity(evidence(declared, undefined, { policies: { ml: [{ name: 'deny', selectsAll: true, types: ['Ingress'], ingressRules: 0 }, { name: 'allow-all', selectsAll: true, types: ['Ingress'], ingressRules: 1 }] } }), declared, NS), 'security.network-policies:ml').status, 'pass');
});

test('rotation times: RFC 3339 with an offset only; a day that does not exist, local time and the future fail', () => {
  assert.is(rfc3339('2026-12-01T00:00:00Z'), Date.UTC(2026, 11, 1));
  assert.is(rfc3339('2026-12-01t01:00:00+01:00'), Date.UTC(2026, 11, 1));
  assert.is(rfc3339('2026-12-01 00:00:00.5z'), Date.UTC(2026, 11, 1) + 500);
  for (const bad of ['2026-12-01T00:00:00', '2024-02-30T00:00:00Z', '2026-12-01T24:00:00Z', '2026-12-01T00:00:00+0100', '1733011200', 'yesterday']) assert.is(rfc3339(bad), null, bad);
  const s = security({});
  const judge = (rotatedAt: string | null) => byId(judgeSecurity(evidence(s, undefined, { secrets: { ml: [{ name: 's', type: 'Opaque', createdAt: AT, rotatedAt }] } }), s, NS), 'security.secrets:ml');
  assert.is(judge('2026-09-06T12:00:00Z').status, 'pass', '90 days exactly');
  assert.is(judge('2026-09-05T11:00:00Z').status, 'fail', '91 days');
  assert.is(judge(null).status, 'fail');
  assert.is(judge('2026-12-01T00:00:00').status, 'fail');
  assert.match(judge('2027-01-01T00:00:00Z').evidence.what, 'in the future');
  const tokens = byId(judgeSecurity(evidence(s, undefined, { secrets: { ml: [{ name: 't', type: 'kubernetes.io/service-account-token', createdAt: AT, rotatedAt: null }] } }), s, NS), 'security.secrets:ml');
  assert.is(tokens.status, 'pass', 'types the control plane rotates are skipped');
});

test('audit log: an unknown caller, more 403s than allowed, and a secret read outside the readers each fail; refused reads are not reads; no log is NO DATA', () => {
  const s = security({ auditLog: { path: '/audit.log', knownUsers: ['admin', 'system:node:*'], secretReaders: ['admin'], maxForbidden: 10 } });
  const entry = (user: string, verb: string, resource: string, code: number): AuditEntry => ({ at: AT, user, verb, resource, namespace: 'ml', name: 'x', code });
  const judge = (entries: AuditEntry[]) => {
    const cs = judgeSecurity(evidence(s, undefined, { audit: { path: '/audit.log', bytes: 1, entries } }), s, NS);
    return (k: string) => byId(cs, `security.audit.${k}`);
  };
  const ok = judge([entry('admin', 'list', 'secrets', 200), entry('system:node:n1', 'patch', 'nodes', 200), ...Array.from({ length: 10 }, () => entry('admin', 'get', 'pods', 403))]);
  for (const k of ['unknown-users', 'forbidden-burst', 'secret-reads']) assert.is(ok(k).status, 'pass', k);
  const bad = judge([entry('mallory', 'get', 'pods', 200), ...Array.from({ length: 11 }, () => entry('admin', 'get', 'pods', 403)), entry('system:node:n1', 'get', 'secrets', 200), entry('system:node:n1', 'list', 'secrets', 403)]);
  assert.is(bad('unknown-users').status, 'fail');
  assert.match(bad('unknown-users').evidence.what, 'mallory ×1');
  assert.is(bad('forbidden-burst').observed, 12);
  assert.is(bad('forbidden-burst').status, 'fail');
  assert.is(bad('secret-reads').observed, 1, 'the refused list is not a read');
  assert.match(bad('secret-reads').evidence.what, 'system:node:n1 get secrets in ml x → 200');
  // A pattern is a glob, not a regular expression.
  const dotted = security({ auditLog: { path: '/a', knownUsers: ['a.b'] } });
  const cs = judgeSecurity(evidence(dotted, undefined, { audit: { path: '/a', bytes: 1, entries: [entry('axb', 'get', 'pods', 200)] } }), dotted, NS);
  assert.is(byId(cs, 'security.audit.unknown-users').status, 'fail');
  assert.is(judge([])('unknown-users').status, 'no-data', 'an empty log proves nothing');
  assert.is(byId(judgeSecurity(evidence(s, undefined, { errors: { audit: 'ENOENT' } }), s, NS), 'security.audit.secret-reads').status, 'error');
  const none = security({});
  assert.is(byId(judgeSecurity(evidence(none), none, NS), 'security.audit').status, 'no-data');
});

test('reading an audit log from its end: completed requests only, the latest `sample`, lines that are not Events skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  const ev = (i: number, stage: string) => JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', stage, stageTimestamp: `2026-12-05T12:00:${String(i % 60).padStart(2, '0')}Z`,
    verb: 'get', user: { username: `u${i}` }, objectRef: { resource: 'pods', namespace: 'ml', name: `p${i}` }, responseStatus: { code: 200 } });
  const lines = Array.from({ length: 300 }, (_, i) => ev(i, i % 3 === 0 ? 'ResponseStarted' : 'ResponseComplete'));
  lines.splice(150, 0, 'not json', '{"kind":"Other"}');
  const f = join(dir, 'audit.log');
  writeFileSync(f, lines.join('\n') + '\n');
  const t = readAuditTail(f, 50);
  assert.is(t.entries.length, 50);
  assert.is(t.entries[49]!.user, 'u299');
  assert.ok(t.entries.every((x) => Number(x.user.slice(1)) % 3 !== 0), 'ResponseStarted left out');
  assert.is(readAuditTail(f, 5000).skipped, 2);
  assert.ok(readAuditTail(f, 5000).whole);
  // A window that starts inside a line (and inside a multi-byte character): that line is dropped, the rest are whole.
  const wide = Array.from({ length: 40 }, (_, i) => JSON.stringify({ kind: 'Event', stage: 'ResponseComplete', stageTimestamp: AT, verb: 'get', user: { username: `ü${'é'.repeat(700)}${i}` }, objectRef: { resource: 'pods' }, responseStatus: { code: 200 } }));
  const g = join(dir, 'wide.log');
  writeFileSync(g, wide.join('\n') + '\n');
  const few = readAuditTail(g, 2);
  assert.is(few.whole, false, 'read from the end, not the whole file');
  assert.equal(few.entries.map((x) => x.user.slice(-2)), ['é38'.slice(-2), 'é39'.slice(-2)]);
  assert.is(few.skipped, 0, 'the cut line is dropped, not counted as garbage');
  assert.is(readAuditTail(g, 40).entries.length, 40, 'the window grows until it holds the sample');
});

test('audit log: a stale log is NO DATA; impersonation is judged by both identities', () => {
  const s = security({ auditLog: { path: '/a', knownUsers: ['admin', 'ops'], secretReaders: ['admin'] } });
  const ev = (over: Partial<AuditEntry>): AuditEntry => ({ at: AT, user: 'admin', verb: 'get', resource: 'pods', namespace: 'ml', name: 'x', code: 200, ...over });
  const judge = (entries: AuditEntry[]) => judgeSecurity(evidence(s, undefined, { audit: { path: '/a', bytes: 1, entries } }), s, NS);
  const stale = judge([ev({ at: '2026-12-05T10:59:00Z' })]);
  assert.is(byId(stale, 'security.audit.unknown-users').status, 'no-data');
  assert.match(byId(stale, 'security.audit.unknown-users').evidence.what, '61 min old');
  assert.is(byId(judge([ev({ at: '2026-12-05T11:01:00Z' })]), 'security.audit.unknown-users').status, 'pass');
  const imp = judge([ev({ as: 'mallory' }), ev({ user: 'ops', as: 'admin', resource: 'secrets' })]);
  assert.match(byId(imp, 'security.audit.unknown-users').evidence.what, 'admin as mallory ×1');
  const reads = byId(imp, 'security.audit.secret-reads');
  assert.is(reads.status, 'fail', 'ops read a secret, acting as admin');
  assert.match(reads.evidence.what, 'ops as admin get secrets');
});

test.run();
