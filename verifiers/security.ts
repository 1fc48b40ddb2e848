/**
 * The seed's Thursday security review (`harness check security`, docs/security.md): the RBAC
 * matrix checked with SubjectAccessReview (and grants beyond it looked for), a default-deny ingress
 * NetworkPolicy and the declared allows in every platform namespace, and secret rotation. The probe
 * gathers what the API says into evidence; the judge is a pure function of that evidence and the
 * profile's targets, so a stored record can be judged again.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import type { Check } from '../core/record.ts';
import type { Profile, SecurityProfile } from '../profile/schema.ts';
import { check, passIf } from './check.ts';
import { firstLine } from '../core/errors.ts';

type Row = SecurityProfile['rbac'][number]['allow'][number];
type Subject = SecurityProfile['rbac'][number]['subject'];

/** One SubjectAccessReview: may `subject` do `verb` on `resource` in `namespace` ('*': cluster-wide)? */
export interface Review { subject: string; verb: string; resource: string; namespace: string; allowed: boolean; reason?: string; error?: string }

export interface SecurityEvidence {
  context: string;
  namespaces: string[];
  /** Every review asked, by subject: the matrix's rows and the probe for grants beyond it. */
  reviews: Review[];
  /** ServiceAccounts the matrix names that the API does not have: nothing they are refused proves anything. */
  missingSubjects?: string[];
  policies: Record<string, Array<{ name: string; selectsAll: boolean; types: string[]; ingressRules: number }>>;
  /** Secrets' metadata only: their data is dropped as soon as it is read. */
  secrets: Record<string, Array<{ name: string; type: string; createdAt: string | null; rotatedAt: string | null }>>;
  /** What could not be read, by part (rbac, policies:<ns>, secrets:<ns>). */
  errors: Record<string, string>;
  /** When the probe ran: secret ages count to here. */
  at: string;
  /** The latest entries of the API server's audit log, read before the probe made a request of its own. */
  audit?: { path: string; bytes: number; entries: AuditEntry[]; skipped?: number };
}

/** What the judge needs of one audit.k8s.io/v1 Event. */
export interface AuditEntry { at: string; user: string; /** The user it acted as (impersonation). */ as?: string; verb: string; resource: string; namespace: string; name: string; code: number }

export const subjectName = (s: Subject) => ('serviceAccount' in s ? `serviceaccount ${s.serviceAccount}` : `user ${s.user}`);

/** As the API server authenticates the subject: a ServiceAccount's user name and groups. */
function identity(s: Subject): { user: string; groups: string[] } {
  if ('serviceAccount' in s) {
    const [ns, name] = s.serviceAccount.split('/') as [string, string];
    return { user: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] };
  }
  return { user: s.user, groups: [...new Set([...s.groups, 'system:authenticated'])] };
}

/** `deployments.apps` → resource deployments, group apps; `pods/exec` → pods, subresource exec. */
function resourceAttributes(resource: string): { resource: string; subresource?: string; group: string } {
  const dot = resource.indexOf('.');
  const head = dot < 0 ? resource : resource.slice(0, dot);
  const group = dot < 0 ? '' : resource.slice(dot + 1);
  const [res, sub] = head.split('/') as [string, string | undefined];
  return { resource: res, ...(sub ? { subresource: sub } : {}), group };
}

export function reviewNamespaces(p: Profile): string[] {
  return p.security.namespaces ?? Object.keys(p.platform.kubernetes?.namespaces ?? {});
}

/** Where network policies are read and judged: the review namespaces and any namespace a declared allow names. */
const policyNamespaces = (s: SecurityProfile, namespaces: string[]) => [...new Set([...namespaces, ...s.networkPolicies.allow.map((a) => a.namespace)])];

interface Ask { subject: string; verb: string; resource: string; namespace: string }
const key = (a: Ask) => `${a.subject}|${a.verb}|${a.resource}|${a.namespace}`;

