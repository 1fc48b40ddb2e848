import { Agent, request } from 'undici';
import type { Check } from '../core/record.ts';
import type { InferenceProfile } from '../profile/schema.ts';
import { tlsOptions } from '../platform/tls.ts';
import { check, failedReading, passIf, round, type Reading } from './check.ts';
import { TrendSink } from '../scenarios/metrics.ts';

/** The profile's request template for one commodity: method, path, headers and body. */
export function inferenceRequest(api: Pick<InferenceProfile, 'request'>, commodity: string): { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string } {
  const r = api.request;
  const fill = (s: string) => s.replaceAll('{{commodity}}', commodity);
  return { method: r.method, path: fill(r.path), headers: r.headers, body: r.body === undefined ? undefined : fill(r.body) };
}

/** What the inference probe saw: the health endpoint's answer, then each probe request's wall time. */
export interface InferenceEvidence {
  /** The health endpoint and the request probed (method and the profile's path template). */
  health: { url: string; path: string } & Reading<{ status: number; body: string }>;
  probes?: { url: string; method: string; path: string; ms: number[]; failed: number };
}

/** Health endpoint plus a small sequential latency probe (not a load test: that is the gate's job). */
export async function probeInference(api: InferenceProfile, probes: number): Promise<InferenceEvidence> {
  const base = api.url.replace(/\/+$/, '');
  const tls = tlsOptions(api.tls);
  const dispatcher = tls ? new Agent({ connect: tls }) : undefined;
  const url = `${base}${api.healthPath}`;
  let health: InferenceEvidence['health'];
  try {
    const r = await request(url, { headersTimeout: 5000, dispatcher, headers: api.request.headers });
    health = { url, path: api.healthPath, ok: true, status: r.statusCode, body: (await r.body.text()).slice(0, 200) };
  } catch (e) {
    return { health: { url, path: api.healthPath, ...failedReading(e) } };
  }
  const ms: number[] = [];
  let failed = 0;
  for (let i = 0; i < probes; i++) {
    const q = inferenceRequest(api, api.commodities[i % api.commodities.length]!);
    const t0 = performance.now();
    try {
      const r = await request(`${base}${q.path}`, { method: q.method, headers: q.headers, body: q.body, headersTimeout: 10_000, dispatcher });
      await r.body.dump();
      if (r.statusCode >= 400) failed++;
    } catch { failed++; }
    ms.push(performance.now() - t0);
  }
  return { health, probes: { url: `${base}${api.request.path}`, method: inferenceRequest(api, api.commodities[0]!).method, path: api.request.path, ms, failed } };
}

export function judgeInference(e: InferenceEvidence, p95TargetMs: number): Check[] {
  const h = e.health;
  const out: Check[] = [h.ok
    ? check('daily.inference.health', 'inference API healthy', '200', h.status, 'status', passIf(h.status === 200), { what: h.body, how: `GET ${h.path}`, where: h.url })
    : check('daily.inference.health', 'inference API healthy', '200', null, 'status', 'fail', { what: `unreachable: ${h.error}`, how: `GET ${h.path}`, where: h.url })];
  const p = e.probes;
  if (!p) return out;
  // Kept as an HDR histogram in the evidence too: the week-1 table merges the week's requests from it.
  const histogram = new TrendSink();
  for (const t of p.ms) histogram.add(t);
  const times = [...p.ms].sort((a, b) => a - b);
  const p95 = times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)]!;
  out.push(check('daily.inference.latency-p95', 'inference latency probe p95', `<${p95TargetMs}`, round(p95, 1), 'ms',
    passIf(p95 < p95TargetMs && p.failed === 0), {
      what: `${times.length} sequential predictions, ${p.failed} failed; median ${round(times[Math.floor(times.length / 2)]!, 1)} ms`,
      how: `${p.method} ${p.path} (the profile's request) one at a time, nearest-rank p95`, where: p.url,
      histogram: histogram.encode(), requests: times.length,
    }));
  return out;
}
