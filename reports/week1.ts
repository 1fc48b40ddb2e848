/**
 * The week-1 success-criteria report (docs/slos.md): eight rows, each a target, a measured value,
 * PASS / FAIL / NO DATA and the evidence behind it. It reads only run records (`runs/*\/record.json`)
 * and the two user-supplied inputs (incident log, feedback); it measures nothing itself.
 *
 * The rows are data (`WEEK1_ROWS`): metric, target, comparator, threshold, aggregation and the
 * sources that feed them. Adding a source (another check id) is an edit to that table only.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Check, CheckStatus, RunRecord } from '../core/record.ts';
import { readRecordFile } from '../core/journal.ts';
import type { SloId } from '../core/slo.ts';
import { SEED_SLOS, type Slos } from '../profile/schema.ts';
import type { ScenarioResult } from '../scenarios/result.ts';
import type { Scenario } from '../scenarios/types.ts';
import { TrendSink } from '../scenarios/metrics.ts';
import { render } from '../core/render.ts';
import { lineChart, fmt } from './charts.ts';
import { drillTimeline, recoveryTimelineSvg } from './drill.ts';
import { severitySummary, repairMinutes, type Incident, type Feedback, type SeveritySummary } from './inputs.ts';

// ---------------------------------------------------------------------------------------------
// Row definitions

export type Op = '>=' | '>' | '<' | '<=' | '==';
export type RowUnit = 'percent' | 'ms' | 'count' | 'min' | 'score';
export type Aggregate = 'min' | 'max' | 'sum' | 'mean';

export type Source =
  /** Checks in run records, by exact id or id prefix. `assume` is the unit when a check gives none. */
  | { from: 'check'; id: string; match: 'exact' | 'prefix'; assume: string; label: string }
  /**
   * Load-scenario checks of one metric and aggregation (`<scenario>:<metric>:<aggregation>…`) from
   * any scenario that declares this row's SLO id (its `slo` tags, kept in the check's evidence):
   * a profile's own scenarios count as the built-in ones do.
   */
  | { from: 'scenario'; metric: string; aggregation: string; assume: string; label: string }
  /** One sample per in-window Sev1 incident (value 1). */
  | { from: 'incidents'; measure: 'sev1-count' }
  /** One sample per resolved in-window incident: resolved − detected in minutes. */
  | { from: 'incidents'; measure: 'repair-minutes' }
  | { from: 'feedback'; measure: 'score' };

export interface RowDef {
  slug: SloId;
  metric: string;
  /** The target as a reader writes it (the seed's, or the profile's override). */
  target: string;
  op: Op;
  threshold: number;
  unit: RowUnit;
  /** How samples from all sources become the measured value (min: the worst day of a ≥ target…). */
  aggregate: Aggregate;
  sources: Source[];
  /** Also show the mean next to a min/max (e.g. platform health: the worst day and the week). */
  showMean?: boolean;
  /**
   * A percentile row (`p` 0–100): when every sample carries its run's latency histogram, the value is
   * that percentile of all the week's requests (the histograms merged), not the worst run's. A short
   * run's bad second then weighs what its requests weigh.
   */
  mergePercentile?: number;
  /**
   * A ratio row (errors over requests): when every sample knows its counts, the value is all the
   * week's errors over all its requests, not the worst run's ratio.
   */
  ratioOfCounts?: boolean;
  /** When a source is present but yields no sample (an incident log with zero incidents). */
  whenEmpty?: { measured: string; status: 'PASS' | 'NO DATA'; reason?: string };
  /** What to run or pass to get data, shown with NO DATA. */
  hint: string;
}

const n = (v: number) => fmt(Number(v.toPrecision(12)));

