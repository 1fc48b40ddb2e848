/**
 * The two week-1 inputs that no probe can measure: the incident log and the user-feedback scores.
 * Both come as CSV (with a header) or JSON (an array of the same objects). Every error names the
 * file and the line (CSV) or the array index (JSON) and the field, so a user can fix it in one go;
 * a bad file is a usage error (exit 2) and no report is written.
 */
import { extname } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../core/errors.ts';
import { readUserFile } from '../core/files.ts';

/** An incident log or feedback file is read whole; this bounds it (far above any real week's). */
const MAX_INPUT_BYTES = 256 << 20;

export type SeverityLevel = 1 | 2 | 3 | 4;

export interface Incident {
  id: string;
  severity: SeverityLevel;
  detected: string;
  responded: string | null;
  resolved: string | null;
  summary: string;
  /** Where it came from: `file:line` (CSV) or `file[index]` (JSON). */
  source: string;
  line: number;
}

export interface Feedback {
  user: string;
  score: number;
  comment: string;
  date: string | null;
  source: string;
  line: number;
}

/** Minutes to detect, respond and resolve, by severity: the profile's `slos.severities` (docs/slos.md). */
export type SeverityTargets = Record<SeverityLevel, { detectMin: number; respondMin: number; mttrMin: number }>;

// ---------------------------------------------------------------------------------------------
// CSV: RFC 4180 (quoted fields may hold commas, quotes doubled, newlines); blank lines and
// `#` comment lines are skipped. Each row keeps the line it starts on.

export interface CsvRow { line: number; cells: string[] }

export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let line = 1;
  let i = 0;
  const s = text.replace(/^\uFEFF/, '');
  while (i < s.length) {
    const start = line;
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    let inQuotes = false;
    for (; i < s.length; i++) {
      const ch = s[i]!;
      if (inQuotes) {
        if (ch === '"' && s[i + 1] === '"') { cell += '"'; i++; }
        else if (ch === '"') inQuotes = false;
        else { if (ch === '\n') line++; cell += ch; }
      } else if (ch === '"' && cell.trim() === '') { inQuotes = true; quoted = true; cell = ''; }
      else if (ch === ',') { cells.push(quoted ? cell : cell.trim()); cell = ''; quoted = false; }
      else if (ch === '\n' || ch === '\r') {
        if (ch === '\r' && s[i + 1] === '\n') i++;
        i++; line++;
        break;
      } else cell += ch;
    }
    cells.push(quoted ? cell : cell.trim());
    const blank = cells.length === 1 && cells[0] === '' && !quoted;
    if (!blank && !cells[0]!.startsWith('#')) rows.push({ line: start, cells });
  }
  return rows;
}

interface RawRecord { where: string; line: number; value: Record<string, unknown> }

/** CSV or JSON (by extension, or by content when the extension says neither) into raw objects. */
function readRecords(file: string, label: string, columns: readonly string[], required: readonly string[]): RawRecord[] {
  const { text } = readUserFile(file, label, MAX_INPUT_BYTES);
  const ext = extname(file).toLowerCase();
  const json = ext === '.json' || (ext !== '.csv' && /^\s*[[{]/.test(text));
  if (json) {
    let data: unknown;
    try { data = JSON.parse(text); } catch (e) { throw new UsageError(file, `not valid JSON: ${(e as Error).message}`); }
    if (!Array.isArray(data)) throw new UsageError(file, 'expected a JSON array of objects');
    return data.map((value, index) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new UsageError(`${file}[${index}]`, 'expected an object');
      }
      return { where: `${file}[${index}]`, line: index, value: value as Record<string, unknown> };
    });
  }
  const rows = parseCsv(text);
  const header = rows.shift();
  if (!header) throw new UsageError(file, `empty file; expected a header line: ${columns.join(',')}`);
  const names = header.cells.map((c) => c.trim().toLowerCase());
  const missing = required.filter((c) => !names.includes(c));
  if (missing.length) {
    throw new UsageError(`${file}:${header.line}`, `header lacks ${missing.join(', ')}; expected: ${columns.join(',')}`);
  }
  const unknown = names.filter((n) => !columns.includes(n));
  if (unknown.length) throw new UsageError(`${file}:${header.line}`, `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected: ${columns.join(',')}`);
  return rows.map((r) => {
    // Every row has every column (empty where it has no value): a short row is a broken row, not one with blanks.
    if (r.cells.length !== names.length) {
      throw new UsageError(`${file}:${r.line}`, `${r.cells.length} fields, the header has ${names.length}${r.cells.length > names.length ? ' (quote fields that contain commas)' : ' (leave a field empty, but keep its comma)'}`);
    }
    const value: Record<string, unknown> = {};
    names.forEach((n, k) => { value[n] = r.cells[k] ?? ''; });
    return { where: `${file}:${r.line}`, line: r.line, value };
  });
}

/** All issues of all rows, the first one as the UsageError's field, the rest listed below it. */
function fail(issues: Array<{ where: string; field: string; message: string }>): never {
  const [first, ...rest] = issues;
  const more = rest.slice(0, 20).map((x) => `\n  ${x.where}: ${x.field}: ${x.message}`).join('');
  const cut = rest.length > 20 ? `\n  … and ${rest.length - 20} more` : '';
  throw new UsageError(`${first!.where}: ${first!.field}`, `${first!.message}${more}${cut}`);
}

/** A row's issue; a misspelt field is named, not dropped. */
function issueOf(i: z.core.$ZodIssue): { field: string; message: string } {
  if (i.code === 'unrecognized_keys') return { field: i.keys.join(', '), message: `unknown field${i.keys.length > 1 ? 's' : ''}` };
  return { field: String(i.path[0] ?? 'row'), message: i.message };
}

