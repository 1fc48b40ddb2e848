/**
 * The journal's schemas: what every reader of a stored record (reports, `judge`, `compare`,
 * `--baseline`) may rely on, one schema per record kind, checked before anything is read from it.
 * A record that fails is refused with the file, the path of the first bad field and why, never
 * half-read. The schemas hold the fields readers use; a record may carry more (looseObject).
 *
 * Versions (`schemaVersion`; none is version 0, the same shape as 1):
 *   1  every record names its platform and profile; load runs store their plan before any load.
 *   2  the daily check stores its evidence (`data.evidence`) and is judged from it; a drill stores
 *      its steady states, integrity read-back and load scenario in its observation and targets.
 * Older versions are read as they are: what they did not store is copied by `judge`, not re-derived.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { firstLine } from './errors.ts';
import { RECORD_SCHEMA_VERSION, unreadableVersion, type RunRecord } from './record.ts';

const num = z.number();

const CheckShape = z.looseObject({
  id: z.string(), title: z.string().optional(), status: z.enum(['pass', 'fail', 'error', 'no-data']),
  observed: z.union([z.number(), z.string(), z.boolean(), z.null()]), unit: z.string().default(''),
  evidence: z.looseObject({}).default({ what: '', how: '', where: '' }),
});

const BaseShape = z.looseObject({
  schemaVersion: z.number().int().min(0).optional(),
  id: z.string(), kind: z.string(), startedAt: z.string().optional(), status: z.enum(['pass', 'fail', 'error', 'incomplete', 'aborted']),
  platform: z.string().optional(),
  profile: z.looseObject({ name: z.string(), source: z.string(), hash: z.string() }).optional(),
  checks: z.array(CheckShape),
  data: z.looseObject({}).default({}),
});

/** A scenario's stored result: what thresholds are judged again from, and baselines compared on. */
const ScenarioResultShape = z.looseObject({
  scenario: z.string(),
  // A value or cross-check a run could not compute is null (JSON has no NaN).
  metrics: z.record(z.string(), z.looseObject({ type: z.enum(['counter', 'gauge', 'rate', 'trend']), values: z.record(z.string(), num.nullable()) })),
  histograms: z.record(z.string(), z.string()),
  timeline: z.array(z.looseObject({})),
  crossChecks: z.record(z.string(), num.nullable()),
});

const LoadData = z.looseObject({
  plan: z.looseObject({ scenarios: z.array(z.looseObject({ name: z.string() })) }).optional(),
  scenarios: z.array(ScenarioResultShape).optional(),
});

/** A probe's reading: what the judge reads when it was made, or why it could not be. */
const readingOf = <T extends z.ZodRawShape>(fields: T) => z.discriminatedUnion('ok', [
  z.looseObject({ ok: z.literal(true), ...fields }), z.looseObject({ ok: z.literal(false), error: z.string() }),
]);
const nullableNum = num.nullable();
const promReading = z.intersection(z.looseObject({ expr: z.string() }), readingOf({ value: nullableNum, nonFinite: z.string().optional() }));
const offsets = z.looseObject({ at: num, offsets: z.record(z.string(), num) });
const ids = z.looseObject({ n: num, ids: z.array(z.string()) });
const integrity = z.looseObject({
  topic: z.string(), group: z.string(), where: z.string(), window: z.looseObject({ from: num, to: num }), idFields: z.array(z.string()), checksum: z.boolean(),
  found: readingOf({ prices: num, identified: num, missing: ids, late: ids, duplicated: ids, corruptInTopic: ids, unidentified: ids, checksumMismatch: ids,
    accuracy: z.looseObject({ sampled: num, wrong: z.array(z.string()) }).nullable() }),
});

const DrillData = z.looseObject({
  targets: z.looseObject({
    namespace: z.string(), deployment: z.string(), count: num, recoverySloS: num, lagTargetS: num,
    alertDetectS: z.record(z.string(), num), alertWaitS: num, alert: z.looseObject({ workloadLabels: z.array(z.string()), source: z.string() }), where: z.string(),
    withLoad: z.looseObject({ name: z.string() }).optional(),
  }).optional(),
  steady: z.looseObject({ desired: num, selector: z.string(), before: z.looseObject({ ready: num, pods: num }) }).optional(),
  observation: z.looseObject({
    timeline: z.array(z.looseObject({ event: z.string(), atMs: num })), relists: num,
    chaos: z.looseObject({ name: z.string(), injected: z.array(z.string()) }).nullable(),
    lag: z.looseObject({ before: num, samples: z.array(z.looseObject({ atMs: num, lagMessages: num, lagS: num })), everyMs: num, where: z.string() }).nullable(),
    alert: z.looseObject({ hit: z.looseObject({ name: z.string(), severity: z.string(), afterS: num }).nullable(), others: z.array(z.string()), where: z.string(), how: z.string() }),
    steady: z.looseObject({ desired: num, selector: z.string(), before: z.looseObject({ ready: num, pods: num }) }).optional(),
    integrity: integrity.optional(),
  }).optional(),
  scenarios: z.array(ScenarioResultShape).optional(),
});