/**
 * The reviews the profile calls for. A `*` in a row is expanded before asking: a review of verb `*`
 * is allowed only by a rule that grants `*` itself, so "deny every verb" asked literally would pass
 * a subject that may delete. `*` verbs become the probed verbs; a `*` namespace becomes every review
 * namespace and cluster-wide.
 */
export function plannedReviews(s: SecurityProfile, namespaces: string[]): { rows: Array<Ask & { want: boolean }>; probes: Ask[] } {
  const spaces = [...namespaces, '*'];
  const expand = (subject: string, rows: Row[]) => rows.flatMap((r) => (r.verbs.includes('*') ? s.probe.verbs : r.verbs).flatMap((verb) =>
    r.resources.flatMap((resource) => (r.namespaces.includes('*') ? spaces : r.namespaces).map((namespace) => ({ subject, verb, resource, namespace })))));
  const rows: Array<Ask & { want: boolean }> = [];
  const probes: Ask[] = [];
  for (const entry of s.rbac) {
    const subject = subjectName(entry.subject);
    rows.push(...expand(subject, entry.allow).map((x) => ({ ...x, want: true })), ...expand(subject, entry.deny).map((x) => ({ ...x, want: false })));
    const resources = [...new Set([...s.probe.resources, ...entry.allow.flatMap((r) => r.resources), ...entry.deny.flatMap((r) => r.resources)])];
    probes.push(...resources.flatMap((resource) => s.probe.verbs.flatMap((verb) => spaces.map((namespace) => ({ subject, verb, resource, namespace })))));
  }
  return { rows, probes };
}

/** A grant the allow rows cover: same resource, the verb (or `*`), the namespace (or a `*` row). */
const covered = (rows: Row[], x: Ask) =>
  rows.some((r) => r.resources.includes(x.resource) && (r.verbs.includes(x.verb as Row['verbs'][number]) || r.verbs.includes('*'))
    && (r.namespaces.includes(x.namespace) || r.namespaces.includes('*')));

async function pool<T, R>(items: T[], width: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i]!); }
  }));
  return out;
}

/** The longest annotation value kept: an RFC 3339 time fits; a misnamed annotation holding a whole object does not reach the record. */
const ANNOTATION_KEPT = 40;

/** The first window read from the end of an audit log, per entry wanted (entries are about 1 KiB at Metadata level); doubled until enough are found. */
const BYTES_PER_ENTRY = 2048;
const MAX_WINDOW = 64 * 1024 * 1024;

type RawEvent = { kind?: string; stage?: string; stageTimestamp?: string; user?: { username?: string }; impersonatedUser?: { username?: string }; verb?: string;
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string }; requestURI?: string; responseStatus?: { code?: number } };

/**
 * The latest `sample` completed requests of an audit log (JSON lines), read from its end in a window
 * that grows until it holds enough (or the whole file). Lines that are not audit Events are skipped
 * and counted.
 */
export function readAuditTail(path: string, sample: number): { bytes: number; entries: AuditEntry[]; skipped: number; whole: boolean } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    for (let window = sample * BYTES_PER_ENTRY; ; window *= 2) {
      const len = Math.min(size, window, MAX_WINDOW);
      // One byte more than the window: whether the window starts at a line's start.
      const from = Math.max(0, size - len - 1);
      const buf = Buffer.alloc(size - from);
      const n = readSync(fd, buf, 0, buf.length, from);
      const lines = buf.subarray(0, n).toString('utf8').split('\n');
      // The first line is whole only when the file starts there; otherwise it was cut (or is the byte before the window).
      if (from > 0) lines.shift();
      let skipped = 0;
      const entries: AuditEntry[] = [];
      for (const line of lines) {
        if (!line.trim()) continue;
        let ev: RawEvent;
        try { ev = JSON.parse(line) as RawEvent; } catch { skipped++; continue; }
        if (ev.kind !== 'Event' || !ev.user?.username || !ev.verb) { skipped++; continue; }
        if (ev.stage !== 'ResponseComplete' && ev.stage !== 'Panic') continue;
        const o = ev.objectRef;
        entries.push({
          at: ev.stageTimestamp ?? '', user: ev.user.username, ...(ev.impersonatedUser?.username ? { as: ev.impersonatedUser.username } : {}), verb: ev.verb,
          resource: o?.resource ? `${o.resource}${o.subresource ? `/${o.subresource}` : ''}` : (ev.requestURI ?? '').split('?')[0]!,
          namespace: o?.namespace ?? '', name: o?.name ?? '', code: ev.responseStatus?.code ?? 0,
        });
      }
      const whole = from === 0;
      if (entries.length >= sample || whole || len >= MAX_WINDOW) return { bytes: size, entries: entries.slice(-sample), skipped, whole };
    }
  } finally { closeSync(fd); }
}

