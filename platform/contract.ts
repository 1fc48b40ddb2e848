/**
 * The message contract the profile describes: where a price message carries its identity, send
 * time and checksum. The integrity checks read messages through it, never through one platform's
 * message type.
 */
import * as crypto from 'node:crypto';
import type { Contract } from '../profile/schema.ts';
import { UsageError } from '../core/errors.ts';

/** A message as read from Kafka: its value parsed as JSON (or null), and its headers. */
export interface RawMessage { value: unknown; headers: Record<string, string | undefined> }

export function fieldOf(m: RawMessage, ref: string): unknown {
  if (ref.startsWith('header:')) return m.headers[ref.slice(7).toLowerCase()];
  let v: unknown = m.value;
  for (const k of ref.slice(2).split('.')) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

const scalar = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

/** The message's id (its id fields joined with ':'), or null when one is missing. */
export function messageId(c: Contract, m: RawMessage): string | null {
  const parts = c.id.map((r) => scalar(fieldOf(m, r)));
  return parts.some((p) => p === undefined) ? null : parts.join(':');
}

export function sentAtOf(c: Contract, m: RawMessage): number | null {
  const v = Number(fieldOf(m, c.sentAt));
  return Number.isFinite(v) ? v : null;
}

/** The checksum the message carries. */
export function checksumOf(c: Contract, m: RawMessage): string | null {
  return c.checksum ? scalar(fieldOf(m, c.checksum.at)) ?? null : null;
}

/** The checksum recomputed from the message's fields. */
export function computeChecksum(c: NonNullable<Contract['checksum']>, m: RawMessage): string | null {
  const parts = c.of.map((r) => scalar(fieldOf(m, r)));
  if (parts.some((p) => p === undefined)) return null;
  return sha256Hex(parts.join(c.separator)).slice(0, 16);
}

/**
 * SHA-256 as hex. Node's one-shot `crypto.hash` (20.12+) costs about half of a Hash object for a
 * message's few dozen bytes, and the generator checksums every message it sends.
 */
const oneShot = (crypto as { hash?: (alg: string, data: string) => string }).hash;
export const sha256Hex: (s: string) => string = oneShot ? (s) => oneShot('sha256', s) : (s) => crypto.createHash('sha256').update(s).digest('hex');

/** Intact: the contract names no checksum (null: cannot tell), or the carried one matches the recomputed one. */
export function isIntact(c: Contract, m: RawMessage): boolean | null {
  if (!c.checksum) return null;
  const carried = checksumOf(c, m);
  return carried !== null && carried === computeChecksum(c.checksum, m);
}

/** kafkajs headers (Buffer values) as strings, names lower-cased. */
export function headersOf(h: Record<string, unknown> | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k.toLowerCase()] = v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString() : String(Array.isArray(v) ? v[0] : v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The load generator's messages: the profile's template (platform.kafka.contract.message), written
// so that the contract reads back what the generator put in. Compiled once; rendering is string
// concatenation (the generator writes thousands a second).

/** What the generator fills into each message. */
export interface MessageFields { run: number; seq: number; commodity: string; price: number; sentAt: number }
type Field = keyof MessageFields | 'checksum';
const FIELDS: readonly Field[] = ['run', 'seq', 'commodity', 'price', 'sentAt', 'checksum'];
const NUMERIC = new Set<Field>(['run', 'seq', 'price', 'sentAt']);

/** A message ready for the producer. */
export interface OutMessage { key: string; value: string; headers?: Record<string, string> }

/** A message as kafkajs reads it. */
export interface InMessage { value: Buffer | null; headers?: Record<string, unknown> }

export interface MessageCodec {
  render(f: MessageFields): OutMessage;
  /** `run`'s sequence number of a price message read back, or null when it is not one of `run`'s. */
  priceSeq(run: number): (m: InMessage) => number | null;
  /** The same for a prediction, read through `predictionId`. */
  predictionSeq(run: number): (m: InMessage) => number | null;
}

/** The fields as text, each formatted once per message (the value, the key and the checksum all read them). */
type Values = Record<Field, string>;
type Piece = string | ((v: Values) => string);

/** Any `{{…}}`: a name that is not a field is an error, never text left in the message. */
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const KEY = 'platform.kafka.contract.message';

function fieldName(name: string, where: string): Field {
  if (!(FIELDS as readonly string[]).includes(name)) throw new UsageError(`${KEY}.${where}`, `unknown field {{${name}}}; fields: ${FIELDS.map((f) => `{{${f}}}`).join(', ')}`);
  return name as Field;
}

/** Text with `{{field}}`s; `escape` turns each value into what the text needs (JSON string content, or as is). */
function textPieces(text: string, where: string, escape: (s: string) => string): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    out.push(escape(text.slice(last, m.index)));
    const f = fieldName(m[1]!, where);
    out.push((v) => escape(v[f]));
    last = m.index! + m[0].length;
  }
  out.push(escape(text.slice(last)));
  return out;
}

