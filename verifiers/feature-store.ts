import type pg from 'pg';
import { pgClient } from '../platform/postgres.ts';
import type { Check } from '../core/record.ts';
import type { FeatureStoreProfile } from '../profile/schema.ts';
import { check, errorCheck, passIf, round } from './check.ts';

type Queries = FeatureStoreProfile['queries'];

/** Connectivity, the profile's representative query's latency, and how fresh the features are. */
export async function featureStoreChecks(conn: pg.ClientConfig, where: string, queries: Queries, opts: { queryTargetMs: number; freshnessS: number }): Promise<Check[]> {
  const client = pgClient({ connectionTimeoutMillis: 5000, ...conn });
  const t0 = performance.now();
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    await client.end().catch(() => {});
    return [check('daily.feature-store.connectivity', 'feature store reachable', 'connects', 'unreachable', '', 'fail',
      { what: (e as Error).message, how: 'PostgreSQL connect + SELECT 1', where })];
  }
  const connectMs = performance.now() - t0;
  const out: Check[] = [check('daily.feature-store.connectivity', 'feature store reachable', 'connects', 'connected', '', 'pass',
    { what: `connected and answered SELECT 1 in ${connectMs.toFixed(1)} ms`, how: 'PostgreSQL connect + SELECT 1', where })];
  try {
    const q0 = performance.now();
    const r = await client.query(queries.representative);
    const ms = performance.now() - q0;
    out.push(check('daily.feature-store.query-latency', 'representative feature-store query', `<${opts.queryTargetMs}`, round(ms, 1), 'ms',
      passIf(ms < opts.queryTargetMs), { what: `${r.rowCount} rows`, how: 'platform.featureStore.queries.representative, run once, wall time', where }));
  } catch (e) {
    out.push(errorCheck('daily.feature-store.query-latency', 'representative feature-store query', `<${opts.queryTargetMs}`, 'ms', where, e));
  }
  try {
    const f = await client.query(queries.freshness);
    const row = f.rows[0] as { rows?: number; age_s?: number | null } | undefined;
    if (!row || !('age_s' in row)) throw new Error('platform.featureStore.queries.freshness must return one row with an age_s column');
    const age = row.age_s === null || row.age_s === undefined ? null : Number(row.age_s);
    out.push(check('daily.feature-store.freshness', 'features updated recently', `<${opts.freshnessS}`, age === null ? null : round(age, 1), 's',
      age === null ? 'fail' : passIf(age < opts.freshnessS), { what: `${row.rows ?? '?'} rows; newest update ${age === null ? 'never' : `${age.toFixed(1)} s ago`}`, how: 'platform.featureStore.queries.freshness (age_s)', where }));
  } catch (e) {
    out.push(errorCheck('daily.feature-store.freshness', 'features updated recently', `<${opts.freshnessS}`, 's', where, e));
  } finally {
    await client.end().catch(() => {});
  }
  return out;
}

/** Share of finished workflow runs that succeeded over the window (the seed's "workflow success rate"). */
export async function workflowChecks(conn: pg.ClientConfig, where: string, query: string, windowS: number, targetPct: number): Promise<Check[]> {
  const client = pgClient({ connectionTimeoutMillis: 5000, ...conn });
  try {
    await client.connect();
    const r = await client.query(query, [windowS]);
    const rows = (r.rows as Array<{ workflow: string; ok: number; failed: number }>).map((x) => ({ workflow: String(x.workflow), ok: Number(x.ok), failed: Number(x.failed) }));
    if (rows.some((x) => !Number.isFinite(x.ok) || !Number.isFinite(x.failed))) throw new Error('platform.featureStore.queries.workflowRuns must return workflow, ok and failed columns');
    const ok = rows.reduce((a, x) => a + x.ok, 0);
    const all = ok + rows.reduce((a, x) => a + x.failed, 0);
    const pct = all ? (100 * ok) / all : null;
    return [check('daily.workflow-success', 'batch workflow success rate', `>=${targetPct}`, pct === null ? null : round(pct, 2), '%',
      pct === null ? 'no-data' : passIf(pct >= targetPct), {
        what: rows.length ? rows.map((x) => `${x.workflow}: ${x.ok} ok, ${x.failed} failed`).join('; ') : `no workflow runs in the last ${windowS} s`,
        how: `platform.featureStore.queries.workflowRuns over the last ${windowS} s, finished runs only`, where, workflows: rows,
      })];
  } catch (e) {
    return [errorCheck('daily.workflow-success', 'batch workflow success rate', `>=${targetPct}`, '%', where, e)];
  } finally {
    await client.end().catch(() => {});
  }
}
