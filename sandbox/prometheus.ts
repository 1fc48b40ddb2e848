/**
 * Prometheus and Alertmanager from the Debian packages, run as our own instances (never the
 * Debian systemd services) with configs, data and logs under the sandbox dir.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { SandboxConfig } from '../core/config.ts';
import { InfraError } from '../core/errors.ts';
import {
  checkAlertmanagerConfig, checkPrometheusConfig, findBinary, promDuration, writeRules,
} from './alert-rules.ts';
import type { Part, PartStatus, SandboxContext } from './part.ts';
import { requirePortFree, run, waitFor } from './proc.ts';
import { alertmanagerUrl, httpOk, prometheusUrl, promTargets } from './prom-api.ts';
import { sandboxAuthHeader } from './connect.ts';

const READY_TIMEOUT_MS = 30_000;
const PROMETHEUS = 'prometheus';
const ALERTMANAGER = 'alertmanager';
const BLACKBOX = 'blackbox-exporter';

// ---------------------------------------------------------------- install (Debian packages)

const DEBIAN_PACKAGES = ['prometheus', 'prometheus-alertmanager', 'prometheus-blackbox-exporter'];
let aptUpdated = false;
let installing: Promise<void> | null = null;

function missingBinaries(): string[] {
  return ['prometheus', 'promtool', 'prometheus-alertmanager', 'amtool', 'prometheus-blackbox-exporter'].filter((b) => !findBinary(b));
}

/** Installs both Debian packages when any of their binaries is missing (shared by both parts). */
async function ensureDebianPackages(ctx: SandboxContext): Promise<void> {
  if (missingBinaries().length === 0) return;
  installing ??= (async () => {
    const root = process.getuid?.() === 0;
    if (!root && !findBinary('sudo')) {
      throw new InfraError(`missing ${missingBinaries().join(', ')} and not root without sudo; install the Debian packages ${DEBIAN_PACKAGES.join(' ')}`, 'prometheus');
    }
    // sudo -n: fail at once with a clear message instead of waiting for a password nobody can type.
    const asRoot = (args: string[]): [string, string[]] => root ? [args[0]!, args.slice(1)] : ['sudo', ['-n', ...args]];
    const manual = `${root ? '' : 'sudo '}apt-get update && ${root ? '' : 'sudo '}DEBIAN_FRONTEND=noninteractive apt-get install -y ${DEBIAN_PACKAGES.join(' ')}`;
    const step = async (args: string[]) => {
      try {
        await run(...asRoot(args), { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      } catch (e) {
        throw new InfraError(`${(e as Error).message}\ninstall them by hand: ${manual}`, 'prometheus');
      }
    };
    if (!aptUpdated) {
      ctx.progress('monitoring: apt-get update (to install Debian prometheus, prometheus-alertmanager)');
      await step(['apt-get', 'update']);
      aptUpdated = true;
    }
    ctx.progress(`monitoring: apt-get install ${DEBIAN_PACKAGES.join(' ')} (missing: ${missingBinaries().join(', ')})`);
    await step(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', ...DEBIAN_PACKAGES]);
    const still = missingBinaries();
    if (still.length) throw new InfraError(`apt-get install finished but ${still.join(', ')} still not found`, 'prometheus');
    ctx.progress('monitoring: Debian packages installed (their systemd services are not used)');
  })().finally(() => { installing = null; });
  await installing;
}

function bin(name: string): string {
  const p = findBinary(name);
  if (!p) throw new InfraError(`${name} not found; run the install step (harness up) first`, name === 'prometheus' ? 'prometheus' : 'alertmanager');
  return p;
}

// ---------------------------------------------------------------- generated configs

export function prometheusDir(ctx: Pick<SandboxContext, 'dir'>): string { return join(ctx.dir, 'prometheus'); }
export function alertmanagerDir(ctx: Pick<SandboxContext, 'dir'>): string { return join(ctx.dir, 'alertmanager'); }

/** The platform's scrape jobs (those with `platform: carbon`), in config order. */
export function platformJobs(sb: SandboxConfig): Array<{ job: string; ports: number[] }> {
  return [
    { job: 'inference-api', ports: [sb.ports.inferenceApi] },
    { job: 'price-feed', ports: [sb.ports.priceFeed] },
    { job: 'batch-workflow', ports: [sb.ports.batch] },
    { job: 'prediction-consumer', ports: Array.from({ length: sb.consumers.replicas }, (_, i) => sb.ports.consumerBase + i) },
    { job: 'alert-sink', ports: [sb.ports.alertSink] },
  ];
}

/**
 * What the blackbox exporter probes: the user-facing request path of the inference API (uptime)
 * and the platform's infrastructure (in platform health, beside the scraped services). `tier: infra`
 * marks the latter; `component` names what a probe is about.
 */
export function probeJobs(sb: SandboxConfig): Array<{ job: string; module: string; target: string; labels: Record<string, string> }> {
  const h = sb.host;
  return [
    { job: 'probe-inference-healthz', module: 'http_get', target: `http://${h}:${sb.ports.inferenceApi}/healthz`, labels: { component: 'inference-api', path: '/healthz' } },
    { job: 'probe-inference-predict', module: 'predict', target: `http://${h}:${sb.ports.inferenceApi}/v1/predict`, labels: { component: 'inference-api', path: '/v1/predict' } },
    { job: 'probe-kafka', module: 'tcp', target: `${h}:${sb.ports.kafka}`, labels: { component: 'kafka', tier: 'infra' } },
    { job: 'probe-postgres', module: 'tcp', target: `${h}:${sb.ports.postgres}`, labels: { component: 'postgres', tier: 'infra' } },
    ...(sb.kube.enabled ? [{ job: 'probe-kube-apiserver', module: 'tcp', target: `${h}:${sb.ports.kubeApiserver}`, labels: { component: 'kube-apiserver', tier: 'infra' } }] : []),
  ];
}

/** Every job Prometheus scrapes, platform jobs plus the two self-scrapes, the probes (and kube-state-metrics with Kubernetes). */
export function allJobs(sb: SandboxConfig): string[] {
  return [...platformJobs(sb).map((j) => j.job), 'prometheus', 'alertmanager', ...probeJobs(sb).map((j) => j.job), ...(sb.kube.enabled ? ['kube-state-metrics'] : [])];
}

/** The blackbox exporter's modules (blackbox_exporter's own configuration format). */
export function blackboxConfig(sb: SandboxConfig): object {
  const commodity = sb.priceFeed.commodities[0]!;
  return {
    modules: {
      http_get: { prober: 'http', timeout: '2s', http: { method: 'GET', valid_status_codes: [200], preferred_ip_protocol: 'ip4' } },
      predict: {
        prober: 'http', timeout: '2s',
        http: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ commodity }), valid_status_codes: [200], preferred_ip_protocol: 'ip4' },
      },
      tcp: { prober: 'tcp', timeout: '2s', tcp: { preferred_ip_protocol: 'ip4' } },
    },
  };
}