/** Reads what the review judges. Each part that cannot be read is an error of its own, never a pass. */
export async function probeSecurity(p: Profile, kc: k8s.KubeConfig, progress: (m: string) => void = () => {}): Promise<SecurityEvidence> {
  const s = p.security;
  const namespaces = reviewNamespaces(p);
  const e: SecurityEvidence = { context: kc.getCurrentContext(), namespaces, reviews: [], missingSubjects: [], policies: {}, secrets: {}, errors: {}, at: new Date().toISOString() };
  // The audit log first: the review's own hundreds of requests would otherwise be the latest entries.
  if (s.auditLog) {
    try {
      const tail = readAuditTail(s.auditLog.path, s.auditLog.sample);
      e.audit = { path: s.auditLog.path, bytes: tail.bytes, entries: tail.entries, skipped: tail.skipped };
    } catch (err) { e.errors.audit = `${s.auditLog.path}: ${firstLine(err)}`; }
  }
  const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const subjects = new Map(s.rbac.map((entry) => [subjectName(entry.subject), entry.subject]));
  const planned = plannedReviews(s, namespaces);
  const seen = new Set<string>();
  const asks = [...planned.rows.map(({ want: _want, ...ask }) => ask), ...planned.probes].filter((a) => !seen.has(key(a)) && seen.add(key(a)));
  try {
    for (const subject of subjects.values()) {
      if (!('serviceAccount' in subject)) continue; // users and groups have no object to look up
      const [namespace, name] = subject.serviceAccount.split('/') as [string, string];
      await core.readNamespacedServiceAccount({ name, namespace }).catch((err) => {
        if ((err as { code?: number }).code === 404) e.missingSubjects!.push(subjectName(subject)); else throw err;
      });
    }
    if (asks.length) progress(`security: ${asks.length} SubjectAccessReviews for ${subjects.size} subject(s)…`);
    e.reviews = await pool(asks, 8, async (a) => {
      const r = await authz.createSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: {
        ...identity(subjects.get(a.subject)!), resourceAttributes: { verb: a.verb, ...resourceAttributes(a.resource), ...(a.namespace === '*' ? {} : { namespace: a.namespace }) },
      } } });
      return { ...a, allowed: r.status?.allowed === true, ...(r.status?.reason ? { reason: r.status.reason } : {}), ...(r.status?.evaluationError ? { error: r.status.evaluationError } : {}) };
    });
  } catch (err) { e.errors.rbac = `${firstLine(err)}`; }

  const net = kc.makeApiClient(k8s.NetworkingV1Api);
  for (const ns of policyNamespaces(s, namespaces)) {
    try {
      e.policies[ns] = (await net.listNamespacedNetworkPolicy({ namespace: ns })).items.map((np) => ({
        name: np.metadata!.name!,
        // `podSelector: {}` selects every pod of the namespace.
        selectsAll: Object.keys(np.spec?.podSelector?.matchLabels ?? {}).length === 0 && !np.spec?.podSelector?.matchExpressions?.length,
        // Unset policyTypes: Ingress always, Egress when there are egress rules (the API's own default).
        types: np.spec?.policyTypes ?? (np.spec?.egress?.length ? ['Ingress', 'Egress'] : ['Ingress']),
        ingressRules: np.spec?.ingress?.length ?? 0,
      }));
    } catch (err) { e.errors[`policies:${ns}`] = firstLine(err); }
  }
  for (const ns of namespaces) {
    try {
      e.secrets[ns] = (await core.listNamespacedSecret({ namespace: ns })).items.map((x) => {
        const rotatedAt = x.metadata?.annotations?.[s.secrets.rotationAnnotation];
        return {
          name: x.metadata!.name!, type: x.type ?? 'Opaque',
          createdAt: x.metadata?.creationTimestamp ? new Date(x.metadata.creationTimestamp).toISOString() : null,
          rotatedAt: rotatedAt === undefined ? null : rotatedAt.slice(0, ANNOTATION_KEPT),
        };
      });
    } catch (err) { e.errors[`secrets:${ns}`] = firstLine(err); }
  }
  return e;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds of an RFC 3339 time, or null: no offset (local time is the reader's), a day that does not exist, or another format. */
export function rfc3339(v: string): number | null {
  const m = RFC3339.exec(v);
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d || h > 23 || mi > 59 || sec > 60) return null;
  const t = Date.parse(v.replace(/[t ]/, 'T').replace(/z$/, 'Z'));
  return Number.isFinite(t) ? t : null;
}

