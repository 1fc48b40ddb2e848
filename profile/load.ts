import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from 'yaml';
import { UsageError } from '../core/errors.ts';
import { ProfileSchema, type Profile } from './schema.ts';

/** A profile as loaded: the values, and what names it in a record (never the secrets it resolved). */
export interface LoadedProfile {
  profile: Profile;
  /** The file it came from. */
  source: string;
  /** sha256 of the file's text before `${…}` was resolved (first 16 hex): a secret never enters it. */
  hash: string;
}

/** What a record keeps of the profile it ran against. */
export interface ProfileRef { name: string; source: string; hash: string }

export const profileRef = (p: LoadedProfile): ProfileRef => ({ name: p.profile.name, source: p.source, hash: p.hash });

const MAX_BYTES = 1 << 20;

/**
 * `${VAR}`, `${VAR:-default}` and `${file:PATH}` (PATH relative to the profile's folder, one
 * trailing newline dropped) in string values, so secrets stay out of the file. A missing variable
 * or file is an error naming the key that used it.
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

/** Parses profile text; errors are `file:line: key: message`, exit 2. */
export function parseProfile(text: string, source: string, env: NodeJS.ProcessEnv = process.env): LoadedProfile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (node: Node | null | undefined) => (node?.range ? `${source}:${lines.linePos(node.range[0]).line}` : source);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new UsageError(`${source}:${lines.linePos(e.pos[0]).line}`, `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(source, 'a profile is a YAML mapping with name, platform and slos');
  const baseDir = dirname(source);
  const resolved = walk(raw, [], (s, path) => {
    try { return interpolate(s, env, baseDir, path.join('.')); } catch (e) {
      throw new UsageError(`${at(nodeAt(doc, path))}: ${(e as UsageError).field}`, (e as Error).message.replace(/^[^:]+: /, ''));
    }
  });
  const r = ProfileSchema.safeParse(resolved);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [...issue.path.map(String), ...keys.slice(0, 1)];
    const message = keys.length ? `unknown key${keys.length > 1 ? `s ${keys.join(', ')}` : ''}`
      : /received undefined$/.test(issue.message) ? 'required, missing' : issue.message;
    throw new UsageError(`${at(nodeAt(doc, path))}: ${path.join('.') || '(root)'}`, message);
  }
  // A relative kubeconfig is the profile's neighbour, never whatever the working directory holds.
  const k = r.data.platform.kubernetes;
  if (k && !isAbsolute(k.kubeconfig)) k.kubeconfig = resolve(baseDir, k.kubeconfig);
  return { profile: r.data, source, hash: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}

export function loadProfile(file: string, env: NodeJS.ProcessEnv = process.env, field = '--profile'): LoadedProfile {
  const path = isAbsolute(file) ? file : resolve(process.cwd(), file);
  let st;
  try { st = statSync(path); } catch { throw new UsageError(field, `file not found: ${path}`); }
  if (!st.isFile()) throw new UsageError(field, `not a file: ${path}`);
  if (st.size > MAX_BYTES) throw new UsageError(field, `${path} is ${st.size} bytes; a profile is at most ${MAX_BYTES}`);
  return parseProfile(readFileSync(path, 'utf8'), path, env);
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
