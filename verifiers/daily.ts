import { setTimeout as sleep } from 'node:timers/promises';
import type { Check } from '../core/record.ts';
import type { Profile } from '../profile/schema.ts';
import { isCredentialRefusal, isSaslRefusal, kafkaConn, kafkajs } from '../platform/kafka.ts';
import { pgConfig, describePg } from '../platform/postgres.ts';
import { httpClient } from '../platform/http.ts';
import { promSli } from '../platform/prometheus.ts';
import { kubeConfig, deployments } from '../platform/kube.ts';
import { check, errorCheck } from './check.ts';
import { topicChecks, throughputCheck, lagChecks, groupMembersCheck } from './kafka.ts';
import { followLag, sampleEnds } from '../platform/kafka-offsets.ts';
import { featureStoreChecks, workflowChecks } from './feature-store.ts';
import { inferenceChecks } from './inference.ts';
import { integrityChecks } from './integrity.ts';
import { monitoringChecks, MONITORING_CHECKS } from './monitoring.ts';
import { kubeChecks } from './kube.ts';

export interface DailyOptions { windowS: number; signal: AbortSignal; progress: (m: string) => void }

/** Time predictions need to land after their price was sent, before a missing one counts as lost. */
const SETTLE_MS = 10_000;

const noData = (id: string, title: string, what: string) => check(id, title, '', null, '', 'no-data', { what, how: '', where: '' });

