import pg from 'pg';
import type { Check } from '../core/record.ts';
import { check, errorCheck, passIf, round } from './check.ts';
import { featureStoreQuery } from '../scenarios/definitions/feature-store-query.ts';

const QUERY = (featureStoreQuery.target as { query: string }).query;

/** Connectivity, a representative query's latency, and how fresh the features are. */
export async function featureStoreChecks(conn: pg.ClientConfig, where: string, opts: { queryTargetMs: number; freshnessS: number }): Promise<Check[]> {
  const client = new pg.Client({ ...conn, connectionTimeoutMillis: 5000 });
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
    const r = await client.query(QUERY);
    const ms = performance.now() - q0;
    out.push(check('daily.feature-store.query-latency', 'representative feature-store query', `<${opts.queryTargetMs}`, round(ms, 1), 'ms',
      passIf(ms < opts.queryTargetMs), { what: `${r.rowCount} rows`, how: 'the feature-store-query scenario\'s query, run once, wall time', where }));
    const f = await client.query(`SELECT count(*)::int AS n, extract(epoch FROM now() - max(updated_at))::float8 AS age FROM features`);
    const { n, age } = f.rows[0] as { n: number; age: number | null };
    out.push(check('daily.feature-store.freshness', 'features updated recently', `<${opts.freshnessS}`, age === null ? null : round(age, 1), 's',
      age === null ? 'fail' : passIf(age < opts.freshnessS), { what: `${n} commodities; newest update ${age === null ? 'never' : `${age.toFixed(1)} s ago`}`, how: 'now() − max(features.updated_at)', where }));
  } catch (e) {
    out.push(errorCheck('daily.feature-store.query-latency', 'representative feature-store query', `<${opts.queryTargetMs}`, 'ms', where, e));
  } finally {
    await client.end().catch(() => {});
  }
  return out;
}

/** Share of finished workflow runs that succeeded over the window (the seed's "workflow success rate"). */
export async function workflowChecks(conn: pg.ClientConfig, where: string, windowS: number, targetPct: number): Promise<Check[]> {
  const client = new pg.Client(conn);
  try {
    await client.connect();
    const r = await client.query(`SELECT workflow, count(*) FILTER (WHERE status = 'success')::int AS ok,
        count(*) FILTER (WHERE status = 'failure')::int AS failed FROM workflow_runs
      WHERE started_at > now() - make_interval(secs => $1) GROUP BY workflow ORDER BY workflow`, [windowS]);
    const rows = r.rows as Array<{ workflow: string; ok: number; failed: number }>;
    const ok = rows.reduce((a, x) => a + x.ok, 0);
    const all = ok + rows.reduce((a, x) => a + x.failed, 0);
    const pct = all ? (100 * ok) / all : null;
    return [check('daily.workflow-success', 'batch workflow success rate', `>=${targetPct}`, pct === null ? null : round(pct, 2), '%',
      pct === null ? 'no-data' : passIf(pct >= targetPct), {
        what: rows.length ? rows.map((x) => `${x.workflow}: ${x.ok} ok, ${x.failed} failed`).join('; ') : `no workflow runs in the last ${windowS} s`,
        how: 'workflow_runs rows started in the window, finished ones only', where, workflows: rows,
      })];
  } catch (e) {
    return [errorCheck('daily.workflow-success', 'batch workflow success rate', `>=${targetPct}`, '%', where, e)];
  } finally {
    await client.end().catch(() => {});
  }
}
