/**
 * JSON over HTTP(S) to a platform API named in the profile (Prometheus, Alertmanager, a webhook
 * log): its auth header and TLS CA on every request. Failures are InfraErrors naming the part and
 * the address, so callers exit 3 or record an error check, never data from elsewhere.
 */
import { Agent, fetch } from 'undici';
import type { HttpApi } from '../profile/schema.ts';
import { InfraError } from '../core/errors.ts';
import { tlsOptions } from './tls.ts';

export interface HttpClient {
  /** The base URL (no credentials): what evidence names as `where`. */
  readonly url: string;
  getJson<T>(path: string, params?: URLSearchParams | Record<string, string>): Promise<T>;
}

const TIMEOUT_MS = 5_000;

export function authHeader(auth: HttpApi['auth']): Record<string, string> {
  if (!auth) return {};
  if ('bearerToken' in auth) return { authorization: `Bearer ${auth.bearerToken}` };
  return { authorization: `Basic ${Buffer.from(`${auth.basicAuth.username}:${auth.basicAuth.password}`).toString('base64')}` };
}

export function httpClient(part: string, api: HttpApi, timeoutMs = TIMEOUT_MS): HttpClient {
  const base = api.url.replace(/\/+$/, '');
  const tls = tlsOptions(api.tls);
  const dispatcher = tls ? new Agent({ connect: tls }) : undefined;
  const headers = { accept: 'application/json', ...authHeader(api.auth) };
  return {
    url: base,
    async getJson<T>(path: string, params?: URLSearchParams | Record<string, string>): Promise<T> {
      const qs = params ? new URLSearchParams(params).toString() : '';
      const url = `${base}${path}${qs ? `?${qs}` : ''}`;
      let res;
      try {
        res = await fetch(url, { headers, dispatcher, signal: AbortSignal.timeout(timeoutMs) });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new InfraError(`cannot reach ${base}${path}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, part);
      }
      const text = await res.text();
      let body: unknown;
      try { body = JSON.parse(text); } catch { body = undefined; }
      if (res.status === 401 || res.status === 403) {
        throw new InfraError(`GET ${base}${path} → HTTP ${res.status}: ${api.auth ? 'the profile\'s credentials were refused' : 'it needs credentials (auth in the profile)'}`, part);
      }
      if (!res.ok) {
        const err = (body as { error?: string } | undefined)?.error ?? text.slice(0, 300);
        throw new InfraError(`GET ${base}${path} → HTTP ${res.status}: ${err}`, part);
      }
      if (body === undefined) throw new InfraError(`GET ${base}${path} did not return JSON`, part);
      return body as T;
    },
  };
}
