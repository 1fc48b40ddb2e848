import type { Config } from '../core/config.ts';
import { sandboxDir } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { GROUPS, PART_NAMES, selectPartNames } from './parts.ts';
import type { Part, PartStatus, SandboxContext } from './part.ts';
import { ProcessTable, portFree, waitFor } from './proc.ts';
import { promTargets } from './prom-api.ts';
import { postgresPart } from './postgres.ts';
import { kafkaPart } from './kafka.ts';
import { prometheusPart, alertmanagerPart, blackboxPart } from './prometheus.ts';
import { kubePart } from './kube.ts';
import { alertSinkPart, inferenceApiPart, consumersPart, priceFeedPart, batchWorkflowPart, userTrafficPart } from './services.ts';

/** Start order: each part only needs the ones before it. */
export const PARTS: Part[] = [
  postgresPart, kafkaPart, alertSinkPart, alertmanagerPart, blackboxPart, prometheusPart,
  inferenceApiPart, kubePart, consumersPart, priceFeedPart, batchWorkflowPart, userTrafficPart,
];

if (PARTS.map((p) => p.name).join() !== PART_NAMES.join()) throw new Error(`sandbox/parts.ts lists ${PART_NAMES.join(', ')}; the parts are ${PARTS.map((p) => p.name).join(', ')}`);

export { GROUPS };

export function sandboxContext(cfg: Config, progress: (m: string) => void = () => {}): SandboxContext {
  const dir = sandboxDir(cfg);
  return { cfg, sb: cfg.sandbox, dir, procs: new ProcessTable(dir), progress };
}

/** Resolves `--only` names (parts or groups) to parts, in start order. */
export function selectParts(only?: string[]): Part[] {
  const names = new Set(selectPartNames(only));
  return PARTS.filter((p) => names.has(p.name));
}

export async function sandboxStatus(ctx: SandboxContext, parts = PARTS): Promise<PartStatus[]> {
  return Promise.all(parts.map((p) => p.status(ctx).catch((e: Error) => ({ name: p.name, healthy: false, reason: `status failed: ${e.message}` }))));
}

/**
 * Idempotent: healthy parts are left alone; ports of parts that must start are checked before
 * anything starts, so a busy port changes nothing.
 */
export async function sandboxUp(ctx: SandboxContext, parts = PARTS): Promise<PartStatus[]> {
  const before = await sandboxStatus(ctx, parts);
  const todo = parts.filter((_, i) => !before[i]!.healthy);
  for (const part of todo) {
    if (isRunning(ctx, part)) continue;
    for (const { port, field } of part.ports(ctx)) {
      if (!(await portFree(port))) {
        throw new UsageError(field, `port ${port} on 127.0.0.1 is already in use by another program (needed by ${part.name}); free it or set ${field} in the config`);
      }
    }
  }
  for (const part of todo) await part.install(ctx);
  for (const part of todo) {
    const t0 = Date.now();
    if (isRunning(ctx, part)) {
      ctx.progress(`${part.name}: running but unhealthy, restarting…`);
      await part.stop(ctx);
    }
    ctx.progress(`${part.name}: starting…`);
    await part.start(ctx);
    ctx.progress(`${part.name}: up (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  if (todo.length > 0 && parts.includes(prometheusPart) && (await prometheusPart.status(ctx)).healthy) await settleScrapes(ctx);
  return sandboxStatus(ctx, parts);
}

/**
 * Parts started after Prometheus are scraped as down until their first good scrape; `up` returns
 * only once every discovered target has been scraped up, so what it reports (and the health
 * series a check reads right after) describes a running platform, not one still starting.
 */
async function settleScrapes(ctx: SandboxContext): Promise<void> {
  let last = '';
  try {
    await waitFor('scrape targets up', async () => {
      const ts = await promTargets(ctx.sb);
      const notUp = ts.filter((t) => t.health !== 'up').map((t) => t.job);
      last = notUp.join(', ');
      return ts.length > 0 && notUp.length === 0;
    }, 20_000, () => last, 250);
  } catch {
    ctx.progress(`prometheus: not every scrape target is up yet (${last})`);
  }
}

export async function sandboxDown(ctx: SandboxContext, parts = PARTS): Promise<string[]> {
  const stopped: string[] = [];
  for (const part of [...parts].reverse()) {
    const was = isRunning(ctx, part);
    await part.stop(ctx);
    if (was) { stopped.push(part.name); ctx.progress(`${part.name}: stopped`); }
  }
  return stopped;
}

function isRunning(ctx: SandboxContext, part: Part): boolean {
  return part.running ? part.running(ctx) : ctx.procs.alive(part.name);
}
