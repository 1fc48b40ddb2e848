import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { configFrom, profileFrom, runOpts } from './main.ts';
import { runCommand } from '../core/run.ts';
import { UsageError } from '../core/errors.ts';
import { dailyChecks } from '../verifiers/daily.ts';
import { dailyHtml, dailyMarkdown } from '../reports/daily.ts';
import { durationMs } from '../scenarios/verdict.ts';

export function registerCheck(program: Command): void {
  const checkCmd = program.command('check').description('operational checklists against the platform');
  checkCmd.command('daily')
    .description('the seed\'s morning checklist: topics, throughput, lag, feature store, inference, integrity, health, uptime, alerts, dashboards, workflows')
    .option('--window <d>', 'measurement window for throughput, lag, integrity and rates (k6 duration syntax)', '30s')
    .action(async (o: { window: string }, cmd: Command) => {
      const cfg = configFrom(cmd);
      const lp = profileFrom(cmd, cfg);
      let windowS: number;
      try { windowS = durationMs(o.window) / 1000; } catch (e) { throw new UsageError('--window', (e as Error).message); }
      if (!(windowS >= 5)) throw new UsageError('--window', 'must be at least 5s');
      process.exitCode = await runCommand({
        ...runOpts(cmd, 'daily', cfg, lp),
        onFinish: (r, dir) => { writeFileSync(join(dir, 'daily.md'), dailyMarkdown(r)); writeFileSync(join(dir, 'daily.html'), dailyHtml(r)); },
      }, async (ctx) => {
        ctx.rec.setData('windowS', windowS);
        for (const c of await dailyChecks(lp.profile, { windowS, signal: ctx.signal, progress: ctx.progress })) ctx.rec.addCheck(c);
      }, (r) => process.stdout.write(dailyMarkdown(r)));
    });
}
