/**
 * `harness profile check`: every part the profile names, reached with the profile's credentials,
 * without generating load. One check per part: pass (reachable, with what answered) or error (why
 * not). Nothing is written to the platform.
 */
import * as k8s from '@kubernetes/client-node';
import type { Check } from '../core/record.ts';
import type { Profile } from '../profile/schema.ts';
import { isSaslRefusal, kafkajs } from '../platform/kafka.ts';
import { kafkaConn } from '../platform/kafka-conn.ts';
import { crashQuery } from './kube.ts';
import { pgClient } from '../platform/postgres.ts';
import { pgConfig, describePg } from '../platform/postgres-conn.ts';
import { httpClient } from '../platform/http.ts';
import { promBuildInfo, promQuery } from '../platform/prometheus.ts';
import { alertmanagerStatus } from '../platform/alertmanager.ts';
import { kubeConfig, deployments } from '../platform/kube.ts';
import { withWindow } from './monitoring.ts';
import { inferenceRequest } from './inference.ts';
import { Agent, request } from 'undici';
import { tlsOptions } from '../platform/tls.ts';
import { check } from './check.ts';
import { firstLine } from '../core/errors.ts';

const ok = (id: string, title: string, what: string, how: string, where: string) => check(id, title, 'reachable', 'reachable', '', 'pass', { what, how, where });
const bad = (id: string, title: string, e: unknown, how: string, where: string) =>
  check(id, title, 'reachable', 'unreachable', '', 'error', { what: firstLine(e), how, where });

async function probe(id: string, title: string, how: string, where: string, f: () => Promise<string>, timeoutMs = 15_000): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const what = await Promise.race([f(), new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs); })]);
    return ok(id, title, what, how, where);
  } catch (e) {
    return bad(id, title, e, how, where);
  } finally {
    clearTimeout(timer);
  }
}

