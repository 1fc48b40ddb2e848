import { setTimeout as sleep, setImmediate as yieldToIo } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Scenario, Executor } from '../../types.ts';
import { MetricStore, METRICS, TrendSink, CounterSink, RateSink, type Tags } from '../../metrics.ts';
import { parseScenarioThresholds, evaluateStore, firstAbort, toOutcome, durationMs } from '../../verdict.ts';
import type { GeneratorHealth, ScenarioResult } from '../../result.ts';
import type { Endpoints } from '../../endpoints.ts';
import { InfraError, firstLine } from '../../../core/errors.ts';
import { LOOP_RESOLUTION_MS, loopDelay, type LoopDelay, type ThreadLoop } from './loop-delay.ts';
import { arrivals, executorDurationMs, warmupExecutor } from './arrivals.ts';

export { warmupExecutor };
import { makeTarget, type Phase } from './targets.ts';
import { summarize } from './summary.ts';

export interface RunOptions {
  endpoints: Endpoints;
  signal: AbortSignal;
  progress?: (line: string, final?: boolean) => void;
  /** Iterations still running when the schedule ends get this long to finish (k6's gracefulStop). */
  gracefulStopMs?: number;
  /** What drives one iteration; the scenario's target kind by default (tests give their own). */
  makeTarget?: typeof makeTarget;
}

/** The trend a scenario's live progress and timeline follow. */
const primaryTrend = (s: Scenario) =>
  s.target.kind === 'http' ? 'http_req_duration' : s.target.kind === 'sql' ? 'feature_store_query_duration' : 'kafka_writer_write_seconds';

/**
 * The generator judges itself: arrivals dispatched later than this (p99) against their schedule,
 * or an event loop delayed longer than this (p99), mean the load generator, not the platform, may
 * be what fell behind. Latency counts from the scheduled time, so such lateness shows as latency.
 */
export const GENERATOR_BOUND_MS = 50;

/**
 * A target that fails every iteration for this long (with at least OUTAGE_MIN_FAILURES failures,
 * so a low rate with one stray error is not an outage) has stopped answering: the scenario stops
 * there rather than run out its window against a dead platform. Only the platform's own answers
 * count (failed requests, queries, produce calls), never drops, which a starved generator causes too.
 */
export const OUTAGE_STOP_MS = 5_000;
export const OUTAGE_MIN_FAILURES = 3;
/** In-flight iterations get this long once the run is stopped (outage or interrupt), not the full gracefulStop. */
const OUTAGE_GRACE_MS = 2_000;

/**
 * Longest stretch of arrivals dispatched back to back (the generator behind its clock) before the
 * event loop gets a turn for I/O.
 */
const CATCH_UP_SLICE_MS = 2;

/**
 * An arrival the generator reaches this much after its scheduled time, with a VU free for it, is
 * dropped and counted (staleDropped). Without it a generator short of CPU would send its whole
 * schedule ever later (a 10 s run at 450,000 msg/s on one thread took 40 s, latency p99 30 s) instead
 * of keeping near its window. Any such drop makes the generator saturated, so it is never a FAIL
 * against the platform; 5 s, so that a stall of a second or two is sent late, as before, not dropped.
 */
export const STALE_ARRIVAL_MS = 5_000;

/** Settling time between the warm-up and the measured window for iterations still in flight. */
const WARMUP_SETTLE_MS = 5_000;

/**
 * The built-in open-model engine. Arrivals come from the executor's clock; an arrival that finds
 * every VU busy is dropped and counted, never queued, so a slow target cannot slow the offered load
 * (no coordinated omission). Latency counts from each arrival's scheduled time (from its send when that was
 * earlier: an arrival within a millisecond of its time goes at once). A declared warm-up
 * (`scenario.warmup`) runs first at the starting rate into a store of its own: reported, never judged.
 */
