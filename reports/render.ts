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

/** `{{{json value indent}}}`: pretty JSON whose continuation lines sit `indent` spaces in (generated code). */
hb.registerHelper('json', (v: unknown, indent: unknown) => {
  const pad = ' '.repeat(typeof indent === 'number' ? indent : 0);
  return JSON.stringify(v, null, 2).replace(/\n/g, `\n${pad}`);
});

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders `templates/<name>` with the record-derived view; templates never compute verdicts. */
export function render(name: string, view: unknown): string {
  let t = cache.get(name);
  if (!t) {
    // HTML/XML templates escape; Markdown and generated code are plain text and must not.
    const plain = name.endsWith('.md.hbs') || name.endsWith('.ts.hbs');
    t = hb.compile(readFileSync(join(projectRoot, 'templates', name), 'utf8'), { noEscape: plain });
    cache.set(name, t);
  }
  return t(view);
}
