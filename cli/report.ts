import type { Command } from 'commander';
import type { Week1Opts } from './actions/report.ts';

export function registerReport(program: Command): void {
  const report = program.command('report').description('reports rendered from the run records');
  report.command('week1')
    .description('the week-1 success-criteria table (8 rows: PASS / FAIL / NO DATA with evidence); exit 1 if a row fails, 4 (INCOMPLETE) if none fails but one has no data or misses days')
    .option('--from <dir>', 'folder of run records (default: the runs folder)')
    .option('--since <iso>', 'start of the window (default: --until minus 7 days)')
    .option('--until <iso>', 'end of the window (default: now)')
    .option('--incidents <file>', 'incident log, CSV (id,severity,detected,responded,resolved,summary) or JSON')
    .option('--feedback <file>', 'user feedback scores, CSV (user,score,comment,date) or JSON')
    .option('--format <list>', 'comma-separated: md,html,json', 'md,html,json')
    .option('--out <dir>', 'write here (default: the run folder plus runs/latest-week1.*)')
    .action(async (o: Week1Opts, cmd: Command) => {
      process.exitCode = await (await import('./actions/report.ts')).week1(cmd, o);
    });
}
