import type { RunRecord } from '../core/record.ts';
import { render } from '../core/render.ts';
import { runView } from './view.ts';

const TITLE = 'Daily operations check';

function view(r: RunRecord) {
  return { ...runView(r, TITLE), windowS: typeof r.data.windowS === 'number' ? r.data.windowS : null };
}

export function dailyMarkdown(r: RunRecord): string {
  return render('daily.md.hbs', view(r));
}

/** `daily.html`: self-contained (inline CSS, no scripts), the same checks table as the Markdown. */
export function dailyHtml(r: RunRecord): string {
  return render('daily.html.hbs', view(r));
}
