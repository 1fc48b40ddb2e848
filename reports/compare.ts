import type { RunRecord } from '../core/record.ts';
import { render } from '../core/render.ts';
import { lineChart } from './charts.ts';
import { runView } from './view.ts';

/** The comparison of two load runs, from its record alone: one row per baseline check. */
export function compareMarkdown(r: RunRecord): string {
  const d = r.data as { baseline?: { runId: string }; current?: { runId: string }; alpha?: number };
  const checks = r.checks.map((c) => ({ ...c, scenario: c.id.split(':')[1] ?? '', metric: c.id.split(':').slice(2).join(':') }));
  const verdict = r.status === 'pass' ? 'pass' : r.status === 'fail' ? 'fail' : r.status === 'incomplete' ? 'no-data' : 'error';
  return render('compare.md.hbs', { status: r.status, verdict, baseline: d.baseline?.runId, current: d.current?.runId, alpha: d.alpha, checks });
}

interface LatencyEvidence {
  baseline?: { runId?: string };
  distribution?: { quantiles: number[]; baseline: number[]; current: number[] } | null;
  series?: { baseline: number[]; current: number[] };
}

/**
 * The comparison as a page: per scenario, both runs' latency distributions (their HDR histograms at
 * the same percentiles) and the per-second p95 series the test compared, then every check. Reads
 * the record alone: the comparison stored what it drew.
 */
export function baselineCharts(r: RunRecord): Array<{ title: string; svg: string | null; note: string }> {
  const out: Array<{ title: string; svg: string | null; note: string }> = [];
  for (const c of r.checks.filter((x) => /^baseline:[^:]+:[^:]+:p95$/.test(x.id))) {
    const scenario = c.id.split(':')[1]!;
    const e = c.evidence as unknown as LatencyEvidence;
    const base = `baseline ${e.baseline?.runId ?? ''}`.trim();
    const d = e.distribution;
    out.push(d
      ? { title: `${scenario}: latency distribution`, note: `Each run's latency at the same percentiles, from its HDR histogram (${c.status === 'fail' ? 'a regression' : 'no regression'}: ${c.evidence.what}).`,
        svg: lineChart({ title: `${scenario}: latency by percentile`, xLabel: 'percentile', yLabel: 'ms', series: [
          { name: base, points: d.quantiles.map((q, i) => ({ x: q, y: d.baseline[i] ?? null })), color: '#6b7280' },
          { name: 'current', points: d.quantiles.map((q, i) => ({ x: q, y: d.current[i] ?? null })), color: c.status === 'fail' ? '#dc2626' : '#2563eb' },
        ] }) }
      : { title: `${scenario}: latency distribution`, svg: null, note: 'One of the runs kept no latency histogram (an older record).' });
    if (e.series) {
      const s = e.series;
      out.push({ title: `${scenario}: per-second p95`, note: `The ${s.baseline.length} and ${s.current.length} per-second p95 values the Mann–Whitney test compared.`,
        svg: lineChart({ title: `${scenario}: p95 of each second`, xLabel: 'second of the run', yLabel: 'p95 (ms)', series: [
          { name: base, points: s.baseline.map((y, i) => ({ x: i + 1, y })), color: '#6b7280' },
          { name: 'current', points: s.current.map((y, i) => ({ x: i + 1, y })), color: c.status === 'fail' ? '#dc2626' : '#2563eb' },
        ] }) });
    }
  }
  return out;
}

export function compareHtml(r: RunRecord): string {
  const d = r.data as { baseline?: { runId: string }; current?: { runId: string }; alpha?: number; options?: { alpha?: number } };
  const view = runView({ ...r, checks: r.checks.filter((c) => c.id.startsWith('baseline:')) }, r.kind === 'compare' ? 'Baseline comparison' : `Against baseline (${r.kind} ${r.id})`);
  return render('compare.html.hbs', {
    ...view, baseline: d.baseline?.runId, current: d.current?.runId ?? r.id, alpha: d.alpha ?? d.options?.alpha, charts: baselineCharts(r),
  });
}
