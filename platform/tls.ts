import type { ConnectionOptions } from 'node:tls';
import type { Tls } from '../profile/schema.ts';

/** Node TLS options for a profile's `tls` key; undefined means plain TCP. */
export function tlsOptions(t: Tls | undefined): ConnectionOptions | undefined {
  if (!t) return undefined;
  if (t === true) return {};
  return {
    ca: t.ca, cert: t.cert, key: t.key, servername: t.servername,
    rejectUnauthorized: !t.insecureSkipVerify,
  };
}
