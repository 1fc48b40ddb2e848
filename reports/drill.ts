import type { RunRecord } from '../core/record.ts';
import { render } from './render.ts';

/** The drill report: the record's timeline and checks, nothing computed here. */
export function drillMarkdown(r: RunRecord): string {
  const timeline = ((r.data.timeline ?? []) as Array<{ atMs: number }>).map((e) => ({ ...e, secs: (e.atMs / 1000).toFixed(2) }));
  return render('drill.md.hbs', { ...r, pass: r.status === 'pass', plan: r.data.plan, timeline });
}