export function prometheusConfig(sb: SandboxConfig, rulesFile: string): object {
  const h = sb.host;
  const interval = promDuration(sb.monitoring.scrapeIntervalS);
  const platform = platformJobs(sb).map(({ job, ports }) => ({
    job_name: job,
    metrics_path: '/metrics',
    static_configs: job === 'prediction-consumer'
      ? ports.map((p, i) => ({ targets: [`${h}:${p}`], labels: { platform: 'carbon', replica: String(i) } }))
      : [{ targets: ports.map((p) => `${h}:${p}`), labels: { platform: 'carbon' } }],
  }));
  return {
    global: {
      scrape_interval: interval,
      evaluation_interval: interval,
      // A scrape may not outlast its interval.
      scrape_timeout: interval,
    },
    rule_files: [rulesFile],
    alerting: { alertmanagers: [{ ...basicAuth(sb), static_configs: [{ targets: [`${h}:${sb.ports.alertmanager}`] }] }] },
    scrape_configs: [
      ...platform,
      { job_name: 'prometheus', metrics_path: '/metrics', ...basicAuth(sb), static_configs: [{ targets: [`${h}:${sb.ports.prometheus}`] }] },
      { job_name: 'alertmanager', metrics_path: '/metrics', ...basicAuth(sb), static_configs: [{ targets: [`${h}:${sb.ports.alertmanager}`] }] },
      // Blackbox probes: Prometheus asks the exporter to probe each target (its documented relabelling).
      ...probeJobs(sb).map(({ job, module, target, labels }) => ({
        job_name: job, metrics_path: '/probe', params: { module: [module] },
        static_configs: [{ targets: [target], labels }],
        relabel_configs: [
          { source_labels: ['__address__'], target_label: '__param_target' },
          { source_labels: ['__param_target'], target_label: 'instance' },
          { target_label: '__address__', replacement: `${h}:${sb.ports.blackbox}` },
        ],
      })),
      // Pod restart counters, as a cluster's kube-state-metrics serves them (here a stand-in in the kubelet bridge).
      ...(sb.kube.enabled ? [{ job_name: 'kube-state-metrics', metrics_path: '/metrics', static_configs: [{ targets: [`${h}:${sb.ports.kubeStateMetrics}`] }] }] : []),
    ],
  };
}

