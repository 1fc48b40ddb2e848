/**
 * k6's result shapes → the engine-independent values our verdicts use (test/fixtures/k6/SOURCES.md).
 *
 * Four inputs, one normalized form:
 *   - `handleSummary(data)` JSON           → `parseHandleSummary`
 *   - legacy `--summary-export` JSON       → `parseSummaryExport` (threshold booleans are TRUE WHEN FAILED;
 *                                            a Rate's `rate` is called `value`; no `type` field)
 *   - k6 ≥ 1.5 `--new-machine-readable-summary` → `parseMachineReadableSummary` (no thresholds; with that flag k6
 *                                            writes this shape to BOTH handleSummary and --summary-export)
 *   - NDJSON `--out json=`                 → `parseNdjson` / `mergeNdjsonRunners` (raw points: we rebuild the
 *                                            sinks, trends into HDR histograms, so runners merge exactly)
 *
 * The three aggregate shapes become a `K6Summary` (metrics as `MetricSummary`, k6's own threshold verdicts
 * de-inverted); `sourceFromSummary` turns that into a `MetricSource` for our `evaluate()`. The NDJSON parsers
 * return a `K6Samples`, itself a `MetricSource`, with `summary()`, `histograms()` and `timeline()`.
 *
 * Anything malformed, truncated or of the wrong shape throws a `K6OutputError` (an `InfraError`: the run's
 * output cannot be judged, exit 3) naming the file and the JSON path or NDJSON line — never a partial result.
 */
import { InfraError } from '../../../core/errors.ts';
import { parseMetricKey, type MetricSource, type MetricView, type MetricType, type ThresholdResult } from '../../thresholds.ts';
import { METRICS, TrendSink, CounterSink, RateSink } from '../../metrics.ts';
import type { MetricSummary, ScenarioResult } from '../../result.ts';

// ---------------------------------------------------------------------------------------------
// Errors

/** k6 wrote something we cannot read. `source` is the file, `where` a JSON path (`metrics["x"].values`) or `line 12`. */
export class K6OutputError extends InfraError {
  readonly reason: string;
  constructor(readonly source: string, readonly where: string, reason: string) {
    super(`${where}: ${reason}`, source);
    this.name = 'K6OutputError';
    this.reason = reason;
  }
}

// ---------------------------------------------------------------------------------------------
// Normalized aggregate summary

export type K6Shape = 'handleSummary' | 'summary-export' | 'machine-readable-summary';

export interface K6Threshold {
  /** Metric key as k6 reported it, e.g. `http_req_duration{scenario:inference}`. */
  key: string;
  expr: string;
  /** k6's own verdict (already de-inverted for the legacy export): true = passed. */
  ok: boolean;
}

export interface K6Summary {
  shape: K6Shape;
  source: string;
  /**
   * Keyed by metric key as reported (sub-metrics included, e.g. `http_req_duration{expected_response:true}`).
   * Values use k6's names: trend `avg,min,med,max,p(N)…`; rate `rate,passes,fails`; counter `count,rate`;
   * gauge `value,min,max`. (From a machine-readable summary: trends only `avg,min,med,max,p(90),p(95)`, and a
   * counter's `rate` is count / config.duration, absent when that is 0.)
   */
  metrics: Record<string, MetricSummary>;
  /** k6's reported verdicts; empty for the machine-readable summary, which carries none. */
  thresholds: K6Threshold[];
}

const TYPES: readonly MetricType[] = ['counter', 'gauge', 'rate', 'trend'];
const VALUE_KEYS: Record<MetricType, RegExp> = {
  trend: /^(?:avg|min|med|max|count|p\((?:\d+(?:\.\d+)?)\))$/,
  rate: /^(?:rate|passes|fails)$/,
  counter: /^(?:count|rate)$/,
  gauge: /^(?:value|min|max)$/,
};
/** What must be there for each type (trends: at least one statistic). */
const REQUIRED: Record<MetricType, readonly string[]> = {
  trend: [],
  rate: ['rate'],
  counter: ['count'],
  gauge: ['value'],
};

const q = (s: string) => JSON.stringify(s);
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const kind = (v: unknown) => (v === undefined ? 'nothing (missing)' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);

const baseName = (key: string) => {
  const i = key.indexOf('{');
  return (i < 0 ? key : key.slice(0, i)).trim();
};

function unitFor(name: string, type: MetricType, contains: unknown): string {
  const def = METRICS[baseName(name)];
  if (def) return def.unit;
  if (contains === 'time') return 'ms';
  if (contains === 'data') return 'bytes';
  return type === 'rate' ? 'ratio' : type === 'counter' ? 'count' : 'value';
}

function readType(v: unknown, src: string, path: string): MetricType {
  if (typeof v !== 'string' || !(TYPES as readonly string[]).includes(v)) {
    throw new K6OutputError(src, `${path}.type`, `expected one of ${TYPES.join(', ')}, got ${kind(v)}`);
  }
  return v as MetricType;
}

/** Check and copy a values object: every entry a finite number under a name k6 uses for that type. */
function readValues(raw: unknown, type: MetricType, src: string, path: string): Record<string, number> {
  if (!isObj(raw)) throw new K6OutputError(src, path, `expected an object of values, got ${kind(raw)}`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!VALUE_KEYS[type].test(k)) {
      throw new K6OutputError(src, `${path}[${q(k)}]`, `unexpected value ${q(k)} for a ${type} metric`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new K6OutputError(src, `${path}[${q(k)}]`, `expected a finite number, got ${kind(v)}`);
    }
    out[k] = v;
  }
  for (const k of REQUIRED[type]) {
    if (!(k in out)) throw new K6OutputError(src, path, `a ${type} metric must have ${q(k)}`);
  }
  if (type === 'trend' && Object.keys(out).length === 0) throw new K6OutputError(src, path, 'a trend metric has no values');
  return out;
}

