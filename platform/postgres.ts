import pg from 'pg';

/**
 * A client whose connection can die under it (the server restarted, a failover) without taking the
 * harness down: pg emits such a death as an 'error' event, which with no listener kills the process
 * with a stack trace and exit 1, as if an SLO had failed. The query in flight still rejects, and
 * that is where the check records it.
 */
export function pgClient(config: pg.ClientConfig): pg.Client {
  const c = new pg.Client(config);
  c.on('error', () => {});
  return c;
}

/** A pool likewise: an idle client's dead connection is dropped, the next query reconnects or rejects. */
export function pgPool(config: pg.PoolConfig): pg.Pool {
  const p = new pg.Pool(config);
  p.on('error', () => {});
  return p;
}
