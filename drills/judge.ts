/**
 * The drill's verdicts as a pure function of what it observed (`data.observation` in its record)
 * and its targets: recovery, the replacement pod, the PodChaos, the consumer lag and the alert. A
 * stored drill can be judged again against other targets without touching the platform.
 */
import type { Check } from '../core/record.ts';
import { check, passIf, round } from '../verifiers/check.ts';
import type { TimelineEvent } from './timeline.ts';
import { judgeIntegrity, type IntegrityEvidence } from '../verifiers/integrity.ts';
import { scenarioChecks } from '../verifiers/load.ts';
import type { Scenario } from '../scenarios/types.ts';
import type { ScenarioResult } from '../scenarios/result.ts';

/** One lag reading after the kill; `rate` is the topic's produce rate then (messages/s). */
export interface LagSample { atMs: number; lagMessages: number; lagS: number; rate?: number }

/** Behind by no more than this over the baseline counts as caught up: a twentieth of a second of traffic, at least 250 messages. */
export const lagSlack = (rate: number) => Math.max(250, rate * 0.05);

/** Ready replicas of the target as the drill read them: before the kill, when a followed kill came, after the drill. */
export interface DrillSteady {
  desired: number;
  selector: string;
  before: { ready: number; pods: number };
  /** Following a Schedule: Ready just before its first pod went. */
  atKill?: number;
  /** Ready and not terminating, once recovery, lag, alert and integrity were read. */
  after?: number;
}

/** What the drill saw, stored in its record before it is judged. */
export interface DrillObservation {
  /** Absent in records written before the steady states were stored (their checks are copied). */
  steady?: DrillSteady;
  /** A consumer's prices over the kill, read back and joined with the store (drill.integrity.*). */
  integrity?: IntegrityEvidence;
  /** Following a Schedule: pods went, but no new PodChaos of it appeared within `graceS`. */
  unmatched?: { schedule: string; graceS: number };
  timeline: TimelineEvent[];
  /** Re-lists of the pod watch (410 Gone or a dropped watch). */
  relists: number;
  /** With --via chaos-mesh: the PodChaos, the pods its status reported injected, its final status. */
  chaos: null | { name: string; injected: string[]; status: unknown };
  /**
   * For a consumer: messages behind before the kill, then a sample every `everyMs` until the lag
   * was back under the run's own target (`targetS`).
   */
  lag: null | { before: number; samples: LagSample[]; everyMs: number; where: string; targetS?: number; /** Why sampling stopped early, if it did. */ error?: string };
  alert: {
    hit: { name: string; severity: string; afterS: number } | null; others: string[]; where: string; how: string;
    /** When no alert came: whether each part of the alerting chain (Prometheus, Alertmanager) answered then. */
    chain?: string[];
  };
}

/** What a drill is judged against: its plan and the profile's targets. */
export interface DrillTargets {
  namespace: string;
  deployment: string;
  count: number;
  recoverySloS: number;
  lagTargetS: number;
  /** Seconds from the kill to the alert, by severity (the profile's slos.alertDetectS). */
  alertDetectS: Record<string, number>;
  alertWaitS: number;
  alert: { workloadLabels: string[]; source: string };
  /** `namespace/deployment @ context`, for evidence. */
  where: string;
  /** The scenario run as load through the drill (with --with-load), its thresholds as planned. */
  withLoad?: Scenario;
  /** Targets the run set itself (a flag, a Schedule's annotation): judged again, they stay as they were. */
  fixed?: Array<'recoverySloS'>;
}

/** The steady-state checks for what has been read so far: before, at a followed kill, after. */
export function steadyChecks(t: DrillTargets, s: DrillSteady): Check[] {
  const { desired, selector } = s;
  const out = [check('drill.steady-state-before', 'steady state before: all replicas Ready', `${desired}/${desired}`, `${s.before.ready}/${desired}`, 'replicas',
    passIf(s.before.ready >= desired), { what: `${s.before.ready} Ready of ${s.before.pods} pods`, how: `LIST pods ${selector}`, where: t.where })];
  if (s.atKill !== undefined) {
    out.push(check('drill.steady-state-at-kill', 'steady state when the scheduled kill came: all replicas Ready', `${desired}/${desired}`, `${s.atKill}/${desired}`, 'replicas',
      passIf(s.atKill >= desired), { what: `${s.atKill} Ready just before the first pod went`, how: 'the pod watch at the kill', where: t.where }));
  }
  if (s.after !== undefined) {
    out.push(check('drill.steady-state-after', 'steady state after: all replicas Ready', `${desired}/${desired}`, `${s.after}/${desired}`, 'replicas',
      passIf(s.after >= desired), { what: `${s.after} Ready`, how: `LIST pods ${selector}`, where: t.where }));
  }
  return out;
}

