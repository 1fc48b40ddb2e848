/**
 * k6 thresholds: ONE parser of k6's threshold grammar, used by every engine, and the evaluator.
 *
 * Grammar (as k6 implements it in grafana/k6 `metrics/thresholds_parser.go`):
 *
 *   assertion   := aggregation ws* operator ws* number
 *   aggregation := counter: count | rate      gauge: value      rate: rate
 *                  trend:   avg | min | med | max | p(N)
 *   operator    := < | <= | > | >= | == | === | !=
 *
 * Where we are stricter than k6 (each is something k6 accepts but cannot mean):
 *   - `p(N)` needs 0 ≤ N ≤ 100. k6 parses any float and its trend sink then indexes out of range.
 *   - the value must be a finite decimal number (optional sign and exponent). k6 uses Go's
 *     `strconv.ParseFloat`, which also takes `NaN`, `Inf` and hex floats.
 * Whitespace is allowed around the operator (k6 trims it) but not inside `p(N)` (k6 rejects it), so
 * every expression we accept is one k6 accepts with the same meaning.
 *
 * Metric keys: `name` or `name{tag:value,...}` (k6 `metrics.ParseMetricName` / `Metric.AddSubmetric`):
 * the value is everything after the first `:` (so `url:http://x` works), tags split on `,`, quotes
 * `"`/`'` around keys and values are stripped, whitespace is tolerated.
 *
 * Errors are `ThresholdError`s (a `UsageError`, so the CLI exits 2) whose `path` names the entry,
 * e.g. `thresholds["http_req_duration"][1]`.
 */
import { UsageError } from '../core/errors.ts';

// ---------------------------------------------------------------------------------------------
// Types

/** k6's four metric types (structurally the same as `MetricType` in scenarios/metrics.ts). */
export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

export type AggregationKind = 'count' | 'rate' | 'value' | 'avg' | 'min' | 'med' | 'max' | 'p';
export interface Aggregation {
  kind: AggregationKind;
  /** Only for `p`: the percentile, 0–100 (decimals allowed, e.g. 99.9). */
  p?: number;
}

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export interface ThresholdExpr {
  aggregation: Aggregation;
  op: ThresholdOp;
  value: number;
  /** The expression as written. */
  source: string;
}

export interface MetricKey {
  metric: string;
  /** Tag filter, in the order written. Empty for a plain metric. */
  tags: Record<string, string>;
}

/** k6's object form of one threshold. */
export interface ThresholdObject {
  threshold: string;
  abortOnFail?: boolean;
  /** k6 duration ("10s", "1m30s", "500ms"); a number is milliseconds, as in k6. */
  delayAbortEval?: string | number;
}
export type ThresholdSpec = string | ThresholdObject;
export type ThresholdsInput = Readonly<Record<string, readonly ThresholdSpec[]>>;

export interface ParsedThreshold extends MetricKey {
  /** The key as written, e.g. `http_req_duration{scenario:inference}`. */
  key: string;
  /** Position within the key's array. */
  index: number;
  /** Where it came from, for messages: `thresholds["http_req_duration"][1]`. */
  path: string;
  type: MetricType;
  expr: ThresholdExpr;
  abortOnFail: boolean;
  /** null = not set (k6: abort as soon as the threshold fails). */
  delayAbortEvalMs: number | null;
  /** delayAbortEval as written, for rendering back to k6. */
  delayAbortEval: string | number | null;
}

// ---------------------------------------------------------------------------------------------
// Errors

export class ThresholdError extends UsageError {
  /** The problem without the path prefix. */
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(path, reason);
    this.name = 'ThresholdError';
    this.reason = reason;
  }
  /** Which threshold entry is wrong, e.g. `thresholds["http_req_duration"][1]` (same as `field`). */
  get path(): string {
    return this.field;
  }
}

// ---------------------------------------------------------------------------------------------
// Expressions

