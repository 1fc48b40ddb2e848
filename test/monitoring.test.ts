import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { loadConfig } from '../core/config.ts';
import {
  ALERT_CATALOG, alertDef, checkAlertmanagerConfig, checkPrometheusConfig, checkRules, description,
  findBinary, generateRules, rulesYaml, type MonitoringConfig,
} from '../sandbox/alert-rules.ts';
import { alertmanagerConfig, allJobs, platformJobs, probeJobs, prometheusConfig } from '../sandbox/prometheus.ts';
import { alertmanagerUrl, httpOk, prometheusUrl, promRules, promTargets } from '../sandbox/prom-api.ts';
import { run } from '../sandbox/proc.ts';

/** Fixed, fast settings for the pure tests (independent of the user's config). */
const MON: MonitoringConfig = { scrapeIntervalS: 1, ruleWindowS: 15, alertForS: 2 };

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'carbon-monitoring-'));
}

// ---------------------------------------------------------------- pure: generation + promtool

test('catalog: every seed alert is present with the seed thresholds', () => {
  const t = Object.fromEntries(ALERT_CATALOG.map((a) => [a.name, [a.severity, a.op, a.threshold]]));
  assert.equal(t, {
    PlatformHealthDegraded: ['warning', '<', 95],
    PlatformHealthCritical: ['critical', '<', 90],
    ResponseTimeHigh: ['warning', '>', 0.2],
    InferenceLatencyHigh: ['warning', '>', 0.5],
    ErrorRateHigh: ['warning', '>', 0.01],
    ErrorRateCritical: ['critical', '>', 0.05],
    PodCrashLooping: ['critical', '>', 3],
    KafkaConsumerLagHigh: ['warning', '>', 30],
    ConsumerGroupRebalancing: ['warning', '>', 0],
  });
  const rules = generateRules(MON).groups[0]!.rules;
  assert.is(rules.length, ALERT_CATALOG.length);
  for (const r of rules) {
    assert.ok(['warning', 'critical'].includes(r.labels.severity!), r.alert);
    assert.ok(r.labels.slo, r.alert);
    assert.ok(r.annotations.summary && r.annotations.description?.includes('$value'), r.alert);
    assert.not.match(r.expr, '$window', r.alert);
    assert.is(r.for, '2s');
  }
  assert.match(rules.find((r) => r.alert === 'ResponseTimeHigh')!.expr, '[15s]');
});

