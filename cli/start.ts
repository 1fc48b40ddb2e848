import type { Command } from 'commander';
import { configFrom, runOpts } from './main.ts';
import { runCommand } from '../core/run.ts';
import { sandboxContext, sandboxUp } from '../sandbox/index.ts';
import { partCheck, printStatus } from './sandbox.ts';

/**
 * `npm start`. Until the week-1 suite lands (gate, daily check, drill, report), the main job
 * brings the platform up and reports the health of every part.
 */
export async function startMain(cmd: Command): Promise<number> {
  const cfg = configFrom(cmd);
  return runCommand(runOpts(cmd, 'start', cfg), async ({ rec, progress }) => {
    progress('carbon-harness: bringing the sandbox platform up (first run installs and downloads; later runs reuse the cache)…');
    const statuses = await sandboxUp(sandboxContext(cfg, progress));
    rec.setData('parts', statuses);
    statuses.forEach((s) => rec.addCheck(partCheck(s)));
  }, printStatus);
}