const jsonText = (s: string) => JSON.stringify(s).slice(1, -1);

/** The JSON template as pieces of JSON text. */
function jsonPieces(v: unknown, where: string): Piece[] {
  if (typeof v === 'string') {
    const exact = /^\{\{\s*([^}]*?)\s*\}\}$/.exec(v);
    if (exact) {
      const f = fieldName(exact[1]!, where);
      return [NUMERIC.has(f) ? (x) => x[f] : (x) => JSON.stringify(x[f])];
    }
    return ['"', ...textPieces(v, where, jsonText), '"'];
  }
  if (Array.isArray(v)) return ['[', ...v.flatMap((x, i) => [...(i ? [','] : []), ...jsonPieces(x, `${where}.${i}`)]), ']'];
  if (v && typeof v === 'object') {
    return ['{', ...Object.entries(v).flatMap(([k, x], i) => [...(i ? [','] : []), `${JSON.stringify(k)}:`, ...jsonPieces(x, `${where}.${k}`)]), '}'];
  }
  return [JSON.stringify(v)];
}

function joinPieces(pieces: Piece[]): (v: Values) => string {
  // Adjacent literals merged: each render is one pass over a few slots.
  const merged: Piece[] = [];
  for (const p of pieces) {
    if (typeof p === 'string' && typeof merged[merged.length - 1] === 'string') merged[merged.length - 1] += p;
    else if (p !== '') merged.push(p);
  }
  return (v) => { let s = ''; for (const p of merged) s += typeof p === 'string' ? p : p(v); return s; };
}

/**
 * A field of the message as the template fills it, without rendering: a JSON path to a string
 * leaf (a placeholder, or text with placeholders) or a scalar constant, or a header's text. Null
 * where the template puts no scalar there (the rendered message is read instead).
 */
function templateField(t: NonNullable<Contract['message']>, ref: string): ((v: Values) => string) | null {
  if (ref.startsWith('header:')) {
    const name = ref.slice(7).toLowerCase();
    const text = Object.entries(t.headers).find(([n]) => n.toLowerCase() === name)?.[1];
    return text === undefined ? null : joinPieces(textPieces(text, `headers.${name}`, (s) => s));
  }
  let node: unknown = t.value;
  for (const k of ref.slice(2).split('.')) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return null;
    node = (node as Record<string, unknown>)[k];
  }
  if (typeof node === 'string') return joinPieces(textPieces(node, 'value', (s) => s));
  if (typeof node === 'number' || typeof node === 'boolean') { const text = String(node); return () => text; }
  return null;
}

/**
 * The profile's message template compiled against its contract. A template the contract could not
 * read back is refused here, before any load (exit 2): its id fields must carry {{run}} and {{seq}},
 * its send time {{sentAt}}, and (with a checksum) the checksum must verify.
 */