function parseRoot(json: unknown, src: string): Record<string, unknown> {
  const root = typeof json === 'string' ? parseJsonText(json, src) : json;
  if (!isObj(root)) throw new K6OutputError(src, '$', `expected a JSON object, got ${kind(root)}`);
  return root;
}

/** JSON.parse with the file named, and the position turned into line:column. */
export function parseJsonText(text: string, source: string): unknown {
  if (text.trim() === '') throw new K6OutputError(source, '$', 'file is empty (did k6 finish writing it?)');
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    let where = '$';
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      const line = before.split('\n').length;
      where = `line ${line}, column ${pos - before.lastIndexOf('\n')}`;
    }
    throw new K6OutputError(source, where, `malformed JSON (${msg}); the file is damaged or k6 did not finish writing it`);
  }
}

/** k6 `handleSummary(data)`: `{ metrics: { key: { type, contains, values, thresholds?: { expr: { ok } } } }, … }`. */
export function parseHandleSummary(json: unknown, source: string): K6Summary {
  const root = parseRoot(json, source);
  if (!isObj(root.metrics)) {
    const hint = isObj(root.results) ? ' (this looks like a --new-machine-readable-summary file)' : '';
    throw new K6OutputError(source, '$.metrics', `expected an object of metrics, got ${kind(root.metrics)}${hint}`);
  }
  const metrics: Record<string, MetricSummary> = {};
  const thresholds: K6Threshold[] = [];
  for (const [key, m] of Object.entries(root.metrics)) {
    const path = `metrics[${q(key)}]`;
    if (!isObj(m)) throw new K6OutputError(source, path, `expected an object, got ${kind(m)}`);
    const type = readType(m.type, source, path);
    metrics[key] = { type, unit: unitFor(key, type, m.contains), values: readValues(m.values, type, source, `${path}.values`) };
    if (m.thresholds === undefined) continue;
    if (!isObj(m.thresholds)) throw new K6OutputError(source, `${path}.thresholds`, `expected an object, got ${kind(m.thresholds)}`);
    for (const [expr, t] of Object.entries(m.thresholds)) {
      const tp = `${path}.thresholds[${q(expr)}]`;
      if (!isObj(t) || typeof t.ok !== 'boolean') throw new K6OutputError(source, tp, `expected { ok: true|false }, got ${kind(t)}`);
      thresholds.push({ key, expr, ok: t.ok });
    }
  }
  return { shape: 'handleSummary', source, metrics, thresholds };
}

/** Legacy `--summary-export` has no `type`: take it from our metric table, else from the value names. */
function inferType(key: string, m: Record<string, unknown>): MetricType | null {
  if (typeof m.type === 'string' && (TYPES as readonly string[]).includes(m.type)) return m.type as MetricType;
  const def = METRICS[baseName(key)];
  if (def) return def.type;
  if ('passes' in m || 'fails' in m) return 'rate';
  if ('count' in m) return 'counter';
  if ('avg' in m || 'med' in m || Object.keys(m).some((k) => /^p\(/.test(k))) return 'trend';
  if ('value' in m) return 'gauge';
  return null;
}

/**
 * Legacy `--summary-export`: values flattened into the metric object, a Rate's `rate` named `value`, and
 * `thresholds: { expr: boolean }` where **true means the threshold FAILED** (k6 calls it "tainted").
 * When k6 ran with `--new-machine-readable-summary` the file holds the machine-readable summary instead, and is
 * read as one (shape `machine-readable-summary`).
 */
export function parseSummaryExport(json: unknown, source: string): K6Summary {
  const root = parseRoot(json, source);
  // with --new-machine-readable-summary, k6 writes the machine-readable summary to --summary-export as well
  if (!('metrics' in root) && 'version' in root && isObj(root.results)) return parseMachineReadableSummary(root, source);
  if (!isObj(root.metrics)) throw new K6OutputError(source, '$.metrics', `expected an object of metrics, got ${kind(root.metrics)}`);
  const metrics: Record<string, MetricSummary> = {};
  const thresholds: K6Threshold[] = [];
  for (const [key, m] of Object.entries(root.metrics)) {
    const path = `metrics[${q(key)}]`;
    if (!isObj(m)) throw new K6OutputError(source, path, `expected an object, got ${kind(m)}`);
    if (isObj(m.values)) {
      throw new K6OutputError(source, path, 'has a nested "values" object: this is handleSummary data, not a legacy --summary-export');
    }
    const type = inferType(key, m);
    if (!type) throw new K6OutputError(source, path, `cannot tell the metric type from its values (${Object.keys(m).join(', ')})`);
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(m)) {
      if (k === 'thresholds' || k === 'type' || k === 'contains') continue;
      raw[type === 'rate' && k === 'value' ? 'rate' : k] = v;
    }
    metrics[key] = { type, unit: unitFor(key, type, m.contains), values: readValues(raw, type, source, path) };
    if (m.thresholds === undefined) continue;
    if (!isObj(m.thresholds)) throw new K6OutputError(source, `${path}.thresholds`, `expected an object, got ${kind(m.thresholds)}`);
    for (const [expr, failed] of Object.entries(m.thresholds)) {
      if (typeof failed !== 'boolean') {
        throw new K6OutputError(source, `${path}.thresholds[${q(expr)}]`, `expected true (failed) or false (passed), got ${kind(failed)}`);
      }
      thresholds.push({ key, expr, ok: !failed }); // the legacy export's boolean is true when it FAILED
    }
  }
  return { shape: 'summary-export', source, metrics, thresholds };
}

