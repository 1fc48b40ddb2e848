import type { SandboxConfig } from '../core/config.ts';
import type { Check } from '../core/record.ts';
import { check, errorCheck, passIf, round } from './check.ts';
import { promScalar, promQuery, alertmanagerAlerts, prometheusUrl, alertmanagerUrl } from '../sandbox/prom-api.ts';

type Sb = Pick<SandboxConfig, 'host' | 'ports'>;

/** The infrastructure probes' results; a probe whose exporter could not be scraped counts as down. */
const INFRA = '(probe_success{tier="infra"} or 0 * up{tier="infra"})';

/** The series the platform's dashboards are drawn from; "dashboards updating" means these are fresh. */
export const DASHBOARD_SERIES = [
  'price_feed_messages_sent_total', 'consumer_messages_processed_total', 'consumer_lag_seconds',
  'http_requests_total', 'http_request_duration_seconds_bucket', 'workflow_runs_total', 'up',
];

/**
 * Health, uptime and error rate over a window from the scraped series, alerts firing now by
 * severity, and freshness of the dashboard series.
 */
export async function monitoringChecks(sb: Sb, windowS: number, targets: { healthPct: number; uptimePct: number; errorRate: number; staleS: number }): Promise<Check[]> {
  const prom = prometheusUrl(sb);
  const W = `${windowS}s`;
  const out: Check[] = [];
  const how = (expr: string) => `PromQL: ${expr}`;
  const scalar = async (id: string, title: string, target: string, unit: string, expr: string, judge: (v: number) => boolean, what: string) => {
    try {
      const v = await promScalar(sb, expr);
      out.push(check(id, title, target, v === null ? null : round(v, 4), unit, v === null ? 'no-data' : passIf(judge(v)), { what, how: how(expr), where: prom }));
    } catch (e) {
      out.push(errorCheck(id, title, target, unit, prom, e));
    }
  };
  // Health counts the platform's infrastructure (Kafka, PostgreSQL, the Kubernetes API: blackbox
  // probes with tier="infra") beside the scraped services: a stopped broker is unhealthy even while
  // every service still answers its /metrics.
  await scalar('daily.platform-health', 'platform health (share of platform components up: services and infrastructure)', `>=${targets.healthPct}`, '%',
    // `or 0 * up`: while the exporter itself is down a probe has no probe_success; it counts as down.
    `100 * avg_over_time(((sum(up{platform="carbon"}) + sum(${INFRA})) / (count(up{platform="carbon"}) + count(${INFRA})))[${W}:])`,
    (v) => v >= targets.healthPct,
    `mean over ${windowS} s of the fraction of platform components up: scraped services (up) and Kafka, PostgreSQL and the Kubernetes API (blackbox probes)`);
  // Uptime on the user-facing request path: the API answering /v1/predict and /healthz as users
  // call them (blackbox probes), not Prometheus reaching its /metrics.
  await scalar('daily.uptime', 'uptime of the user-facing inference API (its request path)', `>=${targets.uptimePct}`, '%',
    `100 * avg(avg_over_time((probe_success{component="inference-api"} or 0 * up{component="inference-api"})[${W}:]))`, (v) => v >= targets.uptimePct,
    `share of blackbox probes over ${windowS} s in which the inference API answered POST /v1/predict and GET /healthz with 200`);
  await scalar('daily.error-rate', 'inference API error rate', `<${targets.errorRate}`, 'ratio',
    // `or vector(0)`: with no 5xx series at all the ratio is 0, not missing.
    `(sum(increase(http_requests_total{job="inference-api",code=~"5.."}[${W}])) or vector(0)) / sum(increase(http_requests_total{job="inference-api"}[${W}]))`,
    (v) => v < targets.errorRate, `5xx responses over all responses in the last ${windowS} s`);

  try {
    const active = await alertmanagerAlerts(sb, { active: true, silenced: false, inhibited: false });
    const bySev = (s: string) => active.filter((a) => a.labels.severity === s).map((a) => a.labels.alertname);
    const critical = bySev('critical');
    out.push(check('daily.critical-alerts', 'critical alerts firing', '==0', critical.length, 'alerts', passIf(critical.length === 0), {
      what: `critical: ${critical.join(', ') || 'none'}; warning: ${bySev('warning').join(', ') || 'none'}`,
      how: 'Alertmanager GET /api/v2/alerts?active=true', where: alertmanagerUrl(sb), critical, warning: bySev('warning'),
    }));
  } catch (e) {
    out.push(errorCheck('daily.critical-alerts', 'critical alerts firing', '==0', 'alerts', alertmanagerUrl(sb), e));
  }

  try {
    const stale: string[] = [];
    const ages: Record<string, number | null> = {};
    for (const m of DASHBOARD_SERIES) {
      const r = await promQuery(sb, `time() - max(timestamp(${m}))`);
      const age = r[0]?.value ?? null;
      ages[m] = age === null ? null : round(age, 1);
      if (age === null || age > targets.staleS) stale.push(m);
    }
    out.push(check('daily.dashboards.fresh', 'dashboards updating (their series are fresh)', `age<${targets.staleS}s`, `${DASHBOARD_SERIES.length - stale.length}/${DASHBOARD_SERIES.length} fresh`, 'series',
      passIf(stale.length === 0), { what: stale.length ? `stale or missing: ${stale.join(', ')}` : 'every dashboard series has a recent sample', how: 'PromQL time() - max(timestamp(series)) per series', where: prom, ages }));
  } catch (e) {
    out.push(errorCheck('daily.dashboards.fresh', 'dashboards updating', `age<${targets.staleS}s`, 'series', prom, e));
  }
  return out;
}
