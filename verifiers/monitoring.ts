import type { Check } from '../core/record.ts';
import type { Profile } from '../profile/schema.ts';
import type { HttpClient } from '../platform/http.ts';
import { promSli, promQuery } from '../platform/prometheus.ts';
import { alertmanagerAlerts } from '../platform/alertmanager.ts';
import { check, errorCheck, passIf, round } from './check.ts';

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
 * Health, uptime and error rate over a window from the profile's SLIs, alerts firing now by
 * severity (Alertmanager), and freshness of the dashboard series. Every query is the profile's;
 * every address is the profile's, named in each check's evidence.
 */
export async function monitoringChecks(prom: HttpClient, am: { client: HttpClient; severity: { label: string; critical: string[]; warning: string[] } } | null, slis: Slis, windowS: number, targets: { healthPct: number; uptimePct: number; errorRate: number; inferenceP95Ms: number; consumerLagS: number }): Promise<Check[]> {
  const out: Check[] = [];
  /** Pushes the check; returns the SLI's unrounded value (null: no data or an error). */
  const scalar = async (id: string, title: string, target: string, unit: string, sli: string, judge: (v: number) => boolean, what: string): Promise<number | null> => {
    const expr = withWindow(sli, windowS);
    try {
      const v = await promSli(prom, expr);
      out.push(check(id, title, target, v === null ? null : round(v, 4), unit, v === null ? 'no-data' : passIf(judge(v)), { what, how: `PromQL: ${expr}`, where: prom.url }));
      return v;
    } catch (e) {
      out.push(errorCheck(id, title, target, unit, prom.url, e));
      return null;
    }
  };
  await scalar('daily.platform-health', 'platform health (share of platform components up: services and infrastructure)', `>=${targets.healthPct}`, '%',
    slis.platformHealth, (v) => v >= targets.healthPct, `mean over ${windowS} s of the share of platform components up (platform.slis.platformHealth)`);
  await scalar('daily.uptime', 'uptime of the user-facing inference API (its request path)', `>=${targets.uptimePct}`, '%',
    slis.uptime, (v) => v >= targets.uptimePct, `share of the ${windowS} s in which the user-facing request path answered (platform.slis.uptime)`);
  const ratio = await scalar('daily.error-rate', 'inference API error rate', `<${targets.errorRate}`, 'ratio',
    slis.errorRate, (v) => v < targets.errorRate, `failed over all inference responses in the last ${windowS} s (platform.slis.errorRate)`);
  // The ratio's denominator, where the profile names one: the week-1 row then weighs this day by
  // its requests (errors over requests across the week) instead of letting a quiet day decide it.
  const rate = out[out.length - 1]!;
  if (slis.requests && ratio !== null) {
    const expr = withWindow(slis.requests, windowS);
    try {
      const n = await promSli(prom, expr);
      if (n !== null && n >= 0) Object.assign(rate.evidence, { requests: round(n, 3), errors: round(n * ratio, 3), requestsHow: `PromQL: ${expr}` });
    } catch (e) {
      Object.assign(rate.evidence, { requestsError: (e as Error).message.split('\n')[0] });
    }
  }
  // The platform's own view of latency and lag, where its profile names one: a second witness beside
  // the harness's probe and the lag it reads from Kafka's offsets.
  if (slis.inferenceLatencyP95Ms) {
    await scalar('daily.inference.latency-p95-platform', 'inference p95 as the platform measures it', `<${targets.inferenceP95Ms}`, 'ms',
      slis.inferenceLatencyP95Ms, (v) => v < targets.inferenceP95Ms, `the platform's own p95 of its inference requests over the last ${windowS} s (platform.slis.inferenceLatencyP95Ms)`);
  }
  if (slis.consumerLagS) {
    await scalar('daily.kafka.consumer-lag-platform', 'consumer lag as the platform measures it', `<${targets.consumerLagS}`, 's',
      slis.consumerLagS, (v) => v < targets.consumerLagS, `the platform's own consumer lag, worst over the last ${windowS} s (platform.slis.consumerLagS)`);
  }

  if (!am) {
    out.push(check('daily.critical-alerts', 'critical alerts firing', '==0', null, 'alerts', 'no-data', { what: 'the profile names no Alertmanager (platform.alertmanager)', how: '', where: '' }));
  } else {
    try {
      const active = await alertmanagerAlerts(am.client, { active: true, silenced: false, inhibited: false });
      const bySev = (values: string[]) => active.filter((a) => values.includes(a.labels[am.severity.label] ?? '')).map((a) => a.labels.alertname ?? '?');
      const critical = bySev(am.severity.critical);
      out.push(check('daily.critical-alerts', 'critical alerts firing', '==0', critical.length, 'alerts', passIf(critical.length === 0), {
        what: `critical: ${critical.join(', ') || 'none'}; warning: ${bySev(am.severity.warning).join(', ') || 'none'}`,
        how: `Alertmanager GET /api/v2/alerts?active=true; critical = ${am.severity.label} in ${am.severity.critical.join('|')}`, where: am.client.url, critical, warning: bySev(am.severity.warning),
      }));
    } catch (e) {
      out.push(errorCheck('daily.critical-alerts', 'critical alerts firing', '==0', 'alerts', am.client.url, e));
    }
  }

  const series = slis.dashboardSeries;
  try {
    const stale: string[] = [];
    const ages: Record<string, number | null> = {};
    for (const m of series) {
      const r = await promQuery(prom, `time() - max(timestamp(${m}))`);
      const age = r[0]?.value ?? null;
      ages[m] = age === null ? null : round(age, 1);
      if (age === null || age > slis.staleAfterS) stale.push(m);
    }
    out.push(check('daily.dashboards.fresh', 'dashboards updating (their series are fresh)', `age<${slis.staleAfterS}s`, `${series.length - stale.length}/${series.length} fresh`, 'series',
      passIf(stale.length === 0), { what: stale.length ? `stale or missing: ${stale.join(', ')}` : 'every dashboard series has a recent sample', how: 'PromQL time() - max(timestamp(series)) per series', where: prom.url, ages }));
  } catch (e) {
    out.push(errorCheck('daily.dashboards.fresh', 'dashboards updating', `age<${slis.staleAfterS}s`, 'series', prom.url, e));
  }
  return out;
}
