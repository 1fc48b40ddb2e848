import { setTimeout as sleep } from 'node:timers/promises';
import type { Check } from '../core/record.ts';
import type { Profile } from '../profile/schema.ts';
import { isCredentialRefusal, isSaslRefusal, kafkajs } from '../platform/kafka.ts';
import { kafkaConn } from '../platform/kafka-conn.ts';
import { pgConfig, describePg } from '../platform/postgres-conn.ts';
import { httpClient } from '../platform/http.ts';
import { promSli } from '../platform/prometheus.ts';
import { kubeConfig, deployments } from '../platform/kube.ts';
import { followLag, readLag, readOffsets, sampleEnds, storeLag, storeOffsets, type StoredLag, type StoredOffsets } from '../platform/kafka-offsets.ts';
import { check } from './check.ts';
import { probeTopics, judgeTopics, throughputCheck, lagChecks, probeGroup, judgeGroup, type GroupMembers, type TopicMeta } from './kafka.ts';
import { probeFeatureStore, judgeFeatureStore, probeWorkflows, judgeWorkflows, type FeatureStoreEvidence, type WorkflowEvidence } from './feature-store.ts';
import { probeInference, judgeInference, type InferenceEvidence } from './inference.ts';
import { probeIntegrity, judgeIntegrity, type IntegrityEvidence } from './integrity.ts';
import { probeMonitoring, judgeMonitoring, MONITORING_CHECKS, type MonitoringEvidence } from './monitoring.ts';
import { probeWorkload, judgeWorkload, type WorkloadEvidence } from './kube.ts';

export interface DailyOptions { windowS: number; signal: AbortSignal; progress: (m: string) => void }

/** Time predictions need to land after their price was sent, before a missing one counts as lost. */
const SETTLE_MS = 10_000;

/** What the daily Kafka probe read: end offsets at the window's ends, the topics, the group's lag and members. */
export interface KafkaEvidence {
  brokers: string; prices: string; predictions: string; group: string;
  /** How the probe connects (for the evidence): SASL mechanism and TLS. */
  via: { sasl?: string; tls: boolean };
  /** Why the first connection failed (null: it connected); `credentials`: the login or certificate was refused. */
  unreachable: { error: string; credentials: boolean; sasl: boolean } | null;
  start?: StoredOffsets;
  end?: StoredOffsets;
  topics?: TopicMeta[];
  lag?: { samples: StoredLag[]; error?: string };
  /** The group's members against the profile's expected count, or why there is no expected count. */
  members?: ({ expected: number } & GroupMembers) | { missing: string };
  integrity?: IntegrityEvidence;
  /** The broker stopped answering during the window: what was read before it is kept. */
  stopped?: { error: string; credentials: boolean };
}

/** Everything the daily check gathered: the record keeps it, and the checks are judged from it alone. */
export interface DailyEvidence {
  windowS: number;
  kafka: KafkaEvidence;
  featureStore: FeatureStoreEvidence;
  workflows: WorkflowEvidence;
  inference: InferenceEvidence;
  monitoring: MonitoringEvidence | { missing: string };
  kubernetes: { workloads: WorkloadEvidence[] } | { error: string; where: string } | { missing: string };
}

/** What the daily checks are judged against: the profile's SLO targets and its monitoring settings. */
export interface DailyTargets {
  slos: Profile['slos'];
  staleAfterS: number;
  severity: { label: string; critical: string[]; warning: string[] };
}

export function dailyTargets(p: Profile): DailyTargets {
  return {
    slos: p.slos,
    staleAfterS: p.platform.slis?.staleAfterS ?? 120,
    severity: p.platform.alertmanager?.severity ?? { label: 'severity', critical: ['critical'], warning: ['warning'] },
  };
}

const noData = (id: string, title: string, what: string) => check(id, title, '', null, '', 'no-data', { what, how: '', where: '' });

