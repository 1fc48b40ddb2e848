/** Feature-store queries through xk6-sql, recorded under the native engine's metric names. */
import sql, { type Database } from 'k6/x/sql';
import driver from 'k6/x/sql/driver/postgres';
import { Trend, Rate } from 'k6/metrics';
import { FEATURE_STORE_URL } from './platform.ts';

const queryDuration = new Trend('feature_store_query_duration', true);
const queryFailed = new Rate('feature_store_query_failed');

export function openFeatureStore(): Database {
  return sql.open(driver, FEATURE_STORE_URL);
}

export function timedQuery(db: Database, query: string): void {
  const t0 = Date.now();
  let failed = false;
  try {
    db.query(query);
  } catch (_) {
    failed = true;
  }
  queryDuration.add(Date.now() - t0);
  queryFailed.add(failed);
}
