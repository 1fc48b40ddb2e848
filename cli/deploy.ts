/** `harness deploy render`: the manifests that run the harness in the platform's cluster (docs/deploy.md). */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { DEPLOY_DEFAULTS, manifests } from '../deploy/manifests.ts';

const DNS1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Five fields of minute, hour, day of month, month, day of week: the CronJob's own syntax (no seconds). */
const CRON = /^(\S+\s+){4}\S+$/;

interface RenderOpts { namespace: string; image?: string; suite: string; daily: string; drill: string; timeZone: string; profileSecret: string; envSecret: string; output?: string }

export function registerDeploy(program: Command): void {
  const deploy = program.command('deploy').description('run the harness in the platform\'s cluster: manifests with least privilege');
  deploy.command('render')
    .description('print the ServiceAccount, the Roles and RoleBindings (one per namespace the profile names; nothing cluster-wide), the gate Job and the daily and drill CronJobs, as YAML')
    .requiredOption('--image <ref>', 'the harness\'s container image (built from this repository)')
    .option('--namespace <ns>', 'where the harness runs', DEPLOY_DEFAULTS.namespace)
    .option('--suite <name>', 'the suite the gate Job runs', DEPLOY_DEFAULTS.suite)
    .option('--daily <cron>', 'the daily check\'s schedule', DEPLOY_DEFAULTS.dailySchedule)
    .option('--drill <cron>', 'the Wednesday drill\'s schedule', DEPLOY_DEFAULTS.drillSchedule)
    .option('--time-zone <tz>', 'the schedules\' time zone', DEPLOY_DEFAULTS.timeZone)
    .option('--profile-secret <name>', 'Secret holding profile.yaml (platform.kubernetes.inCluster: true)', DEPLOY_DEFAULTS.profileSecret)
    .option('--env-secret <name>', 'Secret whose keys become the environment (the profile\'s ${VAR}s)', DEPLOY_DEFAULTS.envSecret)
    .option('-o, --output <file>', 'write here instead of stdout')
    .action(async (o: RenderOpts, cmd: Command) => {
      for (const [flag, v] of [['--namespace', o.namespace], ['--profile-secret', o.profileSecret], ['--env-secret', o.envSecret]] as const) {
        if (!DNS1123.test(v)) throw new UsageError(flag, `"${v}" is not a Kubernetes name (lower-case letters, digits and -)`);
      }
      if (!o.image?.trim()) throw new UsageError('--image', 'names no image');
      for (const [flag, v] of [['--daily', o.daily], ['--drill', o.drill]] as const) {
        if (!CRON.test(v.trim())) throw new UsageError(flag, `"${v}" is not a five-field cron schedule (minute hour day-of-month month day-of-week)`);
      }
      if (o.output !== undefined && !o.output.trim()) throw new UsageError('--output', 'names no file');
      const [{ stringify }, { configFrom, profileFrom }] = await Promise.all([import('yaml'), import('./context.ts')]);
      const lp = profileFrom(cmd, configFrom(cmd));
      const k = lp.profile.platform.kubernetes;
      if (!k) throw new UsageError('platform.kubernetes', `profile "${lp.profile.name}" names no cluster: nothing to grant`);
      if (!k.inCluster) throw new UsageError('platform.kubernetes.inCluster', `render from the profile the jobs will read, with platform.kubernetes.inCluster: true (${lp.source} names a kubeconfig)`);
      const docs = manifests(lp.profile, {
        namespace: o.namespace, image: o.image.trim(), suite: o.suite, dailySchedule: o.daily.trim(), drillSchedule: o.drill.trim(),
        timeZone: o.timeZone, profileSecret: o.profileSecret, envSecret: o.envSecret,
      });
      const text = `# carbon-harness in the cluster, rendered from profile "${lp.profile.name}" (docs/deploy.md).\n`
        + `# First: kubectl create namespace ${o.namespace}; kubectl -n ${o.namespace} create secret generic ${o.profileSecret} --from-file=profile.yaml=PROFILE\n`
        + docs.map((d) => `---\n${stringify(d)}`).join('');
      if (o.output) writeFileSync(o.output, text);
      else process.stdout.write(text);
    });
}
