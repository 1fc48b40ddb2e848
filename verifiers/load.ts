import type { Check } from '../core/record.ts';
import { InfraError } from '../core/errors.ts';
import type { ScenarioResult, ThresholdOutcome } from '../scenarios/result.ts';
import { METRICS } from '../scenarios/metrics.ts';
import type { Scenario } from '../scenarios/types.ts';

function unitOf(t: ThresholdOutcome): string {
  const def = METRICS[t.metric];
  const agg = t.expr.replace(/\s/g, '').match(/^[a-z]+(\([\d.]+\))?/)?.[0] ?? '';
  if (def?.type === 'counter') return agg === 'rate' ? '/s' : 'count';
  if (def?.type === 'rate') return 'ratio';
  return def?.unit === 'ms' ? 'ms' : '';
}

function describeExecutor(r: ScenarioResult): string {
  const e = r.executor;
  return e.executor === 'constant-arrival-rate'
    ? `${e.executor} ${e.rate}/${e.timeUnit} for ${e.duration} (maxVUs ${e.maxVUs})`
    : `${e.executor} ${e.startRate}→${e.stages.map((s) => `${s.target}@${s.duration}`).join('→')}/${e.timeUnit} (maxVUs ${e.maxVUs})`;
}

/** One check per threshold, plus the cross-checks an engine's own counters cannot give. */
export function scenarioChecks(s: Scenario, r: ScenarioResult): Check[] {
  const how = r.engine === 'native'
    ? `native engine, open model: ${describeExecutor(r)}; percentiles from an HDR histogram (3 significant digits), latency from each arrival's scheduled time`
    : `${r.engine === 'k6' ? 'k6' : `k6-operator (${r.k6?.runners ?? '?'} runners merged)`}, open model: ${describeExecutor(r)}; judged by the harness from k6's raw samples (--out json) in an HDR histogram (3 significant digits)`;
  const checks: Check[] = r.thresholds.map((t) => {
    // A target written against a baseline: what was written and the baseline's value behind the number.
    const relative = s.baselineThresholds?.find((b) => b.key === t.key && b.expr.replace(/\s/g, '') === t.expr.replace(/\s/g, ''));
    return {
      id: `${s.name}:${t.metric}:${t.expr.replace(/\s/g, '')}`,
      title: `${s.name}: ${t.metric} ${t.expr}${relative ? ` (${relative.written}: ${relative.value} in ${relative.runId})` : ''}`,
      target: t.expr,
      observed: t.observed === null ? null : round(t.observed),
      unit: unitOf(t),
      status: t.ok === null ? 'no-data' : t.ok ? 'pass' : 'fail',
      evidence: {
        what: t.ok === null && t.observed !== null && t.samples != null && t.minSamples != null && t.samples < t.minSamples
          ? `only ${t.samples} sample(s), fewer than the ${t.minSamples} this threshold needs to be judged (observed ${round(t.observed)} is not a verdict); ${METRICS[t.metric]?.help ?? t.metric}`
          : METRICS[t.metric]?.help ?? t.metric,
        samples: t.samples, minSamples: t.minSamples,
        how: r.aborted ? `${how}; run ended early: ${r.aborted}` : how,
        where: r.where,
        slo: s.slo,
        window: { from: r.startedAt, to: r.endedAt },
        ...(relative ? { baseline: relative } : {}),
      },
    };
  });
  const sent = r.metrics.kafka_writer_message_count?.values.count;
  if (sent !== undefined && r.crossChecks.topicEndOffsetDelta !== undefined) checks.push(topicCrossCheck(s, r, sent));
  if (r.outage) checks.push(outageCheck(s, r));
  if (r.generator) checks.push(generatorCheck(s, r, checks));
  // Only a single k6 process gives a verdict of its own to compare (exit code, threshold flags);
  // k6-operator's runners each judge a share, so there is nothing to agree with (README, k6-operator).
  if (r.k6 && r.engine === 'k6') checks.push(k6AgreementCheck(s, r));
  return checks;
}

/**
 * The engine's acknowledged count, confirmed from the broker's side: this run's messages read back
 * from the topic between the end offsets before and after. The platform's own feed shares the
 * topic, so end-offset growth always covers what we sent: without a read-back there is no
 * confirmation at all, and the check is an error, never a pass on the offsets.
 */
