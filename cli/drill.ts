import { Option, type Command } from 'commander';
import type { PodKillOpts } from './actions/drill.ts';

/** The drills themselves, loaded when one runs: their help and flags need none of it. */
const drills = () => import('./actions/drill.ts');

export function registerDrill(program: Command): void {
  const drill = program.command('drill').description('chaos drills against Kubernetes workloads, with a recovery timeline and verdict');
  drill.command('pod-kill')
    .description('kill pods of a deployment and measure recovery: LIST+WATCH timeline, alert, lag, data loss')
    .requiredOption('--target <deployment/NAME>', 'workload whose pods to kill, e.g. deployment/prediction-consumer')
    .option('-n, --namespace <ns>', 'namespace; default: the one the profile lists the deployment under (drills may only target deployments the profile marks drill: true)')
    .addOption(new Option('--via <how>', 'delete pods through the API, or create a Chaos Mesh PodChaos').choices(['api', 'chaos-mesh']).default('api'))
    .option('--count <n>', 'pods to kill (capped by drills.maxPods / maxPercent)', '1')
    .option('--grace-period <s>', 'seconds the pod gets to stop (0 = killed at once, as a crash); default: the pod\'s own (--via chaos-mesh: 0)')
    .option('--recovery-slo <d>', 'desired replicas Ready again within this; default: the profile\'s slos.podRecoveryS (seed: 30 s)')
    .option('--with-load <scenario>', 'run a load scenario through the drill')
    .option('--load-duration <d>', 'duration of the load', '30s')
    .option('--alert-wait <d>', 'how long to wait for the alert notification after the kill', '45s')
    .option('--schedule <cron>', 'kill on a schedule instead of now: a Chaos Mesh Schedule (with --via chaos-mesh) on a five-field cron, a descriptor (@daily) or @every <duration>; follow a run with `drill follow`')
    .option('--dry-run', 'print what would be killed; change nothing')
    .option('--yes', 'act even on a kubeconfig context not in drills.allowContexts')
    .action(async (o: PodKillOpts, cmd: Command) => {
      process.exitCode = await (await drills()).execute(cmd, 'drill', o);
    });
  drill.command('follow')
    .description('wait for the next kill of a scheduled drill (drill pod-kill --schedule) and measure it as a drill: recovery timeline, alert, lag, data loss')
    .requiredOption('--schedule <name>', 'the Schedule, as `drill schedules list` names it')
    .option('-n, --namespace <ns>', 'its namespace; default: the profile\'s drill namespace that has it')
    .option('--timeout <d>', 'how long to wait for the kill; default: until the schedule\'s next run, plus 5 minutes')
    .option('--alert-wait <d>', 'how long to wait for the alert notification after the kill', '45s')
    .option('--yes', 'act even on a kubeconfig context not in drills.allowContexts')
    .action(async (o: { schedule: string; namespace?: string; timeout?: string; alertWait: string; yes?: boolean }, cmd: Command) => {
      await (await drills()).followAction(o, cmd);
    });
  const schedules = drill.command('schedules').description('the scheduled drills the harness created (Chaos Mesh Schedules)');
  schedules.command('list')
    .description('list them: cron, target, last and next run, the kills each has spawned')
    .option('-n, --namespace <ns>', 'only this namespace; default: every drill namespace of the profile')
    .action(async (o: { namespace?: string }, cmd: Command) => {
      await (await drills()).schedulesListAction(o, cmd);
    });
  schedules.command('delete')
    .description('delete a scheduled drill and the kills it spawned')
    .argument('<name>', 'the Schedule, as `drill schedules list` names it')
    .option('-n, --namespace <ns>', 'its namespace; default: the profile\'s drill namespace that has it')
    .action(async (name: string, o: { namespace?: string }, cmd: Command) => {
      await (await drills()).schedulesDeleteAction(name, o, cmd);
    });
  drill.command('wednesday')
    .description('the seed\'s incident-response drill: steady state, a consumer pod killed under load, recovery < 30 s, alert, no data lost, response times documented')
    .option('--yes', 'act even on a kubeconfig context not in drills.allowContexts')
    .option('--dry-run', 'print what would be killed; change nothing')
    .option('--load-duration <d>', 'how long the consumer-lag load runs (the kill comes 3 s in; at least 10s, to see recovery under load)', '25s')
    .action(async (o: { yes?: boolean; dryRun?: boolean; loadDuration: string }, cmd: Command) => {
      await (await drills()).wednesdayAction(o, cmd);
    });
}