/** The worst lag sample (the baseline when nothing rose above it). */
export function lagPeak(lag: { before: number; samples: LagSample[] }): LagSample {
  return lag.samples.reduce((a, b) => (b.lagMessages > a.lagMessages ? b : a), { atMs: 0, lagMessages: lag.before, lagS: 0 });
}

/** A followed kill that no new PodChaos of the Schedule accounts for: the deletion cannot be tied to it. */
export function unmatchedKillCheck(t: DrillTargets, u: NonNullable<DrillObservation['unmatched']>): Check {
  return check('drill.chaos-mesh', 'PodChaos applied', `${t.count} pod(s) injected and gone`, null, 'pods', 'error', {
    what: `pods went, but no new PodChaos of Schedule ${u.schedule} appeared within ${u.graceS} s: the deletion cannot be tied to the schedule (a rollout, an eviction?)`,
    how: 'LIST of PodChaos labelled managed-by=<schedule>, against those present when the follow began', where: `${t.namespace}/${u.schedule}`,
  });
}

/**
 * Every check of a drill that follows from its observation: steady states, recovery, the
 * replacement, the PodChaos, lag, the alert, the load run through it (its stored result) and data
 * integrity. A part not observed (yet, or in an older record) gives no check.
 */
export function drillChecks(t: DrillTargets, obs: DrillObservation, load?: ScenarioResult): Check[] {
  // The steady state after comes last, as it is read last.
  const steady = obs.steady ? steadyChecks(t, obs.steady) : [];
  const after = (c: Check) => c.id === 'drill.steady-state-after';
  return [
    ...steady.filter((c) => !after(c)),
    ...(obs.unmatched ? [unmatchedKillCheck(t, obs.unmatched)] : []),
    ...recoveryChecks(t, obs),
    ...(load && t.withLoad ? scenarioChecks(t.withLoad, load).map((c) => ({ ...c, id: `drill.load.${c.id}` })) : []),
    ...(obs.integrity ? judgeIntegrity(obs.integrity).map((c) => ({ ...c, id: c.id.replace(/^daily\./, 'drill.') })) : []),
    ...steady.filter(after),
  ];
}

