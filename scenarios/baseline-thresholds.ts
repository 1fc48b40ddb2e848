/**
 * Thresholds relative to a baseline run: `p(95) < baseline * 1.10`, `rate <= baseline + 0.001`.
 * k6 has no such thing (grafana/k6#1843), so no engine ever sees one: before any load, each is
 * resolved to a plain k6 threshold from the baseline run's stored result for the same scenario and
 * metric (`p(95)<24.31`), and the plan keeps what was written, the baseline's value and its run.
 * docs/baselines.md.
 */
import { UsageError } from '../core/errors.ts';
import { METRICS, TrendSink } from './metrics.ts';
import type { ScenarioResult } from './result.ts';
import type { Scenario, ThresholdSpec } from './types.ts';

/** `<aggregation> <op> baseline [(*|+|-) number]`. */
const RELATIVE = /^\s*(count|rate|value|avg|min|med|max|p\((?:\d+(?:\.\d+)?)\))\s*(<=|>=|===|==|!=|<|>)\s*baseline\s*(?:([*+-])\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))?\s*$/;

export interface RelativeThreshold {
  key: string;
  index: number;
  /** As written in the scenario file. */
  written: string;
  aggregation: string;
  op: string;
  by: { op: '*' | '+' | '-'; n: number } | null;
}

/** One threshold as it was resolved: kept in the plan, shown in its check's evidence. */
export type ResolvedBaseline = NonNullable<Scenario['baselineThresholds']>[number];

const text = (t: ThresholdSpec) => (typeof t === 'string' ? t : t.threshold);
const mentionsBaseline = (t: ThresholdSpec) => /\bbaseline\b/.test(text(t));

/** The scenario's thresholds written against a baseline; a malformed one is exit 2 naming it. */
export function relativeThresholds(s: Scenario): RelativeThreshold[] {
  const out: RelativeThreshold[] = [];
  for (const [key, list] of Object.entries(s.thresholds)) {
    list.forEach((t, index) => {
      if (!mentionsBaseline(t)) return;
      const where = `scenario ${s.name}: thresholds["${key}"][${index}]`;
      const m = RELATIVE.exec(text(t));
      if (!m) throw new UsageError(where, `"${text(t)}": a threshold relative to a baseline reads "<aggregation> <op> baseline", optionally "* F", "+ N" or "- N" (e.g. "p(95) < baseline * 1.10")`);
      const plain = key.replace(/\{scenario:([^}]*)\}$/, (all, name: string) => (name === s.name ? '' : all));
      if (plain.includes('{')) throw new UsageError(where, `"${key}": a baseline's stored result holds each metric of the scenario, not other tag filters; use the metric or its {scenario:${s.name}} filter`);
      const n = m[4] === undefined ? null : Number(m[4]);
      if (n !== null && !(Number.isFinite(n) && (m[3] !== '*' || n > 0))) throw new UsageError(where, `"${text(t)}": the factor must be a number above 0`);
      out.push({ key, index, written: text(t), aggregation: m[1]!, op: m[2]!, by: m[3] ? { op: m[3] as '*' | '+' | '-', n: n! } : null });
    });
  }
  return out;
}

/** The scenario without its baseline-relative thresholds: what can be checked before a baseline is known. */
export function withoutRelative(s: Scenario): Scenario {
  const thresholds = Object.fromEntries(Object.entries(s.thresholds)
    .map(([k, list]) => [k, list.filter((t) => !mentionsBaseline(t))] as const)
    .filter(([, list]) => list.length));
  return { ...s, thresholds };
}

