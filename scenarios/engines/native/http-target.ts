import { Pool as HttpPool, type Dispatcher } from 'undici';
import { InfraError } from '../../../core/errors.ts';
import type { Scenario } from '../../types.ts';
import type { Tags } from '../../metrics.ts';
import type { Endpoints } from '../../endpoints.ts';
import { tlsOptions } from '../../../platform/tls.ts';
import type { IterationTarget } from './iteration-target.ts';

/**
 * One request's answer: its status once the body has been read to the end, 0 for a transport error
 * (an answer cut off part-way through its body among them: it never reached the caller whole).
 * undici's `dispatch` with this handler instead of `request()`: no body stream and no promise per
 * answer, the body is read and let go, however long (docs/load-generator.md has the measurement).
 */
export class StatusHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private done: ((status: number) => void) | null;
  constructor(done: (status: number) => void) { this.done = done; }
  onRequestStart(): void {}
  // 1xx answers come first and are followed by the final one: the last status is the answer's.
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void { this.status = statusCode; }
  onResponseData(): void {}
  onResponseEnd(): void { this.finish(this.status); }
  onResponseError(): void { this.finish(0); }
  // Counted once, whatever undici reports after the end.
  private finish(status: number): void { const d = this.done; this.done = null; d?.(status); }
}

export function httpTarget(s: Scenario, ep: Endpoints, tags: Tags): IterationTarget {
  const t = s.target as Extract<Scenario['target'], { kind: 'http' }>;
  const tls = tlsOptions(ep.inference?.tls);
  const pool = new HttpPool(ep.inferenceApi, { connections: s.executor.maxVUs, headersTimeout: 60_000, bodyTimeout: 60_000, ...(tls ? { connect: tls } : {}) });
  // The profile's headers (an auth header among them) and body template; the scenario's own path and method.
  const headers = ep.inference?.request.headers ?? { 'content-type': 'application/json' };
  const template = ep.inference?.request.body;
  // Each commodity's request, built once: the body is the same every time it comes round.
  const requests: Dispatcher.DispatchOptions[] = ep.commodities.map((commodity) => ({
    path: t.path, method: t.method, headers,
    body: t.body ? Buffer.from(template !== undefined ? template.replaceAll('{{commodity}}', commodity) : JSON.stringify({ commodity })) : undefined,
  }));
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
    iterate(scheduledAt, { store }) {
      const req = requests[i++ % requests.length]!;
      return new Promise<void>((resolve, reject) => {
        pool.dispatch(req, new StatusHandler((status) => {
          // undici catches what its handler throws: a failure here must still end the iteration (as the
          // generator's own, which stops the run), never leave its VU busy.
          try {
            const ms = performance.now() - scheduledAt;
            const rt = statusTags(status);
            store.add('http_reqs', 1, rt);
            store.add('http_req_duration', ms, rt);
            store.add('http_req_failed', status === 0 || status >= 400 ? 1 : 0, rt);
            resolve();
          } catch (e) {
            reject(e);
          }
        }));
      });
    },
    // Requests still open after the graceful stop are interrupted, as k6 interrupts iterations:
    // close() would wait out their 60 s timeout against a target that hangs.
    async teardown() { await pool.destroy(); },
    async crossChecks() { return {}; },
  };
}
