/**
 * The profile's secrets, handed to the one mask (core/secrets.ts) when it loads: Kafka's SASL
 * password, the feature store's password (from its URL), the Prometheus and Alertmanager token or
 * basic-auth password, the inference API's credential headers, and every TLS client key.
 */
import { addBasicAuth, addSecret } from '../core/secrets.ts';
import type { Profile } from './schema.ts';

/** Header names whose values are credentials. */
const CREDENTIAL_HEADER = /auth|token|key|secret|cookie|session|password|credential/i;

type Tls = Profile['platform']['kafka']['tls'];
type Auth = NonNullable<NonNullable<Profile['platform']['prometheus']>['auth']>;

function tlsKey(t: Tls): void {
  if (t && typeof t === 'object') addSecret(t.key);
}

function auth(a: Auth | undefined): void {
  if (!a) return;
  if ('bearerToken' in a) addSecret(a.bearerToken);
  else addBasicAuth(a.basicAuth.username, a.basicAuth.password);
}

function credentialHeader(value: string): void {
  addSecret(value);
  // `Bearer abc…`, `Basic …`, `Token …`: the credential without its scheme too.
  const m = /^\s*[A-Za-z-]+\s+(\S.*)$/.exec(value);
  if (m) addSecret(m[1]);
}

export function registerProfileSecrets(p: Profile): void {
  const k = p.platform.kafka;
  addSecret(k.sasl?.password);
  tlsKey(k.tls);
  const fs = p.platform.featureStore;
  if (fs) {
    try {
      const u = new URL(fs.url);
      // The URL holds it percent-encoded; the server and error messages may show it decoded.
      if (u.password) { addSecret(u.password); addSecret(decodeURIComponent(u.password)); }
      // libpq also takes it as a parameter: postgres://host/db?password=…
      addSecret(u.searchParams.get('password'));
    } catch { /* the schema checked the form; an unparseable URL carries nothing we could find */ }
    tlsKey(fs.tls);
  }
  const api = p.platform.inferenceApi;
  if (api) {
    for (const [name, value] of Object.entries(api.request.headers)) if (CREDENTIAL_HEADER.test(name)) credentialHeader(value);
    tlsKey(api.tls);
  }
  // A Slack incoming webhook's URL is its credential; the JSON webhook's HMAC key.
  addSecret(p.notifications?.slack?.url);
  addSecret(p.notifications?.webhook?.secret);
  for (const http of [p.platform.prometheus, p.platform.alertmanager]) {
    if (!http) continue;
    auth(http.auth);
    tlsKey(http.tls);
  }
}
