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

export interface SplitResult { processes: number; rate: number; count: number; dropped: number; failed: number; cpuUsPerUnit: number; readBack: number | null }

interface ChildResult { count: number; from: number; to: number; dropped: number; failed: number; cpuUs: number; readBack: number | null }

/**
 * `scenario` is the whole load: each process gets 1/PROCESSES of its rate and VUs. The rate is
 * everything sent over the span from the first window's start to the last one's end, so a
 * process that started its clock later does not add a second of its own.
 */
export async function splitRun(scenario: Scenario, endpoints: Endpoints): Promise<SplitResult> {
  const ex = scenario.executor;
  if (ex.executor !== 'constant-arrival-rate') throw new Error('split runs take a constant arrival rate');
  const vus = Math.max(1, Math.floor(ex.maxVUs / PROCESSES));
  const part: Scenario = { ...scenario, executor: { ...ex, rate: Math.ceil(ex.rate / PROCESSES), preAllocatedVUs: Math.min(ex.preAllocatedVUs, vus), maxVUs: vus } };
  // Far enough ahead for both to load their modules first.
  const startAt = Date.now() + 4000;
  const outs = await Promise.all(Array.from({ length: PROCESSES }, (_, index) =>
    run(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', 'split-child.ts'), JSON.stringify({ scenario: part, endpoints, startAt, index })], { cwd: projectRoot, maxBuffer: 1 << 20 })));
  const rs = outs.map((o) => JSON.parse(o.stdout.trim().split('\n').at(-1)!) as ChildResult);
  const sum = (f: (r: ChildResult) => number) => rs.reduce((a, r) => a + f(r), 0);
  const spanS = (Math.max(...rs.map((r) => r.to)) - Math.min(...rs.map((r) => r.from))) / 1000;
  return {
    processes: PROCESSES,
    rate: sum((r) => r.count) / spanS,
    count: sum((r) => r.count),
    dropped: sum((r) => r.dropped),
    failed: sum((r) => r.failed),
    cpuUsPerUnit: sum((r) => r.cpuUs) / Math.max(1, sum((r) => r.count)),
    readBack: rs.every((r) => r.readBack !== null) ? sum((r) => r.readBack!) : null,
  };
}
