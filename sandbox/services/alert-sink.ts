import { appendFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import client from 'prom-client';
import { serviceEnv, serve, onShutdown, sendJson, readBody } from './common.ts';

/**
 * Stand-in for the on-call pager (Slack / PagerDuty cannot be reached here): Alertmanager's
 * webhook receiver. Every notification is kept with the time it arrived, so a drill can measure
 * detection time.
 */
export async function main(): Promise<void> {
  const env = serviceEnv('alert-sink');
  const dir = join(env.dir, 'alert-sink');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'notifications.jsonl');
  const received = new client.Counter({ name: 'alert_sink_notifications_total', help: 'webhook notifications received', labelNames: ['status'], registers: [env.registry] });
  const server = await serve(env, env.sb.ports.alertSink, {
    'POST /alerts': async (req, res) => {
      const body = JSON.parse(await readBody(req)) as { status?: string };
      appendFileSync(file, JSON.stringify({ receivedAt: new Date().toISOString(), ...body }) + '\n');
      received.inc({ status: body.status ?? 'unknown' });
      sendJson(res, 200, { ok: true });
    },
    'GET /alerts': (_req, res) => {
      const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
      sendJson(res, 200, lines.map((l) => JSON.parse(l)));
    },
  });
  onShutdown(async () => { server.close(); });
}
