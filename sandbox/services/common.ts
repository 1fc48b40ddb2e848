import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import client from 'prom-client';
import type { SandboxConfig } from '../../core/config.ts';
import { FaultWatcher } from '../faults.ts';

export interface ServiceEnv {
  sb: SandboxConfig;
  dir: string;
  faults: FaultWatcher;
  registry: client.Registry;
}

/** Services receive the resolved sandbox config from the CLI that spawned them. */
export function serviceEnv(service: string, labels: Record<string, string> = {}): ServiceEnv {
  const raw = process.env.CARBON_SANDBOX_CONFIG;
  const dir = process.env.CARBON_SANDBOX_DIR;
  if (!raw || !dir) throw new Error('CARBON_SANDBOX_CONFIG and CARBON_SANDBOX_DIR must be set (services are started by `harness sandbox up`)');
  const registry = new client.Registry();
  registry.setDefaultLabels({ service, ...labels });
  client.collectDefaultMetrics({ register: registry });
  return { sb: JSON.parse(raw) as SandboxConfig, dir, faults: new FaultWatcher(dir), registry };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** Every service serves GET /metrics; `routes` adds its own endpoints. */
export function serve(env: ServiceEnv, port: number, routes: Record<string, Handler> = {}): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      if (req.method === 'GET' && path === '/metrics') {
        res.setHeader('content-type', env.registry.contentType);
        res.end(await env.registry.metrics());
        return;
      }
      const h = routes[`${req.method} ${path}`];
      if (!h) { sendJson(res, 404, { error: `no route ${req.method} ${path}` }); return; }
      await h(req, res);
    } catch (e) {
      if (!res.headersSent) sendJson(res, 500, { error: (e as Error).message });
      else res.end();
    }
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, env.sb.host, () => resolve(server));
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** SIGTERM/SIGINT run `close` once, then exit; a second signal exits at once. */
export function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  const handler = () => {
    if (closing) process.exit(1);
    closing = true;
    const force = setTimeout(() => process.exit(1), 8000);
    force.unref();
    close().catch(() => {}).finally(() => process.exit(0));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
