import * as hdr from 'hdr-histogram-js';

import type { MetricType } from './thresholds.ts';

/** k6's four metric types; every engine reports in these so thresholds mean the same everywhere. */
export type { MetricType };
export type Tags = Record<string, string>;

/**
 * Trend values are milliseconds. They are recorded in microseconds in an HDR histogram (3
 * significant digits, auto-resizing), so memory stays bounded however long the run, and runs
 * or runners merge exactly by adding histograms. 32-bit counts, not the packed array: a packed
 * histogram took ~50 ms for three percentiles of a 30 s run (it decodes every bucket it walks),
 * which the engine's once-a-second threshold evaluation spent on the generator's event loop;
 * 32-bit counts take ~1 ms at about the same footprint (~40 KB).
 */
const US_PER_MS = 1000;
const BUCKETS = 32;

export class TrendSink {
  readonly h = hdr.build({ bitBucketSize: BUCKETS, autoResize: true, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  add(ms: number): void { this.h.recordValue(Math.max(1, Math.round(ms * US_PER_MS))); }
  merge(o: TrendSink): void { this.h.add(o.h); }
  get count(): number { return this.h.totalCount; }
  percentile(p: number): number | null { return this.count ? this.h.getValueAtPercentile(p) / US_PER_MS : null; }
  avg(): number | null { return this.count ? this.h.mean / US_PER_MS : null; }
  min(): number | null { return this.count ? this.h.minNonZeroValue / US_PER_MS : null; }
  max(): number | null { return this.count ? this.h.maxValue / US_PER_MS : null; }
  encode(): string { return hdr.encodeIntoCompressedBase64(this.h); }
  static decode(s: string): TrendSink {
    const t = new TrendSink();
    t.h.add(hdr.decodeFromCompressedBase64(s, BUCKETS, false));
    return t;
  }
}

export class CounterSink { sum = 0; add(v: number): void { this.sum += v; } merge(o: CounterSink): void { this.sum += o.sum; } }
/** k6 Rate: fraction of samples that are non-zero. */
export class RateSink {
  passes = 0; total = 0;
  add(v: number | boolean): void { this.total++; if (v) this.passes++; }
  merge(o: RateSink): void { this.passes += o.passes; this.total += o.total; }
}
export class GaugeSink {
  last: number | null = null; min = Infinity; max = -Infinity;
  add(v: number): void { this.last = v; this.min = Math.min(this.min, v); this.max = Math.max(this.max, v); }
  merge(o: GaugeSink): void { if (o.last !== null) { this.add(o.last); this.min = Math.min(this.min, o.min); this.max = Math.max(this.max, o.max); } }
}

type Sink = TrendSink | CounterSink | RateSink | GaugeSink;
const makeSink = (t: MetricType): Sink =>
  t === 'trend' ? new TrendSink() : t === 'counter' ? new CounterSink() : t === 'rate' ? new RateSink() : new GaugeSink();

export interface MetricDef { name: string; type: MetricType; unit: 'ms' | 'count' | 'ratio' | 'value'; help: string }

/**
 * The metrics the engines emit: k6's built-ins and xk6-kafka's names, plus our end-to-end Kafka latency.
 * Only these can carry a threshold; the native engine emits each of them (for the targets it applies to).
 */
export const METRICS: Record<string, MetricDef> = Object.fromEntries(([
  ['http_reqs', 'counter', 'count', 'HTTP requests made'],
  ['http_req_duration', 'trend', 'ms', 'HTTP request time, from the scheduled start of the iteration to the last byte'],
  ['http_req_failed', 'rate', 'ratio', 'share of HTTP requests that failed (status ≥ 400 or transport error)'],
  ['iterations', 'counter', 'count', 'iterations started'],
  ['iteration_duration', 'trend', 'ms', 'whole iteration time, from its scheduled start'],
  ['dropped_iterations', 'counter', 'count', 'arrivals that found no free VU and were skipped (open model)'],
  // Sampled once a second. Native engine: VUs busy with an iteration, and VUs allocated (preAllocatedVUs,
  // grown to the highest concurrency reached, at most maxVUs). k6's `vus` counts its active VUs instead.
  ['vus', 'gauge', 'value', 'VUs busy with an iteration (sampled each second)'],
  ['vus_max', 'gauge', 'value', 'VUs allocated: preAllocatedVUs, grown to the highest number busy at once (sampled each second)'],
  // No `checks`: no engine runs k6 check()s, so a threshold on it could only ever be no-data; it is
  // rejected as an unknown metric when the thresholds are parsed.
  ['kafka_writer_message_count', 'counter', 'count', 'messages acknowledged by Kafka'],
  ['kafka_writer_error_count', 'counter', 'count', 'failed produce requests'],
  ['kafka_writer_write_seconds', 'trend', 'ms', 'produce request time (name kept from xk6-kafka; unit here is ms)'],
  ['kafka_e2e_latency', 'trend', 'ms', 'produce → prediction on ml-predictions, per message (send time stamped in the message)'],
  ['kafka_e2e_received', 'counter', 'count', 'our messages seen back as predictions'],
  ['kafka_e2e_delivered', 'rate', 'ratio', 'share of sent messages seen back as predictions before the grace period ended'],
  ['kafka_e2e_duplicates', 'counter', 'count', 'predictions seen more than once for the same message'],
  ['feature_store_query_duration', 'trend', 'ms', 'representative feature-store query time'],
  ['feature_store_query_failed', 'rate', 'ratio', 'share of feature-store queries that failed'],
] as const).map(([name, type, unit, help]) => [name, { name, type, unit, help }]));

export function metricType(name: string): MetricType | undefined {
  return METRICS[name]?.type;
}

const tagKey = (tags: Tags) => Object.keys(tags).sort().map((k) => `${k}=${tags[k]}`).join(',');

/**
 * Each tag set's key, kept per object: the engine adds several samples per request with the same
 * few tag objects, and building the key each time was a tenth of its cost per request. A tag
 * object is never changed once samples carry it.
 */
const keys = new WeakMap<Tags, string>();
const keyOf = (tags: Tags) => { let k = keys.get(tags); if (k === undefined) keys.set(tags, (k = tagKey(tags))); return k; };

/**
 * All samples of one run, kept per metric and per tag set, so a threshold on
 * `http_req_duration{scenario:x}` reads only the matching series (merged), as in k6.
 */
export class MetricStore {
  private series = new Map<string, Map<string, { tags: Tags; sink: Sink }>>();
  /** Reset by the engine when load starts, so connection set-up does not dilute rates. */
  startedAt = performance.now();
  endedAt: number | null = null;
  /** Sees every sample as it is added (live progress, per-second timelines). */
  onSample: ((name: string, value: number) => void) | null = null;

  add(name: string, value: number, tags: Tags = {}): void {
    const def = METRICS[name];
    if (!def) throw new Error(`unknown metric ${name}`);
    this.onSample?.(name, value);
    let byTags = this.series.get(name);
    if (!byTags) this.series.set(name, (byTags = new Map()));
    const k = keyOf(tags);
    let s = byTags.get(k);
    if (!s) byTags.set(k, (s = { tags, sink: makeSink(def.type) }));
    (s.sink as { add(v: number): void }).add(value);
  }

  /** Seconds the run has lasted (a counter's `rate` divides by it, as k6 does). */
  elapsedS(): number {
    return ((this.endedAt ?? performance.now()) - this.startedAt) / 1000;
  }

  /** One sink merging every series of `name` whose tags include `filter`. */
  select(name: string, filter: Tags = {}): Sink | null {
    const def = METRICS[name];
    const byTags = this.series.get(name);
    if (!def || !byTags) return null;
    const out = makeSink(def.type);
    let any = false;
    for (const { tags, sink } of byTags.values()) {
      if (Object.entries(filter).every(([k, v]) => tags[k] === v)) { (out as { merge(o: Sink): void }).merge(sink); any = true; }
    }
    return any ? out : null;
  }

  names(): string[] { return [...this.series.keys()]; }
}
