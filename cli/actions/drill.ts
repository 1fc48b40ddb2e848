import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { configFrom, profileFrom, runOpts } from '../context.ts';
import { runCommand } from '../../core/run.ts';
import { relativeThresholds } from '../../scenarios/baseline-thresholds.ts';
import { UsageError } from '../../core/errors.ts';
import { durationFlag } from '../options.ts';
import { parseDuration } from '../../scenarios/thresholds.ts';
import { compileMessages } from '../../platform/contract.ts';
import { scenarioCatalog } from '../../scenarios/catalog.ts';
import { withOverrides } from '../../scenarios/plan.ts';
import type { PodKillPlan } from '../../drills/plan.ts';
import type { Profile } from '../../profile/schema.ts';
import type { LoadedProfile } from '../../profile/load.ts';

export interface PodKillOpts { target: string; namespace?: string; via: 'api' | 'chaos-mesh'; count: string; gracePeriod?: string; recoverySlo?: string; withLoad?: string; loadDuration: string; dryRun?: boolean; yes?: boolean; alertWait: string; schedule?: string; follow?: { schedule: string; timeoutS: number } }

const seconds = (field: string, v: string): number => durationFlag(field, v) / 1000;

/** The plan from the flags, with the profile's targets where a flag is not given; exit 2 before anything runs. */
export async function planFrom(o: PodKillOpts, lp: LoadedProfile): Promise<PodKillPlan> {
  const p = lp.profile;
  const [{ checkTarget }, { deployments }] = await Promise.all([import('../../drills/safety.ts'), import('../../platform/kube.ts')]);
  const m = o.target.match(/^(?:deployment|deploy|deployments)\/([a-z0-9][-a-z0-9.]*)$/);
  if (!m) throw new UsageError('--target', `expected deployment/NAME, got "${o.target}"`);
  const deployment = m[1]!;
  // Without -n: the namespace the profile lists this deployment under.
  const listed = p.platform.kubernetes ? deployments(p.platform.kubernetes).filter((d) => d.name === deployment && d.drill) : [];
  if (o.namespace === undefined && listed.length > 1) throw new UsageError('-n/--namespace', `deployment ${deployment} is in several namespaces of the profile (${listed.map((d) => d.namespace).join(', ')}); name one`);
  const namespace = o.namespace ?? listed[0]?.namespace ?? '';
  checkTarget(p, namespace, deployment);
  const count = Number(o.count);
  if (!Number.isInteger(count) || count < 1) throw new UsageError('--count', 'must be a whole number ≥ 1');
  let gracePeriodS: number | undefined;
  if (o.gracePeriod !== undefined) {
    gracePeriodS = Number(o.gracePeriod);
    if (!Number.isInteger(gracePeriodS) || gracePeriodS < 0) throw new UsageError('--grace-period', 'must be a whole number of seconds ≥ 0');
  }
  let withLoad;
  if (o.withLoad) {
    const { scenarios } = scenarioCatalog(lp);
    const s = scenarios[o.withLoad];
    if (!s) throw new UsageError('--with-load', `unknown scenario "${o.withLoad}"; the profile's scenarios: ${Object.keys(scenarios).join(', ')}`);
    const relative = relativeThresholds(s);
    if (relative.length) throw new UsageError('--with-load', `${s.name} judges ${relative[0]!.key} "${relative[0]!.written}" against a baseline run, and a drill names none: load the drill with a scenario of plain thresholds`);
    durationFlag('--load-duration', o.loadDuration);
    if (s.target.kind === 'kafka-produce') compileMessages(p.platform.kafka.contract);
    withLoad = withOverrides(s, { duration: o.loadDuration });
  }
  if (o.schedule !== undefined) {
    if (o.via !== 'chaos-mesh') throw new UsageError('--schedule', 'a scheduled kill is a Chaos Mesh Schedule: add --via chaos-mesh');
    if (o.withLoad) throw new UsageError('--schedule', 'a scheduled kill runs without the harness: --with-load cannot go with it (load the platform from a gate or CronJob of its own)');
    if (o.gracePeriod !== undefined) throw new UsageError('--schedule', 'a scheduled kill is always a crash (grace period 0): leave out --grace-period');
  }
  return {
    namespace, deployment, count, via: o.via, gracePeriodS, ...(o.follow ? { follow: o.follow } : {}),
    recoverySloS: o.recoverySlo === undefined ? p.slos.podRecoveryS : seconds('--recovery-slo', o.recoverySlo), recoverySloFixed: o.recoverySlo !== undefined,
    lagTargetS: p.slos.consumerLagS, withLoad, dryRun: Boolean(o.dryRun), yes: Boolean(o.yes), alertWaitS: seconds('--alert-wait', o.alertWait),
  };
}

