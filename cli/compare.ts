import type { Command } from 'commander';
import { COMPARE_DEFAULTS } from '../verifiers/baseline-options.ts';
import type { CompareFlags } from './actions/compare.ts';

/** The comparison's flags, shared by `compare`, `gate` and `run`. */
export const compareFlags = (c: Command): Command => c
  .option('--alpha <p>', 'significance level of the tests', String(COMPARE_DEFAULTS.alpha))
  .option('--min-delta-pct <n>', 'smallest slowdown (or throughput drop) in % that counts', String(COMPARE_DEFAULTS.minDeltaPct))
  .option('--min-delta-ms <n>', 'smallest p95 slowdown in ms that counts', String(COMPARE_DEFAULTS.minDeltaMs))
  .option('--min-error-pts <n>', 'smallest rise of the failed share in percentage points that counts', String(COMPARE_DEFAULTS.minErrorPts));

export function registerCompare(program: Command): void {
  compareFlags(program.command('compare')
    .description('is CURRENT slower or failing more than BASELINE? per scenario: p95 (per-second series, Mann–Whitney U), throughput, failed share; exit 1 on a regression')
    .argument('<baseline>', 'a load run: its id in the runs folder, its folder, its record.json, or latest-pass')
    .argument('<current>', 'a load run: its id, folder or record.json'))
    .action(async (baselineRef: string, currentRef: string, o: CompareFlags, cmd: Command) => {
      await (await import('./actions/compare.ts')).compareAction(baselineRef, currentRef, o, cmd);
    });
}
