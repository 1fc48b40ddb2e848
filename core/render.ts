import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { projectRoot } from './paths.ts';

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

/** `{{cell value}}`: a Markdown table cell; a `|` or a line break in the text must not end the cell or the row. */
hb.registerHelper('cell', (v: unknown) => (v === null || v === undefined ? '' : String(v)).replace(/\|/g, '\\|').replace(/\r?\n/g, ' '));

/** Markdown and generated code are plain text and must not be HTML-escaped; HTML/XML templates are. */
function isPlain(name: string): boolean {
  return name.endsWith('.md.hbs') || name.endsWith('.ts.hbs');
}

/**
 * Every `templates/partials/<name>.hbs` is a partial named `<name>` (`{{> checks-table.md}}`,
 * `{{#> layout.html}}…{{/layout.html}}`). Each is compiled with its own escaping (Markdown plain,
 * HTML escaped), whatever template includes it.
 */
function registerPartials(): void {
  const dir = join(projectRoot, 'templates', 'partials');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs'))) {
    const name = file.slice(0, -'.hbs'.length);
    hb.registerPartial(name, hb.compile(readFileSync(join(dir, file), 'utf8'), { noEscape: isPlain(file) }));
  }
}
registerPartials();

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders `templates/<name>` with the record-derived view; templates never compute verdicts. */
export function render(name: string, view: unknown): string {
  let t = cache.get(name);
  if (!t) {
    t = hb.compile(readFileSync(join(projectRoot, 'templates', name), 'utf8'), { noEscape: isPlain(name) });
    cache.set(name, t);
  }
  return t(view);
}
