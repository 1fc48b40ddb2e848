import { join } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { projectRoot } from '../core/paths.ts';
import { BUILTIN_SCENARIOS, type LoadedProfile } from '../profile/load.ts';
import { SLO_IDS, isSloId, type Scenario } from './types.ts';
import { parseScenarioThresholds } from './verdict.ts';
import { peakIterationsPerS, warmupExecutor } from './engines/native/arrivals.ts';
import { MAX_ARRIVALS_PER_S, loadScenarioFile, type ScenarioContext } from './file.ts';
import { relativeThresholds, withoutRelative } from './baseline-thresholds.ts';

/** The harness's own scenarios and deploy suite (a profile's `scenarios: [builtin]`). */
export const BUILTIN_FILE = join(projectRoot, 'scenarios', 'definitions', 'deploy.yaml');

/** The suite `gate` runs when none is named. */
export { DEFAULT_SUITE } from './types.ts';

/**
 * Checks what a schema cannot: every SLO tag is an id of the one vocabulary (`SLOS`,
 * docs/slos.md), every open-model scenario gates on drops, a warm-up is never judged, thresholds
 * parse, and a throughput threshold is one the offered load could meet. The error names the scenario.
 */
export function checkScenario(scenario: Scenario): Scenario {
  // Thresholds against a baseline are checked for form here and judged once a baseline resolves
  // them (gate/run --baseline); everything else about the scenario is checked now.
  relativeThresholds(scenario);
  const s = withoutRelative(scenario);
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
  // A typo such as 1e12 is refused, not attempted: the engine would spin on it and starve everything else.
  const perS = peakIterationsPerS(s);
  if (!(perS > 0)) throw new UsageError(`scenario ${s.name}: rate`, 'offers no load: every rate of its schedule is 0');
  if (!(perS <= MAX_ARRIVALS_PER_S)) throw new UsageError(`scenario ${s.name}: rate`, `${perS} iterations/s is above the ${MAX_ARRIVALS_PER_S} one generator is asked for (raise batchSize for more messages per iteration)`);
  const parsed = parseScenarioThresholds(s);
  // A floor on the sending rate that the schedule itself cannot reach fails every run, healthy
  // platform or not: refused here instead of blaming the platform.
  const perIteration: Record<string, number> = { iterations: 1, http_reqs: 1, kafka_writer_message_count: s.target.kind === 'kafka-produce' ? s.target.batchSize : 0 };
  const offered = peakIterationsPerS(s);
  for (const t of parsed) {
    const per = perIteration[t.metric];
    const e = t.expr;
    if (per === undefined || t.type !== 'counter' || e.aggregation.kind !== 'rate' || (e.op !== '>=' && e.op !== '>')) continue;
    if (offered * per < e.value) {
      throw new UsageError(`scenario ${s.name}: thresholds["${t.key}"]`, `${e.source} cannot be met: the executor offers at most ${offered * per} ${t.metric === 'kafka_writer_message_count' ? 'messages' : 'iterations'}/s (raise rate or batchSize, or lower the target)`);
    }
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
    const rates = parsed.filter((t) => t.type === 'counter' && t.expr.aggregation.kind === 'rate').map((t) => `${t.key} ${t.expr.source}`);
    if (rates.length) throw new UsageError(`scenario ${s.name}: warmup`, `cannot be combined with a counter rate threshold (${rates.join(', ')}): k6 divides a counter's rate by the whole test's duration, warm-up included`);
  }
  return scenario;
}

export interface Catalog {
  scenarios: Record<string, Scenario>;
  /** Suites by name, each with where it was defined. */
  suites: Record<string, { scenarios: string[]; source: string }>;
  /** The scenario files read, in order. */
  files: string[];
}

/** Scenarios by name; each is checked as the catalog loads. */
export function catalog(scenarios: Scenario[]): Record<string, Scenario> {
  return Object.fromEntries(scenarios.map(checkScenario).map((s) => [s.name, s]));
}

/** How a profile's scenario files read: its targets, its request, the environment. */
export function scenarioContext(lp: LoadedProfile, env: NodeJS.ProcessEnv = process.env): ScenarioContext {
  const r = lp.profile.platform.inferenceApi.request;
  return { slos: lp.profile.slos, request: { method: r.method, path: r.path }, env };
}

/**
 * The profile's scenarios and suites: its files in order (`builtin` is the harness's own), then its
 * own `suites`. A name defined twice is an error naming both places; a suite naming an unknown
 * scenario is an error naming the suite. Thresholds are resolved against the profile's targets.
 */
export function scenarioCatalog(lp: LoadedProfile, env: NodeJS.ProcessEnv = process.env): Catalog {
  const ctx = scenarioContext(lp, env);
  const out: Catalog = { scenarios: {}, suites: {}, files: [] };
  lp.profile.scenarios.forEach((f, i) => {
    const path = f === BUILTIN_SCENARIOS ? BUILTIN_FILE : f;
    const file = loadScenarioFile(path, `${lp.lineOf?.(['scenarios', i]) ?? lp.source}: scenarios.${i}`, ctx);
    out.files.push(file.source);
    for (const s of file.scenarios) {
      const before = out.scenarios[s.name];
      if (before) throw new UsageError(`${s.source}: scenarios.${s.name}`, `already defined at ${before.source}; a scenario name is defined once`);
      try { checkScenario(s); } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        // `scenario NAME: thresholds["key"][0]` → the line of that entry in the file.
        const field = e.field.replace(/^scenario [^:]+: /, '');
        const path = ['scenarios', s.name, ...keyPath(field)];
        throw new UsageError(`${file.lineOf(path)}: scenarios.${s.name}.${field}`, e.message.slice(e.field.length + 2));
      }
      out.scenarios[s.name] = s;
    }
    for (const [name, suite] of Object.entries(file.suites)) {
      const before = out.suites[name];
      // As for scenarios: two files defining one suite is a conflict; the profile's own suites may replace a file's.
      if (before) throw new UsageError(suite.source, `already defined at ${before.source}; a suite is defined once across the scenario files (the profile's suites may replace it)`);
      out.suites[name] = suite;
    }
  });
  for (const [name, scenarios] of Object.entries(lp.profile.suites)) out.suites[name] = { scenarios, source: `${lp.lineOf?.(['suites', name]) ?? lp.source}: suites.${name}` };
  for (const suite of Object.values(out.suites)) {
    const unknown = suite.scenarios.filter((n) => !out.scenarios[n]);
    if (unknown.length) throw new UsageError(suite.source, `names unknown scenario(s) ${unknown.join(', ')}; scenarios: ${Object.keys(out.scenarios).join(', ')}`);
  }
  return out;
}

/** `thresholds["a{b:c}"][0]` → ['thresholds', 'a{b:c}', '0']. */
function keyPath(field: string): string[] {
  return [...field.matchAll(/\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([A-Za-z0-9_]+)/g)].map((m) => (m[1] !== undefined ? JSON.parse(`"${m[1]}"`) as string : m[2] ?? m[3]!));
}
