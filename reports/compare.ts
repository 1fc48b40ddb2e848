import type { RunRecord } from '../core/record.ts';
import { render } from '../core/render.ts';

/** The comparison of two load runs, from its record alone: one row per baseline check. */
export function compareMarkdown(r: RunRecord): string {
  const d = r.data as { baseline?: { runId: string }; current?: { runId: string }; alpha?: number };
  const checks = r.checks.map((c) => ({ ...c, scenario: c.id.split(':')[1] ?? '', metric: c.id.split(':').slice(2).join(':') }));
  const verdict = r.status === 'pass' ? 'pass' : r.status === 'fail' ? 'fail' : r.status === 'incomplete' ? 'no-data' : 'error';
  return render('compare.md.hbs', { status: r.status, verdict, baseline: d.baseline?.runId, current: d.current?.runId, alpha: d.alpha, checks });
}
