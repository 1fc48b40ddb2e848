import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { projectRoot } from '../core/paths.ts';

const hb = Handlebars.create();
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hb.registerHelper('upper', (s: unknown) => String(s ?? '').toUpperCase());
hb.registerHelper('icon', (s: string) => ({ pass: '✅', fail: '❌', error: '⚠️', 'no-data': '➖' } as Record<string, string>)[s] ?? '');
hb.registerHelper('num', (v: unknown) => {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
});

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders `templates/<name>` with the record-derived view; templates never compute verdicts. */
export function render(name: string, view: unknown): string {
  let t = cache.get(name);
  if (!t) {
    // HTML/XML templates escape; Markdown is plain text and must not.
    t = hb.compile(readFileSync(join(projectRoot, 'templates', name), 'utf8'), { noEscape: name.endsWith('.md.hbs') });
    cache.set(name, t);
  }
  return t(view);
}
