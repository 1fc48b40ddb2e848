import { existsSync } from 'node:fs';
import { dirname, resolve, isAbsolute } from 'node:path';
import { z } from 'zod';
import { UsageError } from './errors.ts';
import { parseYamlFile } from './yaml-file.ts';
import { readUserFile } from './files.ts';
import { projectRoot } from './paths.ts';

const port = z.number().int().min(1).max(65535);

const SandboxSchema = z.strictObject({
  /** Runtime state: logs, data dirs, pid files, kubeconfig. Relative to the checkout. */
  dir: z.string().min(1, 'names no folder').default('.sandbox'),
  host: z.literal('127.0.0.1').default('127.0.0.1'),
  ports: z.strictObject({
    kafka: port.default(19092),
    kafkaController: port.default(19094),
    postgres: port.default(15432),
    prometheus: port.default(19090),
    alertmanager: port.default(19093),
    /** Prometheus blackbox exporter: probes the user-facing request path and the platform's infrastructure. */
    blackbox: port.default(19115),
    inferenceApi: port.default(18080),
    priceFeed: port.default(18081),
    batch: port.default(18082),
    alertSink: port.default(18083),
    /** The kube-state-metrics stand-in (served by the kubelet bridge): pod restart counters for Prometheus. */
    kubeStateMetrics: port.default(18084),
    /** Consumer replica i serves metrics on consumerBase + i. */
    consumerBase: port.default(18090),
    /** Kubernetes control plane (sandbox/kube.ts): apiserver (HTTPS), etcd, controller-manager and scheduler (HTTPS /healthz). */
    kubeApiserver: port.default(16443),
    etcdClient: port.default(12379),
    etcdPeer: port.default(12380),
    kubeControllerManager: port.default(20257),
    kubeScheduler: port.default(20259),
  }).prefault({}),
  /** Topic names of the reference platform (a second sandbox shape uses others). */
  topics: z.strictObject({
    prices: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/).default('commodity-prices'),
    predictions: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/).default('ml-predictions'),
  }).prefault({}).refine((t) => t.prices !== t.predictions, { message: 'the two topics need different names', path: ['predictions'] }),
  kube: z.strictObject({
    /** When on, consumer processes are started by the kubelet bridge for prediction-consumer pods. */
    enabled: z.boolean().default(true),
    /** Namespace of the platform's deployments. */
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 label').default('ml'),
    /** Fake (kwok) nodes the workloads are scheduled on. */
    nodes: z.number().int().min(1).max(10).default(1),
    etcdQuotaMb: z.number().int().min(64).max(8192).default(512),
  }).prefault({}),
  kafka: z.strictObject({
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version like 4.1.1').default('4.1.1'),
    partitions: z.number().int().min(1).max(64).default(6),
    heapMb: z.number().int().min(128).max(8192).default(512),
  }).prefault({}),
  postgres: z.strictObject({
    database: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('features'),
    user: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('carbon'),
    password: z.string().min(1).default('carbon-sandbox-pg'),
  }).prefault({}),
  priceFeed: z.strictObject({
    /** Messages per second the feed produces: the platform's "real-time throughput" (seed: 7,000+). */
    rate: z.number().int().min(0).max(100000).default(7500),
    commodities: z.array(z.string().min(1)).min(1)
      .default(['brent', 'wti', 'natgas', 'coal', 'carbon-eua', 'power-de', 'gold', 'copper']),
  }).prefault({}),
  consumers: z.strictObject({
    replicas: z.number().int().min(1).max(16).default(3),
    group: z.string().min(1).default('prediction-consumer'),
    /** The consumers' Kubernetes deployment (and its pods' app label). */
    deployment: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 label').default('prediction-consumer'),
  }).prefault({}),
  userTraffic: z.strictObject({
    /** Inference requests per second from the stand-in users, so API series always exist. */
    rate: z.number().min(0).max(1000).default(20),
  }).prefault({}),
  batch: z.strictObject({
    intervalS: z.number().min(1).max(3600).default(10),
    /** Predictions older than this are pruned, so a long-running sandbox does not fill the disk. */
    retentionMinutes: z.number().int().min(1).max(10080).default(30),
  }).prefault({}),
  /**
   * A secured shape: Kafka only through a SASL_SSL listener (SCRAM-SHA-512, the sandbox's own CA),
   * PostgreSQL only over TLS, Prometheus and Alertmanager behind basic auth (their --web.config.file).
   * `user`/`password` are the Kafka SCRAM user and the basic-auth user.
   */
  security: z.strictObject({
    enabled: z.boolean().default(false),
    user: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/).default('carbon'),
    password: z.string().regex(/^[A-Za-z0-9._~-]{8,64}$/, 'expected 8–64 letters, digits or . _ ~ -').default('carbon-sandbox-secret'),
  }).prefault({}),
  monitoring: z.strictObject({
    /** Short intervals so alerts fire within a test's patience; production uses minutes. */
    scrapeIntervalS: z.number().int().min(1).max(60).default(1),
    ruleWindowS: z.number().int().min(5).max(3600).default(15),
    alertForS: z.number().int().min(0).max(3600).default(2),
  }).prefault({}),
}).superRefine((sb, ctx) => {
  // Two parts on one port would fight over it at `sandbox up`: refused before anything starts.
  // Consumer replica i serves metrics on consumerBase + i, so those ports count too.
  const taken = new Map<number, string>();
  const claim = (port: number, key: string, what: string) => {
    const other = taken.get(port);
    if (other) ctx.addIssue({ code: 'custom', path: ['ports', key], message: `${what} ${port} is also ${other}` });
    else taken.set(port, `ports.${key}`);
  };
  for (const [key, port] of Object.entries(sb.ports)) if (key !== 'consumerBase') claim(port, key, 'port');
  for (let i = 0; i < sb.consumers.replicas; i++) claim(sb.ports.consumerBase + i, 'consumerBase', i ? `consumer replica ${i}'s port (consumerBase + ${i})` : 'port');
});

