import type pg from 'pg';
import type { FeatureStoreProfile } from '../profile/schema.ts';
import { tlsOptions } from './tls.ts';

// Apart from platform/postgres.ts, without the client: an HTTP run's endpoints need these, not pg (~45 ms to load).

/**
 * pg's client config for the feature store: the URL, TLS from the profile's `tls` key, and a query
 * timeout kept by the client (a hung server answers nothing, so its own statement_timeout cannot
 * end a query; pg sets none by default, and a frozen feature store held a gate until it thawed).
 */
export function pgConfig(fs: Pick<FeatureStoreProfile, 'url' | 'tls' | 'queryTimeoutS'>): pg.ClientConfig {
  const ssl = tlsOptions(fs.tls);
  return { connectionString: fs.url, ...(ssl ? { ssl } : {}), connectionTimeoutMillis: 5000, query_timeout: fs.queryTimeoutS * 1000 };
}

/** The URL with its password masked, for evidence and errors (whatever characters the password has). */
export function describePg(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
