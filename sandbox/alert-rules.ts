/**
 * The SLO/alert catalog from the seed (docs/slos.md) and the Prometheus
 * alerting rules generated from it. Reports and drills read thresholds from `ALERT_CATALOG`
 * instead of repeating numbers, so one edit here changes the rules, the reports and the drills.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { InfraError } from '../core/errors.ts';
import type { SandboxConfig } from '../core/config.ts';
import type { SloId } from '../core/slo.ts';
import { run } from './proc.ts';

export type Severity = 'warning' | 'critical';
/** How `$value` is rendered in annotations and reports. */
export type AlertUnit = 'percent' | 'ratio' | 'seconds' | 'count';

export interface AlertDef {
  /** Prometheus alert name. */
  name: string;
  severity: Severity;
  slo: SloId;
  /**
   * The workload the alert is about, as the `workload` label of the rule: a drill counts only an
   * alert that names the workload it killed (any other alert firing meanwhile was not caused by it).
   */
  workload?: string;
  /**
   * PromQL for the measured quantity (no comparison). `$window` is replaced by the rule window
   * (`sandbox.monitoring.ruleWindowS`), so tests and drills can use seconds, production minutes.
   */
  measure: string;
  /** The alert fires while `measure op threshold` holds for `sandbox.monitoring.alertForS`. */
  op: '>' | '<';
  /** In the unit of `measure` (percent 0–100, ratio 0–1, seconds, count). */
  threshold: number;
  unit: AlertUnit;
  /** What `measure` is, in words ("p95 response time of inference-api"). */
  what: string;
  /** The seed's wording of the threshold. */
  seed: string;
  summary: string;
}

const API = 'job="inference-api"';
// Not `100 * avg(up)`: avg's running mean makes 9 of 10 up 89.999…%, which would cross the 90 % line.
const HEALTH = '100 * sum(up{platform="carbon"}) / count(up{platform="carbon"})';

