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
  const how = `${r.engine} engine, open model: ${describeExecutor(r)}; percentiles from an HDR histogram (3 significant digits), latency from each arrival's scheduled time`;
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
  return checks;
}

const round = (v: number) => Math.round(v * 1000) / 1000;
