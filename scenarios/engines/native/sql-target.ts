import { pgPool } from '../../../platform/postgres.ts';
import { within } from './deadline.ts';
import { InfraError } from '../../../core/errors.ts';
import type { Scenario } from '../../types.ts';
import type { Tags } from '../../metrics.ts';
import type { Endpoints } from '../../endpoints.ts';
import type { IterationTarget } from './iteration-target.ts';

/** Closing the pool waits this long at most. */
const CLOSE_WAIT_MS = 10_000;

export function sqlTarget(s: Scenario, ep: Endpoints, tags: Tags): IterationTarget {
  const t = s.target as Extract<Scenario['target'], { kind: 'sql' }>;
  const query = t.query ?? ep.representativeQuery;
  if (!query) throw new InfraError('the scenario names no query and the platform profile no representative one (platform.featureStore.queries.representative)', 'feature-store');
  const pool = pgPool({ ...ep.featureStore, max: s.executor.maxVUs });
  return {
    where: ep.featureStoreWhere ?? `postgres://${ep.featureStore.host}:${ep.featureStore.port}/${ep.featureStore.database}`,
    async setup() {
      try { await pool.query('SELECT 1'); } catch (e) {
        throw new InfraError(`feature store is not reachable: ${(e as Error).message}`, 'postgres');
      }
    },
    async iterate(scheduledAt, { store }) {
      let failed = 0;
      try { await pool.query(query); } catch { failed = 1; }
      store.add('feature_store_query_duration', performance.now() - scheduledAt, tags);
      store.add('feature_store_query_failed', failed, tags);
    },
    // pool.end waits for the queries in flight, which a hung database never answers (each fails only after queryTimeoutS).
    async teardown() { await within(pool.end(), CLOSE_WAIT_MS, () => new Error('not closed')).catch(() => {}); },
    async crossChecks() { return {}; },
  };
}