/** Recovery, the replacement pod, the PodChaos, the consumer lag and the alert. */
function recoveryChecks(t: DrillTargets, obs: DrillObservation): Check[] {
  const at = (event: string) => obs.timeline.find((e) => e.event === event)?.atMs ?? null;
  const seconds = (ms: number | null) => (ms === null ? null : round(ms / 1000, 2));
  // An alert of a severity the profile gives no target for is held to the strictest one, never the loosest.
  const detectTargetS = (severity: string) => t.alertDetectS[severity] ?? Math.min(...Object.values(t.alertDetectS));
  const out: Check[] = [];
  const restoredS = at('replicas-restored');
  out.push(check('drill.recovery', 'auto-recovery: desired replicas Ready again', `<${t.recoverySloS}s`, seconds(restoredS), 's',
    restoredS === null ? 'fail' : passIf(restoredS / 1000 < t.recoverySloS), {
      what: obs.timeline.map((e) => `${e.event} +${(e.atMs / 1000).toFixed(2)} s${e.pod ? ` (${e.pod})` : ''}`).join(' → '),
      how: 'LIST then WATCH pods from the list\'s resourceVersion; monotonic client clock from the kill', where: t.where, relists: obs.relists,
    }));
  const sched = at('scheduled');
  const rdy = at('ready');
  out.push(check('drill.replacement-ready', 'replacement pod: scheduled → Ready', 'Ready', seconds(rdy !== null && sched !== null ? rdy - sched : null), 's',
    rdy === null ? 'fail' : 'pass', { what: `created +${seconds(at('replacement-created'))} s, scheduled +${seconds(sched)} s, Ready +${seconds(rdy)} s after the kill`, how: 'pod watch events', where: t.where }));
  if (obs.chaos) {
    // Applied means both: the controller reports the injection, and the pods it names are gone.
    const gone = new Set(obs.timeline.filter((e) => e.event === 'pod-gone').map((e) => `${t.namespace}/${e.pod}`));
    const confirmed = obs.chaos.injected.filter((id) => gone.has(id));
    out.push(check('drill.chaos-mesh', 'PodChaos applied', `${t.count} pod(s) injected and gone`, confirmed.length, 'pods',
      passIf(confirmed.length >= t.count && obs.chaos.injected.length === confirmed.length), {
        what: `injected per status: ${obs.chaos.injected.join(', ') || 'none'}; of those gone: ${confirmed.join(', ') || 'none'}; status ${JSON.stringify(obs.chaos.status ?? {}).slice(0, 300)}`,
        how: 'WATCH of the PodChaos status (containerRecords phase Injected, written by the controller) against the pod watch\'s deletions', where: `${t.namespace}/${obs.chaos.name}`,
      }));
  }
  if (obs.lag) {
    const lag = obs.lag;
    const restored = at('replicas-restored');
    // Against the run's own target the timeline says when; against another, the samples do.
    const sameTarget = lag.targetS === undefined || lag.targetS === t.lagTargetS;
    const lagAt = sameTarget ? at('lag-recovered')
      : restored === null ? null
        : lag.samples.find((x) => x.rate !== undefined && x.atMs >= restored && x.lagS < t.lagTargetS && x.lagMessages <= lag.before + lagSlack(x.rate))?.atMs ?? null;
    // The drill stopped sampling once lag was under its own target: a stricter one may have been met later, unseen.
    const unseen = !sameTarget && lagAt === null && lag.targetS !== undefined && t.lagTargetS < lag.targetS && at('lag-recovered') !== null;
    const peak = lagPeak(lag);
    // Observed is when the platform had caught up; the peak (which may exceed the target while a
    // member is missing) is in the evidence and on the timeline.
    out.push(check('drill.lag-recovered', `consumer lag back under ${t.lagTargetS} s and caught up`, `lag <${t.lagTargetS}s again`, seconds(lagAt), 's after the kill',
      // Sampling cut off by an error before lag was back: not measured, so not a verdict either way.
      unseen ? 'no-data' : lagAt === null ? (lag.error ? 'error' : 'fail') : 'pass', {
        what: `before the kill ${lag.before} messages behind; peak ${peak.lagMessages} messages (${peak.lagS.toFixed(2)} s) at +${seconds(peak.atMs)} s; `
          + (unseen ? `sampling ended once under the run's own ${lag.targetS} s target, before any sample under ${t.lagTargetS} s`
            : lagAt === null ? (lag.error ? `sampling stopped before lag was back under target: ${lag.error}` : 'never back under target') : `back under target and caught up +${seconds(lagAt)} s after the kill`),
        how: `committed group offsets vs end offsets (Kafka admin) every ${lag.everyMs} ms; seconds = messages behind / produce rate`,
        where: lag.where, samples: lag.samples.length, peakLagS: round(peak.lagS, 2), peakLagMessages: peak.lagMessages,
      }));
  }
  const { hit, others, where, how } = obs.alert;
  const rule = `${how}; an alert counts when it started after the kill and a ${t.alert.workloadLabels.join('/')} label names ${t.deployment}`;
  out.push(hit
    ? check('drill.alert', `alert notified: ${hit.name}`, `<=${detectTargetS(hit.severity)}s`, round(hit.afterS, 2), 's',
      passIf(hit.afterS <= detectTargetS(hit.severity)), { what: `${hit.name} (${hit.severity}) about ${t.deployment} ${t.alert.source === 'alertmanager' ? 'was active in Alertmanager' : 'reached the on-call receiver'} ${hit.afterS.toFixed(2)} s after the kill${others.length ? `; also firing, not about it: ${others.join(', ')}` : ''}`, how: rule, where })
    : check('drill.alert', `alert notified about ${t.deployment}`, 'an alert within the wait', null, 's', 'fail', { what: `no firing notification naming ${t.deployment} within ${t.alertWaitS} s of the kill${others.length ? `; firing but about something else: ${others.join(', ')}` : ''}${obs.alert.chain?.length ? `; the alerting chain then: ${obs.alert.chain.join('; ')}` : ''}`, how: rule, where }));
  return out;
}
