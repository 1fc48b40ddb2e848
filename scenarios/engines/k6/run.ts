/**
 * `--engine k6`: runs the user's k6 on the generated script and judges its samples with the same
 * threshold evaluator as the native engine. k6's own verdicts (exit code 99, the threshold flags in
 * its summaries) are kept and compared, never trusted blindly: a disagreement is itself a finding.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { InfraError, UsageError } from '../../../core/errors.ts';
import { projectRoot } from '../../../core/paths.ts';
import type { Endpoints } from '../../endpoints.ts';
import type { Scenario } from '../../types.ts';
import type { K6RunReport, ScenarioResult } from '../../result.ts';
import { evaluate } from '../../thresholds.ts';
import { durationMs, parseScenarioThresholds, toOutcome } from '../../verdict.ts';
import { executorDurationMs } from '../native/arrivals.ts';
import { writeRunScript } from './script.ts';
import {
  K6OutputError, parseJsonText, parseK6Summary, parseNdjson, parseSummaryExport, verdictDisagreements,
  type K6Samples, type K6Summary, type NdjsonOptions,
} from './parse.ts';

export const K6_INSTALL_HINT =
  'install k6 ≥ 1.0 (https://grafana.com/docs/k6/latest/set-up/install-k6/) and, for the Kafka and ' +
  'feature-store scenarios, build it with xk6 and the extensions xk6-kafka and xk6-sql ' +
  '(https://grafana.com/docs/k6/latest/extensions/); put it on PATH or set K6_BIN';

/** Exit codes k6 documents: 99 thresholds failed; 105 stopped by a signal (external abort). */
export const K6_EXIT = { thresholdsFailed: 99, externalAbort: 105 } as const;

/** The k6 to run: $K6_BIN if set, else `k6` on PATH. */
export function findK6(env: NodeJS.ProcessEnv = process.env): string {
  const executable = (p: string) => { try { accessSync(p, constants.X_OK); return true; } catch { return false; } };
  if (env.K6_BIN) {
    if (!executable(env.K6_BIN)) throw new UsageError('K6_BIN', `${env.K6_BIN} is not an executable file; ${K6_INSTALL_HINT}`);
    return env.K6_BIN;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, 'k6'))) return join(dir, 'k6');
  }
  throw new UsageError('--engine', `k6 was not found on PATH; ${K6_INSTALL_HINT}. The native engine (--engine native) needs nothing installed`);
}

