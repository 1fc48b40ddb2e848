import {
  parseThresholds, evaluate, abortingThresholds, parseDuration, ThresholdError,
  type ParsedThreshold, type MetricSource, type MetricView, type ThresholdResult,
} from './thresholds.ts';
import { UsageError } from '../core/errors.ts';
import { METRICS, MetricStore, TrendSink, CounterSink, RateSink, GaugeSink, type MetricType } from './metrics.ts';
import type { Scenario } from './types.ts';
import type { ThresholdOutcome } from './result.ts';

export const durationMs = (d: string): number => parseDuration(d);

const METRIC_TYPES: Record<string, MetricType> = Object.fromEntries(Object.values(METRICS).map((m) => [m.name, m.type]));

/** Threshold errors name the scenario too, so the user knows which definition to fix. */
export function parseScenarioThresholds(s: Scenario): ParsedThreshold[] {
  try {
    return parseThresholds(s.thresholds, METRIC_TYPES);
  } catch (e) {
    if (e instanceof ThresholdError) throw new UsageError(`scenario ${s.name}: ${e.path}`, e.reason);
    throw e;
  }
}

/** The native engine's samples as the evaluator reads them. */
export function storeSource(store: MetricStore): MetricSource {
  return {
    metric(name, tags): MetricView | null {
      const sink = store.select(name, tags);
      if (!sink) return null;
      if (sink instanceof TrendSink) {
        return { type: 'trend', samples: () => sink.count, avg: () => sink.avg(), min: () => sink.min(), max: () => sink.max(), percentile: (p) => sink.percentile(p) };
      }
      if (sink instanceof CounterSink) {
        return { type: 'counter', count: () => sink.sum, rate: () => sink.sum / Math.max(store.elapsedS(), 1e-9) };
      }
      if (sink instanceof RateSink) return { type: 'rate', samples: () => sink.total, rate: () => (sink.total ? sink.passes / sink.total : null) };
      const g = sink as GaugeSink;
      return { type: 'gauge', value: () => g.last };
    },
  };
}

export function evaluateStore(parsed: ParsedThreshold[], store: MetricStore): ThresholdResult[] {
  return evaluate(parsed, storeSource(store));
}

export function firstAbort(results: ThresholdResult[], elapsedMs: number): ThresholdResult | undefined {
  return abortingThresholds(results, elapsedMs)[0];
}

export function toOutcome(r: ThresholdResult): ThresholdOutcome {
  return { key: r.key, metric: r.metric, expr: r.expr, target: r.target, observed: r.observed, ok: r.ok, abortOnFail: r.abortOnFail, samples: r.samples, minSamples: r.minSamples };
}
