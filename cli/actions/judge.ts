import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { configFrom, profileFrom, runOpts } from '../context.ts';
import { runsDir } from '../../core/config.ts';
import { runCommand } from '../../core/run.ts';
import { UsageError } from '../../core/errors.ts';
import type { Check, RunRecord } from '../../core/record.ts';
import { readRecordFile } from '../../core/journal.ts';
import type { LoadedProfile } from '../../profile/load.ts';
import type { ScenarioResult } from '../../scenarios/result.ts';
import type { Scenario } from '../../scenarios/types.ts';
import type { DrillObservation, DrillSteady, DrillTargets } from '../../drills/judge.ts';
import { check } from '../../verifiers/check.ts';

/** A stored run: its id in the runs folder, its folder, or its record.json. */
function readRun(ref: string, runs: string): { record: RunRecord; file: string } {
  if (ref.trim() === '') throw new UsageError('<run>', 'names no run');
  const at = [isAbsolute(ref) ? ref : resolve(process.cwd(), ref), join(runs, ref)].find((p) => existsSync(p));
  if (!at) throw new UsageError('<run>', `no run "${ref}" here or in ${runs}`);
  const file = statSync(at).isDirectory() ? join(at, 'record.json') : at;
  const parsed = readRecordFile(file);
  if ('error' in parsed) throw new UsageError('<run>', parsed.unreadable ? `${file}: not a run record (${parsed.error})` : `${file}: not a run record this harness can read: ${parsed.error}`);
  const { record } = parsed;
  return { record, file };
}

const copied = (c: Check): Check => ({ ...c, evidence: { ...c.evidence, judged: 'copied from the source record: this check is not re-judged from stored evidence yet' } });

/** A load run's checks again: each scenario's thresholds under the profile's targets, from the stored summary and histograms. */
async function loadChecks(r: RunRecord, lp: LoadedProfile): Promise<{ checks: Check[]; rejudged: string[] }> {
  const [{ scenarioCatalog }, { rejudge, unreplayable }, { scenarioChecks }, { relativeThresholds, resolveRelative, withoutRelative }] = await Promise.all([
    import('../../scenarios/catalog.ts'), import('../../scenarios/replay.ts'), import('../../verifiers/load.ts'), import('../../scenarios/baseline-thresholds.ts')]);
  const catalog = scenarioCatalog(lp).scenarios;
  const planned = ((r.data.plan as { scenarios?: Scenario[] } | undefined)?.scenarios ?? []);
  const out: Check[] = [];
  const rejudged: string[] = [];
  const results = (r.data.scenarios ?? []) as ScenarioResult[];
  // A planned scenario that never ran has nothing to judge: no data, never a pass.
  for (const s of planned.filter((x) => !results.some((res) => res.scenario === x.name))) {
    out.push(check(`${s.name}:result`, `${s.name}: a result to judge`, 'stored', null, '', 'no-data',
      { what: `${r.id} planned ${s.name} but holds no result for it (${r.status}${r.error ? `: ${r.error}` : ''})`, how: 'the record\'s data.scenarios', where: r.id }));
  }
  for (const result of results) {
    const plan = planned.find((s) => s.name === result.scenario);
    const today = catalog[result.scenario];
    // Today's thresholds for this profile, on the scenario as it ran (its executor, its target).
    let s = plan ? { ...plan, thresholds: today?.thresholds ?? plan.thresholds } : today;
    // Thresholds against a baseline are judged against the baseline value the run resolved (in
    // its plan); one the run never resolved cannot be judged from this record.
    // A run made with --no-baseline left them out on purpose: judged again without them, as it ran.
    const leftOut = ((r.data.plan as { baselineLeftOut?: Array<{ scenario: string }> } | undefined)?.baselineLeftOut ?? []).some((x) => x.scenario === result.scenario);
    if (s && leftOut && !plan?.baselineThresholds?.length) s = withoutRelative(s);
    if (s && relativeThresholds(s).length) {
      const stored = plan?.baselineThresholds ?? [];
      try {
        s = resolveRelative(s, stored[0]?.runId ?? '(none)', (metric, agg) => stored.find((b) => b.metric === metric && b.aggregation === agg)?.value).scenario;
      } catch (e) {
        out.push(check(`${result.scenario}:baseline-thresholds`, `${result.scenario}: thresholds relative to a baseline`, 'a baseline value in the record', null, '', 'error',
          { what: `${(e as Error).message}: this run resolved no such baseline value (its plan's baselineThresholds), so it cannot be judged here`, how: 'the record\'s data.plan', where: r.id }));
        s = withoutRelative(s);
      }
    }
    if (!s) {
      out.push(...r.checks.filter((c) => c.id.startsWith(`${result.scenario}:`)).map(copied));
      continue;
    }
    const cannot = new Set(unreplayable(s));
    const again = rejudge(s, result);
    // scenarioChecks gives one check per threshold first, in the thresholds' order.
    scenarioChecks(s, again).forEach((c, i) => {
      const t = again.thresholds[i];
      out.push(t && cannot.has(`${t.key} ${t.expr}`)
        ? { ...c, status: 'error', observed: null, evidence: { ...c.evidence, what: `cannot be re-judged from the stored summary (it filters on a tag other than the scenario): ${c.evidence.what}` } }
        : c);
      rejudged.push(c.id);
    });
  }
  // Baseline comparisons read another record: kept as they were judged.
  out.push(...r.checks.filter((c) => c.id.startsWith('baseline:')).map(copied));
  return { checks: out, rejudged };
}