/** The seed's daily operations checklist against the profile's platform, each item a check with its evidence. */
export async function dailyChecks(p: Profile, o: DailyOptions): Promise<Check[]> {
  const { kafka: k, featureStore: fsp, inferenceApi, prometheus, alertmanager, slis, kubernetes } = p.platform;
  const T = p.slos;
  const brokers = k.brokers.join(',');
  const prices = k.topics.prices;
  const group = k.consumerGroup;
  const pgc = pgConfig(fsp);
  const pgWhere = describePg(fsp.url);
  const consumerDeployment = kubernetes ? deployments(kubernetes).find((d) => d.consumer) : undefined;
  const members = k.consumerMembers ?? consumerDeployment?.replicas;
  const kafka = kafkajs(kafkaConn(k), 'harness-daily', { connectionTimeout: 3000, retry: { retries: 3 } });
  const admin = kafka.admin();
  const checks: Check[] = [];
  let kafkaUp = true;
  try {
    await admin.connect();
  } catch (e) {
    kafkaUp = false;
    // A refused login or certificate is the profile's credentials, not the platform being down: the run
    // could not measure (error, exit 3). A broker that does not answer is the platform's failure.
    const msg = (e as Error).message;
    const auth = isCredentialRefusal(e);
    checks.push(check('daily.kafka.reachable', 'Kafka reachable', 'connects', auth ? 'refused the login' : 'unreachable', '', auth ? 'error' : 'fail', {
      what: k.sasl && isSaslRefusal(e) ? `SASL ${k.sasl.mechanism} login refused: ${msg}` : msg,
      how: `Kafka Metadata request${k.sasl ? ` (SASL ${k.sasl.mechanism})` : ''}${k.tls ? ' over TLS' : ''}`, where: brokers,
    }));
  }
  const prom = prometheus ? httpClient('prometheus', prometheus) : null;
  const am = alertmanager ? { client: httpClient('alertmanager', alertmanager), severity: alertmanager.severity } : null;
  try {
    const a = kafkaUp ? await sampleEnds(admin, prices) : null;
    o.progress(`daily: measuring over a ${o.windowS} s window…`);
    // Lag is sampled through the window (the worst and the last count), not read once at its end.
    const lag = a ? followLag(admin, group, prices, { untilMs: a.at + o.windowS * 1000, everyMs: 1000, signal: o.signal }) : null;
    // Checks that need no window run while the window elapses. The platform's SLIs are read when
    // it ends: a range of the window's length then covers this window, not the one before the run.
    const [fs, wf, inf, mon] = await Promise.all([
      featureStoreChecks(pgc, pgWhere, fsp.queries, { queryTargetMs: T.dbQueryMs, freshnessS: T.featureFreshnessS }),
      workflowChecks(pgc, pgWhere, fsp.queries.workflowRuns, Math.max(o.windowS, fsp.workflowWindowMinS), T.workflowSuccessPct),
      inferenceChecks(inferenceApi, { probes: 40, p95TargetMs: T.inferenceP95Ms }),
      sleep(o.windowS * 1000, undefined, { signal: o.signal }).then(() => prom && slis
        ? monitoringChecks(prom, am, slis, o.windowS, { healthPct: T.platformHealthPct, uptimePct: T.uptimePct, errorRate: T.errorRate, inferenceP95Ms: T.inferenceP95Ms, consumerLagS: T.consumerLagS })
        : MONITORING_CHECKS.map(([id, title]) => noData(id, title, `profile "${p.name}" names no Prometheus (platform.prometheus and platform.slis)`))),
    ]);
    if (kafkaUp && a) try {
      const b = await sampleEnds(admin, prices);
      checks.push(...await topicChecks(admin, [prices, k.topics.predictions], brokers));
      checks.push(throughputCheck(a, b, prices, T.kafkaThroughputMsgS, brokers));
      const { samples, error } = await lag!;
      checks.push(...lagChecks(samples, a, b, group, T.consumerLagS, brokers, error));
      checks.push(members === undefined
        ? noData('daily.consumers.replicas', 'prediction consumers', 'the profile gives no expected member count (platform.kafka.consumerMembers, or a consumer deployment under platform.kubernetes)')
        : await groupMembersCheck(admin, group, members, brokers));
      o.progress('daily: data integrity over the window…');
      const to = b.at - SETTLE_MS;
      checks.push(...await integrityChecks(kafka, pgc, { from: to - o.windowS * 1000, to }, `${brokers} → ${pgWhere}`,
        { topic: prices, group, contract: k.contract, queries: fsp.queries }, o.signal));
    } catch (e) {
      // Only the broker's own failures (kafkajs errors) are the broker going away; anything else is not Kafka's to carry.
      if (o.signal.aborted || !(e as Error).name?.startsWith('KafkaJS')) throw e;
      // The broker went away during the window: the platform failing, as when it is down from the
      // start. What was measured before stays; the rest of the Kafka checks were not made.
      checks.push(check('daily.kafka.reachable', 'Kafka reachable', 'connects', 'stopped answering', '', isCredentialRefusal(e) ? 'error' : 'fail', {
        what: `the broker stopped answering during the window: ${(e as Error).message}; the Kafka checks after that point were not made (${checks.length} Kafka check(s) made before it are kept)`,
        how: 'Kafka admin requests after the window (end offsets, topics, group, integrity read-back)', where: brokers,
      }));
    }
    checks.push(...fs, ...wf, ...inf, ...mon);
    let kc: ReturnType<typeof kubeConfig>['kc'] | null = null;
    if (kubernetes) {
      try { kc = kubeConfig(kubernetes).kc; } catch (e) {
        checks.push(errorCheck('daily.kube.replicas', 'Kubernetes workloads', 'all Ready', 'replicas', kubernetes.kubeconfig ?? 'in-cluster', e));
      }
    }
    if (kubernetes && kc) {
      const reader = prom && slis?.podRestarts5m
        ? { scalar: (q: string) => promSli(prom, q), where: prom.url, sli: slis.podRestarts5m }
        : { missing: `profile "${p.name}" names no restart SLI (platform.slis.podRestarts5m)` };
      // The consumer deployment keeps the plain ids (the seed's "replicas 3/3"); others are suffixed by name.
      const list = deployments(kubernetes).sort((x, y) => Number(y.consumer) - Number(x.consumer));
      for (const [i, d] of list.entries()) {
        checks.push(...await kubeChecks(kc, d.namespace, d.name, T.podCrashes5m, d.replicas, reader, i === 0 ? '' : `.${d.namespace}.${d.name}`));
      }
    } else if (!kubernetes) {
      checks.push(noData('daily.kube.replicas', 'Kubernetes workloads', `profile "${p.name}" names no Kubernetes cluster (platform.kubernetes)`));
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return checks;
}
