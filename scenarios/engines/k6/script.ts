/**
 * Scenario definitions → k6 scripts (TypeScript, k6 ≥ 1.0) under `k6/`, so operators can run every
 * scenario with their own k6. Executors, thresholds and tags carry over one to one; the harness
 * overrides an executor (--duration/--rate) through HARNESS_EXECUTOR, never by editing the script.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../../core/paths.ts';
import { UsageError } from '../../../core/errors.ts';
import { parseConfig, type Config } from '../../../core/config.ts';
import { pgUrl } from '../../../sandbox/postgres.ts';
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

/** The embedded sandbox's addresses, from the default config, as the scripts' fallbacks. */
export function renderSandboxDefaults(cfg: Config = parseConfig({})): string {
  const sb = cfg.sandbox;
  return render('k6/sandbox-defaults.ts.hbs', {
    inferenceApiUrl: `http://${sb.host}:${sb.ports.inferenceApi}`,
    kafkaBrokers: `${sb.host}:${sb.ports.kafka}`,
    featureStoreUrl: `${pgUrl(sb)}?sslmode=disable`,
    commodities: sb.priceFeed.commodities.join(','),
  });
}

/** Every generated file, by path relative to `k6/`. */
export function generatedFiles(scenarios: Scenario[] = Object.values(SCENARIOS)): Map<string, string> {
  const files = new Map<string, string>();
  files.set('lib/sandbox-defaults.ts', renderSandboxDefaults());
  for (const s of scenarios) files.set(`${s.name}.ts`, renderScript(s));
  return files;
}

export function writeScripts(dir = K6_DIR): string[] {
  const written: string[] = [];
  for (const [rel, text] of generatedFiles()) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
    writeFileSync(path, text);
    written.push(rel);
  }
  return written;
}

/** Generated files that are missing or differ from what the definitions render today. */
export function staleScripts(dir = K6_DIR): string[] {
  return [...generatedFiles()].filter(([rel, text]) => {
    const path = join(dir, rel);
    return !existsSync(path) || readFileSync(path, 'utf8') !== text;
  }).map(([rel]) => rel);
}