export function topicCrossCheck(s: Scenario, r: ScenarioResult, sent: number): Check {
  const delta = r.crossChecks.topicEndOffsetDelta ?? null;
  const own = r.crossChecks.ownMessagesInTopic;
  const complete = r.crossChecks.readBackComplete === 1;
  const base = { id: `${s.name}:topic-end-offsets`, title: `${s.name}: acknowledged messages are in the topic (read back between end offsets)`, target: `>=${sent}`, unit: 'messages' };
  if (own === undefined || own === null) {
    const why = r.crossCheckErrors?.ownMessagesInTopic ?? 'no read-back was made';
    return { ...base, observed: null, status: 'error',
      evidence: { what: `${why}; end offsets grew by ${delta === null ? '?' : delta} (all producers, so this proves nothing about our messages)`, how: 'Kafka admin ListOffsets per partition before and after the run, then every message in between consumed and matched by run id', where: r.where } };
  }
  return { ...base, observed: own,
    status: own >= sent ? 'pass' : complete ? 'fail' : 'error',
    evidence: {
      what: `${own} distinct sequence numbers of this run found among ${r.crossChecks.messagesReadBack ?? '?'} messages read back; end offsets grew by ${delta ?? '?'} (all producers)${complete ? '' : '; read-back did not reach the end offsets in time'}`,
      how: 'Kafka admin ListOffsets per partition before and after the run, then every message in between consumed and matched by run id',
      where: r.where,
    } };
}

/**
 * The load generator judges itself. Latency counts from the scheduled time, so a generator that fell
 * behind its clock can only make the platform look worse: with every other check passing, a late
 * generator does not change the verdict. With a timing check (latency, drops, achieved rate) failing
 * or without data, a saturated generator means the failure may be the generator's own: an `error` (the gate exits 3, "load
 * generator saturated"), not a FAIL blamed on the platform.
 */
/**
 * The platform kept answering: no stretch of the bound in which iterations only failed. Made of the
 * platform's own answers (failed requests, queries, produce calls), never of drops, so a starved
 * generator cannot fail it; a stretch that long stopped the scenario (native engine).
 */
export function outageCheck(s: Scenario, r: ScenarioResult): Check {
  const o = r.outage!;
  // A target that answered nothing (it hung, or nothing ran) kept nothing: no data, never a pass.
  const status = o.longestS >= o.boundS ? 'fail' : o.answered === 0 ? 'no-data' : 'pass';
  return {
    id: `${s.name}:target-answering`,
    title: `${s.name}: the target kept answering (no ${o.boundS} s in which every iteration failed)`,
    target: `<${o.boundS}`,
    observed: o.longestS,
    unit: 's',
    status,
    evidence: {
      what: status === 'fail'
        ? `${o.failures} iterations failed and none succeeded for ${o.longestS} s${o.stopped ? '; the scenario was stopped there, the rest of its schedule not sent' : ''}`
        : o.answered === 0 ? 'the target answered no iteration (each still waiting when the run ended, or none sent): nothing shows it kept answering'
          : o.longestS > 0 ? `longest stretch with only failures: ${o.longestS} s (${o.failures} failed), then the target answered again` : 'no stretch with only failures',
      how: `each iteration's outcome as it completed (a failed request, query or produce call against a success); a stretch counts from the last success once ${o.minFailures} iterations have failed since it; ${o.boundS} s of it stops the scenario (a target that hangs shows here once its requests time out)`,
      where: r.where,
      outage: o,
    },
  };
}

export function generatorCheck(s: Scenario, r: ScenarioResult, others: Check[]): Check {
  const g = r.generator!;
  // Only what a late generator can distort: latencies (timed from the schedule), drops and achieved
  // rates. A failed request is the platform's answer however late it was sent.
  const bad = others.filter((c) => c.status !== 'pass' && timingSensitive(c)).map((c) => c.id);
  const status = g.saturated && bad.length ? 'error' : 'pass';
  const seen = `arrivals dispatched late by p99 ${g.lateP99Ms} ms (max ${g.lateMaxMs} ms) over ${g.arrivals} arrivals; event-loop delay p99 ${g.loopP99Ms} ms (max ${g.loopMaxMs} ms${g.producerThreads?.length ? '; the worst of the main and producer threads' : ''})`
    + (g.cpuPct === undefined ? '' : `; the harness process used ${g.cpuPct} % of one core`) + (g.dropped === undefined ? '' : `; ${g.dropped} arrivals dropped${g.staleDropped ? ` (${g.staleDropped} of them reached by the generator too late to be sent)` : ''}`)
    + (g.producerThreads?.length ? `; ${g.producerThreads.length} producer threads, event-loop delay p99 ${g.producerThreads.map((t) => `${t.p99Ms}${t.answered === false ? ' (did not report: counted as blocked)' : ''}`).join(' / ')} ms` : '');
  return {
    id: `${s.name}:generator`,
    // The rule in words: lateness is judged only where it could have made a check fail.
    title: `${s.name}: no failing check rests on a late load generator`,
    target: `p99 lateness and event-loop delay <=${g.boundMs}ms, or every timing check passed`,
    observed: Math.max(g.lateP99Ms, g.loopP99Ms),
    unit: 'ms',
    status,
    evidence: {
      what: !g.saturated ? `on schedule: ${seen}`
        : bad.length ? `load generator saturated: ${seen}; the failing checks (${bad.join(', ')}) may be the generator's, not the platform's`
          : `late (${seen}), but every check passed even so: lateness only counts against the platform`,
      how: 'each arrival\'s dispatch time against its scheduled time; perf_hooks.monitorEventLoopDelay and process.cpuUsage over the measured window',
      where: 'the harness process',
      generator: g,
    },
  };
}

