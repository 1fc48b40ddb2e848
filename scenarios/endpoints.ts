import type pg from 'pg';
import type { Config } from '../core/config.ts';
import { pgConnection } from '../sandbox/postgres.ts';

/** Where the named endpoints of a scenario live. Default: the embedded sandbox. */
export interface Endpoints {
  inferenceApi: string;
  kafkaBrokers: string[];
  featureStore: pg.ClientConfig;
  commodities: string[];
}

export function endpointsFor(cfg: Config): Endpoints {
  const sb = cfg.sandbox;
  const p = cfg.platform;
  return {
    inferenceApi: p.inferenceApiUrl ?? `http://${sb.host}:${sb.ports.inferenceApi}`,
    kafkaBrokers: p.kafkaBrokers ?? [`${sb.host}:${sb.ports.kafka}`],
    featureStore: p.featureStoreUrl ? { connectionString: p.featureStoreUrl } : pgConnection(sb),
    commodities: sb.priceFeed.commodities,
  };
}
