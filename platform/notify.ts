/**
 * Delivery of a result to a webhook: POST, retried with back-off, every attempt recorded. A
 * delivery that fails is reported in the record and on stderr; it never changes the run's verdict.
 */
import { createHmac } from 'node:crypto';

export interface Attempt { at: string; status: number | null; error?: string; ms: number }
export interface Delivery { target: string; url: string; ok: boolean; attempts: Attempt[] }

export interface DeliveryOptions {
  attempts: number;
  /** Before the second attempt; doubled before each next one. */
  backoffMs: number;
  timeoutMs: number;
}
export const DELIVERY_DEFAULTS: DeliveryOptions = { attempts: 3, backoffMs: 500, timeoutMs: 5000 };

/** `sha256=` + HMAC-SHA256 of `timestamp.body` with the shared secret (the receiver recomputes it). */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The URL as it may be shown: scheme, host and path only (a Slack webhook's path is its secret: cut). */
export function showUrl(url: string): string {
  try { const u = new URL(url); return `${u.protocol}//${u.host}${u.pathname.split('/').slice(0, 2).join('/')}/…`; } catch { return '(unparseable URL)'; }
}

/**
 * POSTs `body` to `url`. 2xx is delivered; 408, 429 and 5xx and network errors are retried; any other
 * answer is final (the receiver refused it: retrying would not help).
 */
export async function deliver(target: string, url: string, body: string, headers: Record<string, string>, o: DeliveryOptions = DELIVERY_DEFAULTS): Promise<Delivery> {
  const attempts: Attempt[] = [];
  for (let k = 0; k < o.attempts; k++) {
    if (k > 0) await new Promise((r) => setTimeout(r, o.backoffMs * 2 ** (k - 1)));
    const t0 = performance.now();
    const at = new Date().toISOString();
    try {
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(o.timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      attempts.push({ at, status: res.status, ms: Math.round(performance.now() - t0) });
      if (res.ok) return { target, url: showUrl(url), ok: true, attempts };
      if (!(res.status === 408 || res.status === 429 || res.status >= 500)) break;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      attempts.push({ at, status: null, error: err.cause?.code ?? err.name ?? 'error', ms: Math.round(performance.now() - t0) });
    }
  }
  return { target, url: showUrl(url), ok: false, attempts };
}