/** A drill's checks again: its stored observation against the profile's recovery, lag and alert targets. */
async function drillChecksAgain(r: RunRecord, lp: LoadedProfile): Promise<{ checks: Check[]; rejudged: string[] }> {
  const { drillChecks, steadyChecks } = await import('../../drills/judge.ts');
  const obs = r.data.observation as DrillObservation | undefined;
  const stored = r.data.targets as DrillTargets | undefined;
  // Stopped before the kill (steady state not met): only the steady state was read.
  const steady = r.data.steady as DrillSteady | undefined;
  if ((!obs || !stored) && !(stored && steady)) {
    return { checks: [...r.checks.map(copied), check('drill.observation', 'a stored observation to judge', 'stored', null, '', 'no-data',
      { what: `${r.id} stored no observation (${r.status}${r.error ? `: ${r.error}` : ''}; drills record one since the judge was split out)`, how: 'the record\'s data.observation', where: r.id })], rejudged: [] };
  }
  const slos = lp.profile.slos;
  // The profile's targets, except one the run set itself (--recovery-slo, a Schedule's annotation).
  const t = { ...stored!, recoverySloS: stored!.fixed?.includes('recoverySloS') ? stored!.recoverySloS : slos.podRecoveryS, lagTargetS: slos.consumerLagS, alertDetectS: slos.alertDetectS };
  // The load run through the drill: its thresholds evaluated again from its stored summary and
  // histograms, as a gate's are; with one a summary cannot answer, its checks are copied instead.
  const stored0 = (r.data.scenarios as ScenarioResult[] | undefined)?.[0];
  const { rejudge: replay, unreplayable } = await import('../../scenarios/replay.ts');
  const loadAgain = stored0 && t.withLoad && !unreplayable(t.withLoad).length ? replay(t.withLoad, stored0) : undefined;
  const judged = (obs ? drillChecks(t, obs, loadAgain) : steadyChecks(t, steady!));
  const ids = new Set(judged.map((c) => c.id));
  // In the source's order: the re-judged checks where they stood, the others as they were.
  const out = r.checks.map((c) => (ids.has(c.id) ? judged.find((j) => j.id === c.id)! : copied(c)));
  return { checks: out, rejudged: r.checks.filter((c) => ids.has(c.id)).map((c) => c.id) };
}

