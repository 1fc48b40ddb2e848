/**
 * Small clients for the sandbox's Prometheus and Alertmanager HTTP APIs (global fetch).
 * Failures to reach them are InfraErrors naming the part, so callers exit 3 with a clear cause.
 */
import type { SandboxConfig } from '../core/config.ts';
import { InfraError } from '../core/errors.ts';

type Sb = Pick<SandboxConfig, 'host' | 'ports'>;

export function prometheusUrl(sb: Sb): string { return `http://${sb.host}:${sb.ports.prometheus}`; }
export function alertmanagerUrl(sb: Sb): string { return `http://${sb.host}:${sb.ports.alertmanager}`; }

const TIMEOUT_MS = 5_000;

async function getJson<T>(part: string, url: string, timeoutMs = TIMEOUT_MS): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new InfraError(`cannot reach ${url}: ${cause}`, part);
  }
  const text = await res.text();
  let body: unknown;
  try { body = JSON.parse(text); } catch { body = undefined; }
  if (!res.ok) {
    const err = (body as { error?: string } | undefined)?.error ?? text.slice(0, 300);
    throw new InfraError(`GET ${url} → HTTP ${res.status}: ${err}`, part);
  }
  if (body === undefined) throw new InfraError(`GET ${url} did not return JSON`, part);
  return body as T;
}

interface PromEnvelope<T> { status: 'success' | 'error'; data: T; error?: string; errorType?: string }

async function promGet<T>(sb: Sb, path: string, params: Record<string, string> = {}): Promise<T> {
  const qs = new URLSearchParams(params).toString();
  const env = await getJson<PromEnvelope<T>>('prometheus', `${prometheusUrl(sb)}${path}${qs ? `?${qs}` : ''}`);
  if (env.status !== 'success') throw new InfraError(`${path}: ${env.errorType ?? 'error'}: ${env.error ?? ''}`, 'prometheus');
  return env.data;
}

export interface PromSample { metric: Record<string, string>; value: number }

type QueryData =
  | { resultType: 'vector'; result: Array<{ metric: Record<string, string>; value: [number, string] }> }
  | { resultType: 'scalar'; result: [number, string] }
  | { resultType: 'string'; result: [number, string] }
  | { resultType: 'matrix'; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };

/** Instant query. A scalar result comes back as one sample with no labels; "NaN"/"+Inf" map to NaN/Infinity. */
export async function promQuery(sb: Sb, expr: string, time?: Date): Promise<PromSample[]> {
  const params: Record<string, string> = { query: expr };
  if (time) params.time = String(time.getTime() / 1000);
  const data = await promGet<QueryData>(sb, '/api/v1/query', params);
  switch (data.resultType) {
    case 'vector': return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    case 'scalar': return [{ metric: {}, value: Number(data.result[1]) }];
    case 'matrix': return data.result.map((r) => ({ metric: r.metric, value: Number(r.values.at(-1)?.[1] ?? NaN) }));
    default: throw new InfraError(`query returned a ${data.resultType}, expected a number: ${expr}`, 'prometheus');
  }
}

/** The single value of an expression that aggregates to one series, or null when it has no data. */
export async function promScalar(sb: Sb, expr: string, time?: Date): Promise<number | null> {
  const r = await promQuery(sb, expr, time);
  return r.length === 0 ? null : r[0]!.value;
}

export interface PromSeries { metric: Record<string, string>; values: Array<{ t: number; value: number }> }

/** Range query; `t` in unix seconds. */
export async function promQueryRange(sb: Sb, expr: string, start: Date, end: Date, stepS: number): Promise<PromSeries[]> {
  const data = await promGet<QueryData>(sb, '/api/v1/query_range', {
    query: expr, start: String(start.getTime() / 1000), end: String(end.getTime() / 1000), step: String(stepS),
  });
  if (data.resultType !== 'matrix') throw new InfraError(`range query returned ${data.resultType}`, 'prometheus');
  return data.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => ({ t, value: Number(v) })) }));
}

export interface PromTarget {
  job: string;
  instance: string;
  health: 'up' | 'down' | 'unknown';
  labels: Record<string, string>;
  scrapeUrl: string;
  lastError: string;
  lastScrape: string;
}

/** Active scrape targets. */
export async function promTargets(sb: Sb): Promise<PromTarget[]> {
  const data = await promGet<{ activeTargets: Array<{
    labels: Record<string, string>; scrapePool: string; scrapeUrl: string;
    health: PromTarget['health']; lastError: string; lastScrape: string;
  }> }>(sb, '/api/v1/targets', { state: 'active' });
  return data.activeTargets.map((t) => ({
    job: t.labels.job ?? t.scrapePool, instance: t.labels.instance ?? '', health: t.health,
    labels: t.labels, scrapeUrl: t.scrapeUrl, lastError: t.lastError, lastScrape: t.lastScrape,
  }));
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value: string;
}

/** Alerts as Prometheus sees them (pending and firing), before Alertmanager routing. */
export async function promAlerts(sb: Sb): Promise<PromAlert[]> {
  const data = await promGet<{ alerts: PromAlert[] }>(sb, '/api/v1/alerts');
  return data.alerts;
}

export interface PromRule {
  name: string; query: string; duration: number; health: string; state?: string;
  labels?: Record<string, string>; annotations?: Record<string, string>; type: 'alerting' | 'recording';
  lastError?: string;
}

/** Loaded rules (flattened over groups). */
export async function promRules(sb: Sb): Promise<PromRule[]> {
  const data = await promGet<{ groups: Array<{ name: string; rules: PromRule[] }> }>(sb, '/api/v1/rules');
  return data.groups.flatMap((g) => g.rules);
}

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  generatorURL?: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
  receivers: Array<{ name: string }>;
}

export interface AmAlertFilter {
  /** Label matchers in Alertmanager syntax, e.g. `alertname="ErrorRateCritical"`, `severity=~"crit.*"`. */
  matchers?: string[];
  /** Shorthand for a matcher on alertname. */
  alertname?: string;
  active?: boolean;
  silenced?: boolean;
  inhibited?: boolean;
  unprocessed?: boolean;
}

/** GET /api/v2/alerts on Alertmanager. */
export async function alertmanagerAlerts(sb: Sb, filter: AmAlertFilter = {}): Promise<AmAlert[]> {
  const qs = new URLSearchParams();
  for (const m of filter.matchers ?? []) qs.append('filter', m);
  if (filter.alertname) qs.append('filter', `alertname=${JSON.stringify(filter.alertname)}`);
  for (const k of ['active', 'silenced', 'inhibited', 'unprocessed'] as const) {
    if (filter[k] !== undefined) qs.set(k, String(filter[k]));
  }
  const q = qs.toString();
  return getJson<AmAlert[]>('alertmanager', `${alertmanagerUrl(sb)}/api/v2/alerts${q ? `?${q}` : ''}`);
}

/** True when GET `url` answers 200 within `timeoutMs`. */
/** GET `url`: ok on a 2xx answer, else why not (status, or the connection error's cause). */
export async function httpProbe(url: string, timeoutMs = 2_000): Promise<{ ok: boolean; why: string }> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await r.body?.cancel();
    return r.ok ? { ok: true, why: '' } : { ok: false, why: `${url} answered ${r.status}` };
  } catch (e) {
    const cause = (e as Error).cause as Error | undefined;
    return { ok: false, why: `${url}: ${cause ? String(cause.message) : (e as Error).message}` };
  }
}

export async function httpOk(url: string, timeoutMs = 2_000): Promise<boolean> {
  return (await httpProbe(url, timeoutMs)).ok;
}