export async function execute(cmd: Command, kind: string, opts: PodKillOpts | ((p: Profile) => Promise<PodKillOpts>)): Promise<number> {
  const cfg = configFrom(cmd);
  const lp = profileFrom(cmd, cfg);
  const o = typeof opts === 'function' ? await opts(lp.profile) : opts;
  if (o.schedule !== undefined) {
    const { checkCron } = await import('../../drills/schedules.ts');
    const cron = checkCron('--schedule', o.schedule);
    const plan = await planFrom(o, lp);
    const { scheduleDrill } = await import('../../drills/schedules.ts');
    return runCommand(runOpts(cmd, 'drill-schedule', cfg, lp), (ctx) => scheduleDrill(cfg, lp.profile, plan, cron, ctx));
  }
  const plan = await planFrom(o, lp);
  // Loaded when a drill runs: `--help` and the other commands do without the Kubernetes client.
  const [{ podKillDrill }, { drillHtml, drillMarkdown }] = await Promise.all([import('../../drills/pod-kill.ts'), import('../../reports/drill.ts')]);
  return runCommand({ ...runOpts(cmd, kind, cfg, lp), failureAborts: (r) => Boolean(r.data.injected) && !r.data.completed, onFinish: (r, dir) => { writeFileSync(join(dir, 'drill.md'), drillMarkdown(r)); writeFileSync(join(dir, 'drill.html'), drillHtml(r)); } },
    (ctx) => podKillDrill(cfg, lp.profile, plan, ctx), (r) => process.stdout.write(drillMarkdown(r)));
}

export async function followAction(o: { schedule: string; namespace?: string; timeout?: string; alertWait: string; yes?: boolean }, cmd: Command): Promise<void> {
  const timeoutMs = o.timeout === undefined ? undefined : durationFlag('--timeout', o.timeout, 1000);
  process.exitCode = await execute(cmd, 'drill', async (p) => {
    const [{ readSchedule, nextRun }, { drillKubeConfig, drillNamespaces }] = await Promise.all([import('../../drills/schedules.ts'), import('../../drills/safety.ts')]);
    const { kc } = drillKubeConfig(p);
    const namespaces = drillNamespaces(p, o.namespace);
    let found: { namespace: string; s: Awaited<ReturnType<typeof readSchedule>> } | null = null;
    for (const namespace of namespaces) {
      try { found = { namespace, s: await readSchedule(kc, namespace, o.schedule) }; break; } catch (e) { if (namespaces.length === 1 || !/not found/.test((e as Error).message)) throw e; }
    }
    if (!found) throw new UsageError('--schedule', `no Schedule ${o.schedule} in the profile's drill namespaces (${namespaces.join(', ')})`);
    const { namespace, s } = found;
    if (!s.deployment) throw new UsageError('--schedule', `Schedule ${namespace}/${o.schedule} names no target deployment (annotation carbon-harness/target)`);
    const next = nextRun(s.cron, new Date());
    const every = s.cron.match(/^@every (\S+)$/)?.[1];
    const defaultMs = next ? next.getTime() - Date.now() + 300_000 : parseDuration(every ?? '1h') + 60_000;
    return { target: `deployment/${s.deployment}`, namespace, via: 'chaos-mesh', count: String(s.count ?? 1), recoverySlo: s.recoverySloS === undefined ? undefined : `${s.recoverySloS}s`,
      loadDuration: '30s', alertWait: o.alertWait, yes: o.yes, follow: { schedule: o.schedule, timeoutS: Math.round((timeoutMs ?? defaultMs) / 1000) } };
  });
}