/** Guards for chaos drills: where they may act and how much they may break at once. */
const DrillsSchema = z.strictObject({
  /** kubeconfig contexts a drill may act on without --yes (where, and on which deployments, is the profile's platform.kubernetes). */
  allowContexts: z.array(z.string().min(1)).default(['carbon-sandbox']),
  maxPods: z.number().int().min(1).max(100).default(2),
  maxPercent: z.number().min(1).max(100).default(50),
});

/** Distributed k6 runs through k6-operator (`--engine k6-operator`). */
const K6OperatorSchema = z.strictObject({
  /** Namespace for the TestRun and its script ConfigMap; created when missing. */
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 label').default('load-testing'),
  /** Runner image: a k6 build with xk6-kafka and xk6-sql for the Kafka and feature-store scenarios. */
  runnerImage: z.string().min(1).default('grafana/k6:1.5.0'),
  /** Seconds beyond the scenario's own duration to wait for the TestRun to finish. */
  timeoutS: z.number().int().min(10).max(86_400).default(300),
  /** kubeconfig of the cluster running k6-operator; default: the profile's platform.kubernetes.kubeconfig. */
  kubeconfig: z.string().optional(),
});

export const ConfigSchema = z.strictObject({
  sandbox: SandboxSchema.prefault({}),
  drills: DrillsSchema.prefault({}),
  k6Operator: K6OperatorSchema.prefault({}),
  /** Where records go; default: $CARBON_HARNESS_RUNS (set by `npm test` for its own folder), else `runs`. */
  runsDir: z.string().min(1).optional(),
});

export type Config = z.infer<typeof ConfigSchema>;
export type SandboxConfig = Config['sandbox'];

/**
 * `${VAR}` and `${VAR:-default}` in any string value, so secrets stay out of the file.
 * A missing variable without a default is a config error naming the field that used it.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, def?: string) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (def !== undefined) return def;
      throw new UsageError(path.join('.') || '(root)', `environment variable ${name} is not set`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, [...path, k])]));
  }
  return value;
}

export function parseConfig(raw: unknown, source = 'config', env = process.env): Config {
  const result = ConfigSchema.safeParse(interpolateEnv(raw ?? {}, env));
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = [...issue.path, ...keys.slice(0, 1)].join('.') || '(root)';
    throw new UsageError(`${source}: ${field}`, issue.message);
  }
  return result.data;
}

export const DEFAULT_CONFIG_FILE = 'harness.config.yaml';

/** Reads `file` (YAML or JSON); without one, `harness.config.yaml` in the checkout if present, else defaults. Errors are `file:line: key`. */
export function loadConfig(file?: string, env = process.env): Config {
  const path = file
    ? (isAbsolute(file) ? file : resolve(process.cwd(), file))
    : resolve(projectRoot, DEFAULT_CONFIG_FILE);
  if (!file && !existsSync(path)) return parseConfig({}, 'defaults', env);
  const { text } = readUserFile(path, '--config', 1 << 20);
  if (text.trim() === '') return parseConfig({}, path, env);
  return parseYamlFile(text, path, ConfigSchema, { env, baseDir: dirname(path), expect: 'sandbox, drills, k6Operator or runsDir' }).value;
}

export function sandboxDir(cfg: Config): string {
  return resolve(projectRoot, cfg.sandbox.dir);
}

export function runsDir(cfg: Config, env = process.env): string {
  return resolve(projectRoot, cfg.runsDir ?? (env.CARBON_HARNESS_RUNS || 'runs'));
}
