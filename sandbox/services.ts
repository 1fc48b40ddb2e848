import { join } from 'node:path';
import { kafkajs } from '../platform/kafka.ts';
import { sandboxKafkaConn } from './connect.ts';
import { projectRoot } from '../core/paths.ts';
import type { Part, PartStatus, SandboxContext } from './part.ts';
import { waitFor } from './proc.ts';
import { httpProbe } from './prom-api.ts';

const MAIN = join(projectRoot, 'sandbox', 'services', 'main.ts');

export function serviceCommand(ctx: SandboxContext, service: string, args: string[] = []): {
  cmd: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string;
} {
  return {
    cmd: process.execPath,
    args: ['--import', 'tsx', MAIN, service, ...args],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', CARBON_SANDBOX_CONFIG: JSON.stringify(ctx.sb), CARBON_SANDBOX_DIR: ctx.dir },
    cwd: projectRoot,
  };
}

interface ServiceSpec {
  name: string;
  port?: (ctx: SandboxContext) => number;
  portField?: string;
  /** URL that answers 200 when the service is ready; none for pure clients. */
  probe?: (ctx: SandboxContext) => string;
}

function servicePart(spec: ServiceSpec): Part {
  return {
    name: spec.name,
    ports: (ctx) => spec.port ? [{ port: spec.port(ctx), field: spec.portField! }] : [],
    async install() { /* node dependencies come with `npm ci` */ },
    async start(ctx) {
      const c = serviceCommand(ctx, spec.name);
      ctx.procs.spawn(spec.name, c.cmd, c.args, { env: c.env, cwd: c.cwd });
      await waitFor(spec.name, async () => {
        if (!ctx.procs.alive(spec.name)) throw new Error('exited');
        return spec.probe ? (await httpProbe(spec.probe(ctx))).ok : true;
      }, 30_000, () => ctx.procs.tailLog(spec.name));
    },
    async stop(ctx) { await ctx.procs.stop(spec.name); },
    async status(ctx): Promise<PartStatus> {
      const endpoint = spec.port ? `${ctx.sb.host}:${spec.port(ctx)}` : undefined;
      if (!ctx.procs.alive(spec.name)) return { name: spec.name, healthy: false, reason: 'not running', endpoint };
      if (!spec.probe) return { name: spec.name, healthy: true, reason: 'running', endpoint };
      const r = await httpProbe(spec.probe(ctx));
      return { name: spec.name, healthy: r.ok, reason: r.ok ? 'running; probe answered 200' : r.why, endpoint };
    },
  };
}

const url = (port: (ctx: SandboxContext) => number, path: string) => (ctx: SandboxContext) => `http://${ctx.sb.host}:${port(ctx)}${path}`;
const p = {
  api: (ctx: SandboxContext) => ctx.sb.ports.inferenceApi,
  feed: (ctx: SandboxContext) => ctx.sb.ports.priceFeed,
  batch: (ctx: SandboxContext) => ctx.sb.ports.batch,
  sink: (ctx: SandboxContext) => ctx.sb.ports.alertSink,
};

export const alertSinkPart = servicePart({ name: 'alert-sink', port: p.sink, portField: 'sandbox.ports.alertSink', probe: url(p.sink, '/metrics') });
export const inferenceApiPart = servicePart({ name: 'inference-api', port: p.api, portField: 'sandbox.ports.inferenceApi', probe: url(p.api, '/healthz') });
export const priceFeedPart = servicePart({ name: 'price-feed', port: p.feed, portField: 'sandbox.ports.priceFeed', probe: url(p.feed, '/metrics') });
export const batchWorkflowPart = servicePart({ name: 'batch-workflow', port: p.batch, portField: 'sandbox.ports.batch', probe: url(p.batch, '/metrics') });
export const userTrafficPart = servicePart({ name: 'user-traffic' });

export const replicaName = (i: number) => `prediction-consumer-${i}`;
/** The process that plays kubelet for prediction-consumer pods when `sandbox.kube.enabled`. */
export const KUBE_BRIDGE = 'kube-bridge';

