import pg from 'pg';
import client from 'prom-client';
import { serviceEnv, serve, onShutdown, sleep } from './common.ts';
import { pgConnection } from '../postgres.ts';

/** The platform's three scheduled workflows; each run leaves a row in `workflow_runs`. */
const WORKFLOWS: Record<string, string> = {
  // Volatility of the last 10 s of prices (one batch interval), per commodity, into the feature store.
  'feature-refresh': `UPDATE features f SET volatility = s.vol FROM (
      SELECT commodity, coalesce(stddev_samp(price), 0) AS vol FROM predictions
      WHERE processed_at > now() - interval '10 seconds' GROUP BY commodity) s
    WHERE f.commodity = s.commodity`,
  'prediction-rollup': `SELECT count(*) FROM predictions WHERE processed_at > now() - interval '10 seconds'`,
  'price-quality': `SELECT count(*) FROM predictions WHERE processed_at > now() - interval '10 seconds' AND (price <= 0 OR predicted <= 0)`,
};

export async function main(): Promise<void> {
  const env = serviceEnv('batch-workflow');
  const { sb, faults } = env;
  const reg = [env.registry];
  const runs = new client.Counter({ name: 'workflow_runs_total', help: 'workflow runs by outcome', labelNames: ['workflow', 'status'], registers: reg });
  const lastSuccess = new client.Gauge({ name: 'workflow_last_success_timestamp_seconds', help: 'end of the last successful run', labelNames: ['workflow'], registers: reg });
  const pool = new pg.Pool({ ...pgConnection(sb), max: 2 });
  // A restarted PostgreSQL kills the idle connections: reconnect on the next query instead of dying with them.
  pool.on('error', (e) => process.stderr.write(`postgres connection lost: ${e.message}\n`));
  await serve(env, sb.ports.batch);
  let stopping = false;
  onShutdown(async () => { stopping = true; await pool.end(); });

  while (!stopping) {
    for (const [workflow, sql] of Object.entries(WORKFLOWS)) {
      const started = new Date();
      let id: string | null = null;
      try {
        id = (await pool.query(`INSERT INTO workflow_runs (workflow, started_at, status) VALUES ($1, $2, 'running') RETURNING id`, [workflow, started])).rows[0].id;
        const r = await pool.query(sql);
        if (Math.random() < faults.get('workflow-failure-rate')) throw new Error('step failed (injected fault workflow-failure-rate)');
        await pool.query(`UPDATE workflow_runs SET status = 'success', ended_at = now(), rows = $2 WHERE id = $1`, [id, r.rowCount ?? 0]);
        runs.inc({ workflow, status: 'success' });
        lastSuccess.set({ workflow }, Date.now() / 1000);
      } catch (e) {
        runs.inc({ workflow, status: 'failure' });
        if (id) await pool.query(`UPDATE workflow_runs SET status = 'failure', ended_at = now(), error = $2 WHERE id = $1`, [id, (e as Error).message]).catch(() => {});
      }
    }
    // Housekeeping, not a platform workflow: keep the sandbox's disk use bounded.
    await pool.query(`DELETE FROM predictions WHERE processed_at < now() - make_interval(mins => $1)`, [sb.batch.retentionMinutes]).catch(() => {});
    await pool.query(`DELETE FROM workflow_runs WHERE started_at < now() - interval '8 days'`).catch(() => {});
    await sleep(sb.batch.intervalS * 1000);
  }
}
