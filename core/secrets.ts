/**
 * The one mask: every secret the process was given (the profile's passwords, tokens and auth
 * headers, registered once when the profile loads) is replaced by `***` wherever the harness writes
 * text — records, reports, the JSON and Markdown it prints, errors and progress on stderr.
 *
 * Secrets are matched as literal text (split/join, never a regular expression), so any character
 * is masked correctly, and in the encodings they travel in: percent-encoded in a URL, and inside
 * a basic-auth header as base64. Values shorter than MIN_LENGTH are not masked: hiding every "ab"
 * in every line would make the output unreadable and hide nothing (docs/profile.md says so).
 */
export const MIN_LENGTH = 4;
export const MASK = '***';

const known = new Set<string>();
/** Longest first, so a secret that contains another is masked whole. */
let ordered: string[] = [];

export function addSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < MIN_LENGTH) return;
  const forms = [value, encodeURIComponent(value), encodeURI(value)];
  for (const f of forms) known.add(f);
  ordered = [...known].sort((a, b) => b.length - a.length);
}

/** For a basic-auth pair: the password, and the header value that carries it. */
export function addBasicAuth(username: string, password: string): void {
  addSecret(password);
  addSecret(Buffer.from(`${username}:${password}`).toString('base64'));
}

export function mask(text: string): string {
  if (!ordered.length || !text) return text;
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/**
 * Fields that are names the harness made, not text it was told: a check's id, a metric key, a
 * threshold, an encoded histogram. A weak secret that happens to match part of one ("kafka") must
 * not rename a check or corrupt a histogram, so these, and every key, are left as they are.
 */
const IDENTIFIERS = new Set(['id', 'kind', 'platform', 'status', 'scenario', 'metric', 'key', 'expr', 'target', 'slo', 'histogram', 'histograms', 'thresholds', 'schemaVersion', 'checkId', 'runId', 'startedAt', 'endedAt']);

/** A copy with every string of free text masked: for records and anything serialized from them. */
export function maskDeep<T>(value: T): T {
  if (!ordered.length) return value;
  const walk = (v: unknown, field: string): unknown => {
    if (IDENTIFIERS.has(field)) return v;
    if (typeof v === 'string') return mask(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, field));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value, '') as T;
}

/** Tests: forget what was registered. */
export function clearSecrets(): void {
  known.clear();
  ordered = [];
}
