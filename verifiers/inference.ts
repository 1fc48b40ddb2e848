import { request } from 'undici';
import type { Check } from '../core/record.ts';
import { check, passIf, round } from './check.ts';

/** Health endpoint plus a small sequential latency probe (not a load test: that is the gate's job). */
export async function inferenceChecks(baseUrl: string, commodities: string[], opts: { probes: number; p95TargetMs: number }): Promise<Check[]> {
  const out: Check[] = [];
  let healthy = false;
  try {
    const r = await request(`${baseUrl}/healthz`, { headersTimeout: 5000 });
    const body = await r.body.text();
    healthy = r.statusCode === 200;
    out.push(check('daily.inference.health', 'inference API healthy', '200', r.statusCode, 'status', passIf(healthy),
      { what: body.slice(0, 200), how: 'GET /healthz (checks its feature-store connection)', where: `${baseUrl}/healthz` }));
  } catch (e) {
    out.push(check('daily.inference.health', 'inference API healthy', '200', null, 'status', 'fail',
      { what: `unreachable: ${(e as Error).message}`, how: 'GET /healthz', where: `${baseUrl}/healthz` }));
    return out;
  }
  const times: number[] = [];
  let errors = 0;
  for (let i = 0; i < opts.probes; i++) {
    const t0 = performance.now();
    try {
      const r = await request(`${baseUrl}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ commodity: commodities[i % commodities.length] }), headersTimeout: 10_000 });
      await r.body.dump();
      if (r.statusCode >= 400) errors++;
    } catch { errors++; }
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p95 = times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)]!;
  out.push(check('daily.inference.latency-p95', 'inference latency probe p95', `<${opts.p95TargetMs}`, round(p95, 1), 'ms',
    passIf(p95 < opts.p95TargetMs && errors === 0), {
      what: `${opts.probes} sequential predictions, ${errors} failed; median ${round(times[Math.floor(times.length / 2)]!, 1)} ms`,
      how: 'POST /v1/predict one at a time, nearest-rank p95', where: `${baseUrl}/v1/predict`,
    }));
  return out;
}
