import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { configFrom, profileFrom, runOpts } from '../context.ts';
import { runCommand } from '../../core/run.ts';
import { UsageError } from '../../core/errors.ts';
import { runsDir } from '../../core/config.ts';
import { writeFileAtomic, type CheckStatus } from '../../core/record.ts';
import { parseFeedback, parseIncidents } from '../../reports/inputs.ts';
import {
  buildWeek1, describeSources, isPartial, week1Rows, loadRecords, week1Html, week1Json, week1Markdown,
  type RowResult, type Week1Inputs, type Window,
} from '../../reports/week1.ts';

export interface Week1Opts {
  from?: string; since?: string; until?: string; incidents?: string; feedback?: string; format: string; out?: string;
}

const FORMATS = ['md', 'html', 'json'] as const;
type Format = (typeof FORMATS)[number];
const DAY_MS = 24 * 3600 * 1000;

function parseTime(flag: string, v: string): Date {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || !Number.isFinite(t)) {
    throw new UsageError(flag, `not an ISO date or timestamp: ${JSON.stringify(v)} (e.g. 2026-11-16 or 2026-11-16T08:00:00Z)`);
  }
  return new Date(t);
}

export function windowFrom(o: { since?: string; until?: string }, now = new Date()): Window {
  const until = o.until ? parseTime('--until', o.until) : now;
  const since = o.since ? parseTime('--since', o.since) : new Date(until.getTime() - 7 * DAY_MS);
  if (since.getTime() >= until.getTime()) throw new UsageError('--since', `${since.toISOString()} is not before --until ${until.toISOString()}`);
  return { since, until };
}

function parseFormats(v: string): Format[] {
  const fs = v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = fs.filter((f) => !(FORMATS as readonly string[]).includes(f));
  if (bad.length || !fs.length) throw new UsageError('--format', `unknown format ${bad.join(',') || '(empty)'}; choose from ${FORMATS.join(',')}`);
  return [...new Set(fs)] as Format[];
}

// A PASS on fewer days than the window holds is not a pass of the week: no data for the rest.
const checkStatus = (r: RowResult): CheckStatus => (isPartial(r) ? 'no-data' : r.status === 'PASS' ? 'pass' : r.status === 'FAIL' ? 'fail' : 'no-data');

export async function week1(cmd: Command, o: Week1Opts): Promise<number> {
  // Everything a user can get wrong is checked before the run starts: a bad input exits 2 and
  // leaves no record and no report, so an earlier good report stays as it was.
  const cfg = configFrom(cmd);
  const lp = profileFrom(cmd, cfg);
  const platform = lp.profile.name;
  const runs = runsDir(cfg);
  const from = resolve(o.from ?? runs);
  if (!existsSync(from) || !statSync(from).isDirectory()) throw new UsageError('--from', `not a directory: ${from}`);
  if (o.out !== undefined && o.out.trim() === '') throw new UsageError('--out', 'names no folder');
  const w = windowFrom(o);
  const formats = parseFormats(o.format);
  const inputs: Week1Inputs = {
    incidents: o.incidents ? { file: o.incidents, incidents: parseIncidents(o.incidents) } : null,
    feedback: o.feedback ? { file: o.feedback, entries: parseFeedback(o.feedback) } : null,
  };
  let markdown = '';

  return runCommand({ ...runOpts(cmd, 'report-week1', cfg, lp) }, async (ctx) => {
    const scan = loadRecords(from, w, (m) => process.stderr.write(`${m}\n`), platform);
    ctx.progress(`week-1 report (platform ${platform}): ${scan.used.length} run record(s) in ${w.since.toISOString()} → ${w.until.toISOString()} (${scan.found} found in ${from})`);
    const report = buildWeek1(scan, inputs, w, lp.profile.slos);
    const defs = week1Rows(lp.profile.slos);

    for (const row of report.rows) {
      const def = defs.find((d) => d.slug === row.slug)!;
      const where = row.evidence.length
        ? [...new Set(row.evidence.map((e) => (e.recordFile ? relative(process.cwd(), e.recordFile) : e.where!)))]
        : [];
      ctx.rec.addCheck({
        id: `week1.${row.slug}`,
        title: `${row.metric} ${row.target}`,
        target: `${row.op}${row.threshold}`,
        observed: row.value === null ? (row.status === 'NO DATA' ? null : row.measured) : Math.round(row.value * 1000) / 1000,
        unit: row.unit,
        status: checkStatus(row),
        evidence: {
          what: `${row.metric}: ${def.aggregate} over ${describeSources(def)}`,
          how: row.status === 'NO DATA' ? `no data: ${row.reason}` : `measured ${row.measured} from ${row.evidence.length} sample(s)`,
          days: row.days,
          where: where.length ? where.slice(0, 10).join(', ') + (where.length > 10 ? ` … +${where.length - 10}` : '') : from,
          breaches: row.breaches.map((b) => b.label),
        },
      });
    }
    if (scan.abortedFailing.length) {
      ctx.rec.addCheck({
        id: 'week1.unfinished-runs', title: 'no run of the week saw a failure and then did not finish', target: '==0',
        observed: scan.abortedFailing.length, unit: 'runs', status: 'no-data',
        evidence: { what: `${scan.abortedFailing.length} aborted run(s) saw a failing check before they ended; they are left out of the rows, so the week cannot be called a PASS`, how: 'record status aborted with a failed check', where: scan.abortedFailing.map((f) => relative(process.cwd(), f)).join(', ') },
      });
    }
    ctx.rec.setData('week1', {
      window: report.window, summary: report.summary, from,
      records: { found: scan.found, used: scan.used.length, outsideWindow: scan.outsideWindow, skipped: scan.skipped.length },
      incidents: report.incidents && { file: report.incidents.file, inWindow: report.incidents.inWindow, open: report.incidents.open },
      feedback: report.feedback && { file: report.feedback.file, count: report.feedback.count, mean: report.feedback.mean },
    });

    // Render everything first, then write each file atomically: nothing half-written survives.
    const targets: Array<{ dir: string; base: string }> = o.out
      ? [{ dir: resolve(o.out), base: 'week1' }]
      : [{ dir: ctx.rec.dir, base: 'week1' }, { dir: runs, base: 'latest-week1' }];
    markdown = week1Markdown(report);
    const files: Array<{ path: string; content: string }> = [];
    for (const t of targets) {
      for (const f of formats) {
        const content = f === 'md' ? markdown : f === 'html' ? week1Html(report, t.dir) : week1Json(report, t.dir);
        files.push({ path: join(t.dir, `${t.base}.${f}`), content });
      }
    }
    for (const t of targets) mkdirSync(t.dir, { recursive: true });
    for (const f of files) writeFileAtomic(f.path, f.content);
    ctx.rec.setData('outputs', files.map((f) => f.path));
    for (const f of files) ctx.progress(`wrote ${relative(process.cwd(), f.path) || f.path}`);
  }, () => process.stdout.write(markdown));
}
