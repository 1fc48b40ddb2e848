/**
 * A real Kubernetes control plane in the sandbox: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler from one multi-call Go binary built from `sandbox/kube/` (k8s.io/kubernetes with every
 * staging module replaced by its published v0.X release), plus kwok faking the nodes.
 *
 * Binaries are built once into `cacheDir('kube-<version>')` (stamped with a hash of the Go sources, so an
 * edit of go.mod/main.go rebuilds); certificates, kubeconfigs, etcd data and logs live under
 * `<sandbox dir>/kube/`.
 *
 * Pods of `prediction-consumer` carry the label `carbon-harness.io/kubelet=bridge`: kwok's pod stages skip
 * them and the kubelet bridge (sandbox/kube-bridge.ts) runs a real consumer process for each and reports
 * its status. Every other pod (inference-api) is faked by kwok as usual.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { ensureCrds, testRunCrd, chaosMeshCrds } from './crds.ts';
import { ensureCa, issue, openssl, SERVER_EXT } from './tls.ts';
import type { SandboxConfig } from '../core/config.ts';
import { InfraError } from '../core/errors.ts';
import { cacheDir, projectRoot } from '../core/paths.ts';
import type { Part, PartStatus, SandboxContext } from './part.ts';
import { ADMIN_USER, apiserverUrl, auditLogPath, kubeconfigPath, kubeDir, ROTATION_ANNOTATION, SANDBOX_POLICIES, SANDBOX_SECRET } from './addresses.ts';

export { apiserverUrl, kubeconfigPath, kubeDir };
import { requirePortFree, run, waitFor } from './proc.ts';

export const KUBE_VERSION = '1.35.4';
export const KWOK_VERSION = '0.8.0';
/** The default shape's namespace (tests of the default sandbox use it by name); this sandbox's is sb.kube.namespace. */
export const KUBE_NAMESPACE = 'ml';
/** Pods with this label are run by the kubelet bridge, not by kwok. */
export const BRIDGE_LABEL = 'carbon-harness.io/kubelet';
export const BRIDGE_LABEL_VALUE = 'bridge';
/** kwok manages nodes with this annotation (and only those). */
const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
const SERVICE_CIDR = '10.96.0.0/24';
const NAME = 'kube';
const SRC = join(projectRoot, 'sandbox', 'kube');

/** Processes of the part, in start order (pid files under <sandbox>/pids). */
const PROCS = ['kube-etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;

// ---------------------------------------------------------------- paths

export function kubeHome(): string { return cacheDir(`kube-${KUBE_VERSION}`); }
function binDir(): string { return join(kubeHome(), 'bin'); }
export function kubeBinary(): string { return join(binDir(), 'kube'); }
function kwokBinary(): string { return join(binDir(), 'kwok'); }
function stagesFile(): string { return join(kubeHome(), 'kwok-stages.yaml'); }
function stampFile(): string { return join(kubeHome(), '.installed'); }
function pkiDir(ctx: SandboxContext): string { return join(kubeDir(ctx), 'pki'); }
export const nodeName = (i: number) => `kwok-node-${i}`;

// ---------------------------------------------------------------- install (go build, cached)

/** Stripped, and stamped with the release version as Kubernetes' own build does (`version.Get()`, discovery). */
const LDFLAGS = ['-s', '-w', ...['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
  `-X ${pkg}.gitVersion=v${KUBE_VERSION}`, `-X ${pkg}.gitMajor=${KUBE_VERSION.split('.')[0]}`,
  `-X ${pkg}.gitMinor=${KUBE_VERSION.split('.')[1]}`, `-X ${pkg}.gitTreeState=clean`,
])].join(' ');

/** Hash of everything that decides what is built: a change rebuilds. */
function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) h.update(f).update(readFileSync(join(SRC, f)));
  h.update(`kwok@${KWOK_VERSION}`).update(LDFLAGS);
  return h.digest('hex').slice(0, 16);
}

