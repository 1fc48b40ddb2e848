/**
 * Scenario files (docs/scenarios.md): load scenarios and suites as YAML, with k6's option names
 * (executor, rate, timeUnit, duration, startRate, stages, preAllocatedVUs, maxVUs, thresholds). The
 * harness's own deploy suite is such a file (scenarios/definitions/deploy.yaml). Validated like the
 * profile: unknown keys are errors, every error is `file:line: key`, nothing runs before it passes.
 * A threshold may name the profile's target as `${slo:KEY}` (or `${slo:KEY*1000}` for a unit change).
 */
import { z } from 'zod';
import { UsageError } from '../core/errors.ts';
import { SLO_IDS, type SloId } from '../core/slo.ts';
import { parseYamlFile } from '../core/yaml-file.ts';
import { readUserFile } from '../core/files.ts';
import type { Slos } from '../profile/schema.ts';
import { parseDuration } from './thresholds.ts';
import { MAX_PRODUCER_THREADS, type Executor, type Scenario, type Target } from './types.ts';

const MAX_BYTES = 1 << 20;
const DAY_MS = 86_400_000;
/** Arrivals per second one generator process is asked for at most (a typo of 1e12 is refused, not attempted). */
export const MAX_ARRIVALS_PER_S = 100_000;

const name = z.string().regex(/^[a-z0-9][-a-z0-9_.]*$/, 'expected a name of lower-case letters, digits, - _ .');
/** A k6 duration with a unit: a bare number would be read as milliseconds, which nobody means in a file. */
const duration = z.string().refine((d) => {
  if (!/[a-z]/.test(d)) return false;
  try { const ms = parseDuration(d); return ms > 0 && ms <= DAY_MS; } catch { return false; }
}, 'expected a k6 duration with a unit above 0 and at most 24h, such as 30s, 1m30s or 500ms');
const topic = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'expected prices, predictions or a Kafka topic name');
const vus = z.number().int().min(1).max(10_000);

const TargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http'),
    method: z.enum(['GET', 'POST']).optional().describe('default: the profile\'s platform.inferenceApi.request.method'),
    path: z.string().regex(/^\/[A-Za-z0-9\-._~!&'()*+,;=:@/%?]*$/, 'expected a URL path such as /v1/predict').optional().describe('default: the profile\'s request path'),
    body: z.boolean().optional().describe('send the profile\'s body template; default: for POST'),
  }),
  z.strictObject({
    kind: z.literal('kafka-produce'),
    topic: topic.describe('prices, predictions (the profile names them) or a topic'),
    batchSize: z.number().int().min(1).max(10_000).describe('messages per produce call (one iteration)'),
    followTo: topic.optional().describe('follow each message to this topic (end-to-end latency and delivery)'),
    acks: z.enum(['all', 'leader']).optional(),
    recordBytes: z.number().int().min(1).max(1 << 20).optional().describe('pad each message to this size (native engine)'),
    producerThreads: z.number().int().min(0).max(MAX_PRODUCER_THREADS).optional().describe('threads that render and send the batches (native engine); 0: the main thread; default: none up to 40,000 msg/s offered, one per core above'),
  }),
  z.strictObject({
    kind: z.literal('sql'),
    query: z.string().min(1).refine((s) => !/;\s*\S/.test(s), 'one statement only').optional().describe('default: the profile\'s representative query'),
  }),
]);

const ThresholdSpecSchema = z.union([
  z.string().min(1),
  z.strictObject({ threshold: z.string().min(1), abortOnFail: z.boolean().optional(), delayAbortEval: duration.optional() }),
]);

