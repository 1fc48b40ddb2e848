/**
 * Where the sandbox's parts listen and keep their files: plain values from the config, kept apart
 * from the parts themselves so the sandbox's profile (and every command that reads it) does not
 * load a Kubernetes, PostgreSQL or HTTP client just to name an address.
 */
import { join } from 'node:path';
import type { SandboxConfig } from '../core/config.ts';

type Sb = Pick<SandboxConfig, 'host' | 'ports'>;

/** The sandbox namespace's network policies and secret: what its profile's security review expects. */
export const SANDBOX_POLICIES = { deny: 'default-deny-ingress', allow: 'allow-metrics-scrape' } as const;
export const SANDBOX_SECRET = 'inference-api-token';
/** The user the sandbox's admin certificate names (system:masters): the harness, the bridge, kwok. */
export const ADMIN_USER = 'carbon-harness-admin';
/** The profile schema's default rotation annotation (security.secrets.rotationAnnotation). */
export const ROTATION_ANNOTATION = 'carbon-harness.io/rotated-at';

export function kubeDir(ctx: { dir: string }): string { return join(ctx.dir, 'kube'); }
/** The admin kubeconfig (system:masters) for the harness, the bridge, tests and users. */
export function kubeconfigPath(ctx: { dir: string }): string { return join(kubeDir(ctx), 'kubeconfig'); }
/** The API server's audit log (JSON lines; sandbox/audit-policy.yaml says what is written). */
export function auditLogPath(ctx: { dir: string }): string { return join(kubeDir(ctx), 'audit.log'); }
export function apiserverUrl(sb: Sb): string { return `https://${sb.host}:${sb.ports.kubeApiserver}`; }
export function prometheusUrl(sb: Sb): string { return `http://${sb.host}:${sb.ports.prometheus}`; }
export function alertmanagerUrl(sb: Sb): string { return `http://${sb.host}:${sb.ports.alertmanager}`; }

export function pgUrl(sb: Pick<SandboxConfig, 'host' | 'ports' | 'postgres'>): string {
  const p = sb.postgres;
  return `postgres://${p.user}:${encodeURIComponent(p.password)}@${sb.host}:${sb.ports.postgres}/${p.database}`;
}