interface Stamp { kubernetes: string; kwok: string; source: string; go: string; buildSeconds: number; sizes: Record<string, number>; builtAt: string }

export function installedKube(): Stamp | null {
  try { return JSON.parse(readFileSync(stampFile(), 'utf8')) as Stamp; } catch { return null; }
}

function installed(): boolean {
  const s = installedKube();
  return !!s && s.source === sourceHash() && [kubeBinary(), kwokBinary(), stagesFile()].every((f) => existsSync(f));
}

/** Runs a long command, printing a progress line every 30 s; full output goes to `log`. */
function runWithProgress(ctx: SandboxContext, what: string, cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; log: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    const tick = setInterval(() => ctx.progress(`kube: ${what}… ${Math.round((Date.now() - t0) / 1000)} s elapsed`), 30_000);
    child.on('error', (e) => { clearInterval(tick); reject(new InfraError(`${cmd}: ${e.message}`, NAME)); });
    child.on('close', (code) => {
      clearInterval(tick);
      writeFileSync(opts.log, out);
      if (code === 0) resolve();
      else reject(new InfraError(`${what} failed (exit ${code}; full log ${opts.log})\n${out.trim().split('\n').slice(-25).join('\n')}`, NAME));
    });
  });
}

/** kwok's own Stage configs from its module (pod "fast" + node "fast" + heartbeat with lease), with bridged pods excluded. */
async function writeStages(goenv: NodeJS.ProcessEnv): Promise<void> {
  const modcache = (await run('go', ['env', 'GOMODCACHE'], { env: goenv })).trim();
  const base = join(modcache, `sigs.k8s.io/kwok@v${KWOK_VERSION}`, 'kustomize', 'stage');
  const files = ['node/fast/node-initialize.yaml', 'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml', 'pod/fast/pod-complete.yaml', 'pod/fast/pod-delete.yaml'];
  const docs: string[] = [];
  for (const f of files) {
    const path = join(base, f);
    if (!existsSync(path)) throw new InfraError(`kwok stage ${path} not found after go install (module cache moved?)`, NAME);
    const doc = parseAllDocuments(readFileSync(path, 'utf8'))[0]!.toJS() as {
      spec: { resourceRef: { kind: string }; selector?: { matchExpressions?: unknown[] } };
    };
    if (doc.spec.resourceRef.kind === 'Pod') {
      // The bridge plays kubelet for these pods: it starts a real process, decides readiness and
      // finalises deletion once the process is gone. kwok must not touch them.
      doc.spec.selector ??= {};
      (doc.spec.selector.matchExpressions ??= []).push({ key: `.metadata.labels["${BRIDGE_LABEL}"]`, operator: 'DoesNotExist' });
    }
    docs.push(stringify(doc));
  }
  writeFileSync(stagesFile(), `# Generated by carbon-harness sandbox/kube.ts from kwok v${KWOK_VERSION}'s kustomize/stage.\n${docs.map((d) => `---\n${d}`).join('')}`);
}

