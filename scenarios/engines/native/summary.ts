import { MetricStore, METRICS, TrendSink, CounterSink, RateSink, GaugeSink, type Tags } from '../../metrics.ts';
import type { MetricSummary } from '../../result.ts';

/** k6-style end-of-test values for every metric the scenario produced. */
export function summarize(store: MetricStore, tags: Tags): { metrics: Record<string, MetricSummary>; histograms: Record<string, string> } {
  const metrics: Record<string, MetricSummary> = {};
  const histograms: Record<string, string> = {};
  for (const name of store.names()) {
    const def = METRICS[name]!;
    const sink = store.select(name, { scenario: tags.scenario! });
    if (!sink) continue;
    let values: Record<string, number> = {};
    if (sink instanceof TrendSink) {
      values = {
        count: sink.count, avg: sink.avg()!, min: sink.min()!, med: sink.percentile(50)!, max: sink.max()!,
        'p(90)': sink.percentile(90)!, 'p(95)': sink.percentile(95)!, 'p(99)': sink.percentile(99)!,
      };
      histograms[name] = sink.encode();
    } else if (sink instanceof CounterSink) {
      values = { count: sink.sum, rate: sink.sum / Math.max(store.elapsedS(), 1e-9) };
    } else if (sink instanceof RateSink) {
      values = { rate: sink.total ? sink.passes / sink.total : 0, passes: sink.passes, fails: sink.total - sink.passes };
    } else if (sink instanceof GaugeSink) {
      values = { value: sink.last ?? 0, min: sink.min, max: sink.max };
    }
    metrics[name] = { type: def.type, unit: def.unit, values };
  }
  return { metrics, histograms };
}
