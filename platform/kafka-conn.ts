import type { ConnectionOptions } from 'node:tls';
import type { KafkaProfile } from '../profile/schema.ts';
import { tlsOptions } from './tls.ts';

// Apart from platform/kafka.ts, without a client: an HTTP run and a producer thread need these
// settings, not kafkajs (~45 ms to load).

/** What a client needs to reach the cluster; evidence names `brokers`, never the credentials. */
export interface KafkaConn {
  brokers: string[];
  tls?: ConnectionOptions;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export function kafkaConn(k: Pick<KafkaProfile, 'brokers' | 'tls' | 'sasl'>): KafkaConn {
  return { brokers: k.brokers, tls: tlsOptions(k.tls), sasl: k.sasl };
}

/** @platformatic/kafka's connection options for the same cluster. */
export function platformaticConn(c: KafkaConn): { tls?: ConnectionOptions; sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string } } {
  return {
    ...(c.tls ? { tls: c.tls } : {}),
    ...(c.sasl ? { sasl: { mechanism: c.sasl.mechanism.toUpperCase() as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username: c.sasl.username, password: c.sasl.password } } : {}),
  };
}
