/**
 * How the sandbox's own processes and probes reach its parts: plain on the default shape; on the
 * secured shape (sandbox.security.enabled) Kafka through SASL_SSL with SCRAM-SHA-512 and the
 * sandbox CA, Prometheus and Alertmanager with basic auth.
 */
import type { SandboxConfig } from '../core/config.ts';
import type { KafkaConn } from '../platform/kafka-conn.ts';
import { platformCa } from './tls.ts';

export function sandboxKafkaConn(sb: SandboxConfig): KafkaConn {
  const brokers = [`${sb.host}:${sb.ports.kafka}`];
  if (!sb.security.enabled) return { brokers };
  const ca = platformCa(sb);
  return {
    brokers,
    tls: ca ? { ca } : {},
    sasl: { mechanism: 'scram-sha-512', username: sb.security.user, password: sb.security.password },
  };
}

/** The basic-auth header Prometheus and Alertmanager want on the secured shape. */
export function sandboxAuthHeader(sb: SandboxConfig): Record<string, string> {
  if (!sb.security.enabled) return {};
  return { authorization: `Basic ${Buffer.from(`${sb.security.user}:${sb.security.password}`).toString('base64')}` };
}
