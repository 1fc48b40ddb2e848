import { Pool as HttpPool } from 'undici';
import { InfraError } from '../../../core/errors.ts';
import type { Scenario } from '../../types.ts';
import type { Tags } from '../../metrics.ts';
import type { Endpoints } from '../../endpoints.ts';
import { tlsOptions } from '../../../platform/tls.ts';
import type { IterationTarget } from './iteration-target.ts';

export function httpTarget(s: Scenario, ep: Endpoints, tags: Tags): IterationTarget {
  const t = s.target as Extract<Scenario['target'], { kind: 'http' }>;
  const tls = tlsOptions(ep.inference?.tls);
  const pool = new HttpPool(ep.inferenceApi, { connections: s.executor.maxVUs, headersTimeout: 60_000, bodyTimeout: 60_000, ...(tls ? { connect: tls } : {}) });
  // The profile's headers (an auth header among them) and body template; the scenario's own path and method.
  const headers = ep.inference?.request.headers ?? { 'content-type': 'application/json' };
  const bodyFor = (commodity: string) => (ep.inference?.request.body !== undefined ? ep.inference.request.body.replaceAll('{{commodity}}', commodity) : JSON.stringify({ commodity }));
  const healthPath = ep.inferenceHealthPath ?? '/healthz';
  let i = 0;
  // One tag object per status: the store keys its series by the object (scenarios/metrics.ts).
  const byStatus = new Map<number, Tags>();
  const statusTags = (status: number): Tags => {
    let rt = byStatus.get(status);
    if (!rt) byStatus.set(status, (rt = { ...tags, method: t.method, status: String(status) }));
    return rt;
  };
  return {
    where: `${t.method} ${ep.inferenceApi}${t.path}`,
    async setup() {
      try {
        const r = await pool.request({ path: healthPath, method: 'GET', headers, headersTimeout: 3000 });
        await r.body.dump();
        if (r.statusCode !== 200) throw new Error(`${healthPath} answered ${r.statusCode}`);
      } catch (e) {
        throw new InfraError(`inference API at ${ep.inferenceApi} is not reachable: ${(e as Error).message}`, 'inference-api');
      }
    },
    async iterate(scheduledAt, { store }) {
      const commodity = ep.commodities[i++ % ep.commodities.length]!;
      let status = 0;
      try {
        const r = await pool.request({
          path: t.path, method: t.method,
          headers,
          body: t.body ? bodyFor(commodity) : undefined,
        });
        await r.body.dump();
        status = r.statusCode;
      } catch {
        status = 0;
      }
      const ms = performance.now() - scheduledAt;
      const rt = statusTags(status);
      store.add('http_reqs', 1, rt);
      store.add('http_req_duration', ms, rt);
      store.add('http_req_failed', status === 0 || status >= 400 ? 1 : 0, rt);
    },
    // Requests still open after the graceful stop are interrupted, as k6 interrupts iterations:
    // close() would wait out their 60 s timeout against a target that hangs.
    async teardown() { await pool.destroy(); },
    async crossChecks() { return {}; },
  };
}