export function compileMessages(c: Contract): MessageCodec {
  const t = c.message;
  if (!t) throw new UsageError(KEY, 'the Kafka scenarios write price messages to the platform: the profile must say what one looks like (docs/profile.md)');
  const names = Object.keys(t.headers).map((n) => n.toLowerCase());
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`${KEY}.headers`, `names header ${twice} twice (header names are matched without case)`);
  if (!c.checksum && JSON.stringify(t).includes('checksum}}')) throw new UsageError(KEY, 'uses {{checksum}}, but the contract names no checksum (platform.kafka.contract.checksum)');
  const value = joinPieces(jsonPieces(t.value, 'value'));
  const key = joinPieces(textPieces(t.key, 'key', (s) => s));
  // Sent as the profile names them (Kafka headers are case-sensitive); read back lower-cased, as headersOf does.
  const headers = Object.entries(t.headers).map(([name, text]) => [name, joinPieces(textPieces(text, `headers.${name}`, (s) => s))] as const);
  const lowered = (v: Values) => Object.fromEntries(headers.map(([n, h]) => [n.toLowerCase(), h(v)]));
  const sum = c.checksum;
  // The checksum's fields read straight from the template where each sits at a place the template
  // fills (no parse of every message: the generator writes thousands a second); otherwise from
  // the rendered message, read through the contract as a verifier would. Either way the sample
  // check below proves that what is sent verifies.
  const direct = sum ? sum.of.map((ref) => templateField(t, ref)) : [];
  const fast = direct.every((g) => g !== null);
  const render = (f: MessageFields): OutMessage => {
    const v: Values = { run: String(f.run), seq: String(f.seq), commodity: f.commodity, price: String(f.price), sentAt: String(f.sentAt), checksum: '' };
    if (sum && fast) {
      let text = direct[0]!(v);
      for (let i = 1; i < direct.length; i++) text += sum.separator + direct[i]!(v);
      v.checksum = sha256Hex(text).slice(0, 16);
    } else if (sum) v.checksum = computeChecksum(sum, { value: JSON.parse(value(v)) as unknown, headers: lowered(v) }) ?? '';
    const out: OutMessage = { key: key(v), value: value(v) };
    if (headers.length) out.headers = Object.fromEntries(headers.map(([n, h]) => [n, h(v)]));
    return out;
  };

  // What the contract reads from a sample tells where run and seq sit among the id fields.
  const sample: MessageFields = { run: 1_700_000_000_001, seq: 424_242, commodity: 'sample', price: 101.25, sentAt: 1_700_000_000_999 };
  const out = render(sample);
  const raw: RawMessage = { value: JSON.parse(out.value), headers: headersOf(out.headers) };
  const parts = c.id.map((r) => scalar(fieldOf(raw, r)));
  const runAt = parts.indexOf(String(sample.run));
  const seqAt = parts.indexOf(String(sample.seq));
  if (runAt < 0 || seqAt < 0) throw new UsageError(`${KEY}`, `the contract's id fields (${c.id.join(', ')}) must read {{run}} and {{seq}} from the message; they read ${JSON.stringify(parts)}`);
  if (sentAtOf(c, raw) !== sample.sentAt) throw new UsageError(`${KEY}`, `the contract's sentAt (${c.sentAt}) must read {{sentAt}} from the message`);
  if (sum && isIntact(c, raw) !== true) throw new UsageError(`${KEY}`, `the message must carry {{checksum}} where the contract reads it (${sum.at}), and every field it hashes (${sum.of.join(', ')})`);
  const predictionId = c.predictionId ?? c.id;
  if (predictionId.length !== c.id.length) throw new UsageError('platform.kafka.contract.predictionId', `names ${predictionId.length} fields; id names ${c.id.length} (field for field)`);

  const seqReader = (refs: string[], run: number) => {
    const runText = String(run);
    const runRef = refs[runAt]!;
    const marker = Buffer.from(runText);
    const inHeaders = runRef.startsWith('header:');
    return (m: InMessage): number | null => {
      // A cheap look for the run id before parsing: the platform's own traffic shares the topics.
      if (!inHeaders && (!m.value || m.value.indexOf(marker) < 0)) return null;
      let parsed: unknown = null;
      try { parsed = m.value ? JSON.parse(m.value.toString()) : null; } catch { return null; }
      const r: RawMessage = { value: parsed, headers: headersOf(m.headers) };
      if (scalar(fieldOf(r, runRef)) !== runText) return null;
      const seq = Number(scalar(fieldOf(r, refs[seqAt]!)));
      return Number.isInteger(seq) && seq > 0 ? seq : null;
    };
  };
  return { render, priceSeq: (run) => seqReader(c.id, run), predictionSeq: (run) => seqReader(predictionId, run) };
}