const OPERATORS: readonly ThresholdOp[] = ['<', '<=', '>', '>=', '==', '===', '!='];
/** Longest first, so `<=` is not read as `<` followed by `=`. */
const OPERATORS_LONGEST_FIRST: readonly ThresholdOp[] = ['===', '<=', '>=', '==', '!=', '<', '>'];
const OP_CHARS = /[<>=!]/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const UNSIGNED_NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const KEYWORDS: readonly AggregationKind[] = ['count', 'rate', 'value', 'avg', 'min', 'med', 'max'];
const OPS_LIST = OPERATORS.join(', ');
const AGG_LIST = 'count, rate, value, avg, min, med, max, p(N)';

/** Aggregations k6 allows per metric type (k6 `MetricType.supportedAggregationMethods`). */
export const AGGREGATIONS_BY_TYPE: Readonly<Record<MetricType, readonly AggregationKind[]>> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'med', 'max', 'p'],
};
const ALLOWED_TEXT: Record<MetricType, string> = {
  counter: 'count or rate',
  gauge: 'value',
  rate: 'rate',
  trend: 'avg, min, med, max or p(N)',
};

const DEFAULT_EXPR_PATH = 'threshold';

/**
 * Parse one threshold expression such as `p(95)<100`, `rate < 0.001`, `count==0`.
 * Throws a `ThresholdError` (path `threshold` unless given) explaining what is wrong.
 */
export function parseThresholdExpr(expr: string, path: string = DEFAULT_EXPR_PATH): ThresholdExpr {
  const fail = (why: string): never => {
    throw new ThresholdError(path, `${JSON.stringify(expr)}: ${why}`);
  };
  if (typeof expr !== 'string') {
    throw new ThresholdError(path, `a threshold must be a string such as "p(95)<100", got ${describe(expr)}`);
  }
  const usage = `expected "<aggregation> <operator> <value>", e.g. "p(95)<100"`;
  if (expr.trim() === '') throw new ThresholdError(path, `threshold expression is empty; ${usage}`);

  const opAt = expr.search(OP_CHARS);
  if (opAt < 0) fail(`no comparison operator (one of ${OPS_LIST}); ${usage}`);
  const lhs = expr.slice(0, opAt).trim();
  const op = OPERATORS_LONGEST_FIRST.find((o) => expr.startsWith(o, opAt));
  const opRun = /^[<>=!]+/.exec(expr.slice(opAt))![0];
  if (!op || opRun.length > op.length) fail(`invalid operator "${opRun}"; use one of ${OPS_LIST}`);
  const rhs = expr.slice(opAt + op!.length).trim();

  if (lhs === '') fail(`missing aggregation before "${op}"; use one of ${AGG_LIST}`);
  const aggregation = parseAggregation(lhs, fail);
  if (rhs === '') fail(`missing value after operator "${op}"`);
  if (!NUMBER.test(rhs)) fail(`value ${JSON.stringify(rhs)} is not a number`);
  const value = Number(rhs);
  if (!Number.isFinite(value)) fail(`value ${JSON.stringify(rhs)} is not a finite number`);
  return { aggregation, op: op!, value, source: expr };
}

function parseAggregation(lhs: string, fail: (why: string) => never): Aggregation {
  if ((KEYWORDS as readonly string[]).includes(lhs)) return { kind: lhs as AggregationKind };
  if (lhs.startsWith('p(') && lhs.endsWith(')')) {
    const inner = lhs.slice(2, -1);
    if (inner === '') fail(`percentile is empty; write p(N) with 0 ≤ N ≤ 100, e.g. p(95)`);
    if (inner.trim() !== inner && UNSIGNED_NUMBER.test(inner.trim())) {
      fail(`no spaces inside p(...), k6 rejects them (did you mean "p(${inner.trim()})"?)`);
    }
    if (!UNSIGNED_NUMBER.test(inner)) {
      fail(`percentile ${JSON.stringify(inner)} is not a number; write p(N) with 0 ≤ N ≤ 100, e.g. p(95)`);
    }
    const p = Number(inner);
    if (!(p >= 0 && p <= 100)) fail(`percentile ${inner} is out of range; write p(N) with 0 ≤ N ≤ 100`);
    return { kind: 'p', p };
  }
  const bare = /^p\s*(\d+(?:\.\d+)?)$/.exec(lhs) ?? /^p\s*\(\s*(\d+(?:\.\d+)?)\s*\)$/.exec(lhs);
  const hint = bare ? ` (did you mean "p(${bare[1]})"?)` : '';
  return fail(`unknown aggregation ${JSON.stringify(lhs)}; use one of ${AGG_LIST}${hint}`);
}