/**
 * k6 ≥ 1.5 `--new-machine-readable-summary` (schema 1.0.0, grafana/k6-summary; read by k6's own generated types in
 * `internal/lib/summary/machinereadable/types_gen.go`). With that flag k6 hands this object to `handleSummary(data)`
 * AND writes it to `--summary-export`. Read strictly, as k6's generated strict reader does (every required field
 * present and not null, no field it does not define; optional fields may be absent or null):
 *
 *   { version: "1.x.y",
 *     metadata: { generatedAt: RFC 3339, k6Version },
 *     config:   { duration: seconds ≥ 0, execution: "local" | "cloud", script? },
 *     results:  { metrics: [Metric], checks?: { metrics?: [Metric], results?: [{ name, passes, fails }] } } }
 *   Metric = { name, type, contains: "default" | "time" | "data", values }   — exactly these four fields
 *     counter { count }            gauge { value, min, max }
 *     rate    { matches, total, rate }   (integers; rate = matches / total, 0 when total is 0)
 *     trend   { avg?, min?, med?, max?, "p(90)"?, "p(95)"? }   (k6 drops every other summaryTrendStats column)
 *
 * A sub-metric is a metric of its own named with its tag filter as k6 created it from the threshold key
 * (`http_req_duration{expected_response:true}`); there is no `tags` field. The summary carries no threshold verdicts.
 *
 * Normalized like the other shapes: a rate becomes `{ rate, passes: matches, fails: total − matches }` (k6's own
 * names for the same sink); a counter's `rate` is `count / config.duration`, which is how k6 computes it (the
 * counter sum over the test run duration), and is left out when the duration is 0. `results.checks.metrics`
 * (checks_total, checks_succeeded, checks_failed) are metrics too, and k6 builds checks_succeeded from the `checks`
 * metric's own sink, so it is also given as `checks` (the `checks` metric itself is never in results.metrics).
 *
 * Known k6 defect (grafana/k6#6004, reported on 1.7.1, fix proposed in #6079): k6 passes this object through its JS
 * runtime, which renames `metadata.generatedAt`/`k6Version` to `generated_at`/`k6_version`; both are accepted there.
 */