export async function reachabilityChecks(p: Profile): Promise<Check[]> {
  const { kafka: k, featureStore: fs, inferenceApi: api, prometheus, alertmanager, slis, kubernetes } = p.platform;
  const out: Check[] = [];
  const brokers = k.brokers.join(',');
  const auth = `${k.sasl ? `SASL ${k.sasl.mechanism} as ${k.sasl.username}` : 'no SASL'}${k.tls ? ', TLS' : ''}`;
  out.push(await probe('profile.kafka', 'Kafka', `Metadata, DescribeGroups (${auth})`, brokers, async () => {
    const admin = kafkajs(kafkaConn(k), 'harness-profile-check', { connectionTimeout: 5000, retry: { retries: 1 } }).admin();
    try {
      await admin.connect().catch((e: Error) => { throw new Error(isSaslRefusal(e) ? `SASL authentication failed (${k.sasl?.mechanism ?? 'none'}): ${e.message}` : e.message); });
      const topics = new Set(await admin.listTopics());
      const missing = [k.topics.prices, k.topics.predictions].filter((t) => !topics.has(t));
      if (missing.length) throw new Error(`topic(s) missing: ${missing.join(', ')}`);
      const g = (await admin.describeGroups([k.consumerGroup])).groups[0];
      return `topics ${k.topics.prices}, ${k.topics.predictions} present; group ${k.consumerGroup} ${g?.state ?? 'unknown'} with ${g?.members.length ?? 0} member(s)`;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }));
  out.push(await probe('profile.feature-store', 'feature store (PostgreSQL)', 'connect, then each query of platform.featureStore.queries planned (EXPLAIN), none run', describePg(fs.url), async () => {
    const c = pgClient(pgConfig(fs));
    try {
      await c.connect();
      const v = (await c.query('SHOW server_version')).rows[0] as { server_version: string };
      const params: Record<string, unknown[]> = { workflowRuns: [1], predictions: [[]], accuracy: [[], []] };
      for (const [name, sql] of Object.entries(fs.queries)) {
        if (!sql) continue;
        try { await c.query(`EXPLAIN ${sql}`, params[name] ?? []); } catch (e) { throw new Error(`platform.featureStore.queries.${name}: ${(e as Error).message}`); }
      }
      return `PostgreSQL ${v.server_version}${fs.tls ? ' over TLS' : ''}; ${Object.values(fs.queries).filter(Boolean).length} queries plan`;
    } finally {
      await c.end().catch(() => {});
    }
  }));
  const base = api.url.replace(/\/+$/, '');
  out.push(await probe('profile.inference-api', 'inference API', `GET ${api.healthPath} with the request's headers`, `${base}${api.healthPath}`, async () => {
    const tls = tlsOptions(api.tls);
    const r = await request(`${base}${api.healthPath}`, { headers: inferenceRequest(api, api.commodities[0]!).headers, headersTimeout: 5000, dispatcher: tls ? new Agent({ connect: tls }) : undefined });
    await r.body.dump();
    if (r.statusCode !== 200) throw new Error(`${api.healthPath} answered ${r.statusCode}`);
    return `${api.healthPath} answered 200`;
  }));
  if (prometheus) {
    const c = httpClient('prometheus', prometheus);
    out.push(await probe('profile.prometheus', 'Prometheus', 'GET /api/v1/status/buildinfo, then each SLI of platform.slis evaluated once', c.url, async () => {
      const b = await promBuildInfo(c);
      const exprs = Object.entries(slis ?? {}).filter(([, v]) => typeof v === 'string') as Array<[string, string]>;
      for (const [name, expr] of exprs) {
        try { await promQuery(c, crashQuery(withWindow(expr, 60), 'x', 'x')); } catch (e) { throw new Error(`platform.slis.${name}: ${(e as Error).message}`); }
      }
      return `Prometheus ${b.version}${prometheus.auth ? ` (${'bearerToken' in prometheus.auth ? 'bearer token' : 'basic auth'} accepted)` : ''}; ${exprs.length} SLI queries evaluate`;
    }));
  } else {
    out.push(check('profile.prometheus', 'Prometheus', 'reachable', null, '', 'no-data', { what: 'not named in the profile: the monitoring checks will have no data', how: '', where: '' }));
  }
  if (alertmanager) {
    const c = httpClient('alertmanager', alertmanager);
    out.push(await probe('profile.alertmanager', 'Alertmanager', 'GET /api/v2/status', c.url, async () => {
      const s = await alertmanagerStatus(c);
      return `Alertmanager ${s.versionInfo?.version ?? '?'}, cluster ${s.cluster?.status ?? '?'}${alertmanager.auth ? ' (credentials accepted)' : ''}`;
    }));
  } else {
    out.push(check('profile.alertmanager', 'Alertmanager', 'reachable', null, '', 'no-data', { what: 'not named in the profile: critical alerts will have no data', how: '', where: '' }));
  }
  if (p.drill.alert.source !== 'alertmanager') {
    const url = p.drill.alert.source;
    out.push(await probe('profile.alert-receiver', 'drill alert receiver log', 'GET (a JSON list of webhook notifications)', url, async () => {
      const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!r.ok) throw new Error(`answered ${r.status}`);
      const list = await r.json();
      if (!Array.isArray(list)) throw new Error('did not answer a JSON list');
      return `${list.length} notification(s) kept`;
    }));
  }
  if (kubernetes) {
    const deps = deployments(kubernetes);
    out.push(await probe('profile.kubernetes', 'Kubernetes', 'GET each deployment the profile names', kubernetes.kubeconfig ?? 'in-cluster', async () => {
      const { kc } = kubeConfig(kubernetes);
      const apps = kc.makeApiClient(k8s.AppsV1Api);
      const seen: string[] = [];
      for (const d of deps) {
        try {
          const x = await apps.readNamespacedDeployment({ name: d.name, namespace: d.namespace });
          seen.push(`${d.namespace}/${d.name} ${x.status?.readyReplicas ?? 0}/${d.replicas} Ready`);
        } catch (e) {
          const code = (e as { code?: number }).code;
          throw new Error(code === 404 ? `deployment ${d.namespace}/${d.name} not found` : `${kc.getCurrentContext()}: ${firstLine(e)}`);
        }
      }
      return `context ${kc.getCurrentContext()} (${kc.getCurrentCluster()?.server ?? '?'}): ${seen.join('; ')}`;
    }));
  } else {
    out.push(check('profile.kubernetes', 'Kubernetes', 'reachable', null, '', 'no-data', { what: 'not named in the profile: Kubernetes checks have no data and drills refuse', how: '', where: '' }));
  }
  return out;
}