/** The consumer group: N processes, healthy when all run and the group is Stable with N members. */
export const consumersPart: Part = {
  name: 'prediction-consumer',
  ports: (ctx) => Array.from({ length: ctx.sb.consumers.replicas }, (_, i) =>
    ({ port: ctx.sb.ports.consumerBase + i, field: 'sandbox.ports.consumerBase' })),
  async install() {},
  running: (ctx) => ctx.procs.alive(KUBE_BRIDGE)
    || Array.from({ length: 16 }, (_, i) => ctx.procs.alive(replicaName(i))).some(Boolean),
  async start(ctx) {
    if (ctx.sb.kube.enabled) {
      // With Kubernetes in the sandbox the processes belong to prediction-consumer pods: the kubelet
      // bridge starts one per scheduled pod (sandbox/kube-bridge.ts).
      if (!ctx.procs.alive(KUBE_BRIDGE)) {
        const c = serviceCommand(ctx, KUBE_BRIDGE);
        ctx.procs.spawn(KUBE_BRIDGE, c.cmd, c.args, { env: c.env, cwd: c.cwd });
      }
    } else {
      for (let i = 0; i < ctx.sb.consumers.replicas; i++) {
        if (ctx.procs.alive(replicaName(i))) continue;
        const c = serviceCommand(ctx, 'prediction-consumer', [String(i)]);
        ctx.procs.spawn(replicaName(i), c.cmd, c.args, { env: c.env, cwd: c.cwd });
      }
    }
    await waitFor('prediction-consumer group', async () => {
      if (ctx.sb.kube.enabled && !ctx.procs.alive(KUBE_BRIDGE)) throw new Error('kubelet bridge exited');
      return (await this.status(ctx)).healthy;
    }, 90_000,
      () => [...(ctx.sb.kube.enabled ? [ctx.procs.tailLog(KUBE_BRIDGE, 10)] : []),
        ...Array.from({ length: ctx.sb.consumers.replicas }, (_, i) => ctx.procs.tailLog(replicaName(i), 5))].join('\n'), 500);
  },
  async stop(ctx) {
    // The bridge first, or it would restart the processes stopped next.
    await ctx.procs.stop(KUBE_BRIDGE);
    // Stop every replica we may have started, including ones beyond a since-lowered replica count.
    await Promise.all(Array.from({ length: 16 }, (_, i) => ctx.procs.stop(replicaName(i))));
  },
  async status(ctx): Promise<PartStatus> {
    const n = ctx.sb.consumers.replicas;
    const running = Array.from({ length: n }, (_, i) => ctx.procs.alive(replicaName(i))).filter(Boolean).length;
    const base = { name: 'prediction-consumer', endpoint: `group ${ctx.sb.consumers.group}` };
    if (ctx.sb.kube.enabled && !ctx.procs.alive(KUBE_BRIDGE)) return { ...base, healthy: false, reason: `kubelet bridge not running; ${running}/${n} replicas running` };
    if (running < n) return { ...base, healthy: false, reason: `${running}/${n} replicas running` };
    const kafka = kafkajs(sandboxKafkaConn(ctx.sb), 'harness-status', { retry: { retries: 3, initialRetryTime: 100 }, connectionTimeout: 1500 });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const { groups } = await admin.describeGroups([ctx.sb.consumers.group]);
      const g = groups[0];
      const members = g?.members.length ?? 0;
      const ok = g?.state === 'Stable' && members === n;
      return { ...base, healthy: ok, reason: `${running}/${n} replicas running${ctx.sb.kube.enabled ? ' (pods via kubelet bridge)' : ''}; group ${g?.state ?? 'missing'} with ${members} member(s)` };
    } catch (e) {
      return { ...base, healthy: false, reason: `${running}/${n} replicas running; group not described: ${(e as Error).message}` };
    } finally {
      await admin.disconnect().catch(() => {});
    }
  },
};
