import type { Check } from '../core/record.ts';
import type { Profile } from '../profile/schema.ts';
import type { HttpClient } from '../platform/http.ts';
import { promSli, promQuery } from '../platform/prometheus.ts';
import { alertmanagerAlerts } from '../platform/alertmanager.ts';
import { check, failedReading, passIf, round, unmeasured, type Reading } from './check.ts';

type Slis = NonNullable<Profile['platform']['slis']>;

/** The checks monitoringChecks makes (id, title): also what is reported as no data when the profile names no Prometheus. */
export const MONITORING_CHECKS: Array<[string, string]> = [
  ['daily.platform-health', 'platform health'], ['daily.uptime', 'uptime of the user-facing inference API'],
  ['daily.error-rate', 'inference API error rate'], ['daily.critical-alerts', 'critical alerts firing'],
  ['daily.dashboards.fresh', 'dashboards updating'],
];

/** An SLI's PromQL with the window put in (`$window`, e.g. `30s`). */
export const withWindow = (expr: string, windowS: number) => expr.replaceAll('$window', `${windowS}s`);

/**
 * One PromQL reading: the query as sent and its value (null: no series), or why it failed. A value
 * JSON cannot hold (+Inf from histogram_quantile, NaN from 0/0) is kept as Prometheus writes it in
 * `nonFinite`, so a stored reading is judged as the live one was.
 */
export type PromReading = { expr: string } & Reading<{ value: number | null; nonFinite?: string }>;