/** A scenario check whose value a late load generator can distort. */
function timingSensitive(c: Check): boolean {
  const [, metric = '', expr = ''] = c.id.split(':');
  const type = METRICS[metric]?.type;
  return type === 'trend' || metric === 'dropped_iterations' || (type === 'counter' && expr.startsWith('rate'));
}

/**
 * Failures that are the platform's answer however late the question was asked: a request that
 * failed, a query that errored, a produce call the broker refused. Everything else a starved
 * generator can make fail (latencies, drops, rates, the harness's own end-to-end consumer).
 */
const EARNED = new Set(['http_req_failed', 'feature_store_query_failed', 'kafka_writer_error_count', 'target-answering']);

/**
 * A saturated generator beside a failing timing check: the run could not tell the platform's fault
 * from its own, so it did not complete (exit 3). Per scenario, unless that scenario also failed a
 * check no lateness can distort (EARNED): that failure is the platform's, and the run fails on it
 * (exit 1) with the generator's error beside it — a broker that dies mid-run is the platform
 * failing, not the generator. Null when no scenario is left unexcused.
 */
export function saturation(checks: Check[]): InfraError | null {
  const earned = (scenario: string) => checks.some((c) => c.status === 'fail' && c.id.split(':')[0] === scenario && EARNED.has(c.id.split(':')[1] ?? ''));
  const starved = checks.filter((c) => c.id.endsWith(':generator') && c.status === 'error' && !earned(c.id.replace(/:generator$/, '')));
  if (!starved.length) return null;
  return new InfraError(`load generator saturated (${starved.map((c) => `${c.id.replace(/:generator$/, '')}: ${c.observed} ms`).join(', ')}; bound ${starved[0]!.target.replace(/^.*<=/, '')}): the failures may be the generator's, not the platform's; re-run on a less busy machine or lower the rate`, 'load-generator');
}

/**
 * k6's own verdict must agree with ours over the same samples: exit code 99 exactly when a
 * threshold failed, and each threshold k6 reported judged the same way. A disagreement fails the
 * run, so a k6 that says FAIL can never be turned into a PASS by our reading of its output.
 */
function k6AgreementCheck(s: Scenario, r: ScenarioResult): Check {
  const k6 = r.k6!;
  const oursFailed = r.thresholds.some((t) => t.ok === false);
  const problems: string[] = [];
  if (k6.exitCode !== null && !r.aborted && (k6.exitCode === 99) !== oursFailed) {
    problems.push(`k6 exited ${k6.exitCode} but the harness found ${oursFailed ? 'a failed threshold' : 'every threshold passing'}`);
  }
  for (const d of k6.disagreements) problems.push(`${d.key} ${d.expr}: k6 says ${d.k6 ? 'pass' : 'fail'}, harness says ${d.ours === null ? 'no data' : d.ours ? 'pass' : 'fail'} (${d.source})`);
  return {
    id: `${s.name}:k6-verdict-agrees`,
    title: `${s.name}: k6's own verdict agrees with the harness's`,
    target: 'no disagreement',
    observed: problems.length,
    unit: 'disagreements',
    status: problems.length ? 'fail' : 'pass',
    evidence: {
      what: problems.length ? problems.join('; ') : `k6 exit code ${k6.exitCode ?? 'n/a'}; ${k6.reported.length} threshold verdict(s) reported by k6, all matching`,
      how: 'k6 exit code and the threshold flags in its summaries compared with the harness\'s evaluation of the raw samples',
      where: Object.values(k6.files).join(', '),
    },
  };
}

const round = (v: number) => Math.round(v * 1000) / 1000;