export function parseMachineReadableSummary(json: unknown, source: string): K6Summary {
  const root = parseRoot(json, source);
  const err = (where: string, why: string) => new K6OutputError(source, where, why);
  if (root.version === undefined && isObj(root.metrics)) {
    throw err('$.version', 'missing; this is handleSummary or --summary-export data, not a --new-machine-readable-summary file');
  }
  const top = strictObject(root, '$', MRS_ROOT, source);
  const version = top.version;
  if (typeof version !== 'string' || !SEMVER.test(version)) {
    throw err('$.version', `expected the schema version as a semver string, got ${kind(version)}; not a --new-machine-readable-summary file`);
  }
  if (!version.startsWith('1.')) throw err('$.version', `schema version ${version} is not supported (this reader knows 1.x.y)`);

  const meta = strictObject(top.metadata, '$.metadata', MRS_METADATA, source);
  const generatedAt = meta.generatedAt ?? meta.generated_at;
  const k6Version = meta.k6Version ?? meta.k6_version;
  for (const [a, b] of [['generatedAt', 'generated_at'], ['k6Version', 'k6_version']] as const) {
    if (a in meta && b in meta) throw err(`$.metadata.${b}`, `both ${q(a)} and ${q(b)} are present`);
  }
  if (typeof generatedAt !== 'string' || Number.isNaN(Date.parse(generatedAt))) {
    throw err('$.metadata.generatedAt', `expected an RFC 3339 time, got ${kind(generatedAt)}`);
  }
  if (typeof k6Version !== 'string' || k6Version === '') throw err('$.metadata.k6Version', `expected k6's version, got ${kind(k6Version)}`);

  const config = strictObject(top.config, '$.config', MRS_CONFIG, source);
  const durationS = config.duration;
  if (typeof durationS !== 'number' || !Number.isFinite(durationS) || durationS < 0) {
    throw err('$.config.duration', `expected the test run duration in seconds (≥ 0), got ${kind(durationS)}`);
  }
  if (config.execution !== 'local' && config.execution !== 'cloud') {
    throw err('$.config.execution', `expected "local" or "cloud", got ${kind(config.execution)}`);
  }
  if (config.script !== undefined && config.script !== null && typeof config.script !== 'string') {
    throw err('$.config.script', `expected the script path, got ${kind(config.script)}`);
  }

  const results = strictObject(top.results, '$.results', MRS_RESULTS, source);
  if (!Array.isArray(results.metrics)) throw err('$.results.metrics', `expected an array of metrics, got ${kind(results.metrics)}`);
  const metrics: Record<string, MetricSummary> = {};
  const add = (m: unknown, path: string) => {
    const { name, summary } = readMrsMetric(m, path, durationS, source);
    if (Object.hasOwn(metrics, name)) throw err(path, `metric ${q(name)} appears twice`);
    metrics[name] = summary;
  };
  results.metrics.forEach((m: unknown, i: number) => add(m, `$.results.metrics[${i}]`));

  if (results.checks !== undefined && results.checks !== null) {
    const checks = strictObject(results.checks, '$.results.checks', MRS_CHECKS, source);
    if (checks.metrics !== undefined && checks.metrics !== null) {
      if (!Array.isArray(checks.metrics)) throw err('$.results.checks.metrics', `expected an array of metrics, got ${kind(checks.metrics)}`);
      checks.metrics.forEach((m: unknown, i: number) => add(m, `$.results.checks.metrics[${i}]`));
    }
    if (checks.results !== undefined && checks.results !== null) {
      if (!Array.isArray(checks.results)) throw err('$.results.checks.results', `expected an array of check results, got ${kind(checks.results)}`);
      checks.results.forEach((c: unknown, i: number) => {
        const path = `$.results.checks.results[${i}]`;
        const r = strictObject(c, path, MRS_CHECK_RESULT, source);
        if (typeof r.name !== 'string') throw err(`${path}.name`, `expected the check's name, got ${kind(r.name)}`);
        for (const k of ['passes', 'fails'] as const) {
          if (!isCount(r[k])) throw err(`${path}.${k}`, `expected a whole number ≥ 0, got ${kind(r[k])}`);
        }
      });
    }
    const succeeded = metrics.checks_succeeded;
    if (succeeded && succeeded.type === 'rate' && !Object.hasOwn(metrics, 'checks')) metrics.checks = { ...succeeded, values: { ...succeeded.values } };
  }
  return { shape: 'machine-readable-summary', source, metrics, thresholds: [] };
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
/** Field lists per object: required ones, then optional ones (absent or null). */
interface Fields { required: readonly string[]; optional: readonly string[] }
const MRS_ROOT: Fields = { required: ['version', 'metadata', 'config', 'results'], optional: [] };
// generatedAt / k6Version are checked by hand (k6 writes the snake_case spelling, grafana/k6#6004)
const MRS_METADATA: Fields = { required: [], optional: ['generatedAt', 'k6Version', 'generated_at', 'k6_version'] };
const MRS_CONFIG: Fields = { required: ['duration', 'execution'], optional: ['script'] };
const MRS_RESULTS: Fields = { required: ['metrics'], optional: ['checks'] };
const MRS_CHECKS: Fields = { required: [], optional: ['metrics', 'results'] };
const MRS_CHECK_RESULT: Fields = { required: ['name', 'passes', 'fails'], optional: [] };
const MRS_METRIC: Fields = { required: ['name', 'type', 'contains', 'values'], optional: [] };
const MRS_VALUES: Record<MetricType, Fields> = {
  counter: { required: ['count'], optional: [] },
  gauge: { required: ['value', 'min', 'max'], optional: [] },
  rate: { required: ['matches', 'total', 'rate'], optional: [] },
  trend: { required: [], optional: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'] },
};
/** The statistics a schema-1.0.0 trend can carry. */
const MRS_TREND_STATS = MRS_VALUES.trend.optional;
const CONTAINS = ['default', 'time', 'data'] as const;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const member = (path: string, k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${path}.${k}` : `${path}[${q(k)}]`);

/** An object with exactly the listed fields; returns it with null optional fields removed. */
function strictObject(v: unknown, path: string, fields: Fields, src: string): Record<string, unknown> {
  if (!isObj(v)) throw new K6OutputError(src, path, `expected an object, got ${kind(v)}`);
  const known = [...fields.required, ...fields.optional];
  for (const k of Object.keys(v)) {
    if (!known.includes(k)) {
      throw new K6OutputError(src, member(path, k), `unexpected field ${q(k)} (k6's machine-readable summary has ${known.map(q).join(', ') || 'no fields'} here)`);
    }
  }
  for (const k of fields.required) {
    if (!(k in v)) throw new K6OutputError(src, member(path, k), 'required field is missing');
    if (v[k] === null) throw new K6OutputError(src, member(path, k), 'required field is null');
  }
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null));
}

