import pg from 'pg';
import client from 'prom-client';
import { serviceEnv, serve, onShutdown, sendJson, readBody, sleep } from './common.ts';
import { MODEL } from '../../platform/reference-messages.ts';
import { pgConnection } from '../postgres.ts';

/** The ML inference API: answers each prediction from the features stored in PostgreSQL. */
export async function main(): Promise<void> {
  const env = serviceEnv('inference-api');
  const { sb, faults } = env;
  const reg = [env.registry];
  const requests = new client.Counter({ name: 'http_requests_total', help: 'HTTP requests by route and status code', labelNames: ['route', 'code'], registers: reg });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['route'], registers: reg,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5],
  });
  const inference = new client.Histogram({
    name: 'inference_duration_seconds', help: 'model time including the feature lookup', registers: reg,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5],
  });
  const pool = new pg.Pool({ ...pgConnection(sb), max: 10 });
  // A restarted PostgreSQL kills the idle connections: reconnect on the next query instead of dying with them.
  pool.on('error', (e) => process.stderr.write(`postgres connection lost: ${e.message}\n`));
  let dbOk = { at: 0, ok: false, why: '' };

  const timed = (route: string, h: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<number>) =>
    async (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      const end = duration.startTimer({ route });
      let code = 500;
      try { code = await h(req, res); } finally { end(); requests.inc({ route, code: String(code) }); }
    };

  const server = await serve(env, sb.ports.inferenceApi, {
    'POST /v1/predict': timed('/v1/predict', async (req, res) => {
      let body: { commodity?: unknown };
      try { body = JSON.parse(await readBody(req)) as { commodity?: unknown }; } catch { sendJson(res, 400, { error: 'body must be JSON' }); return 400; }
      if (typeof body.commodity !== 'string') { sendJson(res, 400, { error: 'commodity (string) is required' }); return 400; }
      const endInference = inference.startTimer();
      const latency = faults.get('inference-latency-ms');
      if (latency > 0) await sleep(latency);
      if (Math.random() < faults.get('inference-error-rate')) {
        endInference();
        sendJson(res, 500, { error: 'model backend failure (injected fault inference-error-rate)' });
        return 500;
      }
      const r = await pool.query('SELECT last_price, ema_short, ema_long, samples, updated_at FROM features WHERE commodity = $1', [body.commodity]);
      endInference();
      const f = r.rows[0];
      if (!f) { sendJson(res, 404, { error: `no features for commodity ${body.commodity}` }); return 404; }
      sendJson(res, 200, {
        commodity: body.commodity, model: MODEL.version,
        predicted: MODEL.predict(f.last_price, f.ema_short, f.ema_long),
        features: { lastPrice: f.last_price, emaShort: f.ema_short, emaLong: f.ema_long, samples: Number(f.samples), updatedAt: f.updated_at },
      });
      return 200;
    }),
    'GET /healthz': async (_req, res) => {
      if (Date.now() - dbOk.at > 1000) {
        try { await pool.query('SELECT 1'); dbOk = { at: Date.now(), ok: true, why: '' }; }
        catch (e) { dbOk = { at: Date.now(), ok: false, why: (e as Error).message }; }
      }
      sendJson(res, dbOk.ok ? 200 : 503, dbOk.ok ? { status: 'ok' } : { status: 'unavailable', reason: `feature store: ${dbOk.why}` });
    },
  });
  onShutdown(async () => { server.close(); await pool.end(); });
}