async function install(ctx: SandboxContext): Promise<void> {
  if (!ctx.sb.kube.enabled || installed()) return;
  let goVersion: string;
  try {
    goVersion = (await run('go', ['version'])).trim();
  } catch {
    throw new InfraError('the Go toolchain (≥ 1.25) is needed to build the Kubernetes control plane; install it (e.g. from the Go download page or Debian backports) and re-run', NAME);
  }
  const m = /go(\d+)\.(\d+)/.exec(goVersion);
  if (m && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 25))) {
    throw new InfraError(`${goVersion}: Kubernetes ${KUBE_VERSION} needs Go ≥ 1.25`, NAME);
  }
  mkdirSync(binDir(), { recursive: true });
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false', GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local' };
  const t0 = Date.now();
  const tmp = join(binDir(), `kube.tmp-${process.pid}`);
  ctx.progress(`kube: building Kubernetes ${KUBE_VERSION} (etcd, apiserver, controller-manager, scheduler) — first run only, ~10 min on 2 cores`);
  await runWithProgress(ctx, `go build kube ${KUBE_VERSION}`, 'go', ['build', '-trimpath', `-ldflags=${LDFLAGS}`, '-o', tmp, '.'],
    { cwd: SRC, env, log: join(kubeHome(), 'build-kube.log') });
  renameSync(tmp, kubeBinary());
  ctx.progress(`kube: building kwok v${KWOK_VERSION}`);
  await runWithProgress(ctx, `go install kwok v${KWOK_VERSION}`, 'go',
    ['install', '-trimpath', '-ldflags=-s -w', `sigs.k8s.io/kwok/cmd/kwok@v${KWOK_VERSION}`],
    { cwd: kubeHome(), env: { ...env, GOBIN: binDir(), GOFLAGS: '' }, log: join(kubeHome(), 'build-kwok.log') });
  await writeStages(env);
  const buildSeconds = Math.round((Date.now() - t0) / 1000);
  const sizes = Object.fromEntries(readdirSync(binDir()).filter((f) => !f.includes('.tmp')).map((f) => [f, statSync(join(binDir(), f)).size]));
  const stamp: Stamp = { kubernetes: KUBE_VERSION, kwok: KWOK_VERSION, source: sourceHash(), go: goVersion, buildSeconds, sizes, builtAt: new Date().toISOString() };
  writeFileSync(stampFile(), JSON.stringify(stamp, null, 2) + '\n');
  ctx.progress(`kube: built in ${buildSeconds} s, cached in ${binDir()}`);
}

// ---------------------------------------------------------------- certificates (openssl)

const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

async function ensurePki(ctx: SandboxContext): Promise<void> {
  const dir = pkiDir(ctx);
  if (await ensureCa(dir, 'carbon-harness-sandbox-ca')) ctx.progress('kube: created the sandbox CA and certificates (openssl)');
  await issue(dir, 'apiserver', '/CN=kube-apiserver',
    SERVER_EXT('IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local'));
  await issue(dir, 'admin', `/O=system:masters/CN=${ADMIN_USER}`, CLIENT_EXT);
  await issue(dir, 'controller-manager', '/CN=system:kube-controller-manager', CLIENT_EXT);
  await issue(dir, 'scheduler', '/CN=system:kube-scheduler', CLIENT_EXT);
  if (!existsSync(join(dir, 'sa.pub'))) {
    await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
    await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  }
}

function writeKubeconfig(ctx: SandboxContext, file: string, user: string, cert: string): void {
  const pki = pkiDir(ctx);
  const b64 = (f: string) => readFileSync(join(pki, f)).toString('base64');
  const cfg = {
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'carbon-sandbox', cluster: { server: apiserverUrl(ctx.sb), 'certificate-authority-data': b64('ca.crt') } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(`${cert}.crt`), 'client-key-data': b64(`${cert}.key`) } }],
    contexts: [{ name: 'carbon-sandbox', context: { cluster: 'carbon-sandbox', user, namespace: ctx.sb.kube.namespace } }],
    'current-context': 'carbon-sandbox',
  };
  writeFileSync(file, stringify(cfg), { mode: 0o600 });
}

// ---------------------------------------------------------------- probes

/** GET over HTTPS against the sandbox CA (or any certificate for components with self-signed serving certs). */
export function httpsGet(ctx: SandboxContext, url: string, verify = true, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  const pki = pkiDir(ctx);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      method: 'GET',
      ...(verify ? { ca: readFileSync(join(pki, 'ca.crt')) } : { rejectUnauthorized: false }),
      timeout: timeoutMs,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function etcdHealthy(sb: SandboxConfig): Promise<boolean> {
  const r = await fetch(`http://${sb.host}:${sb.ports.etcdClient}/health`, { signal: AbortSignal.timeout(2000) });
  return r.ok && /"health":\s*"true"/.test(await r.text());
}

export function kubeConfig(ctx: Pick<SandboxContext, 'dir'>): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath(ctx));
  return kc;
}