function readMrsMetric(m: unknown, path: string, durationS: number, src: string): { name: string; summary: MetricSummary } {
  const err = (where: string, why: string) => new K6OutputError(src, where, why);
  const o = strictObject(m, path, MRS_METRIC, src);
  if (typeof o.name !== 'string' || o.name.trim() === '') throw err(`${path}.name`, `expected a metric name, got ${kind(o.name)}`);
  const type = readType(o.type, src, path);
  if (!(CONTAINS as readonly unknown[]).includes(o.contains)) {
    throw err(`${path}.contains`, `expected one of ${CONTAINS.join(', ')}, got ${kind(o.contains)}`);
  }
  const vpath = `${path}.values`;
  const raw = o.values;
  if (!isObj(raw)) throw err(vpath, `expected an object of values, got ${kind(raw)}`);
  const fields = MRS_VALUES[type];
  const allowed = [...fields.required, ...fields.optional];
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    const at = `${vpath}[${q(k)}]`;
    if (!allowed.includes(k)) {
      const hint = type === 'trend' && /^p\(/.test(k) ? '; schema 1.0.0 trends carry only p(90) and p(95)' : '';
      throw err(at, `unexpected value ${q(k)} for a ${type} metric (k6 writes ${allowed.map(q).join(', ')})${hint}`);
    }
    if (v === null) {
      if (fields.required.includes(k)) throw err(at, 'required value is null');
      continue; // an absent optional trend statistic
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw err(at, `expected a finite number, got ${kind(v)}`);
    values[k] = v;
  }
  for (const k of fields.required) if (!(k in values)) throw err(vpath, `a ${type} metric must have ${q(k)}`);

  let out: Record<string, number> = values;
  if (type === 'counter') {
    if (values.count! < 0) throw err(`${vpath}["count"]`, `expected a count ≥ 0, got ${values.count}`);
    out = durationS > 0 ? { count: values.count!, rate: values.count! / durationS } : { count: values.count! };
  } else if (type === 'rate') {
    const { matches, total, rate } = values as { matches: number; total: number; rate: number };
    if (!isCount(matches)) throw err(`${vpath}["matches"]`, `expected a whole number ≥ 0, got ${matches}`);
    if (!isCount(total)) throw err(`${vpath}["total"]`, `expected a whole number ≥ 0, got ${total}`);
    if (matches > total) throw err(vpath, `matches (${matches}) is more than total (${total})`);
    const want = total === 0 ? 0 : matches / total;
    if (rate < 0 || rate > 1 || Math.abs(rate - want) > 1e-9) {
      throw err(`${vpath}["rate"]`, `rate ${rate} does not equal matches / total (${matches} / ${total})`);
    }
    out = { rate, passes: matches, fails: total - matches };
  }
  return { name: o.name, summary: { type, unit: unitFor(o.name, type, o.contains), values: out } };
}

/** Pick the parser by shape: machine-readable (has `results`), handleSummary (nested `values`), else legacy. */
export function parseK6Summary(json: unknown, source: string): K6Summary {
  const root = parseRoot(json, source);
  if (isObj(root.results) && 'version' in root) return parseMachineReadableSummary(root, source);
  if (isObj(root.metrics) && Object.values(root.metrics).some((m) => isObj(m) && isObj(m.values))) return parseHandleSummary(root, source);
  return parseSummaryExport(root, source);
}

// ---------------------------------------------------------------------------------------------
// MetricSource over an aggregate summary

const canonicalKey = (metric: string, tags: Readonly<Record<string, string>>) => {
  const t = Object.keys(tags).sort().map((k) => `${k}:${tags[k]}`);
  return t.length ? `${metric}{${t.join(',')}}` : metric;
};

function canonicalOfReported(key: string, source: string): string {
  try {
    const mk = parseMetricKey(key, `metrics[${q(key)}]`);
    return canonicalKey(mk.metric, mk.tags);
  } catch (e) {
    throw new K6OutputError(source, `metrics[${q(key)}]`, `unreadable metric key: ${(e as Error).message}`);
  }
}

/** The value of `p(N)` in a trend's values, or undefined. Matches `p(99.9)` for 99.9, `med` for 50. */
function percentileValue(values: Record<string, number>, p: number): number | undefined {
  for (const [k, v] of Object.entries(values)) {
    const m = /^p\((.+)\)$/.exec(k);
    if (m && Number(m[1]) === p) return v;
  }
  if (p === 50 && 'med' in values) return values.med;
  if (p === 0 && 'min' in values) return values.min;
  if (p === 100 && 'max' in values) return values.max;
  return undefined;
}

/** A view over one aggregated metric; missing statistics are errors, never zeros. */
function summaryView(s: MetricSummary, key: string, source: string, shape: K6Shape): MetricView {
  const path = `metrics[${q(key)}].values`;
  const mrs = shape === 'machine-readable-summary';
  const need = (name: string): number => {
    const v = s.values[name];
    if (v === undefined) {
      let why = `k6 reported no ${q(name)} for ${key}`;
      if (mrs && s.type === 'counter' && name === 'rate') why += ' (the machine-readable summary gives a counter only its count, and its config.duration is 0)';
      else if (mrs && s.type === 'trend') why += `; k6 only reports the statistics listed in options.summaryTrendStats, so add ${q(name)} there`;
      throw new K6OutputError(source, path, why);
    }
    return v;
  };
  switch (s.type) {
    case 'trend':
      return {
        type: 'trend', avg: () => need('avg'), min: () => need('min'), max: () => need('max'),
        percentile: (p) => {
          const v = percentileValue(s.values, p);
          if (v === undefined) {
            const have = Object.keys(s.values).join(', ') || 'nothing';
            const stat = `p(${p})`;
            const carried = MRS_TREND_STATS.includes(stat) || (p === 50 ? 'med' : p === 0 ? 'min' : p === 100 ? 'max' : '') !== '';
            const hint = mrs && !carried
              ? `k6's machine-readable summary (schema 1.0.0) carries no trend statistic but ${MRS_TREND_STATS.join(', ')}, ` +
                'whatever options.summaryTrendStats says, so judge it from the NDJSON --out json output'
              : `k6 only reports the statistics listed in options.summaryTrendStats, so add "${stat}" there ` +
                '(or judge from the NDJSON --out json output)';
            throw new K6OutputError(source, path, `k6 reported no ${stat} for ${key} (it has ${have}); ${hint}`);
          }
          return v;
        },
      };
    case 'counter':
      return { type: 'counter', count: () => need('count'), rate: () => need('rate') };
    case 'rate':
      // An empty Rate (no samples) is "no data" for our evaluator, not rate 0.
      return {
        type: 'rate',
        ...('passes' in s.values && 'fails' in s.values ? { samples: () => s.values.passes! + s.values.fails! } : {}),
        rate: () => ('passes' in s.values && 'fails' in s.values && s.values.passes! + s.values.fails! === 0 ? null : need('rate')),
      };
    case 'gauge':
      return { type: 'gauge', value: () => need('value') };
  }
}

/**
 * A `MetricSource` over k6's aggregated values. A sub-metric threshold (`name{tag:v}`) is answered only if
 * k6 reported that exact sub-metric (k6 does for every threshold key); tag order does not matter.
 */
export function sourceFromSummary(summary: K6Summary): MetricSource {
  const byKey = new Map<string, { key: string; s: MetricSummary }>();
  for (const [key, s] of Object.entries(summary.metrics)) byKey.set(canonicalOfReported(key, summary.source), { key, s });
  return {
    metric(name, tags) {
      const hit = byKey.get(canonicalKey(name, tags));
      return hit ? summaryView(hit.s, hit.key, summary.source, summary.shape) : null;
    },
  };
}

/** k6's reported thresholds as a `thresholds` block, to parse with `parseThresholds` and re-evaluate ourselves. */
export function thresholdsInput(summary: K6Summary): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of summary.thresholds) (out[t.key] ??= []).push(t.expr);
  return out;
}