/** The eight rows, each judged against the profile's target (`slos`, docs/slos.md; the seed's by default). */
export function week1Rows(slos: Slos): RowDef[] {
  const errorPct = Number((slos.errorRate * 100).toPrecision(12));
  return [
    {
      slug: 'platform-health', metric: 'Platform health', target: `≥ ${n(slos.platformHealthPct)} %`, op: '>=', threshold: slos.platformHealthPct, unit: 'percent',
      aggregate: 'min', showMean: true,
      sources: [{ from: 'check', id: 'daily.platform-health', match: 'exact', assume: 'percent', label: 'daily check' }],
      hint: 'run `harness check daily` each day of the week',
    },
    {
      slug: 'uptime', metric: 'Uptime', target: `≥ ${n(slos.uptimePct)} %`, op: '>=', threshold: slos.uptimePct, unit: 'percent',
      aggregate: 'min', showMean: true,
      sources: [{ from: 'check', id: 'daily.uptime', match: 'exact', assume: 'percent', label: 'daily check' }],
      hint: 'run `harness check daily` each day of the week',
    },
    {
      slug: 'critical-incidents', metric: 'Critical incidents', target: slos.criticalIncidents === 0 ? '0' : `≤ ${slos.criticalIncidents}`, op: '<=', threshold: slos.criticalIncidents, unit: 'count',
      aggregate: 'sum',
      sources: [
        { from: 'incidents', measure: 'sev1-count' },
        { from: 'check', id: 'daily.critical-alerts', match: 'exact', assume: 'count', label: 'critical alerts firing at a daily check' },
      ],
      hint: 'pass the incident log (--incidents FILE) or run `harness check daily`',
    },
    {
      slug: 'incident-mttr', metric: 'Incident MTTR', target: `< ${fmtMin(slos.incidentMttrMin)}`, op: '<', threshold: slos.incidentMttrMin, unit: 'min',
      aggregate: 'mean',
      sources: [{ from: 'incidents', measure: 'repair-minutes' }],
      whenEmpty: { measured: 'no incidents', status: 'PASS' },
      hint: 'no incident log given (--incidents FILE)',
    },
    {
      slug: 'user-satisfaction', metric: 'User satisfaction', target: `> ${n(slos.userSatisfaction)}/5`, op: '>', threshold: slos.userSatisfaction, unit: 'score',
      aggregate: 'mean',
      sources: [{ from: 'feedback', measure: 'score' }],
      whenEmpty: { measured: 'no scores', status: 'NO DATA', reason: 'the feedback file holds no scores' },
      hint: 'no feedback file given (--feedback)',
    },
    {
      slug: 'response-time-p95', metric: 'Response time p95', target: `< ${n(slos.inferenceP95Ms)} ms`, op: '<', threshold: slos.inferenceP95Ms, unit: 'ms',
      aggregate: 'max', mergePercentile: 95,
      sources: [
        { from: 'scenario', metric: 'http_req_duration', aggregation: 'p(95)', assume: 'ms', label: 'load gate' },
        { from: 'check', id: 'daily.inference.latency-p95', match: 'exact', assume: 'ms', label: 'daily check' },
      ],
      hint: 'run `harness gate` (or `harness run inference-latency`) or `harness check daily`',
    },
    {
      slug: 'error-rate', metric: 'Error rate', target: `< ${n(errorPct)} %`, op: '<', threshold: errorPct, unit: 'percent',
      aggregate: 'max', ratioOfCounts: true,
      sources: [
        { from: 'scenario', metric: 'http_req_failed', aggregation: 'rate', assume: 'ratio', label: 'load gate' },
        { from: 'check', id: 'daily.error-rate', match: 'exact', assume: 'ratio', label: 'daily check' },
      ],
      hint: 'run `harness gate` or `harness check daily`',
    },
    {
      slug: 'workflow-success-rate', metric: 'Workflow success rate', target: `≥ ${n(slos.workflowSuccessPct)} %`, op: '>=', threshold: slos.workflowSuccessPct, unit: 'percent',
      aggregate: 'min', showMean: true,
      sources: [{ from: 'check', id: 'daily.workflow-success', match: 'exact', assume: 'percent', label: 'daily check' }],
      hint: 'run `harness check daily` each day of the week',
    },
  ];
}

/** The rows at the seed's targets. */
export const WEEK1_ROWS: readonly RowDef[] = week1Rows(SEED_SLOS);

/** How a row's sources read, for evidence. */
export function describeSources(row: RowDef): string {
  return row.sources.map((s) => (s.from === 'check' ? `checks ${s.id}${s.match === 'prefix' ? '*' : ''}`
    : s.from === 'scenario' ? `load checks ${s.metric} ${s.aggregation} of scenarios tagged ${row.slug}`
      : s.from === 'incidents' ? `incident log (${s.measure})` : 'feedback scores')).join(' + ');
}

const UNIT_TEXT: Record<RowUnit, string> = { percent: '%', ms: 'ms', count: '', min: 'min', score: '/5' };

export function compare(v: number, op: Op, t: number): boolean {
  switch (op) {
    case '>=': return v >= t;
    case '>': return v > t;
    case '<': return v < t;
    case '<=': return v <= t;
    case '==': return v === t;
  }
}

/** A check's observed value in the row's unit; null when the units cannot be reconciled. */
export function toRowUnit(value: number, unit: string, assume: string, row: RowUnit): number | null {
  const u = (unit || assume).trim().toLowerCase();
  switch (row) {
    case 'percent':
      if (u === 'percent' || u === '%') return value;
      if (u === 'ratio') return value * 100;
      return null;
    case 'ms':
      if (u === 'ms' || u === 'milliseconds') return value;
      if (u === 's' || u === 'seconds' || u === 'sec') return value * 1000;
      if (u === 'us' || u === 'µs') return value / 1000;
      return null;
    case 'count':
      return value;
    default:
      return value;
  }
}

// ---------------------------------------------------------------------------------------------
// Loading run records

export interface Window { since: Date; until: Date }
export interface LoadedRecord { record: RunRecord; file: string }
export interface RecordScan {
  dir: string;
  found: number;
  used: LoadedRecord[];
  outsideWindow: number;
  skipped: Array<{ file: string; reason: string }>;
  /** Records left out because they measured another platform (also in `skipped`). */
  otherPlatform: number;
  /** Records left out because their run did not finish (also in `skipped`). */
  aborted: number;
  /** Of those, the ones that saw a check fail before they ended: the week cannot be called a PASS. */
  abortedFailing: string[];
}

/** Records that measured nothing themselves: a report, a comparison, a re-judgement of another record. */
const REPORT_KINDS = new Set(['report-week1', 'compare', 'judge']);

/** What the table reads of a record; anything else a record carries is left alone. A record that fails this is skipped, named. */
/**
 * Every `<dir>/*\/record.json` of `platform` whose run started inside the window, oldest first.
 * Records of another platform, or naming none (older than the field), are skipped: a week's
 * table must not mix a test sandbox's faulted runs into a real platform's week.
 */