/** On the secured shape Prometheus and Alertmanager want basic auth: from each other too. */
const basicAuth = (sb: SandboxConfig) => (sb.security.enabled ? { basic_auth: { username: sb.security.user, password: sb.security.password } } : {});

/**
 * `--web.config.file` for Prometheus and Alertmanager on the secured shape (the exporter-toolkit
 * format): one basic-auth user, its password bcrypt-hashed. Empty when the shape is not secured.
 */
async function webConfigArgs(ctx: Pick<SandboxContext, 'dir' | 'sb'>, dir: string): Promise<string[]> {
  if (!ctx.sb.security.enabled) return [];
  const { default: bcrypt } = await import('bcryptjs');
  const file = join(dir, 'web.yml');
  // Cost 4: the sandbox's secret guards a loopback port; each request pays the hash once per cache miss.
  writeFileSync(file, HEADER + stringify({ basic_auth_users: { [ctx.sb.security.user]: bcrypt.hashSync(ctx.sb.security.password, 4) } }), { mode: 0o600 });
  return [`--web.config.file=${file}`];
}

export function alertmanagerConfig(sb: SandboxConfig): object {
  return {
    route: {
      receiver: 'alert-sink',
      group_by: ['alertname'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
    },
    receivers: [{
      name: 'alert-sink',
      webhook_configs: [{ url: `http://${sb.host}:${sb.ports.alertSink}/alerts`, send_resolved: true }],
    }],
  };
}

const HEADER = '# Generated by sandbox/prometheus.ts; do not edit (rewritten on every start).\n';

/** Writes prometheus.yml and the rules, validating both with promtool. Returns the config path. */
export async function writePrometheusConfig(ctx: Pick<SandboxContext, 'dir' | 'sb'>): Promise<string> {
  const dir = prometheusDir(ctx);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const rules = await writeRules(join(dir, 'rules', 'carbon-alerts.yml'), ctx.sb.monitoring, ctx.sb.consumers.deployment);
  const file = join(dir, 'prometheus.yml');
  writeFileSync(file, HEADER + stringify(prometheusConfig(ctx.sb, rules), { lineWidth: 0 }), { mode: 0o600 }); // the secured shape's basic-auth password is in it
  await checkPrometheusConfig(file);
  return file;
}

/** Writes alertmanager.yml, validated with amtool. Returns the config path. */
export async function writeAlertmanagerConfig(ctx: Pick<SandboxContext, 'dir' | 'sb'>): Promise<string> {
  const dir = alertmanagerDir(ctx);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const file = join(dir, 'alertmanager.yml');
  writeFileSync(file, HEADER + stringify(alertmanagerConfig(ctx.sb), { lineWidth: 0 }));
  await checkAlertmanagerConfig(file);
  return file;
}

// ---------------------------------------------------------------- lifecycle helpers

/** Waits for `readyUrl`; fails fast (with the log tail) if the process dies meanwhile. */
async function waitReady(ctx: SandboxContext, name: string, readyUrl: string): Promise<void> {
  const tail = () => { const t = ctx.procs.tailLog(name); return t ? `last log lines (${ctx.procs.logFile(name)}):\n${t}` : ''; };
  let died = false;
  await waitFor(name, async () => {
    if (!ctx.procs.alive(name)) { died = true; return true; }
    return httpOk(readyUrl, 1_000, sandboxAuthHeader(ctx.sb));
  }, READY_TIMEOUT_MS, tail);
  if (died) throw new InfraError(`exited during startup\n${tail()}`, name);
}

async function restartClean(ctx: SandboxContext, name: string, port: number, field: string): Promise<void> {
  // A leftover instance of ours (e.g. alive but unhealthy) is replaced, never anyone else's.
  if (ctx.procs.alive(name)) {
    ctx.progress(`${name}: stopping the previous instance`);
    await ctx.procs.stop(name);
  }
  await requirePortFree(port, field);
}

// ---------------------------------------------------------------- parts

export const prometheusPart: Part = {
  name: PROMETHEUS,

  ports: (ctx) => [{ port: ctx.sb.ports.prometheus, field: 'sandbox.ports.prometheus' }],

  install: ensureDebianPackages,

  async start(ctx) {
    const { port, field } = prometheusPart.ports(ctx)[0]!;
    await restartClean(ctx, PROMETHEUS, port, field);
    const config = await writePrometheusConfig(ctx);
    ctx.progress(`${PROMETHEUS}: starting on ${ctx.sb.host}:${port}`);
    const web = await webConfigArgs(ctx, prometheusDir(ctx));
    ctx.procs.spawn(PROMETHEUS, bin('prometheus'), [
      `--config.file=${config}`, ...web,
      `--storage.tsdb.path=${join(prometheusDir(ctx), 'data')}`,
      `--storage.tsdb.retention.time=2d`,
      `--web.listen-address=${ctx.sb.host}:${port}`,
      `--rules.alert.resend-delay=1s`,
      `--web.enable-lifecycle`,
      // Alert generatorURLs point at this instance, not the machine's hostname.
      `--web.external-url=${prometheusUrl(ctx.sb)}/`,
    ], { cwd: prometheusDir(ctx) });
    await waitReady(ctx, PROMETHEUS, `${prometheusUrl(ctx.sb)}/-/ready`);
    // Discovery publishes targets in batches (up to 5 s after start); wait so status/tests see them.
    const expected = allJobs(ctx.sb).length;
    try {
      await waitFor('prometheus targets', async () => (await promTargets(ctx.sb)).length >= expected, 10_000, () => '', 250);
    } catch {
      ctx.progress(`${PROMETHEUS}: scrape targets not listed yet (continuing)`);
    }
    ctx.progress(`${PROMETHEUS}: ready at ${prometheusUrl(ctx.sb)}`);
  },

  async stop(ctx) {
    await ctx.procs.stop(PROMETHEUS);
  },

  async status(ctx): Promise<PartStatus> {
    const endpoint = prometheusUrl(ctx.sb);
    const base = { name: PROMETHEUS, endpoint };
    if (!ctx.procs.alive(PROMETHEUS)) return { ...base, healthy: false, reason: 'not running' };
    if (!(await httpOk(`${endpoint}/-/ready`, 2_000, sandboxAuthHeader(ctx.sb)))) {
      return { ...base, healthy: false, reason: `process alive but ${endpoint}/-/ready does not answer 200` };
    }
    let targets: string;
    try {
      const ts = await promTargets(ctx.sb);
      const up = ts.filter((t) => t.health === 'up').length;
      const pending = ts.filter((t) => t.health === 'unknown').length;
      const downJobs = [...new Set(ts.filter((t) => t.health === 'down').map((t) => t.job))];
      targets = ts.length === 0 ? 'no scrape targets discovered yet' : `${up}/${ts.length} targets up`
        + (downJobs.length ? ` (down: ${downJobs.join(', ')})` : '')
        + (pending ? `; ${pending} not scraped yet` : '');
    } catch (e) {
      targets = `targets unknown: ${(e as Error).message}`;
    }
    return { ...base, healthy: true, reason: `ready; ${targets}` };
  },
};

export const blackboxPart: Part = {
  name: BLACKBOX,

  ports: (ctx) => [{ port: ctx.sb.ports.blackbox, field: 'sandbox.ports.blackbox' }],

  install: ensureDebianPackages,

  async start(ctx) {
    const { port, field } = blackboxPart.ports(ctx)[0]!;
    await restartClean(ctx, BLACKBOX, port, field);
    const dir = join(ctx.dir, 'blackbox');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'blackbox.yml');
    writeFileSync(config, HEADER + stringify(blackboxConfig(ctx.sb), { lineWidth: 0 }));
    try { await run(bin('prometheus-blackbox-exporter'), [`--config.file=${config}`, '--config.check']); } catch (e) {
      throw new InfraError(`generated ${config} is not valid: ${(e as Error).message}`, BLACKBOX);
    }
    ctx.procs.spawn(BLACKBOX, bin('prometheus-blackbox-exporter'), [`--config.file=${config}`, `--web.listen-address=${ctx.sb.host}:${port}`], { cwd: dir });
    await waitReady(ctx, BLACKBOX, `http://${ctx.sb.host}:${port}/-/healthy`);
  },

  async stop(ctx) {
    await ctx.procs.stop(BLACKBOX);
  },

  async status(ctx): Promise<PartStatus> {
    const endpoint = `${ctx.sb.host}:${ctx.sb.ports.blackbox}`;
    const base = { name: BLACKBOX, endpoint };
    if (!ctx.procs.alive(BLACKBOX)) return { ...base, healthy: false, reason: 'not running' };
    const ok = await httpOk(`http://${endpoint}/-/healthy`);
    return { ...base, healthy: ok, reason: ok ? 'probing the request path and the infrastructure' : 'process alive but /-/healthy does not answer' };
  },
};