/** `k6 version` → [major, minor]; null when it does not say. */
export function k6Version(bin: string): [number, number] | null {
  const r = spawnSync(bin, ['version'], { encoding: 'utf8', timeout: 15_000 });
  const m = /v(\d+)\.(\d+)\.\d+/.exec(`${r.stdout}${r.stderr}`);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** What the scripts read from the environment: the endpoints this run targets. */
export function scriptEnv(ep: Endpoints): Record<string, string> {
  // xk6-kafka and xk6-sql take TLS and SASL through options the scripts do not pass yet: refusing
  // is better than a run that reaches the cluster some other way or not at all.
  if (ep.kafka?.sasl || ep.kafka?.tls) throw new UsageError('--engine', 'the k6 scripts do not pass Kafka TLS/SASL to xk6-kafka yet; use --engine native for this profile');
  const fs = ep.featureStore;
  if (fs.ssl) throw new UsageError('--engine', 'the k6 scripts do not pass the feature store\'s TLS settings to xk6-sql yet; use --engine native for this profile');
  const pgUrl = fs.connectionString
    ? `${fs.connectionString}${fs.connectionString.includes('?') ? '&' : '?'}sslmode=disable`
    : `postgres://${fs.user}:${encodeURIComponent(String(fs.password ?? ''))}@${fs.host}:${fs.port}/${fs.database}?sslmode=disable`;
  return {
    INFERENCE_API_URL: ep.inferenceApi,
    ...(ep.inference ? { INFERENCE_HEADERS: JSON.stringify(ep.inference.request.headers), INFERENCE_BODY: ep.inference.request.body ?? '' } : {}),
    KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ...(ep.topics ? { PRICES_TOPIC: ep.topics.prices, PREDICTIONS_TOPIC: ep.topics.predictions } : {}),
    FEATURE_STORE_URL: pgUrl,
    ...(ep.representativeQuery ? { FEATURE_STORE_QUERY: ep.representativeQuery } : {}),
    COMMODITIES: ep.commodities.join(','),
  };
}

/** Which series a scenario's per-second timeline follows (as the native engine's progress line). */
export function timelineOptions(s: Scenario): NdjsonOptions {
  return {
    trend: s.target.kind === 'http' ? 'http_req_duration' : s.target.kind === 'sql' ? 'feature_store_query_duration' : 'kafka_writer_write_seconds',
    failed: s.target.kind === 'http' ? 'http_req_failed' : s.target.kind === 'sql' ? 'feature_store_query_failed' : 'kafka_writer_error_count',
  };
}

export interface K6RunOptions {
  endpoints: Endpoints;
  signal: AbortSignal;
  /** Where k6's output files go (the run folder). */
  outDir: string;
  progress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

interface Outputs { handleSummary: string; summaryExport: string; ndjson: string }

export async function runK6(s: Scenario, opts: K6RunOptions): Promise<ScenarioResult> {
  const env = opts.env ?? process.env;
  const bin = findK6(env);
  const parsed = parseScenarioThresholds(s);
  const dir = join(opts.outDir, `k6-${s.name}`);
  const script = writeRunScript(s, dir);
  const out: Outputs = { handleSummary: join(dir, 'handle-summary.json'), summaryExport: join(dir, 'summary-export.json'), ndjson: join(dir, 'metrics.ndjson') };
  const version = k6Version(bin);
  // k6 ≥ 1.5 hands handleSummary the machine-readable shape when asked; older k6 the classic one.
  const machineReadable = version !== null && (version[0] > 1 || (version[0] === 1 && version[1] >= 5));
  const args = [
    'run', '--summary-export', out.summaryExport, '--out', `json=${out.ndjson}`,
    ...(machineReadable ? ['--new-machine-readable-summary'] : []),
    script,
  ];
  opts.progress?.(`k6: ${bin} run ${script} (outputs in ${dir})`);

  const startedAt = new Date();
  const { code, signal, tail, interrupted } = await spawnK6(bin, args, {
    ...env, ...scriptEnv(opts.endpoints),
    HARNESS_EXECUTOR: JSON.stringify(s.executor),
    K6_HANDLE_SUMMARY: out.handleSummary,
    K6_NO_USAGE_REPORT: 'true',
  }, opts);
  const endedAt = new Date();

  if (code !== 0 && code !== K6_EXIT.thresholdsFailed && !interrupted) {
    throw new InfraError(`k6 exited with ${code ?? `signal ${signal}`} (not a threshold failure): the run could not complete\n${tail.join('\n')}`, 'k6');
  }
  const plannedS = executorDurationMs(s.executor, durationMs) / 1000;
  const spanS = (endedAt.getTime() - startedAt.getTime()) / 1000;
  let samples: K6Samples;
  try {
    samples = parseNdjson(readRequired(out.ndjson, 'NDJSON (--out json)'), out.ndjson, { ...timelineOptions(s), durationS: interrupted ? spanS : Math.max(plannedS, 0) });
  } catch (e) {
    if (interrupted && e instanceof K6OutputError) throw new InfraError(`k6 was interrupted before it wrote usable output: ${e.message}`, 'k6');
    throw e;
  }
  const results = evaluate(parsed, samples);
  const summaries: K6Summary[] = [];
  if (!interrupted || existsSync(out.summaryExport)) summaries.push(parseSummaryExport(parseJsonText(readRequired(out.summaryExport, '--summary-export'), out.summaryExport), out.summaryExport));
  if (!interrupted || existsSync(out.handleSummary)) summaries.push(parseK6Summary(readRequired(out.handleSummary, 'handleSummary'), out.handleSummary));
  const report = k6Report(code, out, summaries, results);

  const keys = Object.keys(s.thresholds);
  return {
    scenario: s.name, engine: 'k6',
    startedAt: startedAt.toISOString(), endedAt: endedAt.toISOString(),
    durationS: samples.elapsedS(),
    where: `k6 run ${relative(opts.outDir, script)} against ${whereOf(s, opts.endpoints)}`,
    executor: s.executor,
    aborted: interrupted ? `interrupted: k6 was stopped (exit ${code ?? signal})` : null,
    thresholds: results.map(toOutcome),
    metrics: samples.summary(keys),
    histograms: samples.histograms(keys),
    timeline: samples.timeline(),
    crossChecks: { k6ExitCode: code ?? -1, k6Disagreements: report.disagreements.length },
    k6: report,
  };
}

function whereOf(s: Scenario, ep: Endpoints): string {
  if (s.target.kind === 'http') return `${s.target.method} ${ep.inferenceApi}${s.target.path}`;
  if (s.target.kind === 'kafka-produce') return `${s.target.topic} on ${ep.kafkaBrokers.join(',')}`;
  return 'the feature store';
}

function readRequired(path: string, what: string): string {
  if (!existsSync(path)) throw new K6OutputError(path, '$', `k6 did not write its ${what} output`);
  return readFileSync(path, 'utf8');
}

function k6Report(code: number | null, out: Outputs, summaries: K6Summary[], ours: ReturnType<typeof evaluate>): K6RunReport {
  const reported = summaries.flatMap((sum) => sum.thresholds.map((t) => ({ ...t, source: sum.source })));
  const disagreements = summaries.flatMap((sum) => verdictDisagreements(sum.thresholds, ours, sum.source).map((d) => ({ ...d, source: sum.source })));
  return {
    exitCode: code,
    files: { ndjson: out.ndjson, ...Object.fromEntries(summaries.map((sum) => [sum.shape, sum.source])) },
    reported, disagreements,
  };
}

/**
 * Runs k6, streaming its progress lines. Ctrl-C (the run's signal) is passed on as SIGINT so k6
 * stops the test gracefully and still writes its summaries; SIGKILL after 20 s if it does not.
 */
function spawnK6(bin: string, args: string[], env: NodeJS.ProcessEnv, opts: K6RunOptions): Promise<{ code: number | null; signal: NodeJS.Signals | null; tail: string[]; interrupted: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onLine = (line: string) => {
      if (!line.trim()) return;
      tail.push(line);
      if (tail.length > 30) tail.shift();
      opts.progress?.(`k6: ${line}`);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    let interrupted = false;
    let killer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      interrupted = true;
      child.kill('SIGINT');
      killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    };
    if (opts.signal.aborted) onAbort(); else opts.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => reject(new InfraError(`could not start ${bin}: ${e.message}`, 'k6')));
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      opts.signal.removeEventListener('abort', onAbort);
      resolve({ code, signal, tail, interrupted });
    });
  });
}