// ---------------------------------------------------------------------------------------------
// Metric keys

/**
 * Parse a threshold key: `http_req_duration`, `http_req_duration{scenario:inference}`,
 * `http_req_duration{ status:200 , method:GET }`.
 */
export function parseMetricKey(key: string, path: string = `thresholds[${JSON.stringify(key)}]`): MetricKey {
  const fail = (why: string): never => {
    throw new ThresholdError(path, why);
  };
  if (typeof key !== 'string' || key.trim() === '') return fail('metric name is empty');
  const open = key.indexOf('{');
  const close = key.lastIndexOf('}');
  if (open < 0 && close < 0) return { metric: checkName(key.trim(), fail), tags: {} };
  if (open < 0 || close < 0) return fail(`unmatched curly brace in ${JSON.stringify(key)}; write name{tag:value,...}`);
  if (close < open) return fail(`"}" comes before "{" in ${JSON.stringify(key)}`);
  if (key.slice(close + 1).trim() !== '') return fail(`text after the closing "}" in ${JSON.stringify(key)}`);
  const metric = checkName(key.slice(0, open).trim(), fail);
  const body = key.slice(open + 1, close);
  if (body.trim() === '') return fail(`empty tag filter in ${JSON.stringify(key)}; write ${metric}{tag:value}`);
  const tags: Record<string, string> = {};
  for (const part of body.split(',')) {
    const colon = part.indexOf(':');
    const k = unquote(colon < 0 ? part : part.slice(0, colon));
    const v = colon < 0 ? '' : unquote(part.slice(colon + 1));
    if (colon < 0 || k === '' || v === '') {
      fail(`malformed tag ${JSON.stringify(part.trim())} in ${JSON.stringify(key)}; write tag:value`);
    }
    if (k in tags) fail(`tag ${JSON.stringify(k)} appears twice in ${JSON.stringify(key)}`);
    tags[k] = v;
  }
  return { metric, tags };
}

function checkName(name: string, fail: (why: string) => never): string {
  if (name === '') return fail('metric name is empty');
  if (/[\s{}]/.test(name)) return fail(`metric name ${JSON.stringify(name)} contains whitespace or braces`);
  return name;
}