const ScenarioSchema = z.strictObject({
  description: z.string().default(''),
  slo: z.array(z.enum(SLO_IDS as [SloId, ...SloId[]])).default([]).describe('SLO ids (docs/slos.md) this scenario gives evidence for'),
  target: TargetSchema,
  executor: z.enum(['constant-arrival-rate', 'ramping-arrival-rate']).describe('k6 open-model executors: arrivals on a clock, drops counted'),
  rate: z.number().positive().optional().describe('constant-arrival-rate: iterations per timeUnit'),
  startRate: z.number().min(0).optional().describe('ramping-arrival-rate: iterations per timeUnit at the start'),
  timeUnit: duration.default('1s'),
  duration: duration.optional().describe('constant-arrival-rate: how long'),
  stages: z.array(z.strictObject({ target: z.number().min(0), duration })).min(1).optional().describe('ramping-arrival-rate: the rate moves linearly to each target'),
  preAllocatedVUs: z.number().int().min(0).max(10_000),
  maxVUs: vus.optional().describe('default: preAllocatedVUs'),
  warmup: duration.optional().describe('run this long at the starting rate first; kept apart and never judged'),
  tags: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a tag name'), z.string()).optional(),
  thresholds: z.record(z.string().min(1), z.array(ThresholdSpecSchema).min(1)),
}).superRefine((s, ctx) => {
  const no = (key: keyof typeof s, why: string) => { if (s[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: why }); };
  const need = (key: keyof typeof s, why: string) => { if (s[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: why }); };
  if (s.executor === 'constant-arrival-rate') {
    need('rate', 'required by constant-arrival-rate'); need('duration', 'required by constant-arrival-rate');
    no('stages', 'belongs to ramping-arrival-rate'); no('startRate', 'belongs to ramping-arrival-rate');
  } else {
    need('stages', 'required by ramping-arrival-rate');
    no('rate', 'belongs to constant-arrival-rate (ramping-arrival-rate takes startRate and stages)'); no('duration', 'belongs to constant-arrival-rate (ramping-arrival-rate takes stages)');
  }
  if (s.maxVUs !== undefined && s.preAllocatedVUs > s.maxVUs) ctx.addIssue({ code: 'custom', path: ['maxVUs'], message: `must be at least preAllocatedVUs (${s.preAllocatedVUs})` });
  if (s.maxVUs === undefined && s.preAllocatedVUs < 1) ctx.addIssue({ code: 'custom', path: ['preAllocatedVUs'], message: 'must be at least 1 when maxVUs is not given' });
  const unitS = (() => { try { return parseDuration(s.timeUnit) / 1000; } catch { return 1; } })();
  const peak = Math.max(s.rate ?? 0, s.startRate ?? 0, ...(s.stages ?? []).map((x) => x.target));
  if (peak / unitS > MAX_ARRIVALS_PER_S) ctx.addIssue({ code: 'custom', path: [s.rate !== undefined ? 'rate' : 'stages'], message: `${peak} per ${s.timeUnit} is ${peak / unitS} iterations/s; at most ${MAX_ARRIVALS_PER_S} per generator (raise batchSize for more messages per iteration)` });
});

export const ScenarioFileSchema = z.strictObject({
  scenarios: z.record(name, ScenarioSchema).default({}),
  suites: z.record(name, z.array(name).min(1)).default({}).describe('suites: scenario names run one after another'),
});

export type ScenarioEntry = z.output<typeof ScenarioSchema>;

export interface ScenarioFile {
  source: string;
  scenarios: Scenario[];
  /** Suites by name, each with where it was defined. */
  suites: Record<string, { scenarios: string[]; source: string }>;
  /** `file:line` of a key path, for errors found after parsing. */
  lineOf(path: Array<string | number>): string;
}

/** What a scenario file is read against: the profile's targets and its inference request. */
export interface ScenarioContext {
  slos: Slos;
  request: { method: 'GET' | 'POST'; path: string };
  env: NodeJS.ProcessEnv;
}

/**
 * `${slo:KEY}` or `${slo:KEY*FACTOR}` / `${slo:KEY/FACTOR}`: a numeric target of the profile
 * (`slos.KEY`), so one scenario file follows each platform's own targets. Thresholds only.
 */
