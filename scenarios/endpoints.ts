import type pg from 'pg';
import type { Contract, InferenceProfile, Profile } from '../profile/schema.ts';
import { kafkaConn, type KafkaConn } from '../platform/kafka-conn.ts';
import { pgConfig, describePg } from '../platform/postgres-conn.ts';

/** Where the named endpoints of a scenario live, resolved from the platform profile. */
export interface Endpoints {
  inferenceApi: string;
  /** The profile's request template and TLS (scenarios give their own path and method). */
  inference?: Pick<InferenceProfile, 'request' | 'tls'>;
  inferenceHealthPath?: string;
  kafkaBrokers: string[];
  /** Brokers with TLS and SASL; default: plain TCP to kafkaBrokers. */
  kafka?: KafkaConn;
  /** Topic names by role: scenarios name `prices` and `predictions`, the profile names the topics. */
  topics?: { prices: string; predictions: string };
  featureStore: pg.ClientConfig;
  /** The feature store's URL with the password masked, for evidence. */
  featureStoreWhere?: string;
  /** The query the feature-store scenario runs when it names none of its own. */
  representativeQuery?: string;
  commodities: string[];
  /** Where a price message carries its id, send time and checksum, and what the generator writes. */
  contract?: Contract;
}

export function endpointsFor(p: Profile): Endpoints {
  const { kafka, featureStore, inferenceApi } = p.platform;
  return {
    inferenceApi: inferenceApi.url.replace(/\/+$/, ''),
    inference: { request: inferenceApi.request, tls: inferenceApi.tls },
    inferenceHealthPath: inferenceApi.healthPath,
    kafkaBrokers: kafka.brokers,
    kafka: kafkaConn(kafka),
    topics: kafka.topics,
    featureStore: pgConfig(featureStore),
    featureStoreWhere: describePg(featureStore.url),
    representativeQuery: featureStore.queries.representative,
    commodities: inferenceApi.commodities,
    contract: kafka.contract,
  };
}

/** A topic role (`prices`, `predictions`) as this platform names it; any other name is taken as given. */
export const topicName = (ep: Endpoints, t: string) => (ep.topics && (t === 'prices' || t === 'predictions') ? ep.topics[t] : t);
