import type { Check } from '../core/record.ts';
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
  const checks: Check[] = r.thresholds.map((t) => ({
    id: `${s.name}:${t.metric}:${t.expr.replace(/\s/g, '')}`,
    title: `${s.name}: ${t.metric} ${t.expr}`,
    target: t.expr,
    observed: t.observed === null ? null : round(t.observed),
    unit: unitOf(t),
    status: t.ok === null ? 'no-data' : t.ok ? 'pass' : 'fail',
    evidence: {
      what: METRICS[t.metric]?.help ?? t.metric,
      how: r.aborted ? `${how}; run ended early: ${r.aborted}` : how,
      where: r.where,
      slo: s.slo,
      window: { from: r.startedAt, to: r.endedAt },
    },
  }));
  const sent = r.metrics.kafka_writer_message_count?.values.count;
  const delta = r.crossChecks.topicEndOffsetDelta;
  if (sent !== undefined && delta !== undefined) {
    checks.push({
      id: `${s.name}:topic-end-offsets`,
      title: `${s.name}: acknowledged messages are in the topic (end offsets cross-check)`,
      target: `>=${sent}`,
      observed: Number.isNaN(delta) ? null : delta,
      unit: 'messages',
      status: Number.isNaN(delta) ? 'error' : delta >= sent ? 'pass' : 'fail',
      evidence: {
        what: 'growth of the sum of end offsets over all partitions during the scenario (includes other producers)',
        how: 'Kafka admin ListOffsets before and after the run',
        where: r.where,
      },
    });
  }
  if (r.k6) checks.push(k6AgreementCheck(s, r));
  return checks;
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