export const ALERT_CATALOG: readonly AlertDef[] = [
  {
    name: 'PlatformHealthDegraded', severity: 'warning', slo: 'platform-health',
    measure: HEALTH, op: '<', threshold: 95, unit: 'percent',
    what: 'share of platform scrape targets that are up', seed: 'health < 95 % warn',
    summary: 'Platform health below 95%',
  },
  {
    name: 'PlatformHealthCritical', severity: 'critical', slo: 'platform-health',
    measure: HEALTH, op: '<', threshold: 90, unit: 'percent',
    what: 'share of platform scrape targets that are up', seed: 'health < 90 % critical',
    summary: 'Platform health below 90%',
  },
  {
    name: 'ResponseTimeHigh', workload: 'inference-api', severity: 'warning', slo: 'response-time-p95',
    measure: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${API}}[$window])))`,
    op: '>', threshold: 0.2, unit: 'seconds',
    what: 'p95 HTTP response time of inference-api', seed: 'response time > 200 ms warn',
    summary: 'inference-api p95 response time above 200 ms',
  },
  {
    name: 'InferenceLatencyHigh', workload: 'inference-api', severity: 'warning', slo: 'ml-inference-latency',
    measure: `histogram_quantile(0.95, sum by (le) (rate(inference_duration_seconds_bucket{${API}}[$window])))`,
    op: '>', threshold: 0.5, unit: 'seconds',
    what: 'p95 model inference time (incl. feature lookup)', seed: 'inference > 500 ms warn',
    summary: 'ML inference p95 above 500 ms',
  },
  {
    name: 'ErrorRateHigh', workload: 'inference-api', severity: 'warning', slo: 'error-rate',
    measure: `sum(rate(http_requests_total{${API},code=~"5.."}[$window])) / sum(rate(http_requests_total{${API}}[$window]))`,
    op: '>', threshold: 0.01, unit: 'ratio',
    what: 'share of inference-api requests answered 5xx', seed: 'error rate > 1 % warn',
    summary: 'inference-api error rate above 1%',
  },
  {
    name: 'ErrorRateCritical', workload: 'inference-api', severity: 'critical', slo: 'error-rate',
    measure: `sum(rate(http_requests_total{${API},code=~"5.."}[$window])) / sum(rate(http_requests_total{${API}}[$window]))`,
    op: '>', threshold: 0.05, unit: 'ratio',
    what: 'share of inference-api requests answered 5xx', seed: 'error rate > 5 % critical',
    summary: 'inference-api error rate above 5%',
  },
  {
    name: 'PodCrashLooping', workload: 'prediction-consumer', severity: 'critical', slo: 'pod-stability',
    // The seed's window is fixed ("> 3 pod crashes in 5 min"), not the tunable rule window.
    measure: 'sum(changes(process_start_time_seconds{job="prediction-consumer"}[5m]))',
    op: '>', threshold: 3, unit: 'count',
    what: 'number of prediction-consumer restarts in the last 5 minutes', seed: '> 3 pod crashes in 5 min critical',
    summary: 'prediction-consumer restarting repeatedly',
  },
  {
    // Not in the seed's threshold list: the alert a single lost consumer pod raises (the seed's
    // drill asks for one), since a pod replaced within seconds never moves health or lag far enough.
    name: 'ConsumerGroupRebalancing', workload: 'prediction-consumer', severity: 'warning', slo: 'consumer-group',
    measure: 'sum(increase(consumer_group_rebalances_total{job="prediction-consumer"}[$window]))', op: '>', threshold: 0, unit: 'count',
    what: 'prediction-consumer group rejoins in the rule window', seed: '(drill: pod failure alert)',
    summary: 'prediction-consumer group lost or gained a member',
  },
  {
    name: 'KafkaConsumerLagHigh', workload: 'prediction-consumer', severity: 'warning', slo: 'consumer-lag',
    measure: 'max(consumer_lag_seconds{job="prediction-consumer"})', op: '>', threshold: 30, unit: 'seconds',
    what: 'worst prediction-consumer lag', seed: 'Kafka lag > 30 s warn',
    summary: 'Kafka consumer lag above 30 s',
  },
];

export type MonitoringConfig = SandboxConfig['monitoring'];

export function alertDef(name: string): AlertDef {
  const def = ALERT_CATALOG.find((a) => a.name === name);
  if (!def) throw new Error(`no alert named ${name} in ALERT_CATALOG`);
  return def;
}

/** Prometheus duration for a whole number of seconds ("15s", "0s"). */
export function promDuration(seconds: number): string {
  return `${Math.max(0, Math.round(seconds))}s`;
}

/** The measure's PromQL with the window filled in: query it to read the current value. */
export function measureExpr(def: AlertDef, mon: Pick<MonitoringConfig, 'ruleWindowS'>): string {
  return def.measure.replaceAll('$window', promDuration(mon.ruleWindowS));
}

/** The full alerting expression. */
export function alertExpr(def: AlertDef, mon: Pick<MonitoringConfig, 'ruleWindowS'>): string {
  return `(${measureExpr(def, mon)}) ${def.op} ${def.threshold}`;
}

/** True when `value` is on the alerting side of the threshold (NaN never breaches). */
export function breaches(def: AlertDef, value: number): boolean {
  if (Number.isNaN(value)) return false;
  return def.op === '>' ? value > def.threshold : value < def.threshold;
}

/** Human form of a value in the alert's unit, matching the annotation text. */
export function formatValue(unit: AlertUnit, value: number): string {
  switch (unit) {
    case 'percent': return `${value.toFixed(1)}%`;
    case 'ratio': return `${Number((value * 100).toPrecision(4))}%`;
    case 'seconds': return value < 1 ? `${Number((value * 1000).toPrecision(4))} ms` : `${Number(value.toPrecision(4))} s`;
    case 'count': return value.toFixed(0);
  }
}

/** Go-template rendering of `$value` for the unit (Prometheus annotation templating). */
function valueTemplate(unit: AlertUnit): string {
  switch (unit) {
    case 'percent': return '{{ printf "%.1f" $value }}%';
    case 'ratio': return '{{ $value | humanizePercentage }}';
    case 'seconds': return '{{ $value | humanizeDuration }}';
    case 'count': return '{{ printf "%.0f" $value }}';
  }
}

export function description(def: AlertDef, mon: Pick<MonitoringConfig, 'ruleWindowS'>): string {
  const window = def.measure.includes('$window') ? ` over the last ${promDuration(mon.ruleWindowS)}` : '';
  return `${def.what} is ${valueTemplate(def.unit)}${window} (threshold ${def.op} ${formatValue(def.unit, def.threshold)}; seed: ${def.seed})`;
}

export const RULE_GROUP = 'carbon-slo-alerts';

export interface RuleFile {
  groups: Array<{
    name: string;
    rules: Array<{
      alert: string;
      expr: string;
      for: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
    }>;
  }>;
}

export function generateRules(mon: MonitoringConfig, catalog: readonly AlertDef[] = ALERT_CATALOG): RuleFile {
  return {
    groups: [{
      name: RULE_GROUP,
      rules: catalog.map((def) => ({
        alert: def.name,
        expr: alertExpr(def, mon),
        for: promDuration(mon.alertForS),
        labels: { severity: def.severity, slo: def.slo, ...(def.workload ? { workload: def.workload } : {}) },
        annotations: { summary: def.summary, description: description(def, mon) },
      })),
    }],
  };
}

export function rulesYaml(mon: MonitoringConfig, catalog: readonly AlertDef[] = ALERT_CATALOG): string {
  return '# Generated by sandbox/alert-rules.ts from ALERT_CATALOG; do not edit.\n'
    + stringify(generateRules(mon, catalog), { lineWidth: 0 });
}

/** Absolute path of `name` on PATH (or in the usual system dirs), else null. */
export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const d of dirs) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return null;
}

function requireBinary(name: string, pkg: string): string {
  const bin = findBinary(name);
  if (!bin) throw new InfraError(`${name} not found; install the Debian package ${pkg} (harness up does this)`, 'prometheus');
  return bin;
}

/** `promtool check rules FILE`; throws InfraError with promtool's complaint. */
export async function checkRules(file: string): Promise<string> {
  return run(requireBinary('promtool', 'prometheus'), ['check', 'rules', file]);
}

/** `promtool check config FILE` (also checks the rule files it references). */
export async function checkPrometheusConfig(file: string): Promise<string> {
  return run(requireBinary('promtool', 'prometheus'), ['check', 'config', file]);
}

/** `amtool check-config FILE`. */
export async function checkAlertmanagerConfig(file: string): Promise<string> {
  return run(requireBinary('amtool', 'prometheus-alertmanager'), ['check-config', file]);
}

/** Writes the generated rules to `file` and validates them with promtool. */
export async function writeRules(file: string, mon: MonitoringConfig, consumerDeployment = 'prediction-consumer'): Promise<string> {
  mkdirSync(dirname(file), { recursive: true });
  // The consumers' alerts name their deployment as this sandbox calls it (a drill matches on it).
  writeFileSync(file, rulesYaml(mon, ALERT_CATALOG.map((a) => (a.workload === 'prediction-consumer' ? { ...a, workload: consumerDeployment } : a))));
  await checkRules(file);
  return file;
}
