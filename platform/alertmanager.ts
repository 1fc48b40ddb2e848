/** Alertmanager's v2 API, at the address and with the credentials the profile gives. */
import type { HttpClient } from './http.ts';

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  generatorURL?: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
  receivers: Array<{ name: string }>;
}

export interface AmAlertFilter {
  /** Label matchers in Alertmanager syntax, e.g. `alertname="ErrorRateCritical"`, `severity=~"crit.*"`. */
  matchers?: string[];
  /** Shorthand for a matcher on alertname. */
  alertname?: string;
  active?: boolean;
  silenced?: boolean;
  inhibited?: boolean;
  unprocessed?: boolean;
}

/** GET /api/v2/alerts. */
export async function alertmanagerAlerts(c: HttpClient, filter: AmAlertFilter = {}): Promise<AmAlert[]> {
  const qs = new URLSearchParams();
  for (const m of filter.matchers ?? []) qs.append('filter', m);
  if (filter.alertname) qs.append('filter', `alertname=${JSON.stringify(filter.alertname)}`);
  for (const k of ['active', 'silenced', 'inhibited', 'unprocessed'] as const) {
    if (filter[k] !== undefined) qs.set(k, String(filter[k]));
  }
  return c.getJson<AmAlert[]>('/api/v2/alerts', qs);
}

/** GET /api/v2/status: proves the address is an Alertmanager and the credentials are accepted. */
export async function alertmanagerStatus(c: HttpClient): Promise<{ versionInfo?: { version?: string }; cluster?: { status?: string } }> {
  return c.getJson('/api/v2/status');
}
