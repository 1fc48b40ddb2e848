import { Agent, request } from 'undici';
import type { Check } from '../core/record.ts';
import type { InferenceProfile } from '../profile/schema.ts';
import { tlsOptions } from '../platform/tls.ts';
import { check, passIf, round } from './check.ts';
import { TrendSink } from '../scenarios/metrics.ts';

/** The profile's request template for one commodity: method, path, headers and body. */
export function inferenceRequest(api: Pick<InferenceProfile, 'request'>, commodity: string): { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string } {
  const r = api.request;
  const fill = (s: string) => s.replaceAll('{{commodity}}', commodity);
  return { method: r.method, path: fill(r.path), headers: r.headers, body: r.body === undefined ? undefined : fill(r.body) };
}

/** Health endpoint plus a small sequential latency probe (not a load test: that is the gate's job). */
export async function inferenceChecks(api: InferenceProfile, opts: { probes: number; p95TargetMs: number }): Promise<Check[]> {
  const base = api.url.replace(/\/+$/, '');
  const tls = tlsOptions(api.tls);
  const dispatcher = tls ? new Agent({ connect: tls }) : undefined;
  const out: Check[] = [];
  let healthy = false;
  const health = `${base}${api.healthPath}`;
  try {
    const r = await request(health, { headersTimeout: 5000, dispatcher, headers: api.request.headers });
    const body = await r.body.text();
    healthy = r.statusCode === 200;
    out.push(check('daily.inference.health', 'inference API healthy', '200', r.statusCode, 'status', passIf(healthy),
      { what: body.slice(0, 200), how: `GET ${api.healthPath}`, where: health }));
  } catch (e) {
    out.push(check('daily.inference.health', 'inference API healthy', '200', null, 'status', 'fail',
      { what: `unreachable: ${(e as Error).message}`, how: `GET ${api.healthPath}`, where: health }));
    return out;
  }
  const times: number[] = [];
  let errors = 0;
  for (let i = 0; i < opts.probes; i++) {
    const q = inferenceRequest(api, api.commodities[i % api.commodities.length]!);
    const t0 = performance.now();
    try {
      const r = await request(`${base}${q.path}`, { method: q.method, headers: q.headers, body: q.body, headersTimeout: 10_000, dispatcher });
      await r.body.dump();
      if (r.statusCode >= 400) errors++;
    } catch { errors++; }
    times.push(performance.now() - t0);
  }
  // Kept as an HDR histogram in the evidence too: the week-1 table merges the week's requests from it.
  const histogram = new TrendSink();
  for (const t of times) histogram.add(t);
  times.sort((a, b) => a - b);
  const p95 = times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)]!;
  const first = inferenceRequest(api, api.commodities[0]!);
  out.push(check('daily.inference.latency-p95', 'inference latency probe p95', `<${opts.p95TargetMs}`, round(p95, 1), 'ms',
    passIf(p95 < opts.p95TargetMs && errors === 0), {
      what: `${opts.probes} sequential predictions, ${errors} failed; median ${round(times[Math.floor(times.length / 2)]!, 1)} ms`,
      how: `${first.method} ${api.request.path} (the profile's request) one at a time, nearest-rank p95`, where: `${base}${api.request.path}`,
      histogram: histogram.encode(), requests: times.length,
    }));
  return out;
}
