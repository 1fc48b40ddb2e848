/**
 * Scenario definitions → k6 scripts (TypeScript, k6 ≥ 1.0) under `k6/`, so operators can run every
 * scenario with their own k6. Executors, thresholds and tags carry over one to one; the harness
 * overrides an executor (--duration/--rate) through HARNESS_EXECUTOR, never by editing the script.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../../core/paths.ts';
import { UsageError } from '../../../core/errors.ts';
import type { Profile } from '../../../profile/schema.ts';
import { render } from '../../../reports/render.ts';
import { toK6Thresholds } from '../../thresholds.ts';
import { parseScenarioThresholds } from '../../verdict.ts';
import { SCENARIOS } from '../../catalog.ts';
import type { Scenario } from '../../types.ts';

export const K6_DIR = join(projectRoot, 'k6');

/** Seconds the follower keeps reading after the load ends, as the native engine's teardown grace. */
const FOLLOW_GRACE_S = 15;

const EXTENSIONS: Record<Scenario['target']['kind'], string> = {
  http: '',
  'kafka-produce': 'xk6-kafka v2 for k6/x/kafka',
  sql: 'xk6-sql and xk6-sql-driver-postgres for k6/x/sql',
};

export function renderScript(s: Scenario): string {
  // The k6 scripts write with acks from every replica at the messages' own size (k6/lib/kafka.ts):
  // a scenario asking otherwise would be measured as something it did not ask for.
  if (s.target.kind === 'kafka-produce' && ((s.target.acks ?? 'all') !== 'all' || s.target.recordBytes !== undefined)) {
    throw new UsageError(`scenario ${s.name}`, `the k6 engine's Kafka writer supports acks 'all' at the messages' own size only (acks/recordBytes are native-engine options)`);
  }
  const view = {
    name: s.name,
    description: s.description,
    slo: s.slo.join(', '),
    kind: s.target.kind,
    target: s.target,
    followTo: s.target.kind === 'kafka-produce' ? s.target.followTo : undefined,
    followGraceS: FOLLOW_GRACE_S,
    extensions: EXTENSIONS[s.target.kind],
    executor: s.executor,
    warmup: s.warmup,
    tags: s.tags && Object.keys(s.tags).length ? s.tags : undefined,
    // Through our own parser and back: a threshold that would not parse never reaches a script.
    thresholds: toK6Thresholds(parseScenarioThresholds(s)),
  };
  return render('k6/scenario.ts.hbs', view);
}

/**
 * The scripts' fallbacks when run by hand (`k6 run k6/x.ts`): a profile's addresses, names and
 * request (the harness always passes its profile's through the environment). The committed file is
 * rendered from the embedded sandbox's profile at the default config (`harness k6 generate`).
 */
export function renderSandboxDefaults(p: Profile): string {
  const { kafka, featureStore, inferenceApi } = p.platform;
  return render('k6/sandbox-defaults.ts.hbs', {
    inferenceApiUrl: inferenceApi.url,
    inferenceHeaders: JSON.stringify(inferenceApi.request.headers),
    inferenceBody: inferenceApi.request.body ?? '',
    kafkaBrokers: kafka.brokers.join(','),
    pricesTopic: kafka.topics.prices,
    predictionsTopic: kafka.topics.predictions,
    featureStoreUrl: `${featureStore.url}?sslmode=disable`,
    featureStoreQuery: featureStore.queries.representative,
    commodities: inferenceApi.commodities.join(','),
  });
}

/** Every generated file, by path relative to `k6/`; the defaults file only when a profile is given for it. */
export function generatedFiles(defaults?: Profile, scenarios: Scenario[] = Object.values(SCENARIOS)): Map<string, string> {
  const files = new Map<string, string>();
  if (defaults) files.set('lib/sandbox-defaults.ts', renderSandboxDefaults(defaults));
  for (const s of scenarios) files.set(`${s.name}.ts`, renderScript(s));
  return files;
}

export function writeScripts(dir = K6_DIR, defaults?: Profile): string[] {
  const written: string[] = [];
  for (const [rel, text] of generatedFiles(defaults)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
    writeFileSync(path, text);
    written.push(rel);
  }
  return written;
}

/** Generated files that are missing or differ from what the definitions render today. */
export function staleScripts(dir = K6_DIR, defaults?: Profile): string[] {
  return [...generatedFiles(defaults)].filter(([rel, text]) => {
    const path = join(dir, rel);
    return !existsSync(path) || readFileSync(path, 'utf8') !== text;
  }).map(([rel]) => rel);
}