export async function schedulesListAction(o: { namespace?: string }, cmd: Command): Promise<void> {
  const cfg = configFrom(cmd);
  const lp = profileFrom(cmd, cfg);
  const [{ listSchedules }, { drillKubeConfig, drillNamespaces, kubeError }] = await Promise.all([import('../../drills/schedules.ts'), import('../../drills/safety.ts')]);
  const { kc } = drillKubeConfig(lp.profile);
  const namespaces = drillNamespaces(lp.profile, o.namespace);
  let list;
  try { list = await listSchedules(kc, namespaces); } catch (e) { throw kubeError(e, `Schedules in ${namespaces.join(', ')}`, '-n/--namespace'); }
  if ((cmd.optsWithGlobals() as { json?: boolean }).json) { process.stdout.write(`${JSON.stringify(list, null, 2)}\n`); return; }
  if (!list.length) { process.stdout.write(`no scheduled drills in ${namespaces.join(', ')}\n`); return; }
  for (const s of list) {
    process.stdout.write(`${s.namespace}/${s.name}  "${s.cron}"  pod-kill ${s.count} of ${s.deployment}  last ${s.lastScheduleTime ?? 'never'}  next ${s.nextRun ?? '(every, from its last run)'}  kills ${s.runs.length}${s.runs[0] ? ` (latest ${s.runs[0].name})` : ''}\n`);
  }
}

export async function schedulesDeleteAction(name: string, o: { namespace?: string }, cmd: Command): Promise<void> {
  const cfg = configFrom(cmd);
  const lp = profileFrom(cmd, cfg);
  const [{ deleteSchedule, listSchedules }, { drillKubeConfig, drillNamespaces, kubeError }, { check }] = await Promise.all([
    import('../../drills/schedules.ts'), import('../../drills/safety.ts'), import('../../verifiers/check.ts')]);
  const { kc } = drillKubeConfig(lp.profile);
  const namespaces = drillNamespaces(lp.profile, o.namespace);
  process.exitCode = await runCommand(runOpts(cmd, 'drill-schedule-delete', cfg, lp), async (ctx) => {
    let namespace: string | undefined;
    try { namespace = (await listSchedules(kc, namespaces)).find((s) => s.name === name)?.namespace; } catch (e) { throw kubeError(e, `Schedules in ${namespaces.join(', ')}`, '-n/--namespace'); }
    if (!namespace) throw new UsageError('NAME', `no scheduled drill ${name} in ${namespaces.join(', ')} (drill schedules list names them)`);
    const { runs } = await deleteSchedule(kc, namespace, name);
    ctx.rec.addCheck(check('drill.schedule-deleted', 'scheduled drill deleted, with the kills it spawned', 'gone', 'gone', '', 'pass',
      { what: `Schedule ${namespace}/${name} and ${runs} PodChaos it spawned deleted and confirmed gone`, how: 'DELETE, then GET/LIST until none is left', where: `${namespace} @ ${kc.getCurrentContext()}` }));
  });
}

export async function wednesdayAction(o: { yes?: boolean; dryRun?: boolean; loadDuration: string }, cmd: Command): Promise<void> {
  durationFlag('--load-duration', o.loadDuration, 10_000);
  // The profile's consumer deployment (drill: true, consumer: true) is the Wednesday drill's target.
  process.exitCode = await execute(cmd, 'drill', async (p) => {
    const { deployments } = await import('../../platform/kube.ts');
    const c = p.platform.kubernetes ? deployments(p.platform.kubernetes).find((d) => d.consumer && d.drill) : undefined;
    if (!c) throw new UsageError('platform.kubernetes', `profile "${p.name}" marks no deployment consumer: true and drill: true for the Wednesday drill`);
    return { target: `deployment/${c.name}`, namespace: c.namespace, via: 'api', count: '1', withLoad: 'consumer-lag', loadDuration: o.loadDuration, alertWait: '45s', yes: o.yes, dryRun: o.dryRun };
  });
}