/** The metric name of a key (`http_req_duration{scenario:x}` → `http_req_duration`). */
const metricOf = (key: string) => key.replace(/\{.*$/, '').trim();

/**
 * A stored result's value of `metric` under `aggregation`: trends from the HDR histogram when the
 * run kept it (any percentile), otherwise the summary's value by k6's name.
 */
export function storedValue(r: ScenarioResult, metric: string, aggregation: string): number | undefined {
  const h = r.histograms?.[metric];
  const p = /^p\((.+)\)$/.exec(aggregation);
  if (h && p) {
    const v = TrendSink.decode(h).percentile(Number(p[1]));
    if (v !== null) return v;
  }
  const v = r.metrics?.[metric]?.values?.[aggregation];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  // A counter that never counted is left out of the summary: none dropped, no produce error.
  if (!r.metrics?.[metric] && METRICS[metric]?.type === 'counter' && aggregation === 'count') return 0;
  return undefined;
}

const round = (v: number) => Number(v.toPrecision(6));

/**
 * The scenario with each baseline-relative threshold replaced by the plain one it stands for.
 * `lookup` gives the baseline's value of a metric's aggregation (undefined: the baseline has none,
 * exit 2 naming it). The result still has to pass `checkScenario`.
 */
export function resolveRelative(s: Scenario, runId: string, lookup: (metric: string, aggregation: string) => number | undefined): { scenario: Scenario; resolved: ResolvedBaseline[] } {
  const rel = relativeThresholds(s);
  if (!rel.length) return { scenario: s, resolved: [] };
  const thresholds: Record<string, ThresholdSpec[]> = Object.fromEntries(Object.entries(s.thresholds).map(([k, list]) => [k, [...list]]));
  const resolved: ResolvedBaseline[] = [];
  for (const r of rel) {
    const metric = metricOf(r.key);
    const base = lookup(metric, r.aggregation);
    if (base === undefined) {
      throw new UsageError(`scenario ${s.name}: thresholds["${r.key}"][${r.index}]`, `"${r.written}": baseline run ${runId} holds no ${r.aggregation} of ${metric} for ${s.name}`);
    }
    const target = round(r.by === null ? base : r.by.op === '*' ? base * r.by.n : r.by.op === '+' ? base + r.by.n : base - r.by.n);
    // A target no run can miss (a count above a negative number) or none can meet (a rate below 0)
    // judges nothing: refused, naming the baseline's value, rather than passed or failed on it.
    const where = `scenario ${s.name}: thresholds["${r.key}"][${r.index}]`;
    if (target < 0) throw new UsageError(where, `"${r.written}" is ${target} against baseline run ${runId}'s ${base}: a negative target judges nothing`);
    if (target === 0 && (r.op === '<' || r.op === '>=')) {
      throw new UsageError(where, `"${r.written}" is ${r.op} 0 against baseline run ${runId}'s ${base}: ${r.op === '<' ? 'no run can pass it' : 'every run passes it'}; add a margin ("+ N")`);
    }
    const expr = `${r.aggregation}${r.op}${target}`;
    const t = thresholds[r.key]![r.index]!;
    thresholds[r.key]![r.index] = typeof t === 'string' ? expr : { ...t, threshold: expr };
    resolved.push({ key: r.key, metric, aggregation: r.aggregation, written: r.written, expr, value: round(base), runId });
  }
  return { scenario: { ...s, thresholds, baselineThresholds: resolved }, resolved };
}

/**
 * Resolved against a stored baseline run's result for the same scenario. The baseline must have
 * passed and run its scenario to the end: a failed or cut-short run's p95 would be a loose target
 * that passes what it should not.
 */
export function resolveAgainstRun(s: Scenario, runId: string, result: ScenarioResult | undefined, runStatus = 'pass'): Scenario {
  if (!relativeThresholds(s).length) return s;
  if (!result) throw new UsageError('--baseline', `baseline run ${runId} did not run ${s.name}, whose thresholds are relative to a baseline`);
  if (runStatus !== 'pass') throw new UsageError('--baseline', `baseline run ${runId} ended ${runStatus}: ${s.name}'s thresholds are relative to it, and a target taken from a run that did not pass could pass what it should not; name a passing run (or latest-pass)`);
  if (result.aborted) throw new UsageError('--baseline', `baseline run ${runId} cut ${s.name} short (${result.aborted}): name a run that ran it to the end`);
  return resolveRelative(s, runId, (metric, agg) => storedValue(result, metric, agg)).scenario;
}
