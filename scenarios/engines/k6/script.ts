/**
 * Scenario definitions → k6 scripts (TypeScript, k6 ≥ 1.0) under `k6/`, so operators can run every
 * scenario with their own k6. Executors, thresholds and tags carry over one to one; the harness
 * overrides an executor (--duration/--rate) through HARNESS_EXECUTOR, never by editing the script.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { projectRoot } from '../../../core/paths.ts';
import { UsageError } from '../../../core/errors.ts';
import type { Profile } from '../../../profile/schema.ts';
import type { LoadedProfile } from '../../../profile/load.ts';
import { render } from '../../../core/render.ts';
import { toK6Thresholds } from '../../thresholds.ts';
import { parseScenarioThresholds } from '../../verdict.ts';
import { BUILTIN_FILE, scenarioCatalog } from '../../catalog.ts';
import type { Scenario } from '../../types.ts';

export const K6_DIR = join(projectRoot, 'k6');

/** Seconds the follower keeps reading after the load ends, as the native engine's teardown grace. */
const FOLLOW_GRACE_S = 15;

const EXTENSIONS: Record<Scenario['target']['kind'], string> = {
  http: '',
  'kafka-produce': 'xk6-kafka v2 for k6/x/kafka',
  sql: 'xk6-sql and xk6-sql-driver-postgres for k6/x/sql',
};

/** `generatedBy` says where the script came from (its first line): a definition, or a run. */
export function renderScript(s: Scenario, generatedBy = `\`harness k6 generate\` from ${relative(projectRoot, s.source?.replace(/:\d+$/, '') ?? BUILTIN_FILE)} (scenario ${s.name})`): string {
  // The k6 scripts write with acks from every replica at the messages' own size (k6/lib/kafka.ts):
  // a scenario asking otherwise would be measured as something it did not ask for.
  if (s.target.kind === 'kafka-produce' && ((s.target.acks ?? 'all') !== 'all' || s.target.recordBytes !== undefined)) {
    throw new UsageError(`scenario ${s.name}`, `the k6 engine's Kafka writer supports acks 'all' at the messages' own size only (acks/recordBytes are native-engine options)`);
  }
  const view = {
    generatedBy,
    name: s.name,
    // One comment line: a line break in a user's description must not end the comment.
    description: s.description.replace(/\s+/g, ' '),
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

/**
 * Every generated file, by path relative to `k6/`: the built-in scenarios at the seed's targets,
 * and the fallbacks (`lib/sandbox-defaults.ts`) from the sandbox's profile at the default config.
 */
export function generatedFiles(defaults: LoadedProfile): Map<string, string> {
  const files = new Map<string, string>();
  files.set('lib/sandbox-defaults.ts', renderSandboxDefaults(defaults.profile));
  for (const s of Object.values(scenarioCatalog(defaults, {}).scenarios)) files.set(`${s.name}.ts`, renderScript(s));
  return files;
}

export function writeScripts(defaults: LoadedProfile, dir = K6_DIR): string[] {
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
export function staleScripts(defaults: LoadedProfile, dir = K6_DIR): string[] {
  return [...generatedFiles(defaults)].filter(([rel, text]) => {
    const path = join(dir, rel);
    return !existsSync(path) || readFileSync(path, 'utf8') !== text;
  }).map(([rel]) => rel);
}

/**
 * The script a run executes: the scenario as planned (the profile's scenario, its targets resolved,
 * the flags' overrides applied), written into the run's folder beside a copy of `k6/lib/`, so k6
 * runs exactly what the harness judges and the record keeps the script it ran.
 */
export function writeRunScript(s: Scenario, dir: string): string {
  mkdirSync(dir, { recursive: true });
  cpSync(join(K6_DIR, 'lib'), join(dir, 'lib'), { recursive: true });
  const path = join(dir, `${s.name}.ts`);
  writeFileSync(path, renderScript(s, `carbon-harness for this run from ${s.source ?? 'a scenario definition'} (scenario ${s.name})`));
  return path;
}