function nodeReady(n: k8s.V1Node): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

// ---------------------------------------------------------------- objects

function nodeObject(i: number): k8s.V1Node {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: nodeName(i),
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': nodeName(i), 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
    spec: { taints: [{ key: KWOK_NODE_ANNOTATION, value: 'fake', effect: 'NoSchedule' }] },
    status: {
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  };
}

function deployment(name: string, namespace: string, replicas: number, bridged: boolean): k8s.V1Deployment {
  const labels = { app: name, 'app.kubernetes.io/part-of': 'carbon-platform', ...(bridged ? { [BRIDGE_LABEL]: BRIDGE_LABEL_VALUE } : {}) };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      // One pod down at a time, one extra up: a rolling update keeps the group near full size.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 10,
          nodeSelector: { type: 'kwok' },
          tolerations: [{ key: KWOK_NODE_ANNOTATION, operator: 'Exists', effect: 'NoSchedule' }],
          containers: [{
            name,
            image: `carbon-harness/${name}:sandbox`,
            resources: { requests: { cpu: '100m', memory: '128Mi' } },
          }],
        },
      },
    },
  };
}

/** Server-side apply: idempotent, and only the fields we own are set. */
async function apply(objs: k8s.KubernetesObject[], kc: k8s.KubeConfig): Promise<void> {
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const o of objs) {
    await client.patch(o, undefined, undefined, 'carbon-harness', true, k8s.PatchStrategy.ServerSideApply);
  }
}

async function applyObjects(ctx: SandboxContext): Promise<void> {
  const kc = kubeConfig(ctx);
  const nodes = Array.from({ length: ctx.sb.kube.nodes }, (_, i) => nodeObject(i));
  // Node status is kept on create (capacity/allocatable for the scheduler); later applies only touch metadata/spec.
  const core = kc.makeApiClient(k8s.CoreV1Api);
  for (const n of nodes) {
    try {
      await core.readNode({ name: n.metadata!.name! });
    } catch {
      await core.createNode({ body: n });
    }
  }
  await apply(nodes.map((n) => ({ apiVersion: 'v1', kind: 'Node', metadata: n.metadata, spec: n.spec }) as k8s.KubernetesObject), kc);
  await apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ctx.sb.kube.namespace } } as k8s.KubernetesObject], kc);
  await apply([
    deployment(ctx.sb.consumers.deployment, ctx.sb.kube.namespace, ctx.sb.consumers.replicas, true),
    deployment('inference-api', ctx.sb.kube.namespace, 1, false),
  ], kc);
  // What the security review expects of a platform namespace (security in the sandbox profile):
  // ingress denied by default, one declared allow (Prometheus scraping the pods' metrics).
  const ns = ctx.sb.kube.namespace;
  await apply([
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: SANDBOX_POLICIES.deny, namespace: ns }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: SANDBOX_POLICIES.allow, namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: `${ctx.sb.host}/32` } }] }] } },
  ] as unknown as k8s.KubernetesObject[], kc);
  // A platform secret with its rotation time. A `sandbox up` rotates it once it is 30 days old (a
  // real token would be), so a long-lived sandbox stays inside the review's 90 days; a younger one
  // keeps its time, so a test can age it.
  const secret = await core.readNamespacedSecret({ name: SANDBOX_SECRET, namespace: ns }).catch(() => null);
  const rotated = Date.parse(secret?.metadata?.annotations?.[ROTATION_ANNOTATION] ?? '');
  if (!secret || !(Date.now() - rotated < 30 * 86_400_000)) {
    const body = {
      metadata: { name: SANDBOX_SECRET, namespace: ns, annotations: { [ROTATION_ANNOTATION]: new Date().toISOString() } },
      type: 'Opaque', stringData: { token: randomBytes(18).toString('base64url') },
    };
    if (secret) await core.replaceNamespacedSecret({ name: SANDBOX_SECRET, namespace: ns, body });
    else await core.createNamespacedSecret({ namespace: ns, body });
  }
}