export function loadRecords(dir: string, w: Window, warn: (m: string) => void, platform: string): RecordScan {
  const scan: RecordScan = { dir, found: 0, used: [], outsideWindow: 0, skipped: [], otherPlatform: 0, aborted: 0, abortedFailing: [] };
  const skip = (file: string, reason: string, loud = false) => {
    scan.skipped.push({ file, reason });
    if (loud) warn(`warning: skipping ${file}: ${reason}`);
  };
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, 'record.json');
    let isDir = false;
    try { isDir = statSync(join(dir, name)).isDirectory(); } catch { /* vanished */ }
    if (!isDir || !existsSync(file)) continue;
    scan.found++;
    const parsed = readRecordFile(file);
    if ('error' in parsed) {
      skip(file, parsed.unreadable ? `unreadable: ${parsed.error}` : parsed.error.startsWith('written by') ? parsed.error : `not a run record: ${parsed.error}`, true);
      continue;
    }
    const r = parsed.record;
    if (REPORT_KINDS.has(r.kind)) continue;
    if (r.platform !== platform) {
      scan.otherPlatform++;
      skip(file, typeof r.platform === 'string' ? `measured platform "${r.platform}", not "${platform}"` : 'names no platform (written before records carried one)');
      continue;
    }
    const t = Date.parse(r.startedAt);
    if (!Number.isFinite(t)) { skip(file, `startedAt is not a timestamp: ${r.startedAt}`, true); continue; }
    if (t < w.since.getTime() || t > w.until.getTime()) { scan.outsideWindow++; continue; }
    // A run that did not finish measured part of what it meant to: its checks are not the week's,
    // and the table lists it (with any failure it saw) rather than letting it pass or fail a row.
    if (r.status === 'aborted') {
      scan.aborted++;
      const failed = r.checks.filter((c) => c.status === 'fail').map((c) => c.id);
      if (failed.length) scan.abortedFailing.push(file);
      skip(file, `aborted${r.error ? ` (${r.error})` : ''}: ${r.checks.length} check(s) not counted${failed.length ? `, ${failed.length} of them failed (${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ' …' : ''})` : ''}`);
      continue;
    }
    r.data ??= {};
    scan.used.push({ record: r, file });
  }
  if (scan.aborted) warn(`note: ${scan.aborted} record(s) in ${dir} are of runs that did not finish (aborted) and are left out`);
  if (scan.otherPlatform) warn(`note: ${scan.otherPlatform} record(s) in ${dir} measured another platform than "${platform}" (or name none) and are left out`);
  scan.used.sort((a, b) => Date.parse(a.record.startedAt) - Date.parse(b.record.startedAt));
  return scan;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface EvidenceItem {
  source: 'record' | 'incidents' | 'feedback';
  /** In the row's unit. */
  value: number;
  /** Short text: `20261118T…-check-daily · daily.uptime = 99.95 percent`. */
  label: string;
  breach: boolean;
  runId?: string;
  kind?: string;
  checkId?: string;
  startedAt?: string;
  observed?: number;
  unit?: string;
  checkStatus?: CheckStatus;
  /** The run's latency histogram behind this sample (HDR, base64), when it stored one. */
  histogram?: string;
  /** Requests behind it (the histogram's count, or the error rate's denominator). */
  requests?: number;
  /** Failed requests behind it (ratio rows). */
  errors?: number;
  /** Absolute path of the record (JSON output: relative to the report, see `forOutput`). */
  recordFile?: string;
  file?: string;
  line?: number;
  where?: string;
}

export type RowStatus = 'PASS' | 'FAIL' | 'NO DATA';

export interface RowResult {
  slug: string;
  metric: string;
  target: string;
  op: Op;
  threshold: number;
  unit: RowUnit;
  status: RowStatus;
  value: number | null;
  measured: string;
  reason?: string;
  evidence: EvidenceItem[];
  /** The samples that on their own miss the target (the run(s) or incidents that breached). */
  breaches: EvidenceItem[];
  notes: string[];
  /**
   * Rows measured from run records: the UTC days of the window that have a sample, of all the days
   * it spans. A PASS on fewer days than the window holds is partial: the headline says INCOMPLETE.
   */
  days?: { measured: number; of: number };
}

export interface Week1Inputs {
  incidents: { file: string; incidents: Incident[] } | null;
  feedback: { file: string; entries: Feedback[] } | null;
}

export interface Week1Report {
  generatedAt: string;
  window: { since: string; until: string };
  rows: RowResult[];
  summary: { pass: number; fail: number; noData: number; partial: number; verdict: 'PASS' | 'FAIL' | 'INCOMPLETE' };
  records: { dir: string; found: number; used: number; outsideWindow: number; aborted: number; otherPlatform: number; skipped: Array<{ file: string; reason: string }> };
  incidents: null | {
    file: string; total: number; inWindow: number; outsideWindow: number; open: number;
    bySeverity: SeveritySummary[];
  };
  feedback: null | { file: string; count: number; mean: number | null; min: number | null; max: number | null };
  charts: {
    gate: null | { runId: string; startedAt: string; recordFile: string;
      latency: null | { scenario: string; points: Array<{ t: number; p95: number | null }> };
      throughput: null | { scenario: string; batchSize: number; points: Array<{ t: number; msgPerS: number }> } };
    drill: null | { runId: string; startedAt: string; recordFile: string; events: Array<{ event: string; atMs: number }>; sloMs: number | null };
  };
  /** The targets the charts draw (the profile's). */
  targets: { p95Ms: number; throughputMsgS: number };
}

const num = (v: number, unit: RowUnit) => {
  const s = fmt(Math.round(v * 1000) / 1000);
  const u = UNIT_TEXT[unit];
  return u === '' ? s : u === '/5' ? `${s}/5` : `${s} ${u}`;
};
/** Counts in full (no 65k): a reader checks errors over requests by hand. */
const exact = (v: number) => String(Math.round(v * 1000) / 1000);
function fmtMin(m: number): string { return m >= 120 ? `${fmt(Math.round(m / 6) / 10)} h` : `${fmt(Math.round(m * 10) / 10)} min`; }
const inWindow = (iso: string, w: Window) => { const t = Date.parse(iso); return t >= w.since.getTime() && t <= w.until.getTime(); };