/** Metric types by base name, for `parseThresholds` (ours first, then what k6 reported). */
export function metricTypes(...from: Array<Record<string, MetricSummary> | Record<string, MetricType>>): Record<string, MetricType> {
  const out: Record<string, MetricType> = Object.fromEntries(Object.values(METRICS).map((m) => [m.name, m.type]));
  for (const rec of from) {
    for (const [k, v] of Object.entries(rec)) out[baseName(k)] ??= typeof v === 'string' ? v : v.type;
  }
  return out;
}

/**
 * Where our verdict and k6's differ (matched by canonical key + expression). Compares against `k6Ok`, what
 * k6 would say for the same data, so "no data" does not count as a disagreement.
 */
export function verdictDisagreements(reported: readonly K6Threshold[], ours: readonly ThresholdResult[], source = 'k6'): Array<{ key: string; expr: string; k6: boolean; ours: boolean | null }> {
  const mine = new Map(ours.map((r) => [`${canonicalKey(r.metric, r.tags)} ${r.expr}`, r]));
  const out: Array<{ key: string; expr: string; k6: boolean; ours: boolean | null }> = [];
  for (const t of reported) {
    const r = mine.get(`${canonicalOfReported(t.key, source)} ${t.expr}`);
    if (!r || r.k6Ok !== t.ok) out.push({ key: t.key, expr: t.expr, k6: t.ok, ours: r ? r.ok : null });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// NDJSON (`--out json=`)

type Tags = Record<string, string>;

class LastGauge {
  last: number | null = null; at = -Infinity; min = Infinity; max = -Infinity;
  add(v: number, at: number): void {
    if (at >= this.at) { this.last = v; this.at = at; }
    this.min = Math.min(this.min, v); this.max = Math.max(this.max, v);
  }
  merge(o: LastGauge): void {
    if (o.last === null) return;
    this.add(o.last, o.at); this.min = Math.min(this.min, o.min); this.max = Math.max(this.max, o.max);
  }
}
type Sink = TrendSink | CounterSink | RateSink | LastGauge;
const makeSink = (t: MetricType): Sink =>
  t === 'trend' ? new TrendSink() : t === 'counter' ? new CounterSink() : t === 'rate' ? new RateSink() : new LastGauge();
function mergeSink(into: Sink, from: Sink): void {
  (into as { merge(o: Sink): void }).merge(from);
}

interface MetricDecl {
  type: MetricType;
  contains: string;
  /** The thresholds k6 listed on the metric's Metric line (only a whole metric's: see `declaredThresholds`). */
  thresholds: string[];
  series: Map<string, { tags: Tags; sink: Sink }>;
}

export interface TimelineOptions {
  /** Trend whose p95 each second reports (default http_req_duration). */
  trend?: string;
  /** Rate whose non-zero samples count as failed (default http_req_failed). */
  failed?: string;
  /** Counter counted as iterations (default iterations). */
  iterations?: string;
}

export interface K6Samples extends MetricSource {
  /** The file(s) read, comma-separated. */
  readonly sources: string[];
  readonly points: number;
  /** First and last Point time (epoch ms), null if there were no points. */
  readonly startMs: number | null;
  readonly endMs: number | null;
  /** Seconds a counter's `rate` divides by: `durationS` if given, else last − first Point time. */
  elapsedS(): number;
  types(): Record<string, MetricType>;
  /**
   * Thresholds k6 listed on the Metric lines, as a `thresholds` block. k6 writes a metric's own thresholds there
   * but never a sub-metric's (`submetrics` entries are only `{ name, suffix, tags }`), so a threshold on
   * `name{tag:value}` is never in here: take the thresholds from the script, not from this.
   */
  declaredThresholds(): Record<string, string[]>;
  /** k6-style end-of-test values per metric; `keys` adds sub-metrics such as `http_req_duration{scenario:x}`. */
  summary(keys?: readonly string[]): Record<string, MetricSummary>;
  /** Trend metrics as compressed HDR histograms (TrendSink.encode), mergeable across runs. */
  histograms(keys?: readonly string[]): Record<string, string>;
  /** One point per second since the first Point (t = end of that second, as the native engine). */
  timeline(): ScenarioResult['timeline'];
}

export interface NdjsonOptions extends TimelineOptions {
  /** The test run's duration, for counter rates (k6 divides by it); default: the span of Point times. */
  durationS?: number;
}

const tagKey = (tags: Tags) => Object.keys(tags).sort().map((k) => `${k}=${tags[k]}`).join('\u0000');

class SampleSet implements K6Samples {
  readonly sources: string[] = [];
  points = 0;
  startMs: number | null = null;
  endMs: number | null = null;
  private metrics = new Map<string, MetricDecl>();
  private seconds = new Map<number, { iterations: number; failed: number; trend: TrendSink }>();

  constructor(private readonly opts: NdjsonOptions = {}) {}

  ingest(text: string, source: string): void {
    if (typeof text !== 'string') throw new K6OutputError(source, '$', `expected NDJSON text, got ${kind(text)}`);
    this.sources.push(source);
    const lines = text.split('\n');
    const endsClean = text.endsWith('\n');
    const declared = new Map<string, MetricDecl>(); // per file: a Point needs its Metric line in the same file
    let seen = 0;
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.replace(/\r$/, '');
      if (raw.trim() === '') continue;
      const where = `line ${i + 1}`;
      const isLast = i === lines.length - 1;
      let rec: unknown;
      try {
        rec = JSON.parse(raw);
      } catch (e) {
        if (isLast && !endsClean) {
          throw new K6OutputError(source, where, `the last line is cut short (${(e as Error).message}); the file is truncated — k6 was stopped before it finished writing`);
        }
        throw new K6OutputError(source, where, `not valid JSON (${(e as Error).message})`);
      }
      seen++;
      this.record(rec, source, where, declared);
    }
    if (seen === 0) throw new K6OutputError(source, '$', 'no NDJSON lines: k6 wrote no metrics (empty or missing --out json file)');
  }

  private record(rec: unknown, src: string, where: string, declared: Map<string, MetricDecl>): void {
    if (!isObj(rec)) throw new K6OutputError(src, where, `expected a JSON object, got ${kind(rec)}`);
    const name = rec.metric;
    if (typeof name !== 'string' || name === '') throw new K6OutputError(src, `${where}.metric`, `expected a metric name, got ${kind(name)}`);
    const data = rec.data;
    if (!isObj(data)) throw new K6OutputError(src, `${where}.data`, `expected an object, got ${kind(data)}`);
    if (rec.type === 'Metric') {
      const type = readType(data.type, src, `${where}.data`);
      let decl = this.metrics.get(name);
      if (decl && decl.type !== type) {
        throw new K6OutputError(src, `${where}.data.type`, `metric ${name} is ${type} here but ${decl.type} in an earlier line or runner`);
      }
      if (!decl) {
        decl = { type, contains: typeof data.contains === 'string' ? data.contains : 'default', thresholds: [], series: new Map() };
        this.metrics.set(name, decl);
      }
      for (const t of thresholdList(data.thresholds, src, `${where}.data.thresholds`)) if (!decl.thresholds.includes(t)) decl.thresholds.push(t);
      checkSubmetrics(data.submetrics, src, `${where}.data.submetrics`);
      declared.set(name, decl);
      return;
    }
    if (rec.type !== 'Point') throw new K6OutputError(src, `${where}.type`, `expected "Metric" or "Point", got ${kind(rec.type)}`);
    const decl = declared.get(name);
    if (!decl) throw new K6OutputError(src, where, `Point for metric ${q(name)} before its Metric line (k6 always declares a metric first)`);
    const value = data.value;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new K6OutputError(src, `${where}.data.value`, `expected a finite number, got ${kind(value)}`);
    const time = typeof data.time === 'string' ? Date.parse(data.time) : NaN;
    if (Number.isNaN(time)) throw new K6OutputError(src, `${where}.data.time`, `expected an RFC 3339 time, got ${kind(data.time)}`);
    let tags: Tags = {};
    if (data.tags !== null && data.tags !== undefined) {
      if (!isObj(data.tags)) throw new K6OutputError(src, `${where}.data.tags`, `expected an object or null, got ${kind(data.tags)}`);
      tags = Object.fromEntries(Object.entries(data.tags).map(([k, v]) => [k, String(v)]));
    }
    const tk = tagKey(tags);
    let s = decl.series.get(tk);
    if (!s) decl.series.set(tk, (s = { tags, sink: makeSink(decl.type) }));
    if (s.sink instanceof LastGauge) s.sink.add(value, time);
    else s.sink.add(value);
    this.points++;
    this.startMs = this.startMs === null ? time : Math.min(this.startMs, time);
    this.endMs = this.endMs === null ? time : Math.max(this.endMs, time);
    this.timelinePoint(name, value, time);
  }

  private timelinePoint(name: string, value: number, time: number): void {
    const trend = this.opts.trend ?? 'http_req_duration';
    const failed = this.opts.failed ?? 'http_req_failed';
    const iterations = this.opts.iterations ?? 'iterations';
    if (name !== trend && name !== failed && name !== iterations) return;
    const sec = Math.floor(time / 1000);
    let b = this.seconds.get(sec);
    if (!b) this.seconds.set(sec, (b = { iterations: 0, failed: 0, trend: new TrendSink() }));
    if (name === trend) b.trend.add(value);
    if (name === failed && value) b.failed++;
    if (name === iterations) b.iterations += value;
  }

  /** One sink merging every series of `name` whose tags include `filter` (k6 sub-metric semantics). */
  private select(name: string, filter: Readonly<Tags>): { type: MetricType; sink: Sink } | null {
    const decl = this.metrics.get(name);
    if (!decl) return null;
    const out = makeSink(decl.type);
    let any = false;
    for (const { tags, sink } of decl.series.values()) {
      if (Object.entries(filter).every(([k, v]) => tags[k] === v)) { mergeSink(out, sink); any = true; }
    }
    return any ? { type: decl.type, sink: out } : null;
  }

  elapsedS(): number {
    if (this.opts.durationS !== undefined) return this.opts.durationS;
    return this.startMs === null || this.endMs === null ? 0 : (this.endMs - this.startMs) / 1000;
  }

  metric(name: string, tags: Readonly<Record<string, string>>): MetricView | null {
    const hit = this.select(name, tags);
    if (!hit) return null;
    const sink = hit.sink;
    if (sink instanceof TrendSink) {
      return { type: 'trend', samples: () => sink.count, avg: () => sink.avg(), min: () => sink.min(), max: () => sink.max(), percentile: (p) => sink.percentile(p) };
    }
    if (sink instanceof CounterSink) return { type: 'counter', count: () => sink.sum, rate: () => sink.sum / Math.max(this.elapsedS(), 1e-9) };
    if (sink instanceof RateSink) return { type: 'rate', samples: () => sink.total, rate: () => (sink.total ? sink.passes / sink.total : null) };
    const g = sink as LastGauge;
    return { type: 'gauge', value: () => g.last };
  }

  types(): Record<string, MetricType> {
    return Object.fromEntries([...this.metrics].map(([n, d]) => [n, d.type]));
  }

  declaredThresholds(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, d] of this.metrics) if (d.thresholds.length) out[name] = [...d.thresholds];
    return out;
  }

  private keysFor(keys: readonly string[]): Array<{ key: string; metric: string; tags: Tags }> {
    const out = [...this.metrics.keys()].map((m) => ({ key: m, metric: m, tags: {} as Tags }));
    for (const key of keys) {
      const mk = parseMetricKey(key, `summary key ${q(key)}`);
      out.push({ key, metric: mk.metric, tags: mk.tags });
    }
    return out;
  }

  summary(keys: readonly string[] = []): Record<string, MetricSummary> {
    const out: Record<string, MetricSummary> = {};
    for (const { key, metric, tags } of this.keysFor(keys)) {
      const hit = this.select(metric, tags);
      if (!hit) continue;
      const decl = this.metrics.get(metric)!;
      const s = hit.sink;
      let values: Record<string, number>;
      if (s instanceof TrendSink) {
        values = {
          count: s.count, avg: s.avg()!, min: s.min()!, med: s.percentile(50)!, max: s.max()!,
          'p(90)': s.percentile(90)!, 'p(95)': s.percentile(95)!, 'p(99)': s.percentile(99)!,
        };
      } else if (s instanceof CounterSink) {
        values = { count: s.sum, rate: s.sum / Math.max(this.elapsedS(), 1e-9) };
      } else if (s instanceof RateSink) {
        values = { rate: s.total ? s.passes / s.total : 0, passes: s.passes, fails: s.total - s.passes };
      } else {
        const g = s as LastGauge;
        values = { value: g.last ?? 0, min: g.min, max: g.max };
      }
      out[key] = { type: hit.type, unit: unitFor(metric, hit.type, decl.contains), values };
    }
    return out;
  }

  histograms(keys: readonly string[] = []): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { key, metric, tags } of this.keysFor(keys)) {
      const hit = this.select(metric, tags);
      if (hit && hit.sink instanceof TrendSink) out[key] = hit.sink.encode();
    }
    return out;
  }

  timeline(): ScenarioResult['timeline'] {
    if (!this.seconds.size || this.startMs === null) return [];
    const first = Math.floor(this.startMs / 1000);
    const last = Math.max(...this.seconds.keys());
    const out: ScenarioResult['timeline'] = [];
    for (let s = first; s <= last; s++) {
      const b = this.seconds.get(s);
      out.push({ t: s - first + 1, iterations: b?.iterations ?? 0, failed: b?.failed ?? 0, p95: b ? b.trend.percentile(95) : null });
    }
    return out;
  }
}

