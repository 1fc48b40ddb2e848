/**
 * YAML files a user writes (the platform profile, scenario files): parsed with their line numbers,
 * `${…}` resolved in string values, validated by one zod schema. Every error is
 * `file:line: key.path: message` (exit 2), naming the first problem found.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { UsageError, firstLine } from './errors.ts';

/**
 * `${VAR}`, `${VAR:-default}` and `${file:PATH}` (PATH relative to `baseDir`, one trailing newline
 * dropped) in a string value, so secrets stay out of the file. A missing variable or file is an
 * error naming the key that used it. Other `${…:…}` forms (e.g. `${slo:…}`) are left as they are.
 */
export function interpolate(value: string, env: NodeJS.ProcessEnv, baseDir: string, key: string): string {
  return value.replace(/\$\{(?:file:([^}]+)|([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?)\}/g, (_m, file: string | undefined, name: string | undefined, def?: string) => {
    if (file !== undefined) {
      const path = isAbsolute(file) ? file : resolve(baseDir, file);
      try {
        if (!statSync(path).isFile()) throw new Error('not a regular file');
        return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      } catch (e) {
        throw new UsageError(key, `\${file:${file}}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const v = env[name!];
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    throw new UsageError(key, `environment variable ${name} is not set`);
  });
}

export interface YamlFileOptions {
  env: NodeJS.ProcessEnv;
  baseDir: string;
  /** What the top level must be, for the error when it is not a mapping. */
  expect: string;
  /** A further pass over each string after `${VAR}`/`${file:}` (path = its key path); throw UsageError(reason). */
  resolveString?: (s: string, path: string[]) => string;
}

/** A parsed file: the validated value, and the line of any key path (for errors found later). */
export interface YamlFile<T> { value: T; lineOf(path: Array<string | number>): string }

export function parseYamlFile<S extends z.ZodType>(text: string, source: string, schema: S, o: YamlFileOptions): YamlFile<z.output<S>> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (node: Node | null | undefined) => (node?.range ? `${source}:${lines.linePos(node.range[0]).line}` : source);
  const lineOf = (path: Array<string | number>) => at(nodeAt(doc, path.map(String)));
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new UsageError(`${source}:${lines.linePos(e.pos[0]).line}`, `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  let raw: unknown;
  try { raw = doc.toJS({ maxAliasCount: 100 }); } catch (e) {
    // An alias to no anchor, or one that expands past the limit.
    throw new UsageError(source, `not valid YAML: ${firstLine(e)}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(source, `expected a YAML mapping with ${o.expect}`);
  const resolved = walk(raw, [], (s, path) => {
    try {
      const v = interpolate(s, o.env, o.baseDir, path.join('.'));
      return o.resolveString ? o.resolveString(v, path) : v;
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new UsageError(`${lineOf(path)}: ${path.join('.')}`, e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message);
    }
  });
  const r = schema.safeParse(resolved);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [...issue.path.map(String), ...keys.slice(0, 1)];
    const message = keys.length ? `unknown key${keys.length > 1 ? `s ${keys.join(', ')}` : ''}`
      : /received undefined$/.test(issue.message) ? 'required, missing' : issue.message;
    throw new UsageError(`${lineOf(path)}: ${path.join('.') || '(root)'}`, message);
  }
  return { value: r.data, lineOf };
}

function walk(v: unknown, path: string[], f: (s: string, path: string[]) => string): unknown {
  if (typeof v === 'string') return f(v, path);
  if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, String(i)], f));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k], f)]));
  return v;
}

/** The YAML node for a key path (the key itself where the value is missing), for its line number. */
function nodeAt(doc: Document, path: string[]): Node | null {
  let node: unknown = doc.contents;
  let last: Node | null = (doc.contents as Node | null) ?? null;
  for (const k of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === k);
      if (!pair) return last;
      last = (pair.key as Node) ?? last;
      node = pair.value;
      if (node && (node as Node).range) last = isScalar(node) ? (pair.key as Node) : last;
    } else if (node && typeof node === 'object' && 'items' in node) {
      node = (node as { items: unknown[] }).items[Number(k)];
      if (node && (node as Node).range) last = node as Node;
    } else return last;
  }
  return last;
}