// ---------------------------------------------------------------- start / stop / status

function bin(): string { return kubeBinary(); }

function spawnComponent(ctx: SandboxContext, name: string, cmd: string, args: string[], extraEnv: Record<string, string> = {}): void {
  if (ctx.procs.alive(name)) return;
  ctx.procs.spawn(name, cmd, args, { cwd: kubeDir(ctx), env: { ...process.env, ...extraEnv } });
}

function alive(ctx: SandboxContext, name: string, why: () => string = () => ''): () => void {
  return () => {
    if (!ctx.procs.alive(name)) throw new InfraError(`${name} exited during startup (log: ${ctx.procs.logFile(name)})\n${ctx.procs.tailLog(name, 20)}${why()}`, NAME);
  };
}

async function waitUp(ctx: SandboxContext, name: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const check = alive(ctx, name);
  let last = '';
  await waitFor(name, async () => {
    check();
    try { return await probe(); } catch (e) { last = (e as Error).message; return false; }
  }, timeoutMs, () => `${last}\n${ctx.procs.tailLog(name, 20)}`, 250);
}

async function start(ctx: SandboxContext): Promise<void> {
  if (!ctx.sb.kube.enabled) return;
  if (!installed()) await install(ctx);
  const { sb } = ctx;
  const kdir = kubeDir(ctx);
  const pki = pkiDir(ctx);
  mkdirSync(kdir, { recursive: true });
  await ensurePki(ctx);
  writeKubeconfig(ctx, kubeconfigPath(ctx), ADMIN_USER, 'admin');
  writeKubeconfig(ctx, join(kdir, 'controller-manager.kubeconfig'), 'system:kube-controller-manager', 'controller-manager');
  writeKubeconfig(ctx, join(kdir, 'scheduler.kubeconfig'), 'system:kube-scheduler', 'scheduler');
  const t0 = Date.now();
  const step = (m: string) => ctx.progress(`kube: ${m} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  // etcd: plain HTTP on loopback only (the sandbox's trust boundary is the machine).
  if (!ctx.procs.alive('kube-etcd')) {
    await requirePortFree(sb.ports.etcdClient, 'sandbox.ports.etcdClient');
    await requirePortFree(sb.ports.etcdPeer, 'sandbox.ports.etcdPeer');
    const client = `http://${sb.host}:${sb.ports.etcdClient}`;
    const peer = `http://${sb.host}:${sb.ports.etcdPeer}`;
    spawnComponent(ctx, 'kube-etcd', bin(), ['etcd',
      '--name=sandbox', `--data-dir=${join(kdir, 'etcd')}`,
      `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=sandbox=${peer}`, '--initial-cluster-state=new',
      `--quota-backend-bytes=${sb.kube.etcdQuotaMb * 1024 * 1024}`,
      '--auto-compaction-mode=periodic', '--auto-compaction-retention=10m',
      '--snapshot-count=10000', '--log-level=warn',
    ], { GOMEMLIMIT: '256MiB' });
  }
  await waitUp(ctx, 'kube-etcd', () => etcdHealthy(sb), 30_000);
  step('etcd healthy');

  if (!ctx.procs.alive('kube-apiserver')) {
    await requirePortFree(sb.ports.kubeApiserver, 'sandbox.ports.kubeApiserver');
    spawnComponent(ctx, 'kube-apiserver', bin(), ['kube-apiserver',
      `--etcd-servers=http://${sb.host}:${sb.ports.etcdClient}`,
      `--bind-address=${sb.host}`, `--advertise-address=${sb.host}`, `--secure-port=${sb.ports.kubeApiserver}`,
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`, `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      `--client-ca-file=${join(pki, 'ca.crt')}`,
      `--service-account-key-file=${join(pki, 'sa.pub')}`, `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // Real authorization: components use their own identities, the harness is system:masters.
      '--authorization-mode=Node,RBAC',
      // Endpoints may not hold a loopback address: do not publish the apiserver as the `kubernetes` service.
      '--endpoint-reconciler-type=none',
      // Mutating admission policies (beta, off by default in 1.35): a cluster may rewrite what the
      // harness creates, as Kyverno or Gatekeeper mutations do; the tests use one to fault a Schedule.
      '--feature-gates=MutatingAdmissionPolicy=true', '--runtime-config=admissionregistration.k8s.io/v1beta1=true',
      // An audit log for the security review to sample (metadata only: no body, no secret's data).
      `--audit-policy-file=${join(projectRoot, 'sandbox', 'audit-policy.yaml')}`, `--audit-log-path=${auditLogPath(ctx)}`,
      '--audit-log-format=json', '--audit-log-maxsize=20', '--audit-log-maxbackup=1',
      // Written before the answer goes out (the default, said here): a review right after a request sees it.
      '--audit-log-mode=blocking',
      '--profiling=false', '--event-ttl=30m', '--v=0',
    ], { GOMEMLIMIT: '600MiB' });
  }
  await waitUp(ctx, 'kube-apiserver', async () => {
    const r = await httpsGet(ctx, `${apiserverUrl(sb)}/readyz`);
    return r.status === 200 && r.body.trim() === 'ok';
  }, 90_000);
  step('apiserver ready');

  const common = (kubeconfig: string) => [
    `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
    `--bind-address=${sb.host}`, '--leader-elect=false', '--profiling=false', '--v=0',
  ];
  if (!ctx.procs.alive('kube-controller-manager')) {
    await requirePortFree(sb.ports.kubeControllerManager, 'sandbox.ports.kubeControllerManager');
    spawnComponent(ctx, 'kube-controller-manager', bin(), ['kube-controller-manager',
      ...common(join(kdir, 'controller-manager.kubeconfig')),
      `--secure-port=${sb.ports.kubeControllerManager}`,
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${join(pki, 'sa.key')}`, `--root-ca-file=${join(pki, 'ca.crt')}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
    ], { GOMEMLIMIT: '256MiB' });
  }
  if (!ctx.procs.alive('kube-scheduler')) {
    await requirePortFree(sb.ports.kubeScheduler, 'sandbox.ports.kubeScheduler');
    spawnComponent(ctx, 'kube-scheduler', bin(), ['kube-scheduler',
      ...common(join(kdir, 'scheduler.kubeconfig')), `--secure-port=${sb.ports.kubeScheduler}`,
    ], { GOMEMLIMIT: '192MiB' });
  }
  if (!ctx.procs.alive('kwok')) {
    spawnComponent(ctx, 'kwok', kwokBinary(), [
      `--kubeconfig=${kubeconfigPath(ctx)}`, `--config=${stagesFile()}`,
      '--manage-all-nodes=false', `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      '--node-lease-duration-seconds=40', '--cidr=10.244.0.0/16', `--node-ip=${sb.host}`,
    ], { GOMEMLIMIT: '192MiB', HOME: kdir });
  }
  await Promise.all([
    waitUp(ctx, 'kube-controller-manager', async () => (await httpsGet(ctx, `https://${sb.host}:${sb.ports.kubeControllerManager}/healthz`, false)).status === 200, 60_000),
    waitUp(ctx, 'kube-scheduler', async () => (await httpsGet(ctx, `https://${sb.host}:${sb.ports.kubeScheduler}/healthz`, false)).status === 200, 60_000),
  ]);
  step('controller-manager and scheduler healthy');

  // The namespace's default ServiceAccount comes from the controller-manager; pods need it to be admitted.
  await applyObjects(ctx);
  const core = kubeConfig(ctx).makeApiClient(k8s.CoreV1Api);
  await waitUp(ctx, 'kwok', async () => {
    const nodes = await core.listNode({ labelSelector: 'type=kwok' });
    return nodes.items.length >= sb.kube.nodes && nodes.items.every(nodeReady);
  }, 60_000);
  step(`${sb.kube.nodes} kwok node(s) Ready; deployments applied in namespace ${sb.kube.namespace}`);
  // No Chaos Mesh controller runs here, but its API does: drills create PodChaos objects against it.
  await ensureCrds(kubeConfig(ctx), chaosMeshCrds());
  // Likewise k6-operator's TestRun, for `--engine k6-operator`.
  await ensureCrds(kubeConfig(ctx), [testRunCrd()]);
  step('Chaos Mesh (PodChaos, Schedule) and k6-operator (TestRun) CRDs installed');
}

async function stop(ctx: SandboxContext): Promise<void> {
  for (const p of [...PROCS].reverse()) await ctx.procs.stop(p, p === 'kube-etcd' ? 15_000 : 10_000);
}

async function status(ctx: SandboxContext): Promise<PartStatus> {
  const { sb } = ctx;
  const base = { name: NAME, endpoint: apiserverUrl(sb) };
  if (!sb.kube.enabled) return { ...base, healthy: true, reason: 'disabled (sandbox.kube.enabled=false); consumers run without pods' };
  const dead = PROCS.filter((p) => !ctx.procs.alive(p));
  if (dead.length === PROCS.length) return { ...base, healthy: false, reason: 'not running' };
  if (dead.length) return { ...base, healthy: false, reason: `not running: ${dead.join(', ')}` };
  try {
    const r = await httpsGet(ctx, `${apiserverUrl(sb)}/readyz`);
    if (r.status !== 200) return { ...base, healthy: false, reason: `apiserver /readyz answered ${r.status}: ${r.body.trim().split('\n').filter((l) => l.includes('failed')).join('; ')}` };
    for (const [name, port] of [['controller-manager', sb.ports.kubeControllerManager], ['scheduler', sb.ports.kubeScheduler]] as const) {
      const h = await httpsGet(ctx, `https://${sb.host}:${port}/healthz`, false).catch((e: Error) => ({ status: 0, body: e.message }));
      if (h.status !== 200) return { ...base, healthy: false, reason: `${name} /healthz: ${h.status || h.body}` };
    }
    const core = kubeConfig(ctx).makeApiClient(k8s.CoreV1Api);
    const nodes = (await core.listNode({ labelSelector: 'type=kwok' })).items;
    const ready = nodes.filter(nodeReady).length;
    if (ready < sb.kube.nodes) return { ...base, healthy: false, reason: `${ready}/${sb.kube.nodes} kwok node(s) Ready` };
    return { ...base, healthy: true, reason: `Kubernetes ${KUBE_VERSION}: apiserver ready, ${ready} kwok node(s) Ready, scheduler + controller-manager healthy` };
  } catch (e) {
    return { ...base, healthy: false, reason: `apiserver: ${(e as Error).message}` };
  }
}

export const kubePart: Part = {
  name: NAME,
  ports: (ctx) => ctx.sb.kube.enabled ? [
    { port: ctx.sb.ports.etcdClient, field: 'sandbox.ports.etcdClient' },
    { port: ctx.sb.ports.etcdPeer, field: 'sandbox.ports.etcdPeer' },
    { port: ctx.sb.ports.kubeApiserver, field: 'sandbox.ports.kubeApiserver' },
    { port: ctx.sb.ports.kubeControllerManager, field: 'sandbox.ports.kubeControllerManager' },
    { port: ctx.sb.ports.kubeScheduler, field: 'sandbox.ports.kubeScheduler' },
  ] : [],
  install,
  start,
  stop,
  status,
  running: (ctx) => PROCS.some((p) => ctx.procs.alive(p)),
};