const list = (xs: string[], max = 12) => (xs.length > max ? `${xs.slice(0, max).join('; ')}; … ${xs.length - max} more` : xs.join('; '));
const DAY_MS = 86_400_000;

/** A part the probe could not read (error) or never read (NO DATA, judged again under another profile): the check it stands for; null when read. */
function unread(base: Check, error: string | undefined, got: unknown, what: string): Check | null {
  if (error !== undefined) return { ...base, status: 'error', evidence: { ...base.evidence, what: `could not measure: ${error}` } };
  if (got === undefined) return { ...base, status: 'no-data', evidence: { ...base.evidence, what: `the probe did not read ${what} (judged again under another profile?)`, how: '' } };
  return null;
}

/** Clock skew allowed before a rotation time counts as "in the future". */
const SKEW_MS = 5 * 60_000;

/**
 * The verdicts, from the evidence and the profile's targets alone. `namespaces` are the profile's
 * review namespaces: judged again under another profile, whatever the probe did not ask or read is
 * NO DATA, never a pass.
 */
export function judgeSecurity(e: SecurityEvidence, s: SecurityProfile, namespaces: string[]): Check[] {
  const out: Check[] = [];
  const where = `Kubernetes API @ ${e.context}`;
  const fmt = (r: Ask) => `${r.subject}: ${r.verb} ${r.resource} in ${r.namespace === '*' ? 'all namespaces' : r.namespace}`;
  if (!namespaces.length) {
    out.push(check('security.namespaces', 'namespaces to review', '>=1', 0, 'namespaces', 'no-data',
      { what: 'no namespace to review: neither security.namespaces nor platform.kubernetes.namespaces names one', how: '', where }));
  }

  // RBAC: the declared matrix, then any grant beyond it on what was probed.
  const planned = plannedReviews(s, namespaces);
  const byKey = new Map(e.reviews.map((r) => [key(r), r]));
  const title = 'RBAC matrix: every declared grant allowed, every declared denial refused';
  const missing = (e.missingSubjects ?? []).filter((m) => s.rbac.some((x) => subjectName(x.subject) === m));
  if (!planned.rows.length) {
    out.push(check('security.rbac.matrix', title, '0 wrong', null, 'rows', 'no-data', { what: 'no RBAC matrix rows in the profile (security.rbac): nothing to check against', how: '', where }));
  } else if (e.errors.rbac) {
    out.push(check('security.rbac.matrix', title, '0 wrong', null, 'rows', 'error', { what: `could not measure: ${e.errors.rbac}`, how: 'SubjectAccessReview', where }));
  }
  if (e.errors.rbac) {
    if (s.rbac.length) out.push(check('security.rbac.beyond-matrix', 'no grant beyond the matrix', '0', null, 'grants', 'error', { what: `could not measure: ${e.errors.rbac}`, how: 'SubjectAccessReview', where }));
  } else {
    // Per check: a fail wins; then an authorizer error; then what was never asked or cannot mean anything (NO DATA).
    const verdict = (v: { bad: string[]; errs: string[]; gaps: string[] }) => (v.bad.length ? 'fail' : v.errs.length ? 'error' : v.gaps.length ? 'no-data' : 'pass');
    const sortOut = <A extends Ask>(asks: A[], isBad: (a: A, r: Review) => string | null) => {
      const v = { bad: [] as string[], errs: [] as string[], gaps: missing.map((m) => `${m} does not exist: what it is refused proves nothing`) };
      for (const a of asks) {
        const r = byKey.get(key(a));
        const b = r && !r.error ? isBad(a, r) : null;
        if (!r) v.gaps.push(`${fmt(a)}: not reviewed by the probe`);
        else if (r.error) v.errs.push(`${fmt(a)}: ${r.error}`);
        else if (b) v.bad.push(b);
      }
      return v;
    };
    const say = (v: { bad: string[]; errs: string[]; gaps: string[] }, badIntro: string, ok: string) =>
      (v.bad.length ? `${badIntro}${list(v.bad)}` : v.errs.length ? `the authorizer could not decide: ${list(v.errs)}` : v.gaps.length ? list(v.gaps) : ok);
    if (planned.rows.length) {
      const v = sortOut(planned.rows, (row, r) => (r.allowed !== row.want ? `${fmt(row)}: ${r.allowed ? 'allowed' : 'refused'}, the matrix says ${row.want ? 'allowed' : 'refused'}` : null));
      out.push(check('security.rbac.matrix', title, '0 wrong', v.bad.length, 'rows', verdict(v), {
        what: say(v, '', `${planned.rows.length} declared row(s) hold for ${s.rbac.length} subject(s)`),
        how: 'SubjectAccessReview per (subject, verb, resource, namespace), as the API server authorizes it; * rows expanded to the probed verbs, the review namespaces and cluster-wide', where,
      }));
    }
    if (s.rbac.length) {
      const v = sortOut(planned.probes, (a, r) => (r.allowed && !covered(s.rbac.find((x) => subjectName(x.subject) === a.subject)!.allow, a) ? `${fmt(a)}${r.reason ? ` (${r.reason})` : ''}` : null));
      out.push(check('security.rbac.beyond-matrix', 'no grant beyond the matrix', '0', v.bad.length, 'grants', verdict(v), {
        what: say(v, 'allowed but not in the matrix: ', `${planned.probes.length} review(s) over ${s.probe.verbs.join('/')} on ${s.probe.resources.length}+ resources in ${namespaces.join(', ')} and cluster-wide: nothing beyond the matrix`),
        how: 'SubjectAccessReview over the probed resources and verbs, in the review namespaces and cluster-wide', where,
      }));
    }
  }

  // Network policies: objects only; no packet is sent (kwok runs no network plugin). The declared
  // allows are the only allows: a policy that is neither the default deny nor declared fails.
  for (const ns of policyNamespaces(s, namespaces)) {
    const id = `security.network-policies:${ns}`;
    const t = `${ns}: default-deny ingress and only the declared allows`;
    const at = `${ns} @ ${e.context}`;
    const ps = e.policies[ns];
    const gap = unread(check(id, t, 'present', null, 'problems', 'pass', { what: '', how: 'LIST NetworkPolicies', where: at }), e.errors[`policies:${ns}`], ps, `${ns}'s policies`);
    if (gap || !ps) { out.push(gap!); continue; }
    const isDeny = (x: (typeof ps)[number]) => x.selectsAll && x.types.includes('Ingress') && x.ingressRules === 0;
    const declared = (name: string) => s.networkPolicies.allow.some((a) => a.namespace === ns && a.name === name);
    const problems = [
      ...(namespaces.includes(ns) && !ps.some(isDeny) ? ['no default-deny ingress policy (podSelector {} with policyTypes Ingress and no ingress rules)'] : []),
      ...s.networkPolicies.allow.filter((a) => a.namespace === ns && !ps.some((x) => x.name === a.name)).map((a) => `declared allow ${a.name} missing`),
      ...ps.filter((x) => !isDeny(x) && !declared(x.name)).map((x) => `${x.name} allows ingress but is not declared (security.networkPolicies.allow)`),
    ];
    out.push(check(id, t, 'present', problems.length, 'problems', passIf(problems.length === 0), {
      what: `policies: ${ps.map((x) => `${x.name}${isDeny(x) ? ' (default deny)' : ''}`).join(', ') || 'none'}${problems.length ? `; ${problems.join('; ')}` : ''}. Objects only: no packet test runs (kwok nodes have no network plugin)`,
      how: 'LIST NetworkPolicies (networking.k8s.io/v1)', where: at,
    }));
  }

  // Secrets: age since the rotation annotation; without it, not known to rotate.
  const now = new Date(e.at).getTime();
  for (const ns of namespaces) {
    const id = `security.secrets:${ns}`;
    const t = `${ns}: secrets rotated within ${s.secrets.maxAgeDays} d`;
    const at = `${ns} @ ${e.context}`;
    const all = e.secrets[ns];
    const gap = unread(check(id, t, '0 stale', null, 'secrets', 'pass', { what: '', how: 'LIST secrets', where: at }), e.errors[`secrets:${ns}`], all, `${ns}'s secrets`);
    if (gap || !all) { out.push(gap!); continue; }
    const judged = all.filter((x) => !s.secrets.ignoreTypes.includes(x.type));
    const bad: string[] = [];
    for (const x of judged) {
      if (x.rotatedAt === null) { bad.push(`${x.name}: no ${s.secrets.rotationAnnotation} annotation`); continue; }
      const rotated = rfc3339(x.rotatedAt);
      if (rotated === null) { bad.push(`${x.name}: ${s.secrets.rotationAnnotation}=${JSON.stringify(x.rotatedAt)} is not an RFC 3339 time with an offset`); continue; }
      if (rotated > now + SKEW_MS) { bad.push(`${x.name}: rotated "in the future" (${x.rotatedAt})`); continue; }
      const days = (now - rotated) / DAY_MS;
      if (days > s.secrets.maxAgeDays) bad.push(`${x.name}: rotated ${days.toFixed(0)} d ago (${x.rotatedAt})`);
    }
    out.push(check(id, t, '0 stale', bad.length, 'secrets', passIf(bad.length === 0), {
      what: bad.length ? list(bad) : `${judged.length} secret(s), each rotated within ${s.secrets.maxAgeDays} d${judged.length ? '' : ' (the namespace has none of the judged types)'}; types ignored: ${s.secrets.ignoreTypes.join(', ')}`,
      how: `LIST secrets (metadata kept, data dropped); age from the ${s.secrets.rotationAnnotation} annotation`, where: at,
    }));
  }
  out.push(...judgeAudit(e, s));
  return out;
}

