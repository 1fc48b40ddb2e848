/**
 * The sandbox's Prometheus and Alertmanager, by its config: the same clients (platform/) any
 * profile's are reached with. Failures are InfraErrors naming the part.
 */
import type { SandboxConfig } from '../core/config.ts';
import { httpClient } from '../platform/http.ts';
import * as P from '../platform/prometheus.ts';
import * as A from '../platform/alertmanager.ts';
import { alertmanagerUrl, prometheusUrl } from './addresses.ts';

export { alertmanagerUrl, prometheusUrl };
import type { AmAlertFilter } from '../platform/alertmanager.ts';

type Sb = Pick<SandboxConfig, 'host' | 'ports'> & { security?: SandboxConfig['security'] };


/** The sandbox's Prometheus and Alertmanager as the platform client layer reaches any platform's. */
const auth = (sb: Sb) => (sb.security?.enabled ? { basicAuth: { username: sb.security.user, password: sb.security.password } } : undefined);
const prom = (sb: Sb) => httpClient('prometheus', { url: prometheusUrl(sb), tls: false, auth: auth(sb) });
const am = (sb: Sb) => httpClient('alertmanager', { url: alertmanagerUrl(sb), tls: false, auth: auth(sb) });

export type { PromSample, PromSeries, PromTarget, PromAlert, PromRule } from '../platform/prometheus.ts';
export type { AmAlert, AmAlertFilter } from '../platform/alertmanager.ts';

export const promQuery = (sb: Sb, expr: string, time?: Date) => P.promQuery(prom(sb), expr, time);
export const promScalar = (sb: Sb, expr: string, time?: Date) => P.promScalar(prom(sb), expr, time);
export const promQueryRange = (sb: Sb, expr: string, start: Date, end: Date, stepS: number) => P.promQueryRange(prom(sb), expr, start, end, stepS);
export const promTargets = (sb: Sb) => P.promTargets(prom(sb));
export const promAlerts = (sb: Sb) => P.promAlerts(prom(sb));
export const promRules = (sb: Sb) => P.promRules(prom(sb));
export const alertmanagerAlerts = (sb: Sb, filter: AmAlertFilter = {}) => A.alertmanagerAlerts(am(sb), filter);

/** GET `url`: ok on a 2xx answer, else why not (status, or the connection error's cause). */
export async function httpProbe(url: string, timeoutMs = 2_000, headers: Record<string, string> = {}): Promise<{ ok: boolean; why: string }> {
  try {
    const r = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    await r.body?.cancel();
    return r.ok ? { ok: true, why: '' } : { ok: false, why: `${url} answered ${r.status}` };
  } catch (e) {
    const cause = (e as Error).cause as Error | undefined;
    return { ok: false, why: `${url}: ${cause ? String(cause.message) : (e as Error).message}` };
  }
}

export async function httpOk(url: string, timeoutMs = 2_000, headers: Record<string, string> = {}): Promise<boolean> {
  return (await httpProbe(url, timeoutMs, headers)).ok;
}