const unquote = (s: string) => s.trim().replace(/^["']+|["']+$/g, '').trim();

/** Canonical key text: `name` or `name{k:v,k2:v2}` (tags in insertion order). */
export function formatMetricKey(k: MetricKey): string {
  const tags = Object.entries(k.tags);
  return tags.length ? `${k.metric}{${tags.map(([t, v]) => `${t}:${v}`).join(',')}}` : k.metric;
}

// ---------------------------------------------------------------------------------------------
// Durations

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000,
};

/**
 * A k6 duration in milliseconds (k6 `types.ParseExtendedDuration`): a bare number is milliseconds
 * ("1500"); otherwise Go's syntax, a sequence of number+unit with units ns, us, µs, ms, s, m, h
 * ("1m30s", "1.5h", "500ms"), optionally preceded by whole days ("2d", "1d12h"). Negative
 * durations are rejected (nothing in a scenario can mean one).
 */
export function parseDuration(s: string | number, path = 'duration'): number {
  const bad = (why: string): never => {
    throw new ThresholdError(path, `${JSON.stringify(s)}: ${why}; use a k6 duration such as "10s", "1m30s" or "500ms"`);
  };
  if (typeof s === 'number') {
    if (!Number.isFinite(s) || s < 0) bad('not a non-negative number of milliseconds');
    return s;
  }
  if (typeof s !== 'string') return bad('not a duration');
  const t = s.trim();
  if (t === '') return bad('empty duration');
  if (NUMBER.test(t)) {
    const ms = Number(t);
    if (ms < 0) bad('negative duration');
    return ms;
  }
  if (t.startsWith('-')) bad('negative duration');
  let rest = t.startsWith('+') ? t.slice(1) : t;
  let total = 0;
  const days = /^(\d+)d/.exec(rest);
  if (days) {
    total += Number(days[1]) * 86_400_000;
    rest = rest.slice(days[0].length);
    if (rest === '') return total;
  }
  if (rest === '0') return total;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let at = 0;
  while (at < rest.length) {
    re.lastIndex = at;
    const m = re.exec(rest);
    if (!m) bad(`cannot read ${JSON.stringify(rest.slice(at))}`);
    total += Number(m![1]) * DURATION_UNITS_MS[m![2]!]!;
    at = re.lastIndex;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Whole `thresholds` blocks

/**
 * Parse and validate a k6 `thresholds` block against the metric types the engine reports.
 * Rejects unknown metrics, aggregations the metric's type does not support, malformed entries,
 * and unknown fields in the object form (a typo like `abortOnFial` must not pass silently).
 */
export function parseThresholds(
  thresholds: ThresholdsInput,
  metricTypes: Readonly<Record<string, MetricType>>,
): ParsedThreshold[] {
  if (thresholds === null || typeof thresholds !== 'object' || Array.isArray(thresholds)) {
    throw new ThresholdError('thresholds', `must be an object of metric → [threshold, ...], got ${describe(thresholds)}`);
  }
  const out: ParsedThreshold[] = [];
  for (const [key, list] of Object.entries(thresholds)) {
    const keyPath = `thresholds[${JSON.stringify(key)}]`;
    const mk = parseMetricKey(key, keyPath);
    const type = Object.hasOwn(metricTypes, mk.metric) ? metricTypes[mk.metric] : undefined;
    if (!type) {
      const known = Object.keys(metricTypes).sort();
      const near = known.filter((n) => n.includes(mk.metric) || mk.metric.includes(n)).slice(0, 3);
      throw new ThresholdError(
        keyPath,
        `unknown metric ${JSON.stringify(mk.metric)}` +
          (near.length ? `; did you mean ${near.join(' or ')}?` : '') +
          `; known metrics: ${known.join(', ')}`,
      );
    }
    if (!Array.isArray(list)) {
      throw new ThresholdError(keyPath, `must be an array of thresholds, e.g. ["p(95)<100"], got ${describe(list)}`);
    }
    list.forEach((spec: unknown, index: number) => {
      const path = `${keyPath}[${index}]`;
      const { threshold, abortOnFail, delayAbortEval } = readSpec(spec, path);
      const expr = parseThresholdExpr(threshold, path);
      const kind = expr.aggregation.kind;
      if (!AGGREGATIONS_BY_TYPE[type].includes(kind)) {
        throw new ThresholdError(
          path,
          `aggregation "${formatAggregation(expr.aggregation)}" is not valid for ${type} metric ${mk.metric}; use ${ALLOWED_TEXT[type]}`,
        );
      }
      out.push({
        key,
        metric: mk.metric,
        tags: mk.tags,
        index,
        path,
        type,
        expr,
        abortOnFail,
        delayAbortEvalMs: delayAbortEval === null ? null : parseDuration(delayAbortEval, `${path}.delayAbortEval`),
        delayAbortEval,
      });
    });
  }
  return out;
}

function readSpec(spec: unknown, path: string): { threshold: string; abortOnFail: boolean; delayAbortEval: string | number | null } {
  if (typeof spec === 'string') return { threshold: spec, abortOnFail: false, delayAbortEval: null };
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new ThresholdError(path, `must be a string like "p(95)<100" or { threshold, abortOnFail?, delayAbortEval? }, got ${describe(spec)}`);
  }
  const o = spec as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'threshold' && k !== 'abortOnFail' && k !== 'delayAbortEval') {
      throw new ThresholdError(`${path}.${k}`, `unknown field; a threshold object has threshold, abortOnFail and delayAbortEval`);
    }
  }
  if (typeof o.threshold !== 'string') {
    throw new ThresholdError(`${path}.threshold`, `must be a string such as "p(95)<100", got ${describe(o.threshold)}`);
  }
  if (o.abortOnFail !== undefined && typeof o.abortOnFail !== 'boolean') {
    throw new ThresholdError(`${path}.abortOnFail`, `must be true or false, got ${describe(o.abortOnFail)}`);
  }
  const d = o.delayAbortEval;
  if (d !== undefined && d !== null && typeof d !== 'string' && typeof d !== 'number') {
    throw new ThresholdError(`${path}.delayAbortEval`, `must be a k6 duration such as "10s", got ${describe(d)}`);
  }
  return { threshold: o.threshold, abortOnFail: o.abortOnFail ?? false, delayAbortEval: d ?? null };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/**
 * One metric (or its tag-filtered sub-metric) as an engine sees it. Every method returns null when
 * there are no samples. Only the methods the metric's type supports need exist:
 *   counter: count(), rate() — rate = count per second of elapsed run time (k6 divides the counter's
 *            sum by the test run duration so far);
 *   gauge:   value() — the last value;
 *   rate:    rate() — fraction of samples that are non-zero;
 *   trend:   avg(), min(), max(), percentile(p) with p in 0–100 (`med` is read as percentile(50)).
 */
export interface MetricView {
  readonly type: MetricType;
  /**
   * Trend and rate: how many samples the aggregate rests on, so a threshold judged on too few is
   * no-data (see `minSamples`). Sources that cannot tell (k6's aggregate summaries) leave it out.
   */
  samples?(): number;
  count?(): number | null;
  rate?(): number | null;
  value?(): number | null;
  avg?(): number | null;
  min?(): number | null;
  max?(): number | null;
  percentile?(p: number): number | null;
}

export interface MetricSource {
  /**
   * The samples of `metric` whose tags include every entry of `tags` (k6 sub-metric semantics),
   * or null/undefined if there are none.
   */
  metric(metric: string, tags: Readonly<Record<string, string>>): MetricView | null | undefined;
}

export interface ThresholdResult {
  /** The key as written, e.g. `http_req_duration{scenario:inference}`. */
  key: string;
  metric: string;
  tags: Record<string, string>;
  /** The expression as written, e.g. `p(95)<100`. */
  expr: string;
  /** `< 100`: what the observed value is compared against. */
  target: string;
  observed: number | null;
  /** true pass, false fail, null = no samples to judge (see `noData` below). */
  ok: boolean | null;
  /** The metric had no samples. For a counter this still yields observed 0 (see below). */
  noSamples: boolean;
  /** Trend and rate: samples behind the value (null where the source cannot tell), and the minimum to judge. */
  samples: number | null;
  minSamples: number | null;
  /** What k6 itself would report at the end of the test for the same data (see below). */
  k6Ok: boolean;
  abortOnFail: boolean;
  delayAbortEvalMs: number | null;
  path: string;
  threshold: ParsedThreshold;
}

/*
 * No data — what k6 does, and what we do.
 *
 * k6 (grafana/k6 `metrics/engine/engine.go` evaluateThresholds, `metrics/thresholds.go`
 * Thresholds.Run/runNoTaint, `metrics/sink.go`):
 *   - While the test runs (every 2 s) metrics with an empty sink are skipped (`ignoreEmptySinks`),
 *     so no-data never triggers abortOnFail.
 *   - At the end of the test every threshold is evaluated even on an empty sink (metrics with
 *     thresholds are marked observed at start, the fix for grafana/k6#1346): an empty counter is
 *     count 0 and rate 0; an empty gauge is 0; an empty trend is 0 for min/max/avg/med/p(N)
 *     (`TrendSink.P` returns 0 with no values); an empty Rate sink puts no `rate` value in, and a
 *     missing value makes the threshold PASS ("no samples yet, safe to ignore"). So in k6
 *     `p(95)<100` on a trend with no samples passes, `rate<0.01` on an empty rate passes, and
 *     `checks: rate>=0.9` with zero checks passes (reported in grafana/k6#4283).
 *
 * Here:
 *   - A counter with no samples is a real observation — nothing was counted — so it evaluates as
 *     count 0 / rate 0, exactly like k6. (`dropped_iterations: count==0` passes when none dropped.)
 *   - A gauge, rate or trend with no samples gives observed null and ok null ("no data") instead of
 *     k6's vacuous pass; the gate decides what no data means (a latency SLO with zero requests
 *     proves nothing). `k6Ok` records what k6 would have said, for comparing with real k6 runs.
 *   - `shouldAbort` skips results without samples, as k6 does during the run.
 */

/**
 * The fewest samples a trend or rate threshold passes on; below it a result that would pass is
 * no-data, not a verdict (one that already fails stays a failure). A percentile p(N) needs ceil(100 / (100 − N)) samples so it is not merely the maximum
 * (p(95) → 20, p(99) → 100); every trend or rate aggregate needs at least MIN_SAMPLES (10).
 * Counters count what happened and have no minimum (`dropped_iterations count==0` with none dropped
 * is an observation).
 */
export const MIN_SAMPLES = 10;

export function minSamples(t: ParsedThreshold): number | null {
  if (t.type !== 'trend' && t.type !== 'rate') return null;
  const a = t.expr.aggregation;
  const p = a.kind === 'p' ? a.p! : a.kind === 'med' ? 50 : null;
  return p === null || p >= 100 ? MIN_SAMPLES : Math.max(MIN_SAMPLES, Math.ceil(100 / (100 - p) - 1e-9));
}

/** Evaluate parsed thresholds against an engine's metrics. */
export function evaluate(parsed: readonly ParsedThreshold[], source: MetricSource): ThresholdResult[] {
  return parsed.map((t) => {
    const view = source.metric(t.metric, t.tags) ?? null;
    if (view && view.type !== t.type) {
      throw new TypeError(`metric source reports ${t.metric} as ${view.type}, thresholds expect ${t.type}`);
    }
    let observed = view ? read(view, t) : null;
    if (observed !== null && Number.isNaN(observed)) observed = null;
    const noSamples = observed === null;
    if (noSamples && t.type === 'counter') observed = 0;
    const min = minSamples(t);
    const samples = min === null ? null : noSamples ? 0 : typeof view?.samples === 'function' ? view.samples() : null;
    const tooFew = min !== null && samples !== null && samples < min;
    const raw = observed === null ? null : compare(observed, t.expr.op, t.expr.value);
    // Too few samples can only withhold a pass: a max over 5 samples that already broke it has failed.
    const ok = tooFew && raw ? null : raw;
    const k6Ok = raw ?? (t.type === 'rate' ? true : compare(0, t.expr.op, t.expr.value));
    return {
      key: t.key,
      metric: t.metric,
      tags: t.tags,
      expr: t.expr.source,
      target: thresholdTarget(t),
      observed,
      ok,
      noSamples,
      samples,
      minSamples: min,
      k6Ok,
      abortOnFail: t.abortOnFail,
      delayAbortEvalMs: t.delayAbortEvalMs,
      path: t.path,
      threshold: t,
    };
  });
}

function read(view: MetricView, t: ParsedThreshold): number | null {
  const a = t.expr.aggregation;
  const call = (name: keyof Omit<MetricView, 'type'>, arg?: number): number | null => {
    const fn = view[name] as ((p?: number) => number | null) | undefined;
    if (typeof fn !== 'function') {
      throw new TypeError(`metric source for ${t.metric} (${t.type}) does not provide ${name}(), needed by ${t.path}`);
    }
    return arg === undefined ? fn.call(view) : fn.call(view, arg);
  };
  switch (a.kind) {
    case 'med': return call('percentile', 50);
    case 'p': return call('percentile', a.p!);
    default: return call(a.kind);
  }
}

/** k6's comparison; `===` is the same as `==` since every value is a float64. */
export function compare(lhs: number, op: ThresholdOp, rhs: number): boolean {
  switch (op) {
    case '<': return lhs < rhs;
    case '<=': return lhs <= rhs;
    case '>': return lhs > rhs;
    case '>=': return lhs >= rhs;
    case '==':
    case '===': return lhs === rhs;
    case '!=': return lhs !== rhs;
  }
}

/**
 * The failing `abortOnFail` thresholds that should stop the run now. As k6 (`Thresholds.runAll`):
 * a failed threshold with abortOnFail aborts when it has no delayAbortEval or when the elapsed run
 * time is strictly greater than it. Results without samples never abort.
 */
export function abortingThresholds(results: readonly ThresholdResult[], elapsedMs: number): ThresholdResult[] {
  return results.filter(
    (r) => r.abortOnFail && r.ok === false && !r.noSamples && (r.delayAbortEvalMs === null || r.delayAbortEvalMs < elapsedMs),
  );
}

export function shouldAbort(results: readonly ThresholdResult[], elapsedMs: number): boolean {
  return abortingThresholds(results, elapsedMs).length > 0;
}

/**
 * k6's percentile over sorted samples (grafana/k6 `metrics/sink.go` TrendSink.P): rank
 * i = p/100 · (n − 1), linear interpolation between the values at floor(i) and ceil(i).
 * So samples 1..100 give p(95) = 95.05 and med = 50.5. null for no samples.
 */
export function percentileOf(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (n === 1) return sorted[0]!;
  const i = (p / 100) * (n - 1);
  const lo = sorted[Math.floor(i)]!;
  const hi = sorted[Math.ceil(i)]!;
  return lo + (hi - lo) * (i - Math.floor(i));
}

// ---------------------------------------------------------------------------------------------
// Rendering

export function formatAggregation(a: Aggregation): string {
  return a.kind === 'p' ? `p(${a.p})` : a.kind;
}

/** Canonical k6 text of a threshold: `p(95)<100`. */
export function formatThreshold(t: ParsedThreshold | ThresholdExpr): string {
  const e = 'expr' in t ? t.expr : t;
  return `${formatAggregation(e.aggregation)}${e.op}${e.value}`;
}

/** What the observed value must satisfy, for reports: `< 100`. */
export function thresholdTarget(t: ParsedThreshold | ThresholdExpr): string {
  const e = 'expr' in t ? t.expr : t;
  return `${e.op} ${e.value}`;
}

/** One line for a report or JUnit failure: `http_req_duration{scenario:x} p(95) < 100: observed 152.3 (FAIL)`. */
export function describeResult(r: ThresholdResult, digits = 3): string {
  const obs = r.observed === null ? 'no data' : `observed ${formatNumber(r.observed, digits)}`;
  const verdict = r.ok === null ? 'NO DATA' : r.ok ? 'PASS' : 'FAIL';
  return `${r.key} ${formatAggregation(r.threshold.expr.aggregation)} ${r.target}: ${obs} (${verdict})`;
}

function formatNumber(v: number, digits: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(digits)));
}

/** Back to a k6 `options.thresholds` block (for rendering a k6 script from a definition). */
export function toK6Thresholds(parsed: readonly ParsedThreshold[]): Record<string, ThresholdSpec[]> {
  const out: Record<string, ThresholdSpec[]> = {};
  for (const t of parsed) {
    const text = formatThreshold(t);
    const spec: ThresholdSpec =
      t.abortOnFail || t.delayAbortEval !== null
        ? { threshold: text, abortOnFail: t.abortOnFail, ...(t.delayAbortEval !== null ? { delayAbortEval: t.delayAbortEval } : {}) }
        : text;
    (out[t.key] ??= []).push(spec);
  }
  return out;
}
