import type { Command } from 'commander';

export function registerJudge(program: Command): void {
  program.command('judge')
    .description('judge a stored run again, without touching the platform: its evidence against the profile\'s targets (load runs: every threshold; drills: recovery, lag, alert; security reviews: every check); writes a new record naming its source')
    .argument('<run>', 'a run: its id in the runs folder, its folder, or its record.json')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      await (await import('./actions/judge.ts')).judgeAction(ref, cmd);
    });
}