test('generated rules pass promtool check rules', async () => {
  const dir = scratch();
  try {
    const file = join(dir, 'rules.yml');
    writeFileSync(file, rulesYaml(MON));
    const out = await checkRules(file);
    assert.match(out, `SUCCESS: ${ALERT_CATALOG.length} rules found`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generated prometheus.yml passes promtool check config; alertmanager.yml passes amtool', async () => {
  const dir = scratch();
  try {
    const sb = loadConfig().sandbox;
    const rules = join(dir, 'rules.yml');
    writeFileSync(rules, rulesYaml(sb.monitoring));
    const prom = join(dir, 'prometheus.yml');
    writeFileSync(prom, stringify(prometheusConfig(sb, rules)));
    assert.match(await checkPrometheusConfig(prom), 'SUCCESS');
    const am = join(dir, 'alertmanager.yml');
    writeFileSync(am, stringify(alertmanagerConfig(sb)));
    assert.match(await checkAlertmanagerConfig(am), 'SUCCESS');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Expected annotations of a firing alert, with `$value` rendered as promtool will render it. */
function expAnnotations(name: string, renderedValue: string): Record<string, string> {
  const def = alertDef(name);
  return {
    summary: def.summary,
    description: description(def, MON).replace(/\{\{[^}]*\$value[^}]*\}\}/, renderedValue),
  };
}

function requestSeries(okPerS: number, errPerS: number, minutes = 2): Array<{ series: string; values: string }> {
  const n = minutes * 60;
  return [
    { series: 'http_requests_total{job="inference-api",route="/predict",code="200"}', values: `0+${okPerS}x${n}` },
    { series: 'http_requests_total{job="inference-api",route="/predict",code="500"}', values: `0+${errPerS}x${n}` },
  ];
}

test('promtool test rules: error-rate alerts evaluate synthetic series as the seed says', async () => {
  const dir = scratch();
  try {
    writeFileSync(join(dir, 'rules.yml'), rulesYaml(MON));
    const critical = { severity: 'critical', slo: 'error-rate', workload: 'inference-api' };
    const warning = { severity: 'warning', slo: 'error-rate', workload: 'inference-api' };
    const unit = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1s',
      tests: [
        {
          name: '10% 5xx: critical and warning fire',
          interval: '1s',
          input_series: requestSeries(90, 10),
          alert_rule_test: [
            { eval_time: '1m', alertname: 'ErrorRateCritical',
              exp_alerts: [{ exp_labels: critical, exp_annotations: expAnnotations('ErrorRateCritical', '10%') }] },
            { eval_time: '1m', alertname: 'ErrorRateHigh',
              exp_alerts: [{ exp_labels: warning, exp_annotations: expAnnotations('ErrorRateHigh', '10%') }] },
          ],
        },
        {
          name: '0% 5xx: nothing fires',
          interval: '1s',
          input_series: requestSeries(100, 0),
          alert_rule_test: [
            { eval_time: '1m', alertname: 'ErrorRateCritical', exp_alerts: [] },
            { eval_time: '1m', alertname: 'ErrorRateHigh', exp_alerts: [] },
          ],
        },
        {
          name: '2% 5xx: warning only',
          interval: '1s',
          input_series: requestSeries(98, 2),
          alert_rule_test: [
            { eval_time: '1m', alertname: 'ErrorRateCritical', exp_alerts: [] },
            { eval_time: '1m', alertname: 'ErrorRateHigh',
              exp_alerts: [{ exp_labels: warning, exp_annotations: expAnnotations('ErrorRateHigh', '2%') }] },
          ],
        },
        {
          name: '9 of 10 targets up (90%): degraded, not critical',
          interval: '1s',
          input_series: Array.from({ length: 10 }, (_, i) => ({
            series: `up{job="j${i}",instance="h:${i}",platform="carbon"}`, values: i === 0 ? '0x120' : '1x120',
          })),
          alert_rule_test: [
            { eval_time: '30s', alertname: 'PlatformHealthCritical', exp_alerts: [] },
            { eval_time: '30s', alertname: 'PlatformHealthDegraded',
              exp_alerts: [{ exp_labels: { severity: 'warning', slo: 'platform-health' },
                exp_annotations: expAnnotations('PlatformHealthDegraded', '90.0') }] },
          ],
        },
      ],
    };
    const file = join(dir, 'unit.yml');
    writeFileSync(file, stringify(unit));
    const promtool = findBinary('promtool');
    assert.ok(promtool, 'promtool not installed');
    // run() rejects with promtool's diff on any mismatch.
    const out = await run(promtool!, ['test', 'rules', file]);
    assert.match(out, 'SUCCESS');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- live: the running sandbox

test('live: Prometheus is ready, scrapes every configured job and has loaded the SLO rules', async () => {
  const sb = loadConfig().sandbox;
  const url = prometheusUrl(sb);
  assert.ok(await httpOk(`${url}/-/ready`), `Prometheus at ${url} is not ready (start the sandbox: harness up)`);
  // Target discovery publishes in batches (every 5 s): allow a freshly started Prometheus to catch up.
  let targets = await promTargets(sb);
  for (let i = 0; i < 40 && targets.length < allJobs(sb).length; i++) {
    await sleep(250);
    targets = await promTargets(sb);
  }
  const jobs = new Set(targets.map((t) => t.job));
  for (const job of allJobs(sb)) assert.ok(jobs.has(job), `job ${job} missing from ${url}/api/v1/targets`);
  const consumers = targets.filter((t) => t.job === 'prediction-consumer');
  assert.is(consumers.length, sb.consumers.replicas);
  assert.equal(consumers.map((t) => t.labels.replica).sort(),
    Array.from({ length: sb.consumers.replicas }, (_, i) => String(i)).sort());
  for (const t of targets) {
    // The platform's own services carry platform="carbon" (platform health counts them); the
    // self-scrapes, kube-state-metrics and the blackbox probes do not (probes of the infrastructure
    // carry tier="infra" instead).
    const platform = platformJobs(sb).some((j) => j.job === t.job);
    assert.is(t.labels.platform, platform ? 'carbon' : undefined, `${t.job} platform label`);
    const probe = probeJobs(sb).find((j) => j.job === t.job);
    if (probe) assert.is(t.labels.tier, probe.labels.tier, `${t.job} tier label`);
  }
  const loaded = new Set((await promRules(sb)).map((r) => r.name));
  for (const a of ALERT_CATALOG) assert.ok(loaded.has(a.name), `rule ${a.name} not loaded`);
});

test('live: Alertmanager is ready', async () => {
  const sb = loadConfig().sandbox;
  assert.ok(await httpOk(`${alertmanagerUrl(sb)}/-/ready`), `Alertmanager at ${alertmanagerUrl(sb)} is not ready`);
});

test.run();