export async function runNative(s: Scenario, opts: RunOptions): Promise<ScenarioResult> {
  const parsed = parseScenarioThresholds(s); // a bad threshold fails before any load is sent
  const store = new MetricStore();
  const tags: Tags = { scenario: s.name, ...s.tags };
  const target = await (opts.makeTarget ?? makeTarget)(s, store, opts.endpoints, tags);
  await target.setup();

  const ex = s.executor;
  const totalMs = executorDurationMs(ex, durationMs);
  let busy = 0;
  // VUs "allocated", as k6's vus_max: the pre-allocated ones, grown to the most ever busy at once.
  let allocated = Math.min(ex.preAllocatedVUs, ex.maxVUs);
  // Resolved when the last iteration in flight ends: a count and one waiter, not a set of promises,
  // since this runs for every request (docs/load-generator.md).
  let drained: { promise: Promise<void>; resolve: () => void } | null = null;
  const allEnded = (): Promise<void> => {
    if (busy === 0) return Promise.resolve();
    if (!drained) { let resolve!: () => void; const promise = new Promise<void>((r) => { resolve = r; }); drained = { promise, resolve }; }
    return drained.promise;
  };
  const ended = () => {
    busy--;
    if (busy === 0 && drained) { drained.resolve(); drained = null; }
  };
  // Stops the schedule, the wait for stragglers and the target's read-back alike.
  const stop = new AbortController();
  const lateness = new TrendSink();
  let staleDropped = 0;
  let aborted: string | null = null;
  let fault: InfraError | null = null;
  const interrupted = () => `interrupted: ${String((opts.signal.reason as Error)?.message ?? opts.signal.reason)}`;

  const iterate = (scheduled: number, phase: Phase) => {
    busy++;
    if (busy > allocated) allocated = busy;
    phase.store.add('iterations', 1, tags);
    target.iterate(scheduled, phase).then(() => { ended(); phase.store.add('iteration_duration', performance.now() - scheduled, tags); }, (e: unknown) => {
      ended();
      // Targets count the platform's failures themselves and resolve; a rejection is the
      // generator's own (a producer thread died): the run stops and ends as incomplete, not as a FAIL.
      if (fault) return;
      fault = e instanceof InfraError ? e : new InfraError(`an iteration failed inside the load generator: ${firstLine(e)}`, 'load-generator');
      aborted ??= fault.message;
      stop.abort(fault);
    });
  };

  /** Drives one phase's schedule from `t0`; returns when its last arrival is due (or it must stop). */
  const drive = async (schedule: Executor, phase: Phase, t0: number, onArrival: (lateMs: number, dropped: boolean) => void) => {
    const waitSignal = AbortSignal.any([opts.signal, stop.signal]);
    let yielded = performance.now();
    const mustStop = () => {
      if (opts.signal.aborted) aborted ??= interrupted();
      return aborted !== null;
    };
    for (const offset of arrivals(schedule, durationMs)) {
      if (mustStop()) return;
      const due = t0 + offset;
      // The send time: read once per arrival, again only after a pause.
      let at = performance.now();
      const wait = due - at;
      // Behind the clock, arrivals are dispatched back to back; without a pause for I/O the answers
      // that would free VUs wait behind them, every VU ends up busy and arrivals are dropped: a brief
      // stall of the generator would snowball into drops blamed on the platform. So the event loop
      // gets a turn after every CATCH_UP_SLICE_MS of dispatching, as it does while waiting.
      if (wait > 1 || at - yielded > CATCH_UP_SLICE_MS) {
        // A long gap (a low rate, a ramp through 0) is cut short by an interrupt or a stop.
        await (wait > 1 ? sleep(wait, undefined, { signal: waitSignal }).catch(() => {}) : yieldToIo());
        yielded = at = performance.now();
        // Stopped meanwhile (an interrupt, an outage, a fault): this arrival is not sent.
        if (mustStop()) return;
      }
      const late = Math.max(0, at - due);
      if (!phase.warmup) lateness.add(late);
      // Every VU busy is the platform's slowness (k6's drop); stale is counted only where a VU was free,
      // so a generator stall never takes over a drop the platform earned.
      const full = busy >= schedule.maxVUs;
      const stale = !full && late > STALE_ARRIVAL_MS;
      if (stale && !phase.warmup) staleDropped++;
      const drop = full || stale;
      onArrival(late, drop);
      if (drop) { phase.store.add('dropped_iterations', 1, tags); continue; }
      // Latency counts from the schedule when late (no coordinated omission), from the send when early:
      // within a millisecond of its time an arrival goes at once (a timer cannot wait less than 1 ms, and
      // may fire early against this clock), and counting from its schedule then would flatter the platform.
      iterate(Math.min(at, due), phase);
    }
  };

  let warmup: ScenarioResult['warmup'];
  const warmEx = s.warmup ? warmupExecutor(ex, s.warmup) : null;
  if (warmEx && !opts.signal.aborted) try {
    const warmStore = new MetricStore();
    const w0 = performance.now();
    warmStore.startedAt = w0;
    opts.progress?.(`${s.name.padEnd(20)} warm-up ${s.warmup} at ${warmEx.executor === 'constant-arrival-rate' ? warmEx.rate : 0}/${ex.timeUnit} (not judged)…`, false);
    await drive(warmEx, { store: warmStore, warmup: true }, w0, () => {});
    await Promise.race([allEnded(), sleep(WARMUP_SETTLE_MS, undefined, { ref: false })]);
    warmStore.endedAt = performance.now();
    warmup = warmupSummary(s, warmStore, tags, s.warmup!);
  } catch (e) {
    // Set up and not yet in the measured window's try: close what setup opened (a producer thread
    // left running would keep the process alive).
    await target.teardown(stop.signal);
    throw e;
  }

  const startedAt = new Date();
  const t0 = performance.now();
  store.startedAt = t0;
  const sampleVus = () => {
    store.add('vus', busy, tags);
    store.add('vus_max', allocated, tags);
  };
  const trend = primaryTrend(s);
  const timeline: ScenarioResult['timeline'] = [];
  let second = { iterations: 0, failed: 0, dropped: 0, lateMaxMs: 0, trend: new TrendSink() };
  const failedMetric = s.target.kind === 'http' ? 'http_req_failed' : s.target.kind === 'sql' ? 'feature_store_query_failed' : null;
  const outage = { lastOk: t0, failures: 0, longestMs: 0, longestFailures: 0, stopped: false, answered: 0, closed: false };
  const outageSoFar = (now: number) => {
    if (outage.failures < OUTAGE_MIN_FAILURES) return;
    if (now - outage.lastOk > outage.longestMs) { outage.longestMs = now - outage.lastOk; outage.longestFailures = outage.failures; }
  };
  const onOuterAbort = () => stop.abort(opts.signal.reason);
  if (opts.signal.aborted) onOuterAbort(); // interrupted during setup or the warm-up
  else opts.signal.addEventListener('abort', onOuterAbort, { once: true });
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  target.threadLoops?.start();
  let threadDelays: ThreadLoop[] = [];
  const cpu = { at: performance.now(), used: process.cpuUsage() };

  const tick = setInterval(() => {
    const t = Math.round((performance.now() - t0) / 1000);
    timeline.push({ t, iterations: second.iterations, failed: second.failed, p95: second.trend.percentile(95), dropped: second.dropped, lateMaxMs: Math.round(second.lateMaxMs * 10) / 10 });
    second = { iterations: 0, failed: 0, dropped: 0, lateMaxMs: 0, trend: new TrendSink() };
    const abort = firstAbort(evaluateStore(parsed, store), performance.now() - t0);
    if (abort && !aborted) aborted = `threshold ${abort.key} ${abort.expr} failed (abortOnFail)`;
    const now = performance.now();
    outageSoFar(now);
    if (!aborted && outage.failures >= OUTAGE_MIN_FAILURES && now - outage.lastOk >= OUTAGE_STOP_MS) {
      outage.stopped = true;
      aborted = `the target stopped answering: ${outage.failures} iterations failed and none succeeded for ${((now - outage.lastOk) / 1000).toFixed(1)} s; the rest of the schedule was not sent`;
      stop.abort(new Error(aborted));
    }
    sampleVus();
    opts.progress?.(progressLine(s, store, t, totalMs / 1000, busy));
  }, 1000);

  store.onSample = (name, value) => {
    if (name === trend) second.trend.add(value);
    const failed = (name === failedMetric && value) || name === 'kafka_writer_error_count';
    if (failed) second.failed += value;
    // Requests the harness itself cuts off when it closes the target are not the target's answers.
    if (outage.closed) return;
    if (failed) { outage.failures += value; outage.answered += value; }
    else if (name === failedMetric || name === 'kafka_writer_message_count') {
      outage.answered++;
      outageSoFar(performance.now());
      outage.lastOk = performance.now();
      outage.failures = 0;
    }
  };

  try {
    await drive(ex, { store, warmup: false }, t0, (late, dropped) => {
      if (dropped) second.dropped++; else second.iterations++;
      if (late > second.lateMaxMs) second.lateMaxMs = late;
    });
    sampleVus(); // also when the schedule is shorter than the first sampling tick
    // Stragglers get gracefulStop; once the run is stopped (outage, interrupt) only a short grace.
    const stopped = stop.signal.aborted ? Promise.resolve() : new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
    await Promise.race([allEnded(), sleep(opts.gracefulStopMs ?? 30_000, undefined, { ref: false }), stopped]);
    if (stop.signal.aborted) await Promise.race([allEnded(), sleep(OUTAGE_GRACE_MS, undefined, { ref: false })]);
  } finally {
    clearInterval(tick);
    loop.disable();
    cpu.used = process.cpuUsage(cpu.used);
    cpu.at = performance.now() - cpu.at;
    opts.signal.removeEventListener('abort', onOuterAbort);
    outageSoFar(performance.now());
    outage.closed = true;
    // Rates divide by at least the planned duration: finishing the last arrival early must not
    // flatter a throughput figure.
    store.endedAt = Math.max(performance.now(), aborted ? 0 : t0 + totalMs);
    try {
      if (target.threadLoops) threadDelays = await target.threadLoops.stop();
    } finally {
      await target.teardown(stop.signal);
    }
  }
  fault ??= target.generatorFault?.() ?? null;
  if (fault) throw fault;

  const thresholds = evaluateStore(parsed, store).map(toOutcome);
  const crossChecks = await target.crossChecks();
  const crossCheckErrors = target.crossCheckErrors?.() ?? {};
  const generator = generatorHealth(lateness, staleDropped, loopDelay(loop), threadDelays, (cpu.used.user + cpu.used.system) / 1000 / Math.max(1, cpu.at), store, s.name);
  const result: ScenarioResult = {
    scenario: s.name, engine: 'native',
    startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(),
    durationS: store.elapsedS(), where: target.where, executor: ex, aborted,
    thresholds, ...summarize(store, tags), timeline, crossChecks,
    ...(Object.keys(crossCheckErrors).length ? { crossCheckErrors } : {}),
    ...(warmup ? { warmup } : {}),
    outage: {
      longestS: Math.round(outage.longestMs) / 1000, failures: outage.longestFailures,
      boundS: OUTAGE_STOP_MS / 1000, minFailures: OUTAGE_MIN_FAILURES, stopped: outage.stopped, answered: outage.answered,
    },
    generator,
  };
  opts.progress?.(progressLine(s, store, Math.round(store.elapsedS()), totalMs / 1000, 0), true);
  return result;
}