export const alertmanagerPart: Part = {
  name: ALERTMANAGER,

  ports: (ctx) => [{ port: ctx.sb.ports.alertmanager, field: 'sandbox.ports.alertmanager' }],

  install: ensureDebianPackages,

  async start(ctx) {
    const { port, field } = alertmanagerPart.ports(ctx)[0]!;
    await restartClean(ctx, ALERTMANAGER, port, field);
    const config = await writeAlertmanagerConfig(ctx);
    ctx.progress(`${ALERTMANAGER}: starting on ${ctx.sb.host}:${port}`);
    const web = await webConfigArgs(ctx, alertmanagerDir(ctx));
    ctx.procs.spawn(ALERTMANAGER, bin('prometheus-alertmanager'), [
      `--config.file=${config}`, ...web,
      `--storage.path=${join(alertmanagerDir(ctx), 'data')}`,
      `--web.listen-address=${ctx.sb.host}:${port}`,
      // Empty: no gossip/cluster port, a single instance.
      `--cluster.listen-address=`,
      `--web.external-url=${alertmanagerUrl(ctx.sb)}/`,
    ], { cwd: alertmanagerDir(ctx) });
    await waitReady(ctx, ALERTMANAGER, `${alertmanagerUrl(ctx.sb)}/-/ready`);
    ctx.progress(`${ALERTMANAGER}: ready at ${alertmanagerUrl(ctx.sb)}`);
  },

  async stop(ctx) {
    await ctx.procs.stop(ALERTMANAGER);
  },

  async status(ctx): Promise<PartStatus> {
    const endpoint = alertmanagerUrl(ctx.sb);
    const base = { name: ALERTMANAGER, endpoint };
    if (!ctx.procs.alive(ALERTMANAGER)) return { ...base, healthy: false, reason: 'not running' };
    if (!(await httpOk(`${endpoint}/-/ready`, 2_000, sandboxAuthHeader(ctx.sb)))) {
      return { ...base, healthy: false, reason: `process alive but ${endpoint}/-/ready does not answer 200` };
    }
    return { ...base, healthy: true, reason: `ready; webhook → http://${ctx.sb.host}:${ctx.sb.ports.alertSink}/alerts` };
  },
};
