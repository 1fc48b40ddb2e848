import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { runCommand } from '../core/run.ts';
import { durationFlag } from './options.ts';

export function registerCheck(program: Command): void {
  const checkCmd = program.command('check').description('operational checklists against the platform');
  checkCmd.command('daily')
    .description('the seed\'s morning checklist: topics, throughput, lag, feature store, inference, integrity, health, uptime, alerts, dashboards, workflows')
    .option('--window <d>', 'measurement window for throughput, lag, integrity and rates (k6 duration syntax)', '30s')
    .action(async (o: { window: string }, cmd: Command) => {
      const { configFrom, profileFrom, runOpts } = await import('./context.ts');
      const cfg = configFrom(cmd);
      const lp = profileFrom(cmd, cfg);
      const windowS = durationFlag('--window', o.window, 5000) / 1000;
      // Loaded when the command runs: `--help` and the other commands do without these clients.
      const [{ probeDaily, judgeDaily, dailyTargets }, { dailyHtml, dailyMarkdown }] = await Promise.all([import('../verifiers/daily.ts'), import('../reports/daily.ts')]);
      process.exitCode = await runCommand({
        ...runOpts(cmd, 'daily', cfg, lp),
        onFinish: (r, dir) => { writeFileSync(join(dir, 'daily.md'), dailyMarkdown(r)); writeFileSync(join(dir, 'daily.html'), dailyHtml(r)); },
      }, async (ctx) => {
        ctx.rec.setData('windowS', windowS);
        // The plan before anything is measured: the window and the targets it will be judged against.
        ctx.rec.setData('targets', dailyTargets(lp.profile));
        const evidence = await probeDaily(lp.profile, { windowS, signal: ctx.signal, progress: ctx.progress });
        // The evidence is kept: `harness judge` derives the same verdicts from the record alone.
        ctx.rec.setData('evidence', evidence);
        // Judged as the record holds it (JSON), so the verdicts are exactly those `judge` derives again.
        for (const c of judgeDaily(JSON.parse(JSON.stringify(evidence)) as typeof evidence, dailyTargets(lp.profile))) ctx.rec.addCheck(c);
      }, (r) => process.stdout.write(dailyMarkdown(r)));
    });
  checkCmd.command('security')
    .description('the seed\'s Thursday security review: the RBAC matrix (SubjectAccessReview, and grants beyond it), default-deny network policies and the declared allows, secret rotation (docs/security.md)')
    .action(async (_o: object, cmd: Command) => {
      const { configFrom, profileFrom, runOpts } = await import('./context.ts');
      const cfg = configFrom(cmd);
      const lp = profileFrom(cmd, cfg);
      const [{ probeSecurity, judgeSecurity, reviewNamespaces }, { kubeConfig }, { UsageError }] = await Promise.all([import('../verifiers/security.ts'), import('../platform/kube.ts'), import('../core/errors.ts')]);
      const k = lp.profile.platform.kubernetes;
      if (!k) throw new UsageError('platform.kubernetes', `profile "${lp.profile.name}" names no Kubernetes cluster; the security review reads one`);
      process.exitCode = await runCommand(runOpts(cmd, 'security', cfg, lp), async (ctx) => {
        const { kc } = kubeConfig(k);
        // The plan before anything is read: the targets and the namespaces the review will judge.
        ctx.rec.setData('targets', { security: lp.profile.security, namespaces: reviewNamespaces(lp.profile) });
        const evidence = await probeSecurity(lp.profile, kc, ctx.progress);
        // The evidence is kept: the verdicts can be derived again from the record alone.
        ctx.rec.setData('evidence', evidence);
        for (const c of judgeSecurity(evidence, lp.profile.security, reviewNamespaces(lp.profile))) ctx.rec.addCheck(c);
      });
    });
}