function generatorHealth(lateness: TrendSink, staleDropped: number, main: LoopDelay, threads: ThreadLoop[], cpuShare: number, store: MetricStore, scenario: string): GeneratorHealth {
  const r2 = (v: number | null) => (v === null ? 0 : Math.round(v * 100) / 100);
  const lateP99Ms = r2(lateness.percentile(99));
  // A producer thread that fell behind delays its batches as a late main thread would delay arrivals.
  const loopP99Ms = Math.max(main.p99Ms, ...threads.map((t) => t.p99Ms));
  return {
    arrivals: lateness.count, lateP99Ms, lateMaxMs: r2(lateness.max()),
    loopP99Ms, loopMaxMs: Math.max(main.maxMs, ...threads.map((t) => t.maxMs)),
    cpuPct: Math.round(cpuShare * 1000) / 10,
    dropped: (store.select('dropped_iterations', { scenario }) as CounterSink | null)?.sum ?? 0,
    staleDropped,
    ...(threads.length ? { producerThreads: threads } : {}),
    boundMs: GENERATOR_BOUND_MS,
    // An arrival dropped for being reached too late is the generator's own failure, however few.
    saturated: lateP99Ms > GENERATOR_BOUND_MS || loopP99Ms > GENERATOR_BOUND_MS || staleDropped > 0,
  };
}