const DailyData = z.looseObject({
  windowS: num.optional(),
  /** The targets the run was judged against, stored before the probes ran. */
  targets: z.looseObject({ slos: z.looseObject({}), staleAfterS: num }).optional(),
  evidence: z.looseObject({
    windowS: num,
    kafka: z.looseObject({
      brokers: z.string(), prices: z.string(), predictions: z.string(), group: z.string(), via: z.looseObject({ tls: z.boolean(), sasl: z.string().optional() }),
      unreachable: z.looseObject({ error: z.string(), credentials: z.boolean(), sasl: z.boolean() }).nullable(),
      start: offsets.optional(), end: offsets.optional(),
      topics: z.array(z.looseObject({ name: z.string(), partitions: nullableNum, leaderless: z.array(num) })).optional(),
      lag: z.looseObject({ samples: z.array(z.looseObject({ readFrom: num, at: num, committed: z.record(z.string(), num), behind: z.record(z.string(), num), total: num, ends: offsets })), error: z.string().optional() }).optional(),
      members: z.union([z.looseObject({ missing: z.string() }), z.looseObject({ expected: num, state: z.string().nullable(), members: num })]).optional(),
      integrity: integrity.optional(),
      stopped: z.looseObject({ error: z.string(), credentials: z.boolean() }).optional(),
    }),
    featureStore: z.looseObject({
      where: z.string(), connect: readingOf({ ms: num }),
      query: readingOf({ ms: num, rows: nullableNum }).optional(), freshness: readingOf({ rows: nullableNum, ageS: nullableNum }).optional(),
    }),
    workflows: z.looseObject({ where: z.string(), windowS: num, runs: readingOf({ workflows: z.array(z.looseObject({ workflow: z.string(), ok: num, failed: num })) }) }),
    inference: z.looseObject({
      health: z.intersection(z.looseObject({ url: z.string(), path: z.string() }), readingOf({ status: num, body: z.string() })),
      probes: z.looseObject({ url: z.string(), method: z.string(), path: z.string(), ms: z.array(num).min(1), failed: num }).optional(),
    }),
    monitoring: z.union([z.looseObject({ missing: z.string() }), z.looseObject({
      prometheus: z.string(), windowS: num, slis: z.record(z.string(), promReading), requests: promReading.optional(),
      alerts: z.intersection(z.looseObject({ url: z.string() }), readingOf({ active: z.array(z.record(z.string(), z.string())) })).nullable(),
      dashboards: readingOf({ ages: z.record(z.string(), nullableNum) }),
    })]),
    kubernetes: z.union([z.looseObject({ missing: z.string() }), z.looseObject({ error: z.string(), where: z.string() }), z.looseObject({ workloads: z.array(z.looseObject({
      namespace: z.string(), name: z.string(), idSuffix: z.string(), where: z.string(), expected: num.optional(),
      status: readingOf({ specReplicas: num, ready: num, available: num, pods: num, restarts: num, lastCrashed: z.array(z.string()) }),
      crashes: z.union([z.looseObject({ missing: z.string() }), z.intersection(z.looseObject({ where: z.string() }), promReading)]).optional(),
    })) })]),
  }).optional(),
});

const SecurityData = z.looseObject({ evidence: z.looseObject({}).optional() });
const Week1Data = z.looseObject({ week1: z.looseObject({ window: z.looseObject({}), summary: z.looseObject({}) }).optional(), outputs: z.array(z.unknown()).optional() });
const StartData = z.looseObject({ steps: z.array(z.looseObject({ step: z.string() })).optional() });
const SandboxData = z.looseObject({ parts: z.array(z.looseObject({})).optional(), stopped: z.unknown().optional(), faults: z.record(z.string(), num).optional() });
const ScheduleData = z.looseObject({ plan: z.looseObject({ namespace: z.string(), deployment: z.string() }).optional(), schedule: z.looseObject({}).optional(), scheduleName: z.string().optional() });
const CompareData = z.looseObject({ baseline: z.looseObject({ runId: z.string() }).optional(), current: z.looseObject({ runId: z.string() }).optional() });
const JudgeData = z.looseObject({ source: z.looseObject({ runId: z.string(), kind: z.string() }).optional() });

/** The data schema of each kind the harness writes; a kind not listed (a newer harness's) is read by the common fields alone. */
const DATA: Record<string, z.ZodType> = {
  gate: LoadData, run: LoadData, drill: DrillData, daily: DailyData, security: SecurityData, compare: CompareData, judge: JudgeData,
  'report-week1': Week1Data, start: StartData, 'sandbox-up': SandboxData, 'sandbox-down': SandboxData, 'sandbox-status': SandboxData,
  'sandbox-fault': SandboxData, 'drill-schedule': ScheduleData, 'drill-schedule-delete': ScheduleData, 'profile-check': z.looseObject({}),
};

/** The stored record, checked against its kind's schema, or why it cannot be read (naming the field). */
export function parseRecord(value: unknown): { record: RunRecord } | { error: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: 'not a JSON object' };
  const version = unreadableVersion(value as { schemaVersion?: unknown });
  if (version) return { error: version };
  const base = BaseShape.safeParse(value);
  if (!base.success) return { error: issue(base.error) };
  const data = DATA[base.data.kind]?.safeParse(base.data.data);
  if (data && !data.success) return { error: issue(data.error, 'data') };
  return { record: base.data as unknown as RunRecord };
}

/**
 * A record file as every reader reads it: the record, or why not (`unreadable: …` when the file is
 * no JSON, else the first field its kind's schema refuses). Readers word the refusal for their flag.
 */
export function readRecordFile(file: string): { record: RunRecord } | { error: string; unreadable?: true } {
  let value: unknown;
  try { value = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { return { error: firstLine(e), unreadable: true }; }
  return parseRecord(value);
}

function issue(e: z.ZodError, under?: string): string {
  const i = e.issues[0]!;
  const path = [...(under ? [under] : []), ...i.path.map(String)].join('.') || '(root)';
  return `${path}: ${i.message} (record schema ${RECORD_SCHEMA_VERSION})`;
}