const emptyToNull = (v: unknown) => (v === '' || v === undefined ? null : v);
const ISO_HINT = 'not an ISO timestamp (expected e.g. 2026-11-17T09:30:00Z)';
const isoTimestamp = z.string({ error: ISO_HINT }).trim().pipe(z.iso.datetime({ offset: true, error: ISO_HINT }));

const IncidentSchema = z.strictObject({
  id: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string({ error: 'required' }).trim().min(1, 'required')),
  severity: z.preprocess((v) => {
    if (typeof v === 'number') return v;
    const m = String(v ?? '').trim().match(/^(?:sev[-\s]?)?([1-4])$/i);
    return m ? Number(m[1]) : v;
  }, z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)], { error: 'expected sev1, sev2, sev3, sev4 (or 1–4)' })),
  detected: z.preprocess(emptyToNull, isoTimestamp),
  responded: z.preprocess(emptyToNull, isoTimestamp.nullable()),
  resolved: z.preprocess(emptyToNull, isoTimestamp.nullable()),
  summary: z.preprocess((v) => v ?? '', z.string()),
});

const INCIDENT_COLUMNS = ['id', 'severity', 'detected', 'responded', 'resolved', 'summary'] as const;

export function parseIncidents(file: string): Incident[] {
  const raw = readRecords(file, '--incidents', INCIDENT_COLUMNS, ['id', 'severity', 'detected', 'resolved']);
  const issues: Array<{ where: string; field: string; message: string }> = [];
  const out: Incident[] = [];
  const seen = new Map<string, string>();
  for (const r of raw) {
    const p = IncidentSchema.safeParse(r.value);
    if (!p.success) {
      for (const i of p.error.issues) issues.push({ where: r.where, ...issueOf(i) });
      continue;
    }
    const v = p.data;
    const d = Date.parse(v.detected);
    if (v.responded !== null && Date.parse(v.responded) < d) {
      issues.push({ where: r.where, field: 'responded', message: `${v.responded} is before detected ${v.detected}` });
    }
    if (v.resolved !== null && Date.parse(v.resolved) < (v.responded !== null ? Date.parse(v.responded) : d)) {
      issues.push({ where: r.where, field: 'resolved', message: `${v.resolved} is before ${v.responded !== null ? `responded ${v.responded}` : `detected ${v.detected}`}` });
    }
    const dup = seen.get(v.id);
    if (dup) issues.push({ where: r.where, field: 'id', message: `duplicate id "${v.id}" (first at ${dup})` });
    seen.set(v.id, r.where);
    out.push({ ...v, severity: v.severity as SeverityLevel, source: r.where, line: r.line });
  }
  if (issues.length) fail(issues);
  return out;
}

const FeedbackSchema = z.strictObject({
  user: z.preprocess((v) => (v === undefined || v === null ? '' : String(v)), z.string()),
  score: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v === '' ? undefined : v),
    z.number({ error: (i) => (i.input === undefined ? 'required (a number 1–5)' : `not a number: ${JSON.stringify(i.input)} (expected 1–5)`) })
      .min(1, 'out of range: must be 1–5').max(5, 'out of range: must be 1–5'),
  ),
  comment: z.preprocess((v) => v ?? '', z.string()),
  date: z.preprocess(emptyToNull, z.string().trim()
    .refine((s) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && Number.isFinite(Date.parse(s)), 'not an ISO date (expected e.g. 2026-11-20)')
    .nullable()),
});

export function parseFeedback(file: string): Feedback[] {
  const raw = readRecords(file, '--feedback', ['user', 'score', 'comment', 'date'], ['score']);
  const issues: Array<{ where: string; field: string; message: string }> = [];
  const out: Feedback[] = [];
  for (const r of raw) {
    const p = FeedbackSchema.safeParse(r.value);
    if (!p.success) {
      for (const i of p.error.issues) {
        const x = issueOf(i);
        const shown = x.field === 'score' && r.value.score !== undefined ? ` (got ${JSON.stringify(r.value.score)})` : '';
        issues.push({ where: r.where, ...x, message: x.message + (x.message.startsWith('out of range') ? shown : '') });
      }
      continue;
    }
    out.push({ ...p.data, source: r.where, line: r.line });
  }
  if (issues.length) fail(issues);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Summaries

const minutes = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 60_000;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export interface SeveritySummary {
  severity: SeverityLevel;
  label: string;
  count: number;
  open: number;
  /** Mean responded − detected, minutes; null when no incident of this severity has a response time. */
  meanResponseMin: number | null;
  /** Mean resolved − detected over resolved incidents, minutes. */
  mttrMin: number | null;
  targets: { detectMin: number; respondMin: number; mttrMin: number };
  responseOk: boolean | null;
  mttrOk: boolean | null;
}

export function severitySummary(incidents: Incident[], targetsBy: SeverityTargets): SeveritySummary[] {
  return ([1, 2, 3, 4] as const).map((severity) => {
    const xs = incidents.filter((i) => i.severity === severity);
    const responses = xs.filter((i) => i.responded).map((i) => minutes(i.detected, i.responded!));
    const repairs = xs.filter((i) => i.resolved).map((i) => minutes(i.detected, i.resolved!));
    const targets = targetsBy[severity];
    const meanResponseMin = mean(responses);
    const mttrMin = mean(repairs);
    return {
      severity, label: `Sev${severity}`, count: xs.length, open: xs.filter((i) => !i.resolved).length,
      meanResponseMin, mttrMin, targets,
      responseOk: meanResponseMin === null ? null : meanResponseMin <= targets.respondMin,
      mttrOk: mttrMin === null ? null : mttrMin <= targets.mttrMin,
    };
  });
}

export function repairMinutes(i: Incident): number | null {
  return i.resolved ? minutes(i.detected, i.resolved) : null;
}
