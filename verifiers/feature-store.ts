import type pg from 'pg';
import { pgClient } from '../platform/postgres.ts';
import type { Check } from '../core/record.ts';
import type { FeatureStoreProfile } from '../profile/schema.ts';
import { check, failedReading as failed, passIf, round, unmeasured, type Reading } from './check.ts';

type Queries = FeatureStoreProfile['queries'];

/** What the feature-store probe read: connecting, the representative query's wall time, the freshness query's answer. */
export interface FeatureStoreEvidence {
  where: string;
  connect: Reading<{ ms: number }>;
  query?: Reading<{ ms: number; rows: number | null }>;
  freshness?: Reading<{ rows: number | null; ageS: number | null }>;
}

/** Connects, runs the profile's representative query once and its freshness query. */
export async function probeFeatureStore(conn: pg.ClientConfig, where: string, queries: Queries): Promise<FeatureStoreEvidence> {
  const client = pgClient({ connectionTimeoutMillis: 5000, ...conn });
  const t0 = performance.now();
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    await client.end().catch(() => {});
    return { where, connect: failed(e) };
  }
  const ev: FeatureStoreEvidence = { where, connect: { ok: true, ms: round(performance.now() - t0, 1) } };
  try {
    const q0 = performance.now();
    const r = await client.query(queries.representative);
    ev.query = { ok: true, ms: performance.now() - q0, rows: r.rowCount };
  } catch (e) {
    ev.query = failed(e);
  }
  try {
    const f = await client.query(queries.freshness);
    const row = f.rows[0] as { rows?: number; age_s?: number | null } | undefined;
    if (!row || !('age_s' in row)) throw new Error('platform.featureStore.queries.freshness must return one row with an age_s column');
    ev.freshness = { ok: true, rows: row.rows === undefined || row.rows === null ? null : Number(row.rows), ageS: row.age_s === null || row.age_s === undefined ? null : Number(row.age_s) };
  } catch (e) {
    ev.freshness = failed(e);
  } finally {
    await client.end().catch(() => {});
  }
  return ev;
}

/** Connectivity, the representative query's latency, and how fresh the features are. */
export function judgeFeatureStore(e: FeatureStoreEvidence, t: { queryTargetMs: number; freshnessS: number }): Check[] {
  const { where } = e;
  if (!e.connect.ok) {
    return [check('daily.feature-store.connectivity', 'feature store reachable', 'connects', 'unreachable', '', 'fail',
      { what: e.connect.error, how: 'PostgreSQL connect + SELECT 1', where })];
  }
  const out: Check[] = [check('daily.feature-store.connectivity', 'feature store reachable', 'connects', 'connected', '', 'pass',
    { what: `connected and answered SELECT 1 in ${e.connect.ms.toFixed(1)} ms`, how: 'PostgreSQL connect + SELECT 1', where })];
  const q = e.query;
  if (q) {
    out.push(q.ok
      ? check('daily.feature-store.query-latency', 'representative feature-store query', `<${t.queryTargetMs}`, round(q.ms, 1), 'ms',
        passIf(q.ms < t.queryTargetMs), { what: `${q.rows} rows`, how: 'platform.featureStore.queries.representative, run once, wall time', where, ms: q.ms })
      : unmeasured('daily.feature-store.query-latency', 'representative feature-store query', `<${t.queryTargetMs}`, 'ms', where, q.error));
  }
  const f = e.freshness;
  if (f) {
    out.push(f.ok
      ? check('daily.feature-store.freshness', 'features updated recently', `<${t.freshnessS}`, f.ageS === null ? null : round(f.ageS, 1), 's',
        f.ageS === null ? 'fail' : passIf(f.ageS < t.freshnessS), { what: `${f.rows ?? '?'} rows; newest update ${f.ageS === null ? 'never' : `${f.ageS.toFixed(1)} s ago`}`, how: 'platform.featureStore.queries.freshness (age_s)', where })
      : unmeasured('daily.feature-store.freshness', 'features updated recently', `<${t.freshnessS}`, 's', where, f.error));
  }
  return out;
}

export const featureStoreChecks = async (conn: pg.ClientConfig, where: string, queries: Queries, t: { queryTargetMs: number; freshnessS: number }): Promise<Check[]> =>
  judgeFeatureStore(await probeFeatureStore(conn, where, queries), t);

/** Finished workflow runs over the window, by workflow, as the profile's query counts them. */
export interface WorkflowEvidence { where: string; windowS: number; runs: Reading<{ workflows: Array<{ workflow: string; ok: number; failed: number }> }> }

export async function probeWorkflows(conn: pg.ClientConfig, where: string, query: string, windowS: number): Promise<WorkflowEvidence> {
  const client = pgClient({ connectionTimeoutMillis: 5000, ...conn });
  try {
    await client.connect();
    const r = await client.query(query, [windowS]);
    const workflows = (r.rows as Array<{ workflow: string; ok: number; failed: number }>).map((x) => ({ workflow: String(x.workflow), ok: Number(x.ok), failed: Number(x.failed) }));
    if (workflows.some((x) => !Number.isFinite(x.ok) || !Number.isFinite(x.failed))) throw new Error('platform.featureStore.queries.workflowRuns must return workflow, ok and failed columns');
    return { where, windowS, runs: { ok: true, workflows } };
  } catch (e) {
    return { where, windowS, runs: failed(e) };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Share of finished workflow runs that succeeded over the window (the seed's "workflow success rate"). */
export function judgeWorkflows(e: WorkflowEvidence, targetPct: number): Check[] {
  const { where, windowS } = e;
  if (!e.runs.ok) return [unmeasured('daily.workflow-success', 'batch workflow success rate', `>=${targetPct}`, '%', where, e.runs.error)];
  const rows = e.runs.workflows;
  const ok = rows.reduce((a, x) => a + x.ok, 0);
  const all = ok + rows.reduce((a, x) => a + x.failed, 0);
  const pct = all ? (100 * ok) / all : null;
  return [check('daily.workflow-success', 'batch workflow success rate', `>=${targetPct}`, pct === null ? null : round(pct, 2), '%',
    pct === null ? 'no-data' : passIf(pct >= targetPct), {
      what: rows.length ? rows.map((x) => `${x.workflow}: ${x.ok} ok, ${x.failed} failed`).join('; ') : `no workflow runs in the last ${windowS} s`,
      how: `platform.featureStore.queries.workflowRuns over the last ${windowS} s, finished runs only`, where, workflows: rows,
    })];
}