interface SourceYield { present: boolean; samples: EvidenceItem[]; notes: string[]; missing?: string }

/** Whether a check is one this source reads. */
function matcher(src: Extract<Source, { from: 'check' | 'scenario' }>, row: RowDef): (c: Check) => boolean {
  if (src.from === 'check') return (c) => (src.match === 'exact' ? c.id === src.id : c.id.startsWith(src.id));
  const part = `:${src.metric}:${src.aggregation}`;
  return (c) => {
    const at = c.id.indexOf(part);
    const slo = (c.evidence as { slo?: unknown }).slo;
    // `<scenario>:<metric>:<aggregation><op>…`: the scenario part has no colon, the op follows directly.
    return at > 0 && !c.id.slice(0, at).includes(':') && /^[<>=!]/.test(c.id.slice(at + part.length))
      && Array.isArray(slo) && slo.includes(row.slug);
  };
}

/** The stored result of the scenario a load check (`<scenario>:…`) judged. */
const resultOf = (r: RunRecord, c: Check): ScenarioResult | undefined =>
  ((r.data.scenarios ?? []) as ScenarioResult[]).find((s) => s.scenario === c.id.split(':')[0]);

/**
 * The latency histogram behind a check: a load check's is its scenario's (the record's stored
 * result), a daily probe's is in its evidence. Undefined when the record kept none (older records).
 */
function histogramOf(r: RunRecord, c: Check, src: Extract<Source, { from: 'check' | 'scenario' }>): string | undefined {
  if (src.from === 'scenario') {
    const h = resultOf(r, c)?.histograms?.[src.metric];
    return typeof h === 'string' ? h : undefined;
  }
  const h = (c.evidence as { histogram?: unknown }).histogram;
  return typeof h === 'string' ? h : undefined;
}

/**
 * The counts behind a ratio check: a load check's from its scenario's stored Rate metric (k6's
 * `passes` of http_req_failed are the failed requests), a daily check's from its evidence (the
 * profile's `slis.requests`). Undefined when the record kept none.
 */
function countsOf(r: RunRecord, c: Check, src: Extract<Source, { from: 'check' | 'scenario' }>): { errors: number; requests: number } | undefined {
  if (src.from === 'scenario') {
    const result = resultOf(r, c);
    const v = (result?.metrics?.[src.metric] ?? result?.metrics?.[`${src.metric}{scenario:${result?.scenario}}`])?.values;
    if (!v || typeof v.passes !== 'number' || typeof v.fails !== 'number') return undefined;
    return { errors: v.passes, requests: v.passes + v.fails };
  }
  const e = c.evidence as { errors?: unknown; requests?: unknown };
  return typeof e.errors === 'number' && typeof e.requests === 'number' && e.requests >= 0 && e.errors >= 0 ? { errors: e.errors, requests: e.requests } : undefined;
}

function fromChecks(src: Extract<Source, { from: 'check' | 'scenario' }>, row: RowDef, recs: LoadedRecord[]): SourceYield {
  const samples: EvidenceItem[] = [];
  const notes: string[] = [];
  const reads = matcher(src, row);
  // Load checks count from load runs only: a drill's load ran through a pod kill, not the platform's usual week.
  const from = src.from === 'scenario' ? recs.filter((x) => x.record.kind === 'gate' || x.record.kind === 'run') : recs;
  for (const { record: r, file } of from) {
    const hits = r.checks.filter(reads);
    for (const c of hits) {
      if (typeof c.observed !== 'number' || !Number.isFinite(c.observed) || c.status === 'error' || c.status === 'no-data') {
        notes.push(`${r.id} · ${c.id}: ${c.status}, no value (not counted)`);
        continue;
      }
      const value = toRowUnit(c.observed, c.unit, src.assume, row.unit);
      if (value === null) { notes.push(`${r.id} · ${c.id}: unit "${c.unit}" cannot be read as ${row.unit} (not counted)`); continue; }
      const histogram = row.mergePercentile === undefined ? undefined : histogramOf(r, c, src);
      // Counts stand in for the ratio only where they are the ratio the check judged (a check filtered
      // on a tag other than the scenario, or a day with no requests, keeps its own value).
      const raw = row.ratioOfCounts ? countsOf(r, c, src) : undefined;
      const counts = raw && raw.requests > 0 && Math.abs(raw.errors / raw.requests - c.observed) <= 0.0006 ? raw : undefined;
      samples.push({
        source: 'record', value, breach: !compare(value, row.op, row.threshold),
        label: `${r.id} · ${c.id} = ${fmt(c.observed)}${c.unit ? ` ${c.unit}` : ''}`,
        runId: r.id, kind: r.kind, checkId: c.id, startedAt: r.startedAt, observed: c.observed, unit: c.unit,
        checkStatus: c.status, recordFile: file, ...(histogram ? { histogram } : {}), ...(counts ?? {}),
      });
    }
  }
  const what = src.from === 'check' ? `\`${src.id}\`` : `${src.metric} ${src.aggregation} check of a scenario tagged ${row.slug}`;
  return { present: samples.length > 0, samples, notes, missing: `no ${what} (${src.label})` };
}

