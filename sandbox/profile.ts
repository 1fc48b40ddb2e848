/**
 * The embedded sandbox described as a platform profile: the same file format a user writes for
 * staging or production. `sandbox up` writes it to `<sandbox dir>/profile.yaml`; without
 * `--profile`, commands run against it. Nothing outside sandbox/ knows the sandbox's ports, names
 * or queries: they are values here.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { sandboxDir, type Config } from '../core/config.ts';
import { projectRoot } from '../core/paths.ts';
import { parseProfile, type LoadedProfile } from '../profile/load.ts';
import type { z } from 'zod';
import type { ProfileSchema } from '../profile/schema.ts';
import { ADMIN_USER, alertmanagerUrl, auditLogPath, kubeconfigPath, pgUrl, prometheusUrl, SANDBOX_POLICIES } from './addresses.ts';
import { REFERENCE_MESSAGE } from '../platform/reference-messages.ts';

export const SANDBOX_PROFILE_NAME = 'sandbox';
export const profilePath = (cfg: Config) => join(sandboxDir(cfg), 'profile.yaml');

/** The infrastructure probes' results; a probe whose exporter could not be scraped counts as down. */
const INFRA = '(probe_success{tier="infra"} or 0 * up{tier="infra"})';

export function sandboxProfileValues(cfg: Config): z.input<typeof ProfileSchema> {
  const sb = cfg.sandbox;
  const h = sb.host;
  // The secured shape: its CA (written by `sandbox up` beside this file), SCRAM and basic-auth credentials.
  const sec = sb.security;
  const ca = { ca: '${file:tls/ca.crt}' };
  const basicAuth = sec.enabled ? { auth: { basicAuth: { username: sec.user, password: sec.password } } } : {};
  const restarts = 'kube_pod_container_status_restarts_total{namespace="$namespace",pod=~"$deployment-[a-z0-9]+-[a-z0-9]+"}';
  return {
    name: SANDBOX_PROFILE_NAME,
    description: 'the embedded reference platform (harness sandbox up); generated from the harness config',
    platform: {
      kafka: {
        brokers: [`${h}:${sb.ports.kafka}`],
        ...(sec.enabled ? { tls: ca, sasl: { mechanism: 'scram-sha-512' as const, username: sec.user, password: sec.password } } : {}),
        topics: { prices: sb.topics.prices, predictions: sb.topics.predictions },
        consumerGroup: sb.consumers.group,
        consumerMembers: sb.consumers.replicas,
        contract: {
          id: ['$.run', '$.seq'],
          sentAt: '$.sentAt',
          checksum: { at: '$.checksum', algorithm: 'sha256-hex16', of: ['$.run', '$.seq', '$.commodity', '$.price', '$.sentAt'], separator: '|' },
          message: structuredClone(REFERENCE_MESSAGE),
        },
      },
      featureStore: {
        url: pgUrl(sb),
        ...(sec.enabled ? { tls: ca } : {}),
        workflowWindowMinS: sb.batch.intervalS * 3,
        queries: {
          representative: `SELECT f.commodity, f.last_price, f.ema_short, f.ema_long, f.volatility, p.predicted, p.processed_at
FROM features f LEFT JOIN LATERAL (
  SELECT predicted, processed_at FROM predictions WHERE commodity = f.commodity
  ORDER BY processed_at DESC LIMIT 10) p ON true`,
          freshness: 'SELECT count(*)::int AS rows, extract(epoch FROM now() - max(updated_at))::float8 AS age_s FROM features',
          workflowRuns: `SELECT workflow, count(*) FILTER (WHERE status = 'success')::int AS ok, count(*) FILTER (WHERE status = 'failure')::int AS failed
FROM workflow_runs WHERE started_at > now() - make_interval(secs => $1) GROUP BY workflow ORDER BY workflow`,
          // The id is "run:seq"; split on the parameter side so the (feed_run, seq) index is used.
          predictions: `SELECT k.id, count(p.seq)::int AS n, array_agg(DISTINCT p.source_checksum) FILTER (WHERE p.seq IS NOT NULL) AS checksums
FROM unnest($1::text[]) AS k(id)
LEFT JOIN predictions p ON p.feed_run = split_part(k.id, ':', 1)::bigint AND p.seq = split_part(k.id, ':', 2)::bigint
GROUP BY k.id`,
          // The reference model (ema-v1): predicted = price + (ema_short - ema_long) / 2, from the price
          // the source message carried ($2: each message as JSON).
          accuracy: `SELECT k.id,
  (p.ema_short IS NOT NULL AND p.ema_long IS NOT NULL AND p.price = (k.msg->>'price')::float8
   AND abs(p.predicted - (p.price + (p.ema_short - p.ema_long) * 0.5)) <= 1e-9) AS correct
FROM unnest($1::text[], $2::jsonb[]) AS k(id, msg)
JOIN predictions p ON p.feed_run = split_part(k.id, ':', 1)::bigint AND p.seq = split_part(k.id, ':', 2)::bigint`,
        },
      },
      inferenceApi: {
        url: `http://${h}:${sb.ports.inferenceApi}`,
        healthPath: '/healthz',
        request: { method: 'POST', path: '/v1/predict', body: '{"commodity":"{{commodity}}"}', headers: { 'content-type': 'application/json' } },
        commodities: sb.priceFeed.commodities,
      },
      prometheus: { url: prometheusUrl(sb), ...basicAuth },
      alertmanager: { url: alertmanagerUrl(sb), ...basicAuth },
      slis: {
        // Health counts the infrastructure (Kafka, PostgreSQL, the Kubernetes API: blackbox probes
        // with tier="infra") beside the scraped services: a stopped broker is unhealthy even while
        // every service still answers its /metrics.
        platformHealth: `100 * avg_over_time(((sum(up{platform="carbon"}) + sum(${INFRA})) / (count(up{platform="carbon"}) + count(${INFRA})))[$window:])`,
        // The user-facing request path (blackbox probes of POST /v1/predict and GET /healthz), not /metrics.
        uptime: '100 * avg(avg_over_time((probe_success{component="inference-api"} or 0 * up{component="inference-api"})[$window:]))',
        // `or vector(0)`: with no 5xx series at all the ratio is 0, not missing.
        errorRate: '(sum(increase(http_requests_total{job="inference-api",code=~"5.."}[$window])) or vector(0)) / sum(increase(http_requests_total{job="inference-api"}[$window]))',
        requests: 'sum(increase(http_requests_total{job="inference-api"}[$window]))',
        dashboardSeries: ['price_feed_messages_sent_total', 'consumer_messages_processed_total', 'consumer_lag_seconds',
          'http_requests_total', 'http_request_duration_seconds_bucket', 'workflow_runs_total', 'up'],
        // Per pod, the counter's highest minus its lowest value in the window (exact for a counter;
        // increase() extrapolates, and 3.4 rounds the wrong way at a threshold of 3).
        staleAfterS: Math.max(10, sb.monitoring.scrapeIntervalS * 5),
        podRestarts5m: `sum(max_over_time(${restarts}[5m]) - min_over_time(${restarts}[5m]))`,
        // The reference services' own metrics: the inference API's request histogram, the consumers' lag gauge.
        inferenceLatencyP95Ms: '1000 * histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="inference-api",route="/v1/predict"}[$window])))',
        consumerLagS: 'max(max_over_time(consumer_lag_seconds{job="prediction-consumer"}[$window]))',
      },
      ...(sb.kube.enabled ? {
        kubernetes: {
          kubeconfig: kubeconfigPath({ dir: sandboxDir(cfg) }),
          context: 'carbon-sandbox',
          namespaces: { [sb.kube.namespace]: { deployments: { [sb.consumers.deployment]: { replicas: sb.consumers.replicas, drill: true, consumer: true } } } },
        },
      } : {}),
    },
    slos: {},
    drill: { alert: { source: `http://${h}:${sb.ports.alertSink}/alerts` } },
    ...(sb.kube.enabled ? {
      // The platform pods run as the namespace's default ServiceAccount, which may read no secret and
      // kill nothing; ingress is denied by default, scraping allowed (sandbox/kube.ts applies both).
      security: {
        rbac: [{ subject: { serviceAccount: `${sb.kube.namespace}/default` }, deny: [
          { verbs: ['get', 'list'], resources: ['secrets'], namespaces: [sb.kube.namespace] },
          { verbs: ['delete'], resources: ['pods'], namespaces: [sb.kube.namespace] },
          { verbs: ['create'], resources: ['podchaos.chaos-mesh.org'], namespaces: [sb.kube.namespace] },
        ] }],
        networkPolicies: { allow: [{ namespace: sb.kube.namespace, name: SANDBOX_POLICIES.allow }] },
        // Who calls the sandbox's API: the harness (its admin certificate, and the ServiceAccount
        // `deploy render` gives it), the control plane and the nodes. The harness lists secrets in the review.
        auditLog: {
          path: auditLogPath({ dir: sandboxDir(cfg) }),
          knownUsers: [ADMIN_USER, 'system:apiserver', 'system:kube-*', 'system:node:*', 'system:serviceaccount:kube-system:*', 'system:serviceaccount:*:carbon-harness'],
          secretReaders: [ADMIN_USER, 'system:apiserver', 'system:kube-controller-manager', 'system:node:*', 'system:serviceaccount:kube-system:*'],
        },
      },
    } : {}),
  };
}

export function sandboxProfileText(cfg: Config): string {
  return `# yaml-language-server: $schema=${join(projectRoot, 'docs', 'profile.schema.json')}\n`
    + '# The embedded sandbox as a platform profile, written by `harness sandbox up` from the harness config.\n'
    + stringify(sandboxProfileValues(cfg), { lineWidth: 0 });
}

/** What a record names of the sandbox's profile, without resolving it (its CA may not exist before `sandbox up`). */
export function sandboxProfileRef(cfg: Config): { name: string; source: string; hash: string } {
  return { name: SANDBOX_PROFILE_NAME, source: profilePath(cfg), hash: createHash('sha256').update(sandboxProfileText(cfg)).digest('hex').slice(0, 16) };
}

/** The sandbox's profile, parsed as any profile file is. */
export function sandboxProfile(cfg: Config): LoadedProfile {
  return parseProfile(sandboxProfileText(cfg), profilePath(cfg), {});
}

export function writeSandboxProfile(cfg: Config): string {
  const path = profilePath(cfg);
  mkdirSync(sandboxDir(cfg), { recursive: true });
  writeFileSync(path, sandboxProfileText(cfg), { mode: 0o600 });
  return path;
}
