/**
 * The same load split over two generator processes started together, each with half the offered
 * rate and half the VUs: what running the engine on more threads could reach on this machine,
 * measured beside the one-process figure and the peer in the same run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import type { Scenario } from '../scenarios/types.ts';
import type { Endpoints } from '../scenarios/endpoints.ts';

const run = promisify(execFile);
export const PROCESSES = 2;

export interface SplitResult { processes: number; rate: number; dropped: number; cpuUsPerUnit: number; readBack: number | null }

interface ChildResult { rate: number; count: number; dropped: number; cpuUs: number; readBack: number | null }

/** `scenario` is the whole load: each process gets 1/PROCESSES of its rate and VUs. */
export async function splitRun(scenario: Scenario, endpoints: Endpoints): Promise<SplitResult> {
  const ex = scenario.executor;
  if (ex.executor !== 'constant-arrival-rate') throw new Error('split runs take a constant arrival rate');
  const vus = Math.max(1, Math.floor(ex.maxVUs / PROCESSES));
  const part: Scenario = { ...scenario, executor: { ...ex, rate: Math.ceil(ex.rate / PROCESSES), preAllocatedVUs: Math.min(ex.preAllocatedVUs, vus), maxVUs: vus } };
  // Far enough ahead for both to load their modules first: the windows coincide.
  const startAt = Date.now() + 4000;
  const arg = JSON.stringify({ scenario: part, endpoints, startAt });
  const outs = await Promise.all(Array.from({ length: PROCESSES }, () =>
    run(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', 'split-child.ts'), arg], { cwd: projectRoot, maxBuffer: 1 << 20 })));
  const rs = outs.map((o) => JSON.parse(o.stdout.trim().split('\n').at(-1)!) as ChildResult);
  const count = rs.reduce((a, r) => a + r.count, 0);
  return {
    processes: PROCESSES,
    rate: rs.reduce((a, r) => a + r.rate, 0),
    dropped: rs.reduce((a, r) => a + r.dropped, 0),
    cpuUsPerUnit: rs.reduce((a, r) => a + r.cpuUs, 0) / Math.max(1, count),
    readBack: rs.every((r) => r.readBack !== null) ? rs.reduce((a, r) => a + r.readBack!, 0) : null,
  };
}