/** The seed's daily operations checklist against the profile's platform: the evidence, gathered once. */
export async function probeDaily(p: Profile, o: DailyOptions): Promise<DailyEvidence> {
  const { kafka: k, featureStore: fsp, inferenceApi, prometheus, alertmanager, slis, kubernetes } = p.platform;
  const prices = k.topics.prices;
  const group = k.consumerGroup;
  const pgc = pgConfig(fsp);
  const pgWhere = describePg(fsp.url);
  const consumerDeployment = kubernetes ? deployments(kubernetes).find((d) => d.consumer) : undefined;
  const members = k.consumerMembers ?? consumerDeployment?.replicas;
  const kafka = kafkajs(kafkaConn(k), 'harness-daily', { connectionTimeout: 3000, retry: { retries: 3 } });
  const admin = kafka.admin();
  const ke: KafkaEvidence = {
    brokers: k.brokers.join(','), prices, predictions: k.topics.predictions, group,
    via: { ...(k.sasl ? { sasl: k.sasl.mechanism } : {}), tls: Boolean(k.tls) }, unreachable: null,
  };
  try {
    await admin.connect();
  } catch (e) {
    ke.unreachable = { error: (e as Error).message, credentials: isCredentialRefusal(e), sasl: Boolean(k.sasl) && isSaslRefusal(e) };
  }
  const prom = prometheus ? httpClient('prometheus', prometheus) : null;
  const am = alertmanager ? httpClient('alertmanager', alertmanager) : null;
  try {
    const a = ke.unreachable ? null : await sampleEnds(admin, prices);
    o.progress(`daily: measuring over a ${o.windowS} s window…`);
    // Lag is sampled through the window (the worst and the last count), not read once at its end.
    const lag = a ? followLag(admin, group, prices, { untilMs: a.at + o.windowS * 1000, everyMs: 1000, signal: o.signal }) : null;
    // What needs no window is read while the window elapses. The platform's SLIs are read when it
    // ends: a range of the window's length then covers this window, not the one before the run.
    const [featureStore, workflows, inference, monitoring] = await Promise.all([
      probeFeatureStore(pgc, pgWhere, fsp.queries),
      probeWorkflows(pgc, pgWhere, fsp.queries.workflowRuns, Math.max(o.windowS, fsp.workflowWindowMinS)),
      probeInference(inferenceApi, 40),
      sleep(o.windowS * 1000, undefined, { signal: o.signal }).then(async (): Promise<DailyEvidence['monitoring']> => prom && slis
        ? probeMonitoring(prom, am, slis, o.windowS)
        : { missing: `profile "${p.name}" names no Prometheus (platform.prometheus and platform.slis)` }),
    ]);
    if (a) {
      ke.start = storeOffsets(a);
      try {
        const b = await sampleEnds(admin, prices);
        ke.end = storeOffsets(b);
        ke.topics = await probeTopics(admin, [prices, k.topics.predictions]);
        const { samples, error } = await lag!;
        ke.lag = { samples: samples.map(storeLag), ...(error ? { error } : {}) };
        ke.members = members === undefined
          ? { missing: 'the profile gives no expected member count (platform.kafka.consumerMembers, or a consumer deployment under platform.kubernetes)' }
          : { expected: members, ...await probeGroup(admin, group) };
        o.progress('daily: data integrity over the window…');
        const to = b.at - SETTLE_MS;
        ke.integrity = await probeIntegrity(kafka, pgc, { from: to - o.windowS * 1000, to }, `${ke.brokers} → ${pgWhere}`,
          { topic: prices, group, contract: k.contract, queries: fsp.queries }, o.signal);
      } catch (e) {
        // Only the broker's own failures (kafkajs errors) are the broker going away; anything else is not Kafka's to carry.
        if (o.signal.aborted || !(e as Error).name?.startsWith('KafkaJS')) throw e;
        ke.stopped = { error: (e as Error).message, credentials: isCredentialRefusal(e) };
      }
    }
    return { windowS: o.windowS, kafka: ke, featureStore, workflows, inference, monitoring, kubernetes: await probeKubernetes(p, prom) };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function probeKubernetes(p: Profile, prom: ReturnType<typeof httpClient> | null): Promise<DailyEvidence['kubernetes']> {
  const { kubernetes, slis } = p.platform;
  if (!kubernetes) return { missing: `profile "${p.name}" names no Kubernetes cluster (platform.kubernetes)` };
  let kc: ReturnType<typeof kubeConfig>['kc'];
  try { kc = kubeConfig(kubernetes).kc; } catch (e) {
    return { error: (e as Error).message, where: kubernetes.kubeconfig ?? 'in-cluster' };
  }
  const reader = prom && slis?.podRestarts5m
    ? { scalar: (q: string) => promSli(prom, q), where: prom.url, sli: slis.podRestarts5m }
    : { missing: `profile "${p.name}" names no restart SLI (platform.slis.podRestarts5m)` };
  // The consumer deployment keeps the plain ids (the seed's "replicas 3/3"); others are suffixed by name.
  const list = deployments(kubernetes).sort((x, y) => Number(y.consumer) - Number(x.consumer));
  const workloads: WorkloadEvidence[] = [];
  for (const [i, d] of list.entries()) workloads.push(await probeWorkload(kc, d.namespace, d.name, d.replicas, reader, i === 0 ? '' : `.${d.namespace}.${d.name}`));
  return { workloads };
}

/** The daily checks, judged from the evidence alone (a stored record's included) against the targets. */
export function judgeDaily(e: DailyEvidence, t: DailyTargets): Check[] {
  const T = t.slos;
  const k = e.kafka;
  const checks: Check[] = [];
  const how = `Kafka Metadata request${k.via.sasl ? ` (SASL ${k.via.sasl})` : ''}${k.via.tls ? ' over TLS' : ''}`;
  if (k.unreachable) {
    // A refused login or certificate is the profile's credentials, not the platform being down: the run
    // could not measure (error, exit 3). A broker that does not answer is the platform's failure.
    const u = k.unreachable;
    checks.push(check('daily.kafka.reachable', 'Kafka reachable', 'connects', u.credentials ? 'refused the login' : 'unreachable', '', u.credentials ? 'error' : 'fail', {
      what: u.sasl ? `SASL ${k.via.sasl} login refused: ${u.error}` : u.error, how, where: k.brokers,
    }));
  }
  const made = checks.length;
  // Connected, yet no offsets and no word of the broker going away: nothing was measured.
  if (!k.unreachable && !k.start && !k.stopped) {
    checks.push(check('daily.kafka.throughput', `real-time throughput into ${k.prices}`, `>=${T.kafkaThroughputMsgS}`, null, 'msg/s', 'no-data', { what: 'the evidence holds no end offsets of the window', how: '', where: k.brokers }));
  }
  if (k.topics) checks.push(...judgeTopics(k.topics, k.brokers));
  if (k.start && k.end) {
    const a = readOffsets(k.start);
    const b = readOffsets(k.end);
    checks.push(throughputCheck(a, b, k.prices, T.kafkaThroughputMsgS, k.brokers));
    if (k.lag) checks.push(...lagChecks(k.lag.samples.map(readLag), a, b, k.group, T.consumerLagS, k.brokers, k.lag.error));
  }
  if (k.members) {
    checks.push('missing' in k.members ? noData('daily.consumers.replicas', 'prediction consumers', k.members.missing)
      : judgeGroup(k.members, k.group, k.members.expected, k.brokers));
  }
  if (k.integrity) checks.push(...judgeIntegrity(k.integrity));
  if (k.stopped) {
    // The broker went away during the window: the platform failing, as when it is down from the
    // start. What was measured before stays; the rest of the Kafka checks were not made.
    checks.push(check('daily.kafka.reachable', 'Kafka reachable', 'connects', 'stopped answering', '', k.stopped.credentials ? 'error' : 'fail', {
      what: `the broker stopped answering during the window: ${k.stopped.error}; the Kafka checks after that point were not made (${checks.length - made} Kafka check(s) made before it are kept)`,
      how: 'Kafka admin requests after the window (end offsets, topics, group, integrity read-back)', where: k.brokers,
    }));
  }
  checks.push(...judgeFeatureStore(e.featureStore, { queryTargetMs: T.dbQueryMs, freshnessS: T.featureFreshnessS }));
  checks.push(...judgeWorkflows(e.workflows, T.workflowSuccessPct));
  checks.push(...judgeInference(e.inference, T.inferenceP95Ms));
  checks.push(...('missing' in e.monitoring
    ? MONITORING_CHECKS.map(([id, title]) => noData(id, title, (e.monitoring as { missing: string }).missing))
    : judgeMonitoring(e.monitoring, {
      healthPct: T.platformHealthPct, uptimePct: T.uptimePct, errorRate: T.errorRate, inferenceP95Ms: T.inferenceP95Ms, consumerLagS: T.consumerLagS,
      staleAfterS: t.staleAfterS, severity: t.severity,
    })));
  const kube = e.kubernetes;
  if ('missing' in kube) checks.push(noData('daily.kube.replicas', 'Kubernetes workloads', kube.missing));
  else if ('error' in kube) checks.push(check('daily.kube.replicas', 'Kubernetes workloads', 'all Ready', null, 'replicas', 'error', { what: `could not measure: ${kube.error}`, how: '', where: kube.where }));
  else for (const w of kube.workloads) checks.push(...judgeWorkload(w, T.podCrashes5m));
  return checks;
}