function fromIncidents(src: Extract<Source, { from: 'incidents' }>, row: RowDef, inputs: Week1Inputs, w: Window): SourceYield {
  if (!inputs.incidents) return { present: false, samples: [], notes: [], missing: 'no incident log given (--incidents FILE)' };
  const { file, incidents } = inputs.incidents;
  const xs = incidents.filter((i) => inWindow(i.detected, w));
  const notes: string[] = [];
  const item = (i: Incident, value: number, what: string): EvidenceItem => ({
    source: 'incidents', value, breach: !compare(value, row.op, row.threshold), label: `${i.source} · ${i.id} (Sev${i.severity}) ${what}`,
    file, line: i.line, where: i.source,
  });
  if (src.measure === 'sev1-count') {
    return { present: true, notes, samples: xs.filter((i) => i.severity === 1).map((i) => ({ ...item(i, 1, i.resolved ? 'resolved' : 'OPEN'), breach: true })) };
  }
  const open = xs.filter((i) => !i.resolved);
  if (open.length) notes.push(`${open.length} incident(s) still open, not in the MTTR: ${open.map((i) => `${i.id} (${i.source})`).join(', ')}`);
  const samples = xs.flatMap((i) => { const m = repairMinutes(i); return m === null ? [] : [item(i, m, `repaired in ${fmtMin(m)}`)]; });
  if (!samples.length && open.length) return { present: false, samples, notes, missing: `${open.length} incident(s) in the window, none resolved yet` };
  return { present: true, samples, notes };
}

function fromFeedback(row: RowDef, inputs: Week1Inputs): SourceYield {
  if (!inputs.feedback) return { present: false, samples: [], notes: [], missing: 'no feedback file given (--feedback)' };
  const { file, entries } = inputs.feedback;
  return {
    present: true, notes: [],
    samples: entries.map((f) => ({
      source: 'feedback' as const, value: f.score, breach: !compare(f.score, row.op, row.threshold),
      label: `${f.source} · ${f.user || 'anonymous'}: ${f.score}/5`, file, line: f.line, where: f.source,
    })),
  };
}

/** The percentile of every request behind the samples, their histograms merged; null unless each sample kept one. */
function mergedPercentile(samples: EvidenceItem[], p: number): { value: number; requests: number } | null {
  if (!samples.length || samples.some((s) => !s.histogram)) return null;
  const all = new TrendSink();
  for (const s of samples) {
    const h = TrendSink.decode(s.histogram!);
    s.requests = h.count;
    all.merge(h);
  }
  const value = all.percentile(p);
  return value === null ? null : { value, requests: all.count };
}

/**
 * All the errors over all the requests behind the samples, in the row's unit; null unless each
 * sample knows counts that agree with the ratio it was judged on. A run's counts are taken once,
 * however many thresholds of one scenario read them.
 */
function pooledRatio(samples: EvidenceItem[], unit: RowUnit): { value: number; errors: number; requests: number } | null {
  if (!samples.length || samples.some((s) => s.errors === undefined || s.requests === undefined)) return null;
  const seen = new Map<string, EvidenceItem>();
  for (const s of samples) seen.set(`${s.runId ?? s.where ?? '?'}|${s.kind === 'gate' || s.kind === 'run' ? s.checkId?.split(':')[0] : s.checkId}`, s);
  const once = [...seen.values()];
  const errors = once.reduce((a, s) => a + s.errors!, 0);
  const requests = once.reduce((a, s) => a + s.requests!, 0);
  if (requests <= 0) return null;
  return { value: (errors / requests) * (unit === 'percent' ? 100 : 1), errors, requests };
}

function aggregate(a: Aggregate, xs: number[]): number {
  switch (a) {
    // No spread: a week may hold hundreds of thousands of samples (scores), past the call stack's reach.
    case 'min': return xs.reduce((m, x) => (x < m ? x : m), Infinity);
    case 'max': return xs.reduce((m, x) => (x > m ? x : m), -Infinity);
    case 'sum': return xs.reduce((s, x) => s + x, 0);
    case 'mean': return xs.reduce((s, x) => s + x, 0) / xs.length;
  }
}

