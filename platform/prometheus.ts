/** Prometheus's HTTP query API, at the address and with the credentials the profile gives. */
import { InfraError } from '../core/errors.ts';
import type { HttpClient } from './http.ts';

interface PromEnvelope<T> { status: 'success' | 'error'; data: T; error?: string; errorType?: string }

async function promGet<T>(c: HttpClient, path: string, params: Record<string, string> = {}): Promise<T> {
  const env = await c.getJson<PromEnvelope<T>>(path, params);
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
export async function promQuery(c: HttpClient, expr: string, time?: Date): Promise<PromSample[]> {
  const params: Record<string, string> = { query: expr };
  if (time) params.time = String(time.getTime() / 1000);
  const data = await promGet<QueryData>(c, '/api/v1/query', params);
  switch (data.resultType) {
    case 'vector': return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    case 'scalar': return [{ metric: {}, value: Number(data.result[1]) }];
    case 'matrix': return data.result.map((r) => ({ metric: r.metric, value: Number(r.values.at(-1)?.[1] ?? NaN) }));
    default: throw new InfraError(`query returned a ${data.resultType}, expected a number: ${expr}`, 'prometheus');
  }
}

/** The single value of an expression that aggregates to one series, or null when it has no data. */
export async function promScalar(c: HttpClient, expr: string, time?: Date): Promise<number | null> {
  const r = await promQuery(c, expr, time);
  return r.length === 0 ? null : r[0]!.value;
}

/**
 * An SLI's one value: null when it has no data, an error when it returns several series (a query
 * that is not aggregated would otherwise be judged on whichever series came first).
 */
export async function promSli(c: HttpClient, expr: string): Promise<number | null> {
  const r = await promQuery(c, expr);
  if (r.length > 1) throw new InfraError(`the query returns ${r.length} series, not one (aggregate it, e.g. with sum or avg): ${expr}`, 'prometheus');
  // NaN (e.g. 0/0: a rate over no traffic) is no data, not a value to judge.
  return r.length === 0 || Number.isNaN(r[0]!.value) ? null : r[0]!.value;
}

export interface PromSeries { metric: Record<string, string>; values: Array<{ t: number; value: number }> }

/** Range query; `t` in unix seconds. */
export async function promQueryRange(c: HttpClient, expr: string, start: Date, end: Date, stepS: number): Promise<PromSeries[]> {
  const data = await promGet<QueryData>(c, '/api/v1/query_range', {
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
export async function promTargets(c: HttpClient): Promise<PromTarget[]> {
  const data = await promGet<{ activeTargets: Array<{
    labels: Record<string, string>; scrapePool: string; scrapeUrl: string;
    health: PromTarget['health']; lastError: string; lastScrape: string;
  }> }>(c, '/api/v1/targets', { state: 'active' });
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
export async function promAlerts(c: HttpClient): Promise<PromAlert[]> {
  return (await promGet<{ alerts: PromAlert[] }>(c, '/api/v1/alerts')).alerts;
}

export interface PromRule {
  name: string; query: string; duration: number; health: string; state?: string;
  labels?: Record<string, string>; annotations?: Record<string, string>; type: 'alerting' | 'recording';
  lastError?: string;
}

/** Loaded rules (flattened over groups). */
export async function promRules(c: HttpClient): Promise<PromRule[]> {
  const data = await promGet<{ groups: Array<{ name: string; rules: PromRule[] }> }>(c, '/api/v1/rules');
  return data.groups.flatMap((g) => g.rules);
}

/** Build information: proves the address is a Prometheus and the credentials are accepted. */
export async function promBuildInfo(c: HttpClient): Promise<{ version: string }> {
  return promGet<{ version: string }>(c, '/api/v1/status/buildinfo');
}