/** A reading as a JSON-safe record entry. */
export function promReading(expr: string, v: number | null): PromReading {
  return v === null || Number.isFinite(v) ? { expr, ok: true, value: v } : { expr, ok: true, value: null, nonFinite: v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN' };
}

/** The value a stored reading stands for (±Infinity and NaN included). */
export const promValue = (r: Extract<PromReading, { ok: true }>): number | null =>
  r.nonFinite === undefined ? r.value : r.nonFinite === '+Inf' ? Infinity : r.nonFinite === '-Inf' ? -Infinity : NaN;

/** The SLIs a daily check reads, by their profile key (platform.slis). */
type SliKey = 'platformHealth' | 'uptime' | 'errorRate' | 'inferenceLatencyP95Ms' | 'consumerLagS';
/** Those every profile with Prometheus names. */
const REQUIRED: SliKey[] = ['platformHealth', 'uptime', 'errorRate'];

/** What the monitoring probe read from Prometheus and Alertmanager. */
export interface MonitoringEvidence {
  prometheus: string;
  windowS: number;
  slis: Partial<Record<SliKey, PromReading>>;
  /** The error rate's denominator (platform.slis.requests), where the profile names one. */
  requests?: PromReading;
  /** Alerts active now (not silenced or inhibited), their labels; null: the profile names no Alertmanager. */
  alerts: ({ url: string } & Reading<{ active: Array<Record<string, string>> }>) | null;
  /** Seconds since each dashboard series' newest sample (null: no series). */
  dashboards: Reading<{ ages: Record<string, number | null> }>;
}

export interface MonitoringTargets {
  healthPct: number; uptimePct: number; errorRate: number; inferenceP95Ms: number; consumerLagS: number;
  /** A dashboard series older than this is stale (platform.slis.staleAfterS). */
  staleAfterS: number;
  /** Which alert label carries severity and which values are critical or warning (platform.alertmanager.severity). */
  severity: { label: string; critical: string[]; warning: string[] };
}

async function readSli(prom: HttpClient, expr: string): Promise<PromReading> {
  try { return promReading(expr, await promSli(prom, expr)); } catch (e) { return { expr, ...failedReading(e) }; }
}

/**
 * Health, uptime and error rate over a window from the profile's SLIs, alerts active now
 * (Alertmanager), and the age of the dashboard series. Every query is the profile's; every address
 * is the profile's.
 */
export async function probeMonitoring(prom: HttpClient, am: HttpClient | null, slis: Slis, windowS: number): Promise<MonitoringEvidence> {
  const read: MonitoringEvidence['slis'] = {};
  for (const key of ['platformHealth', 'uptime', 'errorRate', 'inferenceLatencyP95Ms', 'consumerLagS'] as const) {
    const sli = slis[key];
    if (sli) read[key] = await readSli(prom, withWindow(sli, windowS));
  }
  const e: MonitoringEvidence = { prometheus: prom.url, windowS, slis: read, alerts: null, dashboards: { ok: true, ages: {} } };
  if (slis.requests) e.requests = await readSli(prom, withWindow(slis.requests, windowS));
  if (am) {
    try {
      const active = await alertmanagerAlerts(am, { active: true, silenced: false, inhibited: false });
      e.alerts = { url: am.url, ok: true, active: active.map((a) => a.labels) };
    } catch (err) {
      e.alerts = { url: am.url, ...failedReading(err) };
    }
  }
  try {
    const ages: Record<string, number | null> = {};
    // An age that is not a number is no sample to go by: missing, so stale.
    for (const m of slis.dashboardSeries) { const age = (await promQuery(prom, `time() - max(timestamp(${m}))`))[0]?.value ?? null; ages[m] = age !== null && Number.isFinite(age) ? age : null; }
    e.dashboards = { ok: true, ages };
  } catch (err) {
    e.dashboards = failedReading(err);
  }
  return e;
}

/** The monitoring checks from what the probe read, against the profile's targets. */
export function judgeMonitoring(e: MonitoringEvidence, t: MonitoringTargets): Check[] {
  const out: Check[] = [];
  const where = e.prometheus;
  const w = e.windowS;
  const scalar = (key: SliKey, id: string, title: string, target: string, unit: string, judge: (v: number) => boolean, what: string) => {
    const r = e.slis[key];
    // The optional SLIs are judged where the profile names them; a required one missing from the
    // evidence (a damaged record) was not read: no data, never left out.
    if (!r) {
      if (REQUIRED.includes(key)) out.push(check(id, title, target, null, unit, 'no-data', { what: `the evidence holds no reading of platform.slis.${key}`, how: '', where }));
      return;
    }
    if (!r.ok) { out.push(unmeasured(id, title, target, unit, where, r.error)); return; }
    const v = promValue(r);
    out.push(check(id, title, target, v === null ? null : r.nonFinite ?? round(v, 4), unit, v === null ? 'no-data' : passIf(judge(v)), { what, how: `PromQL: ${r.expr}`, where }));
  };
  scalar('platformHealth', 'daily.platform-health', 'platform health (share of platform components up: services and infrastructure)', `>=${t.healthPct}`, '%',
    (v) => v >= t.healthPct, `mean over ${w} s of the share of platform components up (platform.slis.platformHealth)`);
  scalar('uptime', 'daily.uptime', 'uptime of the user-facing inference API (its request path)', `>=${t.uptimePct}`, '%',
    (v) => v >= t.uptimePct, `share of the ${w} s in which the user-facing request path answered (platform.slis.uptime)`);
  scalar('errorRate', 'daily.error-rate', 'inference API error rate', `<${t.errorRate}`, 'ratio',
    (v) => v < t.errorRate, `failed over all inference responses in the last ${w} s (platform.slis.errorRate)`);
  // The ratio's denominator, where the profile names one: the week-1 row then weighs this day by
  // its requests (errors over requests across the week) instead of letting a quiet day decide it.
  const ratio = e.slis.errorRate?.ok ? e.slis.errorRate.value : null;
  const n = e.requests;
  if (n && ratio !== null) {
    const rate = out[out.length - 1]!;
    if (!n.ok) Object.assign(rate.evidence, { requestsError: n.error.split('\n')[0] });
    else if (n.value !== null && n.nonFinite === undefined && n.value >= 0) Object.assign(rate.evidence, { requests: round(n.value, 3), errors: round(n.value * ratio, 3), requestsHow: `PromQL: ${n.expr}` });
  }
  // The platform's own view of latency and lag, where its profile names one: a second witness beside
  // the harness's probe and the lag it reads from Kafka's offsets.
  scalar('inferenceLatencyP95Ms', 'daily.inference.latency-p95-platform', 'inference p95 as the platform measures it', `<${t.inferenceP95Ms}`, 'ms',
    (v) => v < t.inferenceP95Ms, `the platform's own p95 of its inference requests over the last ${w} s (platform.slis.inferenceLatencyP95Ms)`);
  scalar('consumerLagS', 'daily.kafka.consumer-lag-platform', 'consumer lag as the platform measures it', `<${t.consumerLagS}`, 's',
    (v) => v < t.consumerLagS, `the platform's own consumer lag, worst over the last ${w} s (platform.slis.consumerLagS)`);

  const a = e.alerts;
  if (!a) {
    out.push(check('daily.critical-alerts', 'critical alerts firing', '==0', null, 'alerts', 'no-data', { what: 'the profile names no Alertmanager (platform.alertmanager)', how: '', where: '' }));
  } else if (!a.ok) {
    out.push(unmeasured('daily.critical-alerts', 'critical alerts firing', '==0', 'alerts', a.url, a.error));
  } else {
    const sev = t.severity;
    const bySev = (values: string[]) => a.active.filter((l) => values.includes(l[sev.label] ?? '')).map((l) => l.alertname ?? '?');
    const critical = bySev(sev.critical);
    const warning = bySev(sev.warning);
    out.push(check('daily.critical-alerts', 'critical alerts firing', '==0', critical.length, 'alerts', passIf(critical.length === 0), {
      what: `critical: ${critical.join(', ') || 'none'}; warning: ${warning.join(', ') || 'none'}`,
      how: `Alertmanager GET /api/v2/alerts?active=true; critical = ${sev.label} in ${sev.critical.join('|')}`, where: a.url, critical, warning,
    }));
  }

  const d = e.dashboards;
  if (!d.ok) {
    out.push(unmeasured('daily.dashboards.fresh', 'dashboards updating', `age<${t.staleAfterS}s`, 'series', where, d.error));
  } else {
    const series = Object.keys(d.ages);
    // No series read is nothing measured, never "all fresh".
    if (!series.length) { out.push(check('daily.dashboards.fresh', 'dashboards updating', `age<${t.staleAfterS}s`, null, 'series', 'no-data', { what: 'no dashboard series was read', how: '', where })); return out; }
    const stale = series.filter((m) => d.ages[m] === null || d.ages[m]! > t.staleAfterS);
    const ages = Object.fromEntries(series.map((m) => [m, d.ages[m] === null ? null : round(d.ages[m]!, 1)]));
    out.push(check('daily.dashboards.fresh', 'dashboards updating (their series are fresh)', `age<${t.staleAfterS}s`, `${series.length - stale.length}/${series.length} fresh`, 'series',
      passIf(stale.length === 0), { what: stale.length ? `stale or missing: ${stale.join(', ')}` : 'every dashboard series has a recent sample', how: 'PromQL time() - max(timestamp(series)) per series', where, ages }));
  }
  return out;
}