export function evaluateRow(row: RowDef, recs: LoadedRecord[], inputs: Week1Inputs, w: Window): RowResult {
  const ys = row.sources.map((s) =>
    s.from === 'check' || s.from === 'scenario' ? fromChecks(s, row, recs) : s.from === 'incidents' ? fromIncidents(s, row, inputs, w) : fromFeedback(row, inputs));
  const samples = ys.flatMap((y) => y.samples);
  const notes = ys.flatMap((y) => y.notes);
  const base = { slug: row.slug, metric: row.metric, target: row.target, op: row.op, threshold: row.threshold, unit: row.unit, notes };
  if (!ys.some((y) => y.present)) {
    const reason = ys.map((y) => y.missing).filter(Boolean).join('; ');
    const why = row.sources.every((s) => s.from !== 'check' && s.from !== 'scenario') ? reason : `${reason} in the window — ${row.hint}`;
    return { ...base, status: 'NO DATA', value: null, measured: '—', reason: why, evidence: [], breaches: [] };
  }
  if (!samples.length && row.aggregate !== 'sum') {
    const e = row.whenEmpty ?? { measured: 'no samples', status: 'NO DATA' as const, reason: 'sources present but no values' };
    return { ...base, status: e.status, value: null, measured: e.measured, reason: e.reason, evidence: [], breaches: [] };
  }
  const merged = row.mergePercentile === undefined ? null : mergedPercentile(samples, row.mergePercentile);
  if (row.mergePercentile !== undefined && !merged) notes.push('not every run kept its latency histogram (older records): the worst run\'s value stands for the week');
  const pooled = row.ratioOfCounts ? pooledRatio(samples, row.unit) : null;
  if (row.ratioOfCounts && !pooled) {
    const without = samples.filter((s) => s.errors === undefined || s.requests === undefined).map((s) => s.runId ?? s.where ?? '?');
    notes.push(`${without.length ? `${[...new Set(without)].slice(0, 4).join(', ')}${without.length > 4 ? ' …' : ''} kept no request count (older records, or no platform.slis.requests)` : 'no requests counted'}: the worst run's value stands for the week`);
  }
  const value = merged ? merged.value : pooled ? pooled.value : aggregate(row.aggregate, samples.map((s) => s.value));
  const ok = compare(Math.round(value * 1e9) / 1e9, row.op, row.threshold);
  const by = (['record', 'incidents', 'feedback'] as const).map((k) => [k, samples.filter((s) => s.source === k).length] as const).filter(([, n]) => n);
  const parts = by.map(([k, n]) => (k === 'record' ? `${new Set(samples.filter((s) => s.runId).map((s) => s.runId)).size} run(s)` : k === 'incidents' ? `${n} incident(s)` : `${n} score(s)`));
  let measured = row.unit === 'min' ? fmtMin(value) : num(value, row.unit);
  if (merged) {
    measured += ` (p${row.mergePercentile} of ${merged.requests} requests over ${samples.length} runs; worst run ${num(aggregate('max', samples.map((s) => s.value)), row.unit)})`;
  } else if (pooled) {
    measured += ` (${exact(pooled.errors)} errors of ${exact(pooled.requests)} requests over ${samples.length} samples; worst ${num(aggregate('max', samples.map((s) => s.value)), row.unit)})`;
  } else if (row.aggregate === 'min' || row.aggregate === 'max') {
    const worst = row.aggregate === 'min' ? 'lowest' : 'highest';
    measured += ` (${worst} of ${samples.length}`;
    if (row.showMean && samples.length > 1) measured += `; mean ${num(aggregate('mean', samples.map((s) => s.value)), row.unit)}`;
    measured += ')';
  } else if (row.aggregate === 'mean') {
    measured += ` (mean of ${parts.join(', ') || '0'})`;
  } else if (row.aggregate === 'sum') {
    const incidentsSrc = ys[row.sources.findIndex((s) => s.from === 'incidents')];
    const checksSrc = row.sources.map((s, k) => (s.from === 'check' || s.from === 'scenario' ? ys[k]! : null)).filter((y): y is SourceYield => !!y);
    const sev1 = incidentsSrc?.present ? incidentsSrc.samples.length : null;
    const alerts = checksSrc.some((y) => y.present) ? checksSrc.flatMap((y) => y.samples).reduce((s, x) => s + x.value, 0) : null;
    const bits = [sev1 !== null ? `${sev1} Sev1 incident(s)` : 'no incident log', alerts !== null ? `${alerts} critical alert(s) at daily checks` : 'no daily checks'];
    measured += ` (${bits.join(' + ')})`;
  }
  // Day coverage where the row rests on run records alone: an incident log or feedback file covers
  // the whole window by itself.
  const fromRecords = (s: Source) => s.from === 'check' || s.from === 'scenario';
  const inputCovered = row.sources.some((s, k) => !fromRecords(s) && ys[k]!.present);
  const days = !inputCovered && row.sources.some(fromRecords) ? dayCoverage(samples, w) : undefined;
  if (days && days.measured < days.of) measured += ` — measured on ${days.measured} of ${days.of} days`;
  return {
    ...base, status: ok ? 'PASS' : 'FAIL', value, measured, evidence: samples, days,
    // min/max/sum: the samples that miss the target on their own are what failed the row. A mean
    // is judged as a whole: single low scores are listed as contributors only when the mean fails.
    breaches: (row.aggregate === 'mean' || merged || pooled) && ok ? [] : samples.filter((s) => s.breach && (row.aggregate !== 'sum' || s.value > 0)),
  };
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * The window's days — 24-hour slots counted from `since`, so a 7-day window is 7 days wherever it
 * starts — and how many of them have a sample from a run record.
 */
export function dayCoverage(samples: EvidenceItem[], w: Window): { measured: number; of: number } {
  const from = w.since.getTime();
  const of = Math.max(1, Math.ceil((w.until.getTime() - from) / DAY_MS));
  const seen = new Set(samples.filter((s) => s.source === 'record' && s.startedAt)
    .map((s) => Math.floor((Date.parse(s.startedAt!) - from) / DAY_MS)).filter((d) => d >= 0 && d < of));
  return { measured: seen.size, of };
}

/** A PASS that rests on fewer days than the window holds proves nothing about the others. */
export const isPartial = (r: RowResult) => r.status === 'PASS' && r.days !== undefined && r.days.measured < r.days.of;

/** The table's headline: FAIL on any failed row; INCOMPLETE when a row has no data or is partial; else PASS. */
export function week1Verdict(rows: RowResult[]): 'PASS' | 'FAIL' | 'INCOMPLETE' {
  if (rows.some((r) => r.status === 'FAIL')) return 'FAIL';
  if (rows.some((r) => r.status === 'NO DATA' || isPartial(r))) return 'INCOMPLETE';
  return 'PASS';
}

/** The table at the profile's targets (`slos`); the rows it judged are `week1Rows(slos)`. */
export function buildWeek1(scan: RecordScan, inputs: Week1Inputs, w: Window, slos: Slos = SEED_SLOS): Week1Report {
  const rows = week1Rows(slos).map((r) => evaluateRow(r, scan.used, inputs, w));
  const verdict = week1Verdict(rows);
  const inc = inputs.incidents;
  const incInWindow = inc ? inc.incidents.filter((i) => inWindow(i.detected, w)) : [];
  const scores = inputs.feedback?.entries.map((f) => f.score) ?? [];
  return {
    generatedAt: new Date().toISOString(),
    window: { since: w.since.toISOString(), until: w.until.toISOString() },
    rows,
    summary: {
      pass: rows.filter((r) => r.status === 'PASS').length,
      fail: rows.filter((r) => r.status === 'FAIL').length,
      noData: rows.filter((r) => r.status === 'NO DATA').length,
      partial: rows.filter(isPartial).length,
      // A run that saw a failure and then did not finish is not counted, but the week is no PASS with it.
      verdict: verdict === 'PASS' && scan.abortedFailing.length ? 'INCOMPLETE' : verdict,
    },
    records: { dir: scan.dir, found: scan.found, used: scan.used.length, outsideWindow: scan.outsideWindow, aborted: scan.aborted, otherPlatform: scan.otherPlatform, skipped: scan.skipped },
    incidents: inc && {
      file: inc.file, total: inc.incidents.length, inWindow: incInWindow.length, outsideWindow: inc.incidents.length - incInWindow.length,
      open: incInWindow.filter((i) => !i.resolved).length, bySeverity: severitySummary(incInWindow, slos.severities),
    },
    feedback: inputs.feedback && {
      file: inputs.feedback.file, count: scores.length,
      mean: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
      min: scores.length ? aggregate('min', scores) : null, max: scores.length ? aggregate('max', scores) : null,
    },
    charts: { gate: gateChartData(scan.used), drill: drillChartData(scan.used) },
    targets: { p95Ms: slos.inferenceP95Ms, throughputMsgS: slos.kafkaThroughputMsgS },
  };
}

/**
 * The newest load run with timelines: a gate if there is one, else a single-scenario run. The
 * charted scenarios are the ones its plan tags response-time-p95 (HTTP) and kafka-throughput (a
 * Kafka producer, whose batch size turns iterations into messages); a record without a plan has no
 * throughput chart rather than one drawn with a guessed batch size.
 */
function gateChartData(recs: LoadedRecord[]): Week1Report['charts']['gate'] {
  const withScenarios = recs.filter((x) => Array.isArray(x.record.data.scenarios) && (x.record.data.scenarios as unknown[]).length);
  const pick = [...withScenarios].reverse().find((x) => x.record.kind === 'gate') ?? withScenarios[withScenarios.length - 1];
  if (!pick) return null;
  const scenarios = pick.record.data.scenarios as ScenarioResult[];
  const planned = ((pick.record.data.plan as { scenarios?: Scenario[] } | undefined)?.scenarios ?? []).filter((s) => s && Array.isArray(s.slo) && s.target);
  const tagged = (slo: string, kind: Scenario['target']['kind']) => planned.find((s) => s.slo.includes(slo as SloId) && s.target.kind === kind);
  const latPlan = tagged('response-time-p95', 'http');
  const tpPlan = tagged('kafka-throughput', 'kafka-produce');
  const lat = scenarios.find((s) => s.scenario === (latPlan?.name ?? 'inference-latency') && Array.isArray(s.timeline));
  const tp = tpPlan ? scenarios.find((s) => s.scenario === tpPlan.name && Array.isArray(s.timeline)) : undefined;
  const batchSize = tpPlan?.target.kind === 'kafka-produce' ? tpPlan.target.batchSize : 1;
  return {
    runId: pick.record.id, startedAt: pick.record.startedAt, recordFile: pick.file,
    latency: lat ? { scenario: lat.scenario, points: lat.timeline.map((p) => ({ t: p.t, p95: p.p95 })) } : null,
    throughput: tp ? { scenario: tp.scenario, batchSize, points: tp.timeline.map((p) => ({ t: p.t, msgPerS: (p.iterations - p.failed) * batchSize })) } : null,
  };
}

function drillChartData(recs: LoadedRecord[]): Week1Report['charts']['drill'] {
  const drills = recs.filter((x) => (x.record.kind === 'drill' || x.record.kind.startsWith('drill')) && Array.isArray(x.record.data.timeline));
  const pick = drills[drills.length - 1];
  if (!pick) return null;
  const { events: timeline, sloMs } = drillTimeline(pick.record);
  const events = timeline.map((e) => ({ event: e.event, atMs: e.atMs }));
  if (!events.length) return null;
  return { runId: pick.record.id, startedAt: pick.record.startedAt, recordFile: pick.file, events, sloMs };
}

// ---------------------------------------------------------------------------------------------
// Output: each output directory gets its own relative evidence links.

const href = (outDir: string, file: string) => relative(outDir, file).split(sep).join('/');

/** The report with record paths relative to where it is written (the JSON output). */
export function forOutput(r: Week1Report, outDir: string) {
  const ev = (e: EvidenceItem) => {
    // The histograms stay in the records they came from: the table names the record.
    const { recordFile, histogram: _h, ...rest } = e;
    return recordFile ? { ...rest, recordPath: href(outDir, recordFile) } : rest;
  };
  return {
    ...r,
    rows: r.rows.map((row) => ({ ...row, evidence: row.evidence.map(ev), breaches: row.breaches.map(ev) })),
    charts: {
      gate: r.charts.gate && { ...r.charts.gate, recordFile: undefined, recordPath: href(outDir, r.charts.gate.recordFile) },
      drill: r.charts.drill && { ...r.charts.drill, recordFile: undefined, recordPath: href(outDir, r.charts.drill.recordFile) },
    },
  };
}

export function week1Json(r: Week1Report, outDir: string): string {
  return JSON.stringify(forOutput(r, outDir), null, 2) + '\n';
}

const STATUS_CLASS: Record<RowStatus, string> = { PASS: 'pass', FAIL: 'fail', 'NO DATA': 'nodata' };
const STATUS_ICON: Record<RowStatus, string> = { PASS: '✅', FAIL: '❌', 'NO DATA': '➖' };
const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const MAX_LINKS = 8;

function tableView(r: Week1Report, outDir: string | null) {
  return {
    rows: r.rows.map((row) => {
      const shown = [...row.breaches, ...row.evidence.filter((e) => !row.breaches.includes(e))].slice(0, MAX_LINKS);
      const breachRuns = [...new Set(row.breaches.map((b) => b.runId ?? b.where))];
      return {
        ...row, statusClass: STATUS_CLASS[row.status], emoji: STATUS_ICON[row.status],
        evidenceCount: row.evidence.length,
        more: Math.max(0, row.evidence.length - shown.length),
        links: shown.map((e) => ({
          label: e.label, breach: row.breaches.includes(e),
          href: outDir && e.recordFile ? href(outDir, e.recordFile) : null,
        })),
        md: {
          measured: mdCell(row.measured),
          evidence: mdCell(row.status === 'NO DATA'
            ? row.reason ?? ''
            : row.status === 'FAIL'
              ? `breached by ${breachRuns.slice(0, 4).join(', ')}${breachRuns.length > 4 ? ` +${breachRuns.length - 4}` : ''}`
              : `${row.evidence.length} sample(s)${row.evidence[0]?.runId ? `, e.g. ${row.evidence[0].runId}` : row.evidence[0]?.where ? `, e.g. ${row.evidence[0].where}` : ''}`),
        },
      };
    }),
  };
}

function severityView(r: Week1Report) {
  if (!r.incidents) return null;
  const cell = (v: number | null) => (v === null ? '—' : fmtMin(v));
  const ok = (v: boolean | null) => (v === null ? '—' : v ? 'PASS' : 'FAIL');
  return r.incidents.bySeverity.map((s) => ({
    label: s.label, count: s.count, open: s.open,
    response: cell(s.meanResponseMin), responseTarget: fmtMin(s.targets.respondMin), responseStatus: ok(s.responseOk),
    mttr: cell(s.mttrMin), mttrTarget: fmtMin(s.targets.mttrMin), mttrStatus: ok(s.mttrOk),
    detectTarget: fmtMin(s.targets.detectMin),
  }));
}

function baseView(r: Week1Report) {
  return {
    title: 'Week-1 success criteria',
    generatedAt: r.generatedAt, since: r.window.since, until: r.window.until,
    summary: r.summary, verdict: r.summary.verdict, verdictClass: r.summary.verdict.toLowerCase(),
    records: r.records,
    // A long list of left-out records would bury the table: the Markdown shows the first ones.
    skippedShown: r.records.skipped.slice(0, 20), skippedMore: Math.max(0, r.records.skipped.length - 20),
    incidents: r.incidents, severity: severityView(r),
    feedback: r.feedback && { ...r.feedback, meanText: r.feedback.mean === null ? '—' : fmt(Math.round(r.feedback.mean * 100) / 100) },
    notes: r.rows.flatMap((row) => row.notes.map((n) => `${row.metric}: ${n}`)),
  };
}

export function week1Markdown(r: Week1Report): string {
  const table = render('partials/criteria-table.md.hbs', tableView(r, null));
  return render('week1.md.hbs', { ...baseView(r), table });
}

export function week1Html(r: Week1Report, outDir: string): string {
  const table = render('partials/criteria-table.html.hbs', tableView(r, outDir));
  const chart = (title: string, svg: string | null, note: string, source?: { label: string; href: string }, wide = false) =>
    render('partials/chart.html.hbs', { title, svg, note, source, wide });
  const charts: string[] = [];
  const g = r.charts.gate;
  const gSource = g ? { label: `${g.runId} (${g.startedAt})`, href: href(outDir, g.recordFile) } : undefined;
  charts.push(g?.latency
    ? chart('Latency over time', lineChart({
      title: `${g.latency.scenario}: p95 response time per second`, xLabel: 'seconds into the scenario', yLabel: 'p95 latency (ms)',
      series: [{ name: 'p95 (ms)', points: g.latency.points.map((p) => ({ x: p.t, y: p.p95 })) }],
      threshold: { y: r.targets.p95Ms, label: `target p95 < ${n(r.targets.p95Ms)} ms` },
    }), 'Per-second p95 of the open-model inference load in the newest gate run.', gSource)
    : chart('Latency over time', null, 'No gate run with an inference-latency timeline in the window (run `harness gate`).'));
  charts.push(g?.throughput
    ? chart('Throughput over time', lineChart({
      title: `${g.throughput.scenario}: messages acknowledged per second`,
      xLabel: 'seconds into the scenario', yLabel: `msg/s (iterations × ${g.throughput.batchSize})`,
      series: [{ name: 'msg/s', points: g.throughput.points.map((p) => ({ x: p.t, y: p.msgPerS })), color: '#16a34a' }],
      threshold: { y: r.targets.throughputMsgS, label: `target ≥ ${n(r.targets.throughputMsgS)} msg/s` },
    }), `Successful produce iterations per second × ${g.throughput.batchSize} messages each, newest gate run.`, gSource)
    : chart('Throughput over time', null, 'No gate run with a kafka-throughput timeline in the window (run `harness gate`).'));
  const d = r.charts.drill;
  charts.push(d
    ? chart('Recovery timeline', recoveryTimelineSvg(d.events, d.sloMs), 'Times after the kill, from the newest drill record in the window.', { label: `${d.runId} (${d.startedAt})`, href: href(outDir, d.recordFile) }, true)
    : chart('Recovery timeline', null, 'No drill in the window, so no recovery timeline (run `harness drill wednesday`).', undefined, true));
  return render('week1.html.hbs', { ...baseView(r), table, charts });
}
