/**
 * The message contract the profile describes: where a price message carries its identity, send
 * time and checksum. The integrity checks read messages through it, never through one platform's
 * message type.
 */
import { createHash } from 'node:crypto';
import type { Contract } from '../profile/schema.ts';

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
  return createHash('sha256').update(parts.join(c.separator)).digest('hex').slice(0, 16);
}

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
