import type { MetricStore, Tags } from '../../metrics.ts';
import type { Scenario } from '../../types.ts';
import type { Endpoints } from '../../endpoints.ts';
import type { IterationTarget } from './iteration-target.ts';

export type { IterationTarget, Phase } from './iteration-target.ts';

/**
 * `store` is the measured run's: where a Kafka target records what it follows after the load. Each
 * kind's module (and its client library) is loaded only when a scenario needs it: the Kafka
 * client alone takes ~0.3 s to load, which an HTTP run would wait for before its first request.
 */
export async function makeTarget(s: Scenario, store: MetricStore, ep: Endpoints, tags: Tags): Promise<IterationTarget> {
  switch (s.target.kind) {
    case 'http': return (await import('./http-target.ts')).httpTarget(s, ep, tags);
    case 'kafka-produce': return (await import('./kafka-target.ts')).kafkaTarget(s, store, ep, tags);
    case 'sql': return (await import('./sql-target.ts')).sqlTarget(s, ep, tags);
  }
}
