import type pg from 'pg';
import type { FeatureStoreProfile } from '../profile/schema.ts';
import { tlsOptions } from './tls.ts';

// Apart from platform/postgres.ts, without the client: an HTTP run's endpoints need these, not pg (~45 ms to load).

/** pg's client config for the feature store: the URL, and TLS from the profile's `tls` key. */
export function pgConfig(fs: Pick<FeatureStoreProfile, 'url' | 'tls'>): pg.ClientConfig {
  const ssl = tlsOptions(fs.tls);
  return { connectionString: fs.url, ...(ssl ? { ssl } : {}), connectionTimeoutMillis: 5000 };
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
