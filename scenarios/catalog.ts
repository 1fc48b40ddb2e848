import { UsageError } from '../core/errors.ts';
import { SLO_IDS, isSloId, type Scenario } from './types.ts';
import { parseScenarioThresholds } from './verdict.ts';
import { warmupExecutor } from './engines/native/arrivals.ts';
import { inferenceLatency } from './definitions/inference-latency.ts';
import { featureStoreQuery } from './definitions/feature-store-query.ts';
import { consumerLag } from './definitions/consumer-lag.ts';
import { kafkaThroughput } from './definitions/kafka-throughput.ts';

/**
 * Checks what the type system cannot guarantee at run time (tsx does not type-check): every SLO tag
 * is an id of the one vocabulary (`SLOS`, docs/slos.md). The error names the scenario and the entry.
 */
export function checkScenario(s: Scenario): Scenario {
  const slo: unknown = s.slo;
  if (!Array.isArray(slo)) throw new UsageError(`scenario ${s.name}: slo`, `must be an array of SLO ids, got ${JSON.stringify(slo)}`);
  slo.forEach((id, i) => {
    if (!isSloId(id)) {
      throw new UsageError(`scenario ${s.name}: slo[${i}]`, `unknown SLO id ${JSON.stringify(id)}; known SLO ids (docs/slos.md): ${SLO_IDS.join(', ')}`);
    }
  });
  // Open model: an arrival that finds no free VU is skipped, so a platform too slow to keep up would
  // otherwise be judged only on the arrivals it managed to serve. Every scenario gates on drops.
  const own = `{scenario:${s.name}}`;
  const drops = Object.keys(s.thresholds).filter((k) => k === 'dropped_iterations' || k === `dropped_iterations${own}`);
  if (!drops.length) {
    throw new UsageError(`scenario ${s.name}: thresholds`, `an open-model (${s.executor.executor}) scenario needs a dropped_iterations threshold, e.g. "dropped_iterations{scenario:${s.name}}": ["count==0"]`);
  }
  // k6 computes a counter's `rate` over the whole test run, warm-up included: the same scenario
  // would be judged differently by the two engines.
  if (s.warmup !== undefined) {
    // Only keys filtered to this scenario leave the warm-up's samples out (in k6 it is a scenario of its own).
    const filtered = new RegExp(`[{,]scenario:${s.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[,}]`);
    const untagged = Object.keys(s.thresholds).filter((k) => !filtered.test(k));
    if (untagged.length) throw new UsageError(`scenario ${s.name}: warmup`, `every threshold key must filter on ${own} so the warm-up is not judged; not filtered: ${untagged.join(', ')}`);
    let warm;
    try { warm = warmupExecutor(s.executor, s.warmup); } catch (e) { throw new UsageError(`scenario ${s.name}: warmup`, (e as Error).message); }
    if (!warm) throw new UsageError(`scenario ${s.name}: warmup`, 'needs a starting rate above 0 and a duration above 0 (it runs at the starting rate)');
    const rates = parseScenarioThresholds(s).filter((t) => t.type === 'counter' && t.expr.aggregation.kind === 'rate').map((t) => `${t.key} ${t.expr.source}`);
    if (rates.length) throw new UsageError(`scenario ${s.name}: warmup`, `cannot be combined with a counter rate threshold (${rates.join(', ')}): k6 divides a counter's rate by the whole test's duration, warm-up included`);
  }
  return s;
}

/** Scenarios by name; each is checked as the catalog loads. */
export function catalog(scenarios: Scenario[]): Record<string, Scenario> {
  return Object.fromEntries(scenarios.map(checkScenario).map((s) => [s.name, s]));
}

export const SCENARIOS: Record<string, Scenario> = catalog([inferenceLatency, featureStoreQuery, consumerLag, kafkaThroughput]);

/**
 * Suites run their scenarios one after another. Throughput goes last: its backlog would otherwise
 * show up as lag in the consumer-lag scenario.
 */
export const SUITES: Record<string, string[]> = {
  deploy: ['inference-latency', 'feature-store-query', 'consumer-lag', 'kafka-throughput'],
};
