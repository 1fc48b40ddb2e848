/**
 * What every generated script shares: where the platform is, the price-message format, and the
 * summary files the harness collects. Hand-written (not generated); the scripts next to it are.
 *
 * Endpoints come from the environment so one script runs against the sandbox (the defaults) or a
 * real platform: INFERENCE_API_URL, INFERENCE_HEADERS (JSON), INFERENCE_BODY ({{commodity}} is
 * replaced), KAFKA_BROKERS (comma-separated), PRICES_TOPIC, PREDICTIONS_TOPIC, FEATURE_STORE_URL,
 * FEATURE_STORE_QUERY, COMMODITIES.
 */
import { sha256 } from 'k6/crypto';
import { SANDBOX } from './sandbox-defaults.ts';

const env = (name: string, fallback: string): string => __ENV[name] || fallback;

export const INFERENCE_API_URL = env('INFERENCE_API_URL', SANDBOX.inferenceApiUrl);
export const KAFKA_BROKERS = env('KAFKA_BROKERS', SANDBOX.kafkaBrokers).split(',');
export const FEATURE_STORE_URL = env('FEATURE_STORE_URL', SANDBOX.featureStoreUrl);
export const COMMODITIES = env('COMMODITIES', SANDBOX.commodities).split(',');
export const INFERENCE_HEADERS = JSON.parse(env('INFERENCE_HEADERS', SANDBOX.inferenceHeaders)) as Record<string, string>;
export const FEATURE_STORE_QUERY = env('FEATURE_STORE_QUERY', SANDBOX.featureStoreQuery);
// Set but empty means no body (a GET): `env` would fall back to the sandbox's.
const INFERENCE_BODY = __ENV.INFERENCE_BODY !== undefined ? __ENV.INFERENCE_BODY : SANDBOX.inferenceBody;
const TOPICS: Record<string, string> = { prices: env('PRICES_TOPIC', SANDBOX.pricesTopic), predictions: env('PREDICTIONS_TOPIC', SANDBOX.predictionsTopic) };

/** A topic by its role (prices, predictions) as the platform names it; any other name as given. */
export const topicFor = (ref: string): string => TOPICS[ref] ?? ref;

/** The platform's request body for one commodity (null: the request has none). */
export const inferenceBody = (commodity: string): string | null => (INFERENCE_BODY ? INFERENCE_BODY.split('{{commodity}}').join(commodity) : null);

/** The same message, checksum included, as the native engine and the sandbox's price feed send. */
export interface PriceMessage {
  run: number;
  seq: number;
  commodity: string;
  price: number;
  sentAt: number;
  checksum: string;
}

export function priceMessage(run: number, seq: number, sentAt: number): PriceMessage {
  const commodity = COMMODITIES[seq % COMMODITIES.length]!;
  const price = 100 + (seq % 1000) / 100;
  const checksum = sha256(`${run}|${seq}|${commodity}|${price}|${sentAt}`, 'hex').slice(0, 16);
  return { run, seq, commodity, price, sentAt, checksum };
}

/** k6 duration ("500ms", "30s", "1m30s", "1h") in milliseconds. */
export function durationMs(d: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(d)) !== null) total += Number(m[1]) * units[m[2]!]!;
  return total;
}

export type ArrivalExecutor =
  | { executor: 'constant-arrival-rate'; rate: number; timeUnit: string; duration: string; preAllocatedVUs: number; maxVUs: number }
  | { executor: 'ramping-arrival-rate'; startRate: number; timeUnit: string; stages: Array<{ target: number; duration: string }>; preAllocatedVUs: number; maxVUs: number };

/**
 * The scenario's executor: the definition's, unless the harness passes an override (its --duration
 * and --rate) as JSON in HARNESS_EXECUTOR.
 */
export function executorFor(definition: ArrivalExecutor): ArrivalExecutor {
  return __ENV.HARNESS_EXECUTOR ? (JSON.parse(__ENV.HARNESS_EXECUTOR) as ArrivalExecutor) : definition;
}

/** The warm-up before the measured window: the executor's starting rate, held for `duration`. */
export function warmupExecutor(ex: ArrivalExecutor, duration: string): ArrivalExecutor {
  // As the native engine's; the catalog refuses a warm-up without a starting rate above 0.
  const rate = ex.executor === 'constant-arrival-rate' ? ex.rate : ex.startRate || ex.stages[0]?.target || 0;
  return { executor: 'constant-arrival-rate', rate, timeUnit: ex.timeUnit, duration, preAllocatedVUs: ex.preAllocatedVUs, maxVUs: ex.maxVUs };
}

export function executorMs(ex: ArrivalExecutor): number {
  return ex.executor === 'constant-arrival-rate' ? durationMs(ex.duration) : ex.stages.reduce((a, s) => a + durationMs(s.duration), 0);
}

interface SummaryMetric { thresholds?: Record<string, { ok: boolean }> }

/**
 * Keeps k6's summary data for the harness (K6_HANDLE_SUMMARY names the file) and prints one line
 * per threshold, since exporting handleSummary replaces k6's own end-of-test text.
 */
export function summaryOutputs(data: { metrics?: Record<string, SummaryMetric> }): Record<string, string> {
  const lines: string[] = [];
  for (const [name, m] of Object.entries(data.metrics ?? {})) {
    for (const [expr, t] of Object.entries(m.thresholds ?? {})) lines.push(`${t.ok ? '✓' : '✗'} ${name} ${expr}`);
  }
  const out: Record<string, string> = {
    stdout: lines.length ? `thresholds:\n  ${lines.join('\n  ')}\n` : 'summary data written (no thresholds in this summary format)\n',
  };
  if (__ENV.K6_HANDLE_SUMMARY) out[__ENV.K6_HANDLE_SUMMARY] = JSON.stringify(data, null, 2);
  return out;
}
