/**
 * A stored scenario result as a metric source: its thresholds (today's, or another profile's
 * targets) evaluated again from what the run recorded — trends from its HDR histograms, counters,
 * rates and gauges from its summary — without sending a request.
 */
import { TrendSink } from './metrics.ts';
import { evaluate, type MetricSource, type MetricView } from './thresholds.ts';
import { parseScenarioThresholds, toOutcome } from './verdict.ts';
import type { ScenarioResult } from './result.ts';
import type { Scenario } from './types.ts';

/** Thresholds a stored summary cannot answer: a tag filter other than the scenario's own. */
export function unreplayable(s: Scenario): string[] {
  return parseScenarioThresholds(s).filter((t) => Object.keys(t.tags).some((k) => k !== 'scenario')).map((t) => `${t.key} ${t.expr.source}`);
}

export function resultSource(r: ScenarioResult): MetricSource {
  const trends = new Map<string, TrendSink>();
  const trend = (name: string) => {
    if (!trends.has(name) && r.histograms[name]) trends.set(name, TrendSink.decode(r.histograms[name]!));
    return trends.get(name) ?? null;
  };
  return {
    metric(name, tags): MetricView | null {
      if (Object.entries(tags).some(([k, v]) => k !== 'scenario' || v !== r.scenario)) return null;
      const m = r.metrics[name];
      if (!m) return null;
      const v = m.values;
      switch (m.type) {
        case 'trend': {
          const t = trend(name);
          if (!t) return null;
          // The run's own min, max and mean are exact; a decoded histogram gives its buckets' edges
          // (7.047 for a max of 7.045 ms). Percentiles come from the histogram, as the run's did.
          const exact = (k: 'avg' | 'min' | 'max', fallback: () => number | null) => () => (t.count && Number.isFinite(v[k]) ? v[k]! : fallback());
          return { type: 'trend', samples: () => t.count, avg: exact('avg', () => t.avg()), min: exact('min', () => t.min()), max: exact('max', () => t.max()), percentile: (p) => t.percentile(p) };
        }
        case 'counter': return { type: 'counter', count: () => v.count ?? 0, rate: () => v.rate ?? 0 };
        case 'rate': return { type: 'rate', samples: () => (v.passes ?? 0) + (v.fails ?? 0), rate: () => ((v.passes ?? 0) + (v.fails ?? 0) ? v.rate ?? null : null) };
        case 'gauge': return { type: 'gauge', value: () => v.value ?? null };
      }
    },
  };
}

/** The result with its thresholds judged again under `s` (the same scenario, perhaps other targets). */
export function rejudge(s: Scenario, r: ScenarioResult): ScenarioResult {
  return { ...r, thresholds: evaluate(parseScenarioThresholds(s), resultSource(r)).map(toOutcome) };
}
