import type { RunRecord } from '../core/record.ts';
import { render } from './render.ts';

export function dailyMarkdown(r: RunRecord): string {
  return render('daily.md.hbs', {
    ...r, pass: r.status === 'pass', total: r.checks.length,
    passed: r.checks.filter((c) => c.status === 'pass').length,
  });
}
