/**
 * The platform profile: everything the harness touches on the platform under test (connections,
 * credentials, names, queries) and every target it judges against. One zod schema; the JSON Schema
 * editors read (`docs/profile.schema.json`) is generated from it. Unknown keys are errors
 * everywhere. The sandbox is one profile among others (`harness sandbox profile`). docs/profile.md
 * describes each key.
 */
import { z } from 'zod';

const slug = z.string().regex(/^[a-z0-9][-a-z0-9_.]*$/, 'expected a short name such as staging or prod-eu');
const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port');
const nonEmpty = z.string().min(1);
const dns1123 = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 name (lower case, digits, -)');
const kafkaName = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'expected a Kafka name (letters, digits, . _ -)');
/** An http(s) URL without credentials in it: those go in `auth` or a header, never into evidence. */
const httpUrl = z.url().regex(/^https?:\/\//, 'expected an http(s):// URL')
  .refine((u) => { try { const x = new URL(u); return !x.username && !x.password; } catch { return false; } }, 'no user:password@ in the URL: put credentials in auth (or a header) so they stay out of records');
/** PEM text, or `${file:PATH}` to read it from a file. */
const pem = z.string().regex(/-----BEGIN [A-Z ]+-----/, 'expected PEM text (use ${file:PATH} to read it from a file)');

/** TLS to a server: `true` trusts the system's CAs; an object adds a CA and a client certificate. */
const TlsSchema = z.union([
  z.boolean(),
  z.strictObject({
    ca: pem.optional().describe('CA certificate(s) the server\'s certificate must chain to (PEM)'),
    cert: pem.optional().describe('client certificate (PEM), for mutual TLS'),
    key: pem.optional().describe('client private key (PEM), for mutual TLS'),
    servername: nonEmpty.optional().describe('name the server\'s certificate must carry, when it differs from the host'),
    insecureSkipVerify: z.boolean().default(false).describe('accept any server certificate (never for production)'),
  }).refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together', path: ['key'] }),
]);

/** Where one field of a message lives: a JSON path into the value (`$.a.b`), or a header. */
const FieldRef = z.string().regex(/^(\$(\.[A-Za-z_][A-Za-z0-9_]*)+|header:[!-~]+)$/, 'expected a JSON path such as $.seq or header:NAME');

const ContractSchema = z.strictObject({
  id: z.array(FieldRef).min(1).describe('fields that together identify a price message across the pipeline (e.g. [$.run, $.seq])'),
  sentAt: FieldRef.describe('producer send time, epoch milliseconds: end-to-end latency is measured from it'),
  checksum: z.strictObject({
    at: FieldRef.describe('where the producer put the checksum'),
    algorithm: z.enum(['sha256-hex16']).describe('sha256 of the joined fields, first 16 hex digits'),
    of: z.array(FieldRef).min(1).describe('fields hashed, in order'),
    separator: z.string().default('|'),
  }).optional().describe('how a message proves it is intact; without it the corruption check has no data'),
  predictionId: z.array(FieldRef).min(1).optional().describe('where a prediction carries the id of the price it came from, field for field as id; default: id'),
  message: z.strictObject({
    key: z.string().default('{{commodity}}').describe('the record key (the platform partitions by it); {{field}}s are replaced'),
    value: z.record(z.string(), z.json()).describe('the JSON value; a string that is exactly {{run}}, {{seq}}, {{price}} or {{sentAt}} becomes a number, {{commodity}} and {{checksum}} strings; {{field}} inside other text is replaced as text'),
    headers: z.record(z.string().regex(/^[!-~]+$/, 'expected a header name'), z.string()).default({}).describe('record headers; {{field}}s are replaced'),
  }).optional().describe('the price message the load generator writes to the prices topic (the Kafka scenarios need it): where the contract reads id, sentAt and checksum, the template must put {{run}}/{{seq}}, {{sentAt}} and {{checksum}}'),
});

const KafkaSchema = z.strictObject({
  brokers: z.array(hostPort).min(1),
  clientId: nonEmpty.default('carbon-harness'),
  tls: TlsSchema.default(false),
  sasl: z.strictObject({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: nonEmpty,
    password: nonEmpty,
  }).optional(),
  topics: z.strictObject({ prices: kafkaName, predictions: kafkaName }),
  consumerGroup: kafkaName.describe('the prediction consumers\' group: lag, members and integrity are read for it'),
  consumerMembers: z.number().int().min(1).max(1000).optional().describe('members the group should have; default: the replicas of the consumer deployment under platform.kubernetes'),
  contract: ContractSchema,
});

/** SQL text; `$1`… are bound parameters (docs/profile.md names them per query). */
const sql = z.string().min(1).refine((s) => !/;\s*\S/.test(s), 'one statement only');

const FeatureStoreSchema = z.strictObject({
  url: z.string().regex(/^postgres(ql)?:\/\/[^\s]+$/, 'expected a postgres:// URL'),
  tls: TlsSchema.default(false),
  queries: z.strictObject({
    representative: sql.describe('the query whose latency is judged (no parameters)'),
    freshness: sql.describe('one row: rows (int) and age_s (seconds since the newest feature update, null if none)'),
    workflowRuns: sql.describe('$1 = window seconds; rows of workflow (text), ok (int), failed (int)'),
    predictions: sql.describe('$1 = text[] of message ids; one row per id: id, n (predictions stored), checksums (text[] of their source checksums)'),
    accuracy: sql.optional().describe('$1 = text[] of message ids, $2 = jsonb[] of the source messages; rows of id and correct (boolean: the stored prediction agrees with the model and the source)'),
  }),
  workflowWindowMinS: z.number().min(0).max(86_400).default(0).describe('the workflow success rate looks back at least this far (a few batch intervals), however short the window'),
  queryTimeoutS: z.number().positive().max(3600).default(60).describe('a query of the harness\'s with no answer in this many seconds fails (pg\'s query_timeout, kept by the client: a hung server cannot hold a run)'),
});

const HeaderMap = z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name'), z.string());

const InferenceSchema = z.strictObject({
  url: httpUrl,
  healthPath: z.string().regex(/^\//, 'expected a path such as /healthz').default('/healthz'),
  request: z.strictObject({
    method: z.enum(['GET', 'POST']).default('POST'),
    path: z.string().regex(/^\//, 'expected a path such as /v1/predict'),
    /** `{{commodity}}` is replaced by each commodity in turn. */
    body: z.string().optional(),
    headers: HeaderMap.default({}),
  }),
  commodities: z.array(nonEmpty).min(1).describe('values a request\'s {{commodity}} cycles through'),
  tls: TlsSchema.default(false),
});

const HttpAuthSchema = z.union([
  z.strictObject({ bearerToken: nonEmpty }),
  z.strictObject({ basicAuth: z.strictObject({ username: nonEmpty, password: nonEmpty }) }),
]);

const HttpApiSchema = z.strictObject({
  url: httpUrl,
  auth: HttpAuthSchema.optional(),
  tls: TlsSchema.default(false),
});

const AlertmanagerSchema = HttpApiSchema.extend({
  /** The label that carries an alert's severity, and the values that count as critical and as warning. */
  severity: z.strictObject({
    label: nonEmpty.default('severity'),
    critical: z.array(nonEmpty).min(1).default(['critical']),
    warning: z.array(nonEmpty).min(1).default(['warning']),
  }).prefault({}),
});

/** PromQL; `$window` is replaced by the check's window (e.g. `30s`). */
const promql = z.string().min(1);

const SlisSchema = z.strictObject({
  platformHealth: promql.describe('percent of platform components up, averaged over $window'),
  uptime: promql.describe('percent of the user-facing request path answering, over $window'),
  errorRate: promql.describe('ratio of failed to all inference requests over $window'),
  requests: promql.optional().describe('how many inference requests the platform answered over $window (the error rate\'s denominator): lets the week-1 error rate weigh each day by its requests'),
  dashboardSeries: z.array(nonEmpty).min(1).describe('metric names the dashboards are drawn from; each must be fresh'),
  podRestarts5m: promql.optional().describe('container restarts of $namespace/$deployment in the last 5 minutes'),
  inferenceLatencyP95Ms: promql.optional().describe('the platform\'s own p95 inference latency over $window, in ms (beside the daily check\'s probe)'),
  consumerLagS: promql.optional().describe('the platform\'s own consumer lag over $window, in seconds, the worst (beside the lag read from Kafka\'s offsets)'),
  staleAfterS: z.number().positive().max(86_400).default(120).describe('a dashboard series older than this is stale (a few scrape intervals)'),
});

const DeploymentSchema = z.strictObject({
  replicas: z.number().int().min(1).max(1000).describe('the intended size: the daily check wants this many Ready'),
  drill: z.boolean().default(false).describe('drills may kill this deployment\'s pods'),
  consumer: z.boolean().default(false).describe('runs the prediction consumers (lag and integrity are judged around a kill)'),
});

/** platform.kubernetes.requestTimeoutS when not set (also k6Operator.kubeconfig's requests). */
export const KUBE_REQUEST_TIMEOUT_S = 10;

const KubernetesSchema = z.strictObject({
  kubeconfig: nonEmpty.optional().describe('path to the kubeconfig (never read from $KUBECONFIG unless written as ${KUBECONFIG}); or inCluster'),
  inCluster: z.boolean().default(false).describe('running in the cluster (harness deploy render): its ServiceAccount\'s token and CA; the context is "inCluster"'),
  context: nonEmpty.optional().describe('context to use; default: the kubeconfig\'s current one'),
  requestTimeoutS: z.number().positive().max(300).default(KUBE_REQUEST_TIMEOUT_S).describe('an API request (not a watch) whose answer has not begun in this many seconds fails, as with kubectl --request-timeout: a hung API server makes the check that needed it an error, or a drill exit 3, instead of holding the run'),
  namespaces: z.record(dns1123, z.strictObject({ deployments: z.record(dns1123, DeploymentSchema) })),
}).refine((k) => k.inCluster !== (k.kubeconfig !== undefined), { message: 'name a kubeconfig, or set inCluster: true (not both)', path: ['kubeconfig'] })
  .refine((k) => !(k.inCluster && k.context), { message: 'in the cluster there is one context: leave context out', path: ['context'] });

const ms = z.number().positive();
const pct = z.number().min(0).max(100);

const SeverityTarget = z.strictObject({ detectMin: z.number().positive(), respondMin: z.number().positive(), mttrMin: z.number().positive() });

/** The seed's targets (docs/slos.md), each overridable. */
const SlosSchema = z.strictObject({
  kafkaThroughputMsgS: z.number().positive().default(7000),
  consumerLagS: z.number().positive().default(5),
  dbQueryMs: ms.default(5000),
  featureFreshnessS: z.number().positive().default(60),
  inferenceP95Ms: ms.default(100),
  platformHealthPct: pct.default(99),
  uptimePct: pct.default(99.9),
  errorRate: z.number().min(0).max(1).default(0.001),
  workflowSuccessPct: pct.default(99),
  podRecoveryS: z.number().positive().default(30),
  podCrashes5m: z.number().int().min(0).default(3),
  /** Seconds from a failure to its alert, by alert severity (Sev1 critical: 1 min; Sev2 warning: 5 min). */
  alertDetectS: z.record(nonEmpty, z.number().positive()).refine((m) => Object.keys(m).length > 0, 'name at least one severity (e.g. critical: 60)').default({ critical: 60, warning: 300 }),
  criticalIncidents: z.number().int().min(0).default(0).describe('Sev1 incidents (and critical alerts at daily checks) the week may have'),
  incidentMttrMin: z.number().positive().default(60).describe('mean time to repair of the week\'s incidents, below this (minutes)'),
  userSatisfaction: z.number().min(1).max(5).default(4).describe('mean feedback score, above this (1–5)'),
  /** Minutes to detect, respond to and resolve an incident, by severity (the seed's four levels). */
  severities: z.strictObject({ 1: SeverityTarget, 2: SeverityTarget, 3: SeverityTarget, 4: SeverityTarget }).default({
    1: { detectMin: 1, respondMin: 5, mttrMin: 30 },
    2: { detectMin: 5, respondMin: 15, mttrMin: 60 },
    3: { detectMin: 15, respondMin: 60, mttrMin: 240 },
    4: { detectMin: 60, respondMin: 240, mttrMin: 1440 },
  }),
}).prefault({});

const DrillSchema = z.strictObject({
  alert: z.strictObject({
    /** Labels by which a firing alert names the killed workload. */
    workloadLabels: z.array(nonEmpty).min(1).default(['workload', 'deployment', 'job', 'app']),
    /** Extra label matchers every counted alert must carry (e.g. severity: critical). */
    labels: z.record(nonEmpty, z.string()).default({}),
    /**
     * Where notifications are seen: `alertmanager` (the alert active in its API) or a URL of a
     * receiver that keeps the webhook notifications it got (GET returns them as JSON).
     */
    source: z.union([z.literal('alertmanager'), httpUrl]).default('alertmanager'),
  }).prefault({}),
}).prefault({});

/** Where results are announced (docs/profile.md, "Notifications"). */
const NotificationsSchema = z.strictObject({
  slack: z.strictObject({
    url: httpUrl.describe('a Slack-compatible incoming webhook (its URL is its secret: write it as ${SLACK_WEBHOOK_URL})'),
  }).optional(),
  webhook: z.strictObject({
    url: httpUrl.describe('receives the run as JSON, signed: X-Carbon-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body)'),
    secret: z.string().min(16, 'at least 16 characters').describe('the HMAC key (write it as ${VAR})'),
  }).optional(),
  /** `failures`: only runs that did not pass (fail, error, incomplete, aborted). */
  when: z.enum(['always', 'failures']).default('always'),
  /** Which results are announced. */
  commands: z.array(z.enum(['gate', 'run', 'check-daily', 'drill', 'report-week1'])).min(1).default(['gate', 'run', 'check-daily', 'drill', 'report-week1']),
  /** A link to where the reports are served (CI artifacts, a bucket); the run's folder name is appended. Without it, the local path. */
  reportBaseUrl: httpUrl.optional(),
}).optional();

/** `kubectl`'s way of naming a resource: `secrets`, `deployments.apps`, `pods/exec`, `podchaos.chaos-mesh.org`. */
const resourceName = z.string().regex(/^[a-z][a-z0-9-]*(\/[a-z]+)?(\.[a-z0-9.-]+)?$/, 'expected a resource such as secrets, deployments.apps or pods/exec');
const verb = z.enum(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*']);
/** Who a row is about: a ServiceAccount as namespace/name, or a user (and its groups) as the API server authenticates it. */
const RbacSubject = z.union([
  z.strictObject({ serviceAccount: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected namespace/name') }),
  z.strictObject({ user: nonEmpty, groups: z.array(nonEmpty).default([]) }),
]);
const RbacRow = z.strictObject({
  verbs: z.array(verb).min(1),
  resources: z.array(resourceName).min(1),
  /** Namespaces the row is about; `'*'` is cluster-wide (every namespace at once, or a cluster-scoped resource). */
  namespaces: z.array(z.union([dns1123, z.literal('*')])).min(1),
});

/** The Thursday security review (`harness check security`, docs/security.md). */
const SecuritySchema = z.strictObject({
  namespaces: z.array(dns1123).min(1).optional().describe('namespaces the review covers; default: those under platform.kubernetes.namespaces'),
  rbac: z.array(z.strictObject({
    subject: RbacSubject,
    allow: z.array(RbacRow).default([]).describe('what the subject may do: each verb on each resource in each namespace must be allowed'),
    deny: z.array(RbacRow).default([]).describe('what it must not do: each must be refused'),
  })).default([]).describe('the RBAC matrix; any other grant found on the probed resources is a grant beyond the matrix'),
  probe: z.strictObject({
    resources: z.array(resourceName).min(1).default(['secrets', 'pods', 'pods/exec', 'configmaps', 'deployments.apps', 'roles.rbac.authorization.k8s.io', 'rolebindings.rbac.authorization.k8s.io', 'networkpolicies.networking.k8s.io', 'podchaos.chaos-mesh.org', 'schedules.chaos-mesh.org']),
    verbs: z.array(verb.exclude(['*'])).min(1).default(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']).describe('verbs asked one by one (a `*` in a matrix row stands for these)'),
  }).prefault({}).describe('where grants beyond the matrix are looked for: these resources and those the matrix names, in the review\'s namespaces and cluster-wide'),
  networkPolicies: z.strictObject({
    allow: z.array(z.strictObject({ namespace: dns1123, name: dns1123 })).default([]).describe('policies that must exist beside the default deny (the declared allows)'),
  }).prefault({}),
  secrets: z.strictObject({
    maxAgeDays: z.number().positive().max(3650).default(90).describe('a secret not rotated for longer fails'),
    rotationAnnotation: z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9][-A-Za-z0-9_.]*$/, 'expected an annotation key').default('carbon-harness.io/rotated-at')
      .describe('annotation holding when the secret was last rotated (RFC 3339); a secret without it fails'),
    ignoreTypes: z.array(nonEmpty).default(['kubernetes.io/service-account-token']).describe('secret types the control plane rotates itself'),
  }).prefault({}),
  auditLog: z.strictObject({
    path: nonEmpty.describe('the API server\'s audit log (JSON lines of audit.k8s.io/v1 Events, as --audit-log-path writes them, or a copy shipped from it); relative to the profile'),
    sample: z.number().int().min(10).max(5000).default(100).describe('the latest entries judged (ResponseComplete stage)'),
    knownUsers: z.array(z.string().regex(/[^*]/, 'a pattern of only * would know everyone')).min(1).describe('user names expected to call the API; * matches any run of characters (system:node:*)'),
    secretReaders: z.array(nonEmpty).default(['system:apiserver', 'system:kube-controller-manager', 'system:node:*', 'system:serviceaccount:kube-system:*']).describe('who may read secrets (kubelets read those their pods mount); any other successful get/list/watch of a secret is an anomaly'),
    maxSilenceMin: z.number().positive().max(10_080).default(60).describe('a log whose newest entry is older than this is stale: NO DATA, not a quiet cluster'),
    maxForbidden: z.number().int().min(0).default(10).describe('more 403 answers than this in the sample are a burst'),
  }).optional().describe('without it the audit-log checks have no data'),
}).prefault({});

export const ProfileSchema = z.strictObject({
  name: slug.describe('written into every record: reports never mix platforms'),
  description: z.string().optional(),
  platform: z.strictObject({
    kafka: KafkaSchema,
    featureStore: FeatureStoreSchema,
    inferenceApi: InferenceSchema,
    prometheus: HttpApiSchema.optional().describe('without it the monitoring checks have no data'),
    alertmanager: AlertmanagerSchema.optional(),
    slis: SlisSchema.optional(),
    kubernetes: KubernetesSchema.optional().describe('without it the Kubernetes checks have no data and drills refuse'),
  }),
  slos: SlosSchema,
  drill: DrillSchema,
  /** Files of load scenarios (docs/scenarios.md), relative to the profile; `builtin` is the harness's own. */
  scenarios: z.array(nonEmpty).min(1).default(['builtin']).describe('scenario files, in order; "builtin" is the harness\'s deploy suite (scenarios/definitions/deploy.yaml)'),
  /** Suites by name: scenarios run one after another. Added to (or replacing by name) the files' own suites. */
  suites: z.record(slug, z.array(slug).min(1)).default({}).describe('suites of scenario names, beside those the scenario files define'),
  security: SecuritySchema.describe('the security review: RBAC matrix, network policies, secret rotation'),
  notifications: NotificationsSchema.describe('post each result to a Slack-compatible webhook and/or a signed JSON webhook'),
}).superRefine((p, ctx) => {
  if (p.platform.prometheus && !p.platform.slis) ctx.addIssue({ code: 'custom', path: ['platform', 'slis'], message: 'required with platform.prometheus: the PromQL of each SLI' });
  if (p.platform.slis && !p.platform.prometheus) ctx.addIssue({ code: 'custom', path: ['platform', 'prometheus'], message: 'required with platform.slis: where to run them' });
});

export type Profile = z.infer<typeof ProfileSchema>;
export type Tls = z.infer<typeof TlsSchema>;
export type HttpApi = z.infer<typeof HttpApiSchema>;
export type KafkaProfile = Profile['platform']['kafka'];
export type FeatureStoreProfile = Profile['platform']['featureStore'];
export type InferenceProfile = Profile['platform']['inferenceApi'];
export type KubernetesProfile = NonNullable<Profile['platform']['kubernetes']>;
export type Contract = KafkaProfile['contract'];
export type Slos = Profile['slos'];
export type SecurityProfile = Profile['security'];
/** The numeric targets a scenario threshold may name as `${slo:KEY}`. */
export type NumericSloKey = { [K in keyof Slos]: Slos[K] extends number ? K : never }[keyof Slos];

/** The JSON Schema editors validate and complete a profile with (published as docs/profile.schema.json). */
export function profileJsonSchema(): unknown {
  return { $id: 'https://carbon-harness.invalid/profile.schema.json', title: 'carbon-harness platform profile', ...z.toJSONSchema(ProfileSchema, { io: 'input', unrepresentable: 'any' }) };
}

/** The seed's targets, as a profile without `slos` has them. */
export const SEED_SLOS: Slos = SlosSchema.parse(undefined);