/** A security review's checks again: its stored API answers against the profile's security targets. */
async function securityChecksAgain(r: RunRecord, lp: LoadedProfile): Promise<{ checks: Check[]; rejudged: string[] }> {
  const { judgeSecurity, reviewNamespaces } = await import('../../verifiers/security.ts');
  const evidence = r.data.evidence as import('../../verifiers/security.ts').SecurityEvidence | undefined;
  if (!evidence?.reviews || !evidence.namespaces) return { checks: r.checks.map(copied), rejudged: [] };
  // The probe asked about the subjects and namespaces of its own profile: under another, whatever it
  // never asked or read is NO DATA, never guessed.
  const checks = judgeSecurity(evidence, lp.profile.security, reviewNamespaces(lp.profile));
  return { checks, rejudged: checks.map((c) => c.id) };
}

/** A daily check's checks again: its stored evidence against the profile's targets. */
async function dailyChecksAgain(r: RunRecord, lp: LoadedProfile): Promise<{ checks: Check[]; rejudged: string[] }> {
  const { judgeDaily, dailyTargets } = await import('../../verifiers/daily.ts');
  const evidence = r.data.evidence as import('../../verifiers/daily.ts').DailyEvidence | undefined;
  // The journal's schema holds every part of evidence that is there: only its absence is left.
  if (!evidence) {
    return { checks: [...r.checks.map(copied), check('daily.evidence', 'stored evidence to judge', 'stored', null, '', 'no-data',
      { what: `${r.id} stored no daily evidence (${r.status}${r.error ? `: ${r.error}` : ''}; daily checks record it since the judges were split from the probes)`, how: 'the record\'s data.evidence', where: r.id })], rejudged: [] };
  }
  const judged = judgeDaily(evidence, dailyTargets(lp.profile));
  const ids = new Set(judged.map((c) => c.id));
  // A check the run recorded that its evidence no longer yields stays as it was (marked copied):
  // a recorded failure never vanishes on judging again.
  return { checks: [...judged, ...r.checks.filter((c) => !ids.has(c.id)).map(copied)], rejudged: [...ids] };
}

/**
 * A stored record's checks judged again under a profile's targets, without touching the platform:
 * `rejudged` names the checks derived from stored evidence; the others are copied as they were.
 */
export async function rejudge(record: RunRecord, lp: LoadedProfile): Promise<{ checks: Check[]; rejudged: string[] }> {
  return record.kind === 'gate' || record.kind === 'run' ? loadChecks(record, lp)
    : record.kind === 'drill' ? drillChecksAgain(record, lp)
      : record.kind === 'security' ? securityChecksAgain(record, lp)
        : record.kind === 'daily' ? dailyChecksAgain(record, lp)
          : { checks: record.checks.map(copied), rejudged: [] };
}

/** `harness judge RUN`. */
export async function judgeAction(ref: string, cmd: Command): Promise<void> {
  const cfg = configFrom(cmd);
  const lp = profileFrom(cmd, cfg);
  const { record, file } = readRun(ref, runsDir(cfg));
  if (record.platform !== lp.profile.name) throw new UsageError('<run>', `${record.id} measured platform "${record.platform}"; judge it with that platform's profile, not "${lp.profile.name}"`);
  const again = await rejudge(record, lp);
  process.exitCode = await runCommand(runOpts(cmd, 'judge', cfg, lp), async ({ rec }) => {
    rec.setData('source', { runId: record.id, kind: record.kind, file, status: record.status, profile: record.profile });
    rec.setData('rejudged', again.rejudged);
    // Judged as its kind is: a gate fails on no data, as the gate did.
    if (record.kind === 'gate') rec.noDataFails = true;
    for (const c of again.checks) rec.addCheck(c);
    if (!again.checks.length) rec.addCheck(check('judge.evidence', 'evidence to judge', 'stored', null, '', 'no-data', { what: `${record.id} (${record.status}) holds no checks and no evidence`, how: 'the record', where: file }));
    // A run that did not complete is judged on what it gathered, which is never all of it.
    if (record.status === 'aborted' || record.status === 'error') {
      rec.addCheck(check('judge.source-complete', 'the source run completed', 'completed', record.status, '', 'no-data',
        { what: `${record.id} ${record.status === 'aborted' ? 'was aborted' : 'ended in an error'}${record.error ? `: ${record.error}` : ''}; what it did not gather cannot be judged`, how: 'the record\'s status', where: file }));
    }
  });
}
