import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { platformName, SANDBOX_PLATFORM, type Config } from '../core/config.ts';
import type { Check } from '../core/record.ts';
import { endpointsFor } from '../scenarios/endpoints.ts';
import { check } from './check.ts';
import { topicChecks, sampleEnds, throughputCheck, lagChecks, groupMembersCheck, followLag } from './kafka.ts';
import { featureStoreChecks, workflowChecks } from './feature-store.ts';
import { inferenceChecks } from './inference.ts';
import { integrityChecks } from './integrity.ts';
import { monitoringChecks } from './monitoring.ts';
import { kubeChecks } from './kube.ts';
import { promScalar, prometheusUrl } from '../sandbox/prom-api.ts';
import { drillKubeConfig } from '../drills/safety.ts';

/** The seed's targets for the morning checklist (docs/slos.md). */
export const DAILY_TARGETS = {
  throughputMsgS: 7000, lagS: 5, queryMs: 5000, freshnessS: 60, inferenceP95Ms: 100,
  healthPct: 99, uptimePct: 99.9, errorRate: 0.001, workflowPct: 99,
};

export interface DailyOptions { windowS: number; signal: AbortSignal; progress: (m: string) => void }

/** The checks monitoringChecks makes (id, title), for a platform whose monitoring is not configured. */
const MONITORING_CHECKS: Array<[string, string]> = [
  ['daily.platform-health', 'platform health'], ['daily.uptime', 'uptime of the user-facing inference API'],
  ['daily.error-rate', 'inference API error rate'], ['daily.critical-alerts', 'critical alerts firing'],
  ['daily.dashboards.fresh', 'dashboards updating'],
];

/** Time predictions need to land after their price was sent, before a missing one counts as lost. */
const SETTLE_MS = 10_000;

/** The seed's daily operations checklist, each item a check with its evidence. */
export async function dailyChecks(cfg: Config, o: DailyOptions): Promise<Check[]> {
  const ep = endpointsFor(cfg);
  const sb = cfg.sandbox;
  const T = DAILY_TARGETS;
  const brokers = ep.kafkaBrokers.join(',');
  // Until the platform profile names this platform's Prometheus, Alertmanager and cluster, their
  // checks are no data: the sandbox's would be the sandbox's evidence under this platform's name.
  const onSandbox = platformName(cfg) === SANDBOX_PLATFORM;
  const notOurs = (what: string) => `platform "${platformName(cfg)}": no ${what} configured for it; the sandbox's are not this platform's evidence`;
  const kafka = new Kafka({ clientId: 'harness-daily', brokers: ep.kafkaBrokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 3 } });
  const admin = kafka.admin();
  const checks: Check[] = [];
  let kafkaUp = true;
  try {
    await admin.connect();
  } catch (e) {
    kafkaUp = false;
    checks.push(check('daily.kafka.reachable', 'Kafka reachable', 'connects', 'unreachable', '', 'fail', { what: (e as Error).message, how: 'Kafka Metadata request', where: brokers }));
  }
  try {
    const a = kafkaUp ? await sampleEnds(admin, 'commodity-prices') : null;
    o.progress(`daily: measuring over a ${o.windowS} s window…`);
    // Lag is sampled through the window (the worst and the last count), not read once at its end.
    const lag = a ? followLag(admin, sb.consumers.group, 'commodity-prices', { untilMs: a.at + o.windowS * 1000, everyMs: 1000, signal: o.signal }) : null;
    // Checks that need no window run while the window elapses.
    const [fs, wf, inf, mon] = await Promise.all([
      featureStoreChecks(ep.featureStore, describePg(ep.featureStore), { queryTargetMs: T.queryMs, freshnessS: T.freshnessS }),
      workflowChecks(ep.featureStore, describePg(ep.featureStore), Math.max(o.windowS, sb.batch.intervalS * 3), T.workflowPct),
      inferenceChecks(ep.inferenceApi, ep.commodities, { probes: 40, p95TargetMs: T.inferenceP95Ms }),
      onSandbox
        ? monitoringChecks(sb, o.windowS, { healthPct: T.healthPct, uptimePct: T.uptimePct, errorRate: T.errorRate, staleS: Math.max(10, sb.monitoring.scrapeIntervalS * 5) })
        : Promise.resolve(MONITORING_CHECKS.map(([id, title]) => check(id, title, '', null, '', 'no-data', { what: notOurs('Prometheus and Alertmanager'), how: '', where: '' }))),
      sleep(o.windowS * 1000, undefined, { signal: o.signal }),
    ]);
    if (kafkaUp && a) {
      const b = await sampleEnds(admin, 'commodity-prices');
      checks.push(...await topicChecks(admin, ['commodity-prices', 'ml-predictions'], brokers));
      checks.push(throughputCheck(a, b, 'commodity-prices', T.throughputMsgS, brokers));
      const { samples, error } = await lag!;
      checks.push(...lagChecks(samples, a, b, sb.consumers.group, T.lagS, brokers, error));
      checks.push(await groupMembersCheck(admin, sb.consumers.group, sb.consumers.replicas, brokers));
      o.progress('daily: data integrity over the window…');
      const to = b.at - SETTLE_MS;
      checks.push(...await integrityChecks(kafka, ep.featureStore, { from: to - o.windowS * 1000, to }, `${brokers} → ${describePg(ep.featureStore)}`, sb.consumers.group, o.signal));
    }
    checks.push(...fs, ...wf, ...inf, ...mon);
    if (onSandbox ? sb.kube.enabled : cfg.drills.kubeconfig) {
      const { kc } = drillKubeConfig(cfg);
      // Seed: "> 3 pod crashes in 5 min" is critical.
      checks.push(...await kubeChecks(kc, 'ml', sb.consumers.group, 3, sb.consumers.replicas,
        onSandbox ? { scalar: (q) => promScalar(sb, q), where: prometheusUrl(sb) } : { missing: notOurs('Prometheus (kube-state-metrics restart counters)') }));
    } else if (!onSandbox) {
      checks.push(check('daily.kube.replicas', 'Kubernetes workloads', '', null, '', 'no-data', { what: notOurs('Kubernetes cluster (drills.kubeconfig)'), how: '', where: '' }));
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return checks;
}

function describePg(c: { host?: string; port?: number; database?: string; connectionString?: string }): string {
  return c.connectionString?.replace(/:[^:@/]+@/, ':***@') ?? `postgres://${c.host}:${c.port}/${c.database}`;
}