/** `*` matches any run of characters; everything else literally. */
const glob = (patterns: string[]) => {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (v: string) => res.some((r) => r.test(v));
};

/** The audit log's latest entries: unknown users, a burst of 403s, secrets read by whom the profile does not name. */
function judgeAudit(e: SecurityEvidence, s: SecurityProfile): Check[] {
  const a = s.auditLog;
  const ids = ['security.audit.unknown-users', 'security.audit.forbidden-burst', 'security.audit.secret-reads'] as const;
  const titles = ['audit log: only known users call the API', `audit log: no burst of 403 answers (> ${a?.maxForbidden ?? 10} in the sample)`, 'audit log: secrets read only by the named readers'];
  const targets = ['0', `<=${a?.maxForbidden ?? 10}`, '0'];
  const where = e.audit?.path ?? a?.path ?? '';
  const how = `the latest ${a?.sample ?? 100} completed requests of the API server's audit log (read before the review's own requests)`;
  const all = (status: 'no-data' | 'error', what: string) => ids.map((id, i) => check(id, titles[i]!, targets[i]!, null, '', status, { what, how, where }));
  if (!a) return [check('security.audit', 'audit log sampled', 'configured', null, '', 'no-data', { what: 'no audit log in the profile (security.auditLog): unknown users, 403 bursts and secret reads are not looked for', how: '', where: '' })];
  if (e.errors.audit) return all('error', `could not read: ${e.errors.audit}`);
  if (!e.audit) return all('no-data', 'the probe did not read the audit log (judged again under another profile?)');
  const entries = e.audit.entries;
  if (!entries.length) return all('no-data', `${e.audit.path} (${e.audit.bytes} bytes) holds no completed request: is the API server writing it?`);
  // A log the API server stopped writing (or a shipped copy gone stale) shows an old, quiet past.
  const newest = Date.parse(entries[entries.length - 1]!.at);
  const silentMin = (new Date(e.at).getTime() - newest) / 60_000;
  if (!Number.isFinite(newest) || silentMin > a.maxSilenceMin) {
    return all('no-data', `the newest entry of ${e.audit.path} is ${Number.isFinite(newest) ? `${silentMin.toFixed(0)} min old` : 'undated'} (more than auditLog.maxSilenceMin=${a.maxSilenceMin}): is the API server still writing it?`);
  }
  const span = `${entries.length} entries, ${entries[0]!.at} to ${entries[entries.length - 1]!.at}${e.audit.skipped ? `; ${e.audit.skipped} line(s) not audit events skipped` : ''}`;
  const count = (xs: string[]) => [...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())].map(([k, n]) => `${k} ×${n}`);
  const known = glob(a.knownUsers);
  // Impersonation: both the caller and whom it acted as must be known.
  const unknown = entries.filter((x) => !known(x.user) || (x.as !== undefined && !known(x.as)));
  const forbidden = entries.filter((x) => x.code === 403);
  const reader = glob(a.secretReaders);
  // A read made as someone else is that someone's read, and the caller's too.
  const reads = entries.filter((x) => x.resource === 'secrets' && ['get', 'list', 'watch'].includes(x.verb) && x.code > 0 && x.code < 400 && (!reader(x.user) || (x.as !== undefined && !reader(x.as))));
  const fmt = (x: AuditEntry) => `${x.user}${x.as ? ` as ${x.as}` : ''} ${x.verb} ${x.resource}${x.namespace ? ` in ${x.namespace}` : ''}${x.name ? ` ${x.name}` : ''} → ${x.code}`;
  return [
    check(ids[0], titles[0]!, targets[0]!, unknown.length, 'requests', passIf(unknown.length === 0),
      { what: unknown.length ? `not in knownUsers: ${list(count(unknown.map((x) => (x.as ? `${x.user} as ${x.as}` : x.user))))}` : `every caller known (${span})`, how, where }),
    check(ids[1], titles[1]!, targets[1]!, forbidden.length, 'requests', passIf(forbidden.length <= a.maxForbidden),
      { what: forbidden.length ? `${forbidden.length} × 403 (${span}): ${list(count(forbidden.map(fmt)), 6)}` : `no 403 (${span})`, how, where }),
    check(ids[2], titles[2]!, targets[2]!, reads.length, 'requests', passIf(reads.length === 0),
      { what: reads.length ? `read by someone not in secretReaders: ${list(count(reads.map(fmt)), 6)}` : `no secret read outside secretReaders (${span})`, how, where }),
  ];
}
