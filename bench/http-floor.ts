/**
 * The engine's HTTP client alone: undici's Pool with the engine's own answer handler, in a closed
 * loop (each connection sends its next request when the answer is read, as wrk does), with no
 * clock, VUs or metrics. What it reaches is the ceiling of any engine built on this client here,
 * so the table can say how much of the gap to wrk is the engine and how much the client.
 */
import { Pool, type Dispatcher } from 'undici';
import { StatusHandler } from '../scenarios/engines/native/http-target.ts';

export interface FloorRun { rps: number; cpuUsPerReq: number; failed: number }

/** `warmS` of the loop first on the same pool (connections opened, code warmed), then `durationS` measured. */
export async function undiciClosedLoop(url: string, connections: number, durationS: number, warmS: number): Promise<FloorRun> {
  // The engine's pool options (http-target.ts), so a stalled target stops a run as it stops the engine's.
  const pool = new Pool(url, { connections, headersTimeout: 60_000, bodyTimeout: 60_000 });
  // The engine's request for the bench's scenario (GET /, its default content-type header).
  const req: Dispatcher.DispatchOptions = { path: '/', method: 'GET', headers: { 'content-type': 'application/json' } };
  /** One closed loop of `seconds`: every connection's last answer read before it returns. */
  const loop = (seconds: number) => new Promise<{ answered: number; failed: number }>((resolve) => {
    let answered = 0;
    let failed = 0;
    let open = 0;
    const until = performance.now() + seconds * 1000;
    const one = (): void => {
      open++;
      pool.dispatch(req, new StatusHandler((status) => {
        open--;
        if (status !== 200) failed++;
        answered++;
        if (performance.now() < until) one();
        else if (open === 0) resolve({ answered, failed });
      }));
    };
    for (let i = 0; i < connections; i++) one();
  });
  try {
    if (warmS > 0) await loop(warmS);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { answered, failed } = await loop(durationS);
    const elapsedS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { rps: answered / elapsedS, cpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, answered), failed };
  } finally {
    await pool.destroy();
  }
}
