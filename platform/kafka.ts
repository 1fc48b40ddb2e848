/**
 * Kafka as the profile describes it: brokers, TLS and SASL for both clients the harness uses
 * (kafkajs for admin, offsets and reading; @platformatic/kafka for the load generator's writes).
 */
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { KafkaConn } from './kafka-conn.ts';

/** A kafkajs client; `retry`/`connectionTimeout` as the caller needs them. */
export function kafkajs(c: KafkaConn, clientId: string, extra: Pick<KafkaConfig, 'retry' | 'connectionTimeout' | 'requestTimeout' | 'logLevel'> = {}): Kafka {
  return new Kafka({
    clientId, brokers: c.brokers, logLevel: logLevel.NOTHING, ...extra,
    ssl: c.tls, sasl: c.sasl as SASLOptions | undefined,
  });
}

/** A login the brokers refused (SASL), as opposed to brokers that could not be reached. */
export function isSaslRefusal(e: unknown): boolean {
  const err = e as Error | undefined;
  return /SASL|authenticat/i.test(err?.message ?? '') || err?.name === 'KafkaJSSASLAuthenticationError';
}

/** A refused login or a certificate that did not verify: the profile's credentials, not the platform being down. */
export function isCredentialRefusal(e: unknown): boolean {
  return isSaslRefusal(e) || /certificate|self.signed|CERT_|SSL|TLS/i.test((e as Error | undefined)?.message ?? '');
}