export function resolveSloRefs(text: string, slos: Slos, inThreshold: boolean): string {
  return text.replace(/\$\{slo:([A-Za-z0-9_]*)(?:([*/])([0-9.]+))?\}/g, (m, key: string, op?: string, factor?: string) => {
    if (!inThreshold) throw new UsageError('slo', `${m}: \${slo:…} is allowed in thresholds only`);
    const v = (slos as Record<string, unknown>)[key];
    const numeric = Object.entries(slos).filter(([, x]) => typeof x === 'number').map(([k]) => k);
    if (typeof v !== 'number') throw new UsageError('slo', `${m}: no numeric target slos.${key}; known: ${numeric.join(', ')}`);
    if (op === undefined) return String(v);
    const f = Number(factor);
    if (!(f > 0) || !Number.isFinite(f)) throw new UsageError('slo', `${m}: the factor must be a number above 0`);
    // Rounded to 12 significant digits so 0.001*100 reads 0.1, as the user wrote it.
    return String(Number((op === '*' ? v * f : v / f).toPrecision(12)));
  });
}

export function parseScenarioFile(text: string, source: string, ctx: ScenarioContext, baseDir: string): ScenarioFile {
  const inThreshold = (path: string[]) => path[0] === 'scenarios' && path[2] === 'thresholds';
  const { value, lineOf } = parseYamlFile(text, source, ScenarioFileSchema, {
    env: ctx.env, baseDir, expect: 'scenarios (and suites)',
    resolveString: (s, path) => resolveSloRefs(s, ctx.slos, inThreshold(path)),
  });
  const scenarios = Object.entries(value.scenarios).map(([n, e]) => toScenario(n, e, ctx, lineOf(['scenarios', n])));
  const suites = Object.fromEntries(Object.entries(value.suites).map(([n, names]) => [n, { scenarios: names, source: `${lineOf(['suites', n])}: suites.${n}` }]));
  return { source, scenarios, suites, lineOf };
}

export function loadScenarioFile(path: string, field: string, ctx: ScenarioContext): ScenarioFile {
  const f = readUserFile(path, field, MAX_BYTES);
  return parseScenarioFile(f.text, f.path, ctx, dirnameOf(f.path));
}

const dirnameOf = (p: string) => p.replace(/[/\\][^/\\]*$/, '') || '/';

function toScenario(name: string, e: ScenarioEntry, ctx: ScenarioContext, source: string): Scenario {
  const maxVUs = e.maxVUs ?? e.preAllocatedVUs;
  const executor: Executor = e.executor === 'constant-arrival-rate'
    ? { executor: e.executor, rate: e.rate!, timeUnit: e.timeUnit, duration: e.duration!, preAllocatedVUs: e.preAllocatedVUs, maxVUs }
    : { executor: e.executor, startRate: e.startRate ?? 0, timeUnit: e.timeUnit, stages: e.stages!, preAllocatedVUs: e.preAllocatedVUs, maxVUs };
  const t = e.target;
  const target: Target = t.kind === 'http'
    ? { kind: 'http', method: t.method ?? ctx.request.method, path: t.path ?? ctx.request.path, body: t.body ?? (t.method ?? ctx.request.method) === 'POST' }
    : t.kind === 'sql' ? { kind: 'sql', ...(t.query !== undefined ? { query: t.query } : {}) }
      : { kind: 'kafka-produce', topic: t.topic, batchSize: t.batchSize, ...(t.followTo ? { followTo: t.followTo } : {}), ...(t.acks ? { acks: t.acks } : {}), ...(t.recordBytes ? { recordBytes: t.recordBytes } : {}), ...(t.producerThreads !== undefined ? { producerThreads: t.producerThreads } : {}) };
  return {
    name, description: e.description, slo: e.slo, target, executor, thresholds: e.thresholds,
    ...(e.tags ? { tags: e.tags } : {}), ...(e.warmup ? { warmup: e.warmup } : {}), source,
  };
}

/** The JSON Schema editors validate scenario files with (published as docs/scenarios.schema.json). */
export function scenarioJsonSchema(): unknown {
  return { $id: 'https://carbon-harness.invalid/scenarios.schema.json', title: 'carbon-harness scenario file', ...z.toJSONSchema(ScenarioFileSchema, { io: 'input', unrepresentable: 'any' }) };
}