/** What the warm-up did, for the reports: it is shown, never judged. */
function warmupSummary(s: Scenario, store: MetricStore, tags: Tags, duration: string): NonNullable<ScenarioResult['warmup']> {
  const t = store.select(primaryTrend(s), { scenario: tags.scenario! }) as TrendSink | null;
  const count = (name: string) => (store.select(name, { scenario: tags.scenario! }) as CounterSink | null)?.sum ?? 0;
  const e = errorsSoFar(store, { scenario: tags.scenario! });
  return {
    duration, durationS: Math.round(store.elapsedS() * 1000) / 1000, metric: primaryTrend(s),
    iterations: count('iterations'), dropped: count('dropped_iterations'), failed: e.failed,
    p50: t?.percentile(50) ?? null, p95: t?.percentile(95) ?? null, max: t?.max() ?? null,
  };
}

/**
 * The live progress line: time, rate achieved, p95 so far, errors so far (failed HTTP requests, failed
 * feature-store queries, failed Kafka produce calls; with their share when there is a denominator),
 * busy VUs and dropped iterations.
 */
export function progressLine(s: Scenario, store: MetricStore, t: number, total: number, busy: number): string {
  const tags = { scenario: s.name };
  const it = store.select('iterations', tags) as CounterSink | null;
  const dropped = store.select('dropped_iterations', tags) as CounterSink | null;
  const trend = store.select(primaryTrend(s), tags) as TrendSink | null;
  const p95 = trend?.percentile(95);
  const msgs = store.select('kafka_writer_message_count', tags) as CounterSink | null;
  const elapsed = Math.max(store.elapsedS(), 0.001);
  const rate = msgs ? `${(msgs.sum / elapsed).toFixed(0)} msg/s` : `${((it?.sum ?? 0) / elapsed).toFixed(1)} it/s`;
  const e = errorsSoFar(store, tags);
  const errors = `errors ${e.failed}${e.of > 0 ? ` (${((100 * e.failed) / e.of).toFixed(2)} %)` : ''}`;
  return `${s.name.padEnd(20)} ${String(t).padStart(4)}s/${total}s  ${rate}  p95 ${p95 == null ? '-' : p95.toFixed(1) + ' ms'}  ${errors}  busy ${busy}  dropped ${dropped?.sum ?? 0}`;
}

/** Failed requests, queries and produce calls so far, out of how many were made. */
function errorsSoFar(store: MetricStore, tags: Tags): { failed: number; of: number } {
  let failed = 0;
  let of = 0;
  for (const name of ['http_req_failed', 'feature_store_query_failed']) {
    const r = store.select(name, tags) as RateSink | null;
    if (r) { failed += r.passes; of += r.total; } // a Rate's "passes" are its non-zero samples: the failures
  }
  const kafkaErrors = store.select('kafka_writer_error_count', tags) as CounterSink | null;
  const produceCalls = store.select('kafka_writer_write_seconds', tags) as TrendSink | null;
  failed += kafkaErrors?.sum ?? 0;
  of += produceCalls?.count ?? 0;
  return { failed, of };
}

export { METRICS };
