import { UsageError } from '../core/errors.ts';
import { SLO_IDS, isSloId, type Scenario } from './types.ts';
import { inferenceLatency } from './definitions/inference-latency.ts';
import { featureStoreQuery } from './definitions/feature-store-query.ts';
import { consumerLag } from './definitions/consumer-lag.ts';
import { kafkaThroughput } from './definitions/kafka-throughput.ts';

/**
 * Checks what the type system cannot guarantee at run time (tsx does not type-check): every SLO tag
 * is an id of the one vocabulary (`SLOS`, DESIGN.md §3). The error names the scenario and the entry.
 */
export function checkScenario(s: Scenario): Scenario {
  const slo: unknown = s.slo;
  if (!Array.isArray(slo)) throw new UsageError(`scenario ${s.name}: slo`, `must be an array of SLO ids, got ${JSON.stringify(slo)}`);
  slo.forEach((id, i) => {
    if (!isSloId(id)) {
      throw new UsageError(`scenario ${s.name}: slo[${i}]`, `unknown SLO id ${JSON.stringify(id)}; known SLO ids (DESIGN.md §3): ${SLO_IDS.join(', ')}`);
    }
  });
  return s;
}

/** Scenarios by name; each is checked as the catalog loads. */
export function catalog(scenarios: Scenario[]): Record<string, Scenario> {
  return Object.fromEntries(scenarios.map(checkScenario).map((s) => [s.name, s]));
}

export const SCENARIOS: Record<string, Scenario> = catalog([inferenceLatency, featureStoreQuery, consumerLag, kafkaThroughput]);

/**
 * Suites run their scenarios one after another. Throughput goes last: its backlog would otherwise
 * show up as lag in the consumer-lag scenario.
 */
export const SUITES: Record<string, string[]> = {
  deploy: ['inference-latency', 'feature-store-query', 'consumer-lag', 'kafka-throughput'],
};