/**
 * A Metric line's `thresholds`: k6 writes each as its expression string, or as
 * `{ threshold, abortOnFail, delayAbortEval }` when abortOnFail is set; an empty list as `[]`.
 */
function thresholdList(v: unknown, src: string, path: string): string[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new K6OutputError(src, path, `expected an array of thresholds, got ${kind(v)}`);
  return v.map((t: unknown, i: number) => {
    if (typeof t === 'string') return t;
    if (isObj(t) && typeof t.threshold === 'string') return t.threshold;
    throw new K6OutputError(src, `${path}[${i}]`, `expected a threshold expression or { threshold, abortOnFail, delayAbortEval }, got ${kind(t)}`);
  });
}

/** A Metric line's `submetrics`: null, or `[{ name, suffix, tags }]` (k6 writes no thresholds there). */
function checkSubmetrics(v: unknown, src: string, path: string): void {
  if (v === null || v === undefined) return;
  if (!Array.isArray(v)) throw new K6OutputError(src, path, `expected null or an array of sub-metrics, got ${kind(v)}`);
  v.forEach((sm: unknown, i: number) => {
    if (!isObj(sm) || typeof sm.name !== 'string' || typeof sm.suffix !== 'string' || !(sm.tags === null || isObj(sm.tags))) {
      throw new K6OutputError(src, `${path}[${i}]`, `expected { name, suffix, tags }, got ${kind(sm)}`);
    }
  });
}

/** One k6 `--out json=` file. */
export function parseNdjson(text: string, source: string, opts: NdjsonOptions = {}): K6Samples {
  const set = new SampleSet(opts);
  set.ingest(text, source);
  return set;
}

export type RunnerOutput = string | { text: string; source: string };

/**
 * Every runner's `--out json=` as ONE sample set: trends merged from HDR histograms, counters summed, rates
 * pooled, gauges by latest time — so percentiles and threshold verdicts are over the union of all samples
 * (k6-operator only judges each runner on its own). Plain strings are named `runner-1`, `runner-2`, ….
 * Runner clocks are assumed synchronized (their Point times share one timeline).
 */
export function mergeNdjsonRunners(texts: readonly RunnerOutput[], opts: NdjsonOptions = {}): K6Samples {
  if (texts.length === 0) throw new K6OutputError('k6-operator', '$', 'no runner output to merge');
  const set = new SampleSet(opts);
  texts.forEach((t, i) => (typeof t === 'string' ? set.ingest(t, `runner-${i + 1}`) : set.ingest(t.text, t.source)));
  return set;
}
