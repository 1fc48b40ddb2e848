/**
 * Certificates for the sandbox (openssl): a CA and certificates it signs. Kubernetes' PKI lives in
 * `<dir>/kube/pki`; the secured shape's platform TLS (Kafka, PostgreSQL) in `<dir>/tls`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SandboxConfig } from '../core/config.ts';
import { projectRoot } from '../core/paths.ts';
import { run } from './proc.ts';

export async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

/** `ca.key` + `ca.crt` in `dir`, made once. */
export async function ensureCa(dir: string, cn: string): Promise<boolean> {
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, 'ca.crt'))) return false;
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  await openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', `/CN=${cn}`, '-days', '3650', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature', '-out', 'ca.crt'], dir);
  return true;
}

/** Key + certificate signed by the CA in `dir`, made once. */
export async function issue(dir: string, name: string, subject: string, ext: string): Promise<void> {
  if (existsSync(join(dir, `${name}.crt`))) return;
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  await openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '3650', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
  rmSync(join(dir, `${name}.csr`), { force: true });
}

export const SERVER_EXT = (sans: string) => `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`;

/** The secured shape's TLS folder: its own CA, a server certificate for 127.0.0.1, Kafka's PKCS#12 keystore. */
export const tlsDir = (sb: Pick<SandboxConfig, 'dir'>) => join(resolve(projectRoot, sb.dir), 'tls');
export const KEYSTORE = 'server.p12';

export async function ensurePlatformTls(sb: SandboxConfig, progress: (m: string) => void): Promise<string> {
  const dir = tlsDir(sb);
  if (await ensureCa(dir, 'carbon-harness-platform-ca')) progress('security: created the platform CA (openssl)');
  await issue(dir, 'server', '/CN=carbon-sandbox', SERVER_EXT('IP:127.0.0.1,DNS:localhost'));
  if (!existsSync(join(dir, KEYSTORE))) {
    // The password through the environment, not the command line (ps, error messages).
    await run('openssl', ['pkcs12', '-export', '-in', 'server.crt', '-inkey', 'server.key', '-name', 'server', '-out', KEYSTORE, '-passout', 'env:CARBON_KEYSTORE_PASS'],
      { cwd: dir, env: { ...process.env, CARBON_KEYSTORE_PASS: sb.security.password } });
  }
  return dir;
}

/** The CA PEM clients trust, or undefined when the shape is not secured (or the CA is not made yet). */
export function platformCa(sb: SandboxConfig): string | undefined {
  if (!sb.security.enabled) return undefined;
  const f = join(tlsDir(sb), 'ca.crt');
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
}
