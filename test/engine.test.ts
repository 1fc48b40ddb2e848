import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import { arrivals } from '../scenarios/engines/native/arrivals.ts';
import { runNative, progressLine, GENERATOR_BOUND_MS, OUTAGE_STOP_MS, STALE_ARRIVAL_MS } from '../scenarios/engines/native/index.ts';
import { withOverrides } from '../scenarios/plan.ts';
import { generatorCheck, saturation, scenarioChecks } from '../verifiers/load.ts';
import { warmupText } from '../reports/gate.ts';
import { MetricStore } from '../scenarios/metrics.ts';
import { durationMs } from '../scenarios/verdict.ts';
import type { Scenario } from '../scenarios/types.ts';
import type { Endpoints } from '../scenarios/endpoints.ts';

/** A target with a known, fixed service time; `serial` makes it handle one request at a time. */
async function fixedDelayServer(delayMs: number, serial = false): Promise<{ url: string; server: Server }> {
  let queue = Promise.resolve();
  const server = createServer((req, res) => {
    if (req.url === '/healthz') { res.end('ok'); return; }
    req.resume();
    const answer = () => new Promise<void>((r) => setTimeout(() => { res.end('{}'); r(); }, delayMs));
    if (serial) queue = queue.then(answer); else void answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

const scenario = (rate: number, duration: string, maxVUs: number): Scenario => ({
  name: 'probe', description: 'test', slo: [],
  target: { kind: 'http', method: 'POST', path: '/v1/predict', body: true },
  executor: { executor: 'constant-arrival-rate', rate, timeUnit: '1s', duration, preAllocatedVUs: maxVUs, maxVUs },
  thresholds: { http_req_duration: ['p(95)<1000'], dropped_iterations: ['count==0'] },
});

const endpoints = (url: string): Endpoints => ({ inferenceApi: url, kafkaBrokers: [], featureStore: {}, commodities: ['brent'] });
const signal = new AbortController().signal;

/** A store whose run has lasted exactly `elapsedS` seconds. */
function storeOf(elapsedS: number, samples: Array<[string, number]>, name = 'probe'): MetricStore {
  const store = new MetricStore();
  store.startedAt = 0;
  store.endedAt = elapsedS * 1000;
  for (const [metric, value] of samples) store.add(metric, value, { scenario: name });
  store.add('iterations', 999, { scenario: 'another-scenario' }); // other scenarios' samples are not counted
  store.add('http_req_failed', 1, { scenario: 'another-scenario' });
  return store;
}

test('progress line: rate achieved, p95 so far, failed HTTP requests with their share, busy VUs, drops', () => {
  const samples: Array<[string, number]> = [];
  for (let i = 1; i <= 10; i++) samples.push(['iterations', 1], ['http_req_duration', i], ['http_req_failed', i <= 2 ? 1 : 0]);
  samples.push(['dropped_iterations', 1]);
  assert.is(progressLine(scenario(5, '30s', 5), storeOf(2, samples), 2, 30, 3),
    'probe                   2s/30s  5.0 it/s  p95 10.0 ms  errors 2 (20.00 %)  busy 3  dropped 1');
  // before the first response: nothing failed, nothing to divide by
  assert.is(progressLine(scenario(5, '30s', 5), storeOf(1, [['iterations', 1]]), 1, 30, 1),
    'probe                   1s/30s  1.0 it/s  p95 -  errors 0  busy 1  dropped 0');
});

test('progress line: Kafka write errors and failed feature-store queries count as errors', () => {
  const kafka: Scenario = { ...scenario(5, '30s', 5), target: { kind: 'kafka-produce', topic: 'commodity-prices', batchSize: 100 } };
  const produced = storeOf(2, [
    ['iterations', 1], ['iterations', 1], ['iterations', 1], ['iterations', 1],
    ['kafka_writer_message_count', 100], ['kafka_writer_message_count', 100], ['kafka_writer_message_count', 100], ['kafka_writer_error_count', 1],
    ['kafka_writer_write_seconds', 5], ['kafka_writer_write_seconds', 5], ['kafka_writer_write_seconds', 5], ['kafka_writer_write_seconds', 5],
  ]);
  assert.match(progressLine(kafka, produced, 2, 30, 0), '150 msg/s  p95 5.0 ms  errors 1 (25.00 %)  busy 0');
  const sql: Scenario = { ...scenario(5, '30s', 5), target: { kind: 'sql', query: 'SELECT 1' } };
  const queried = storeOf(1, [['feature_store_query_duration', 4], ['feature_store_query_failed', 1], ['feature_store_query_duration', 4], ['feature_store_query_failed', 0]]);
  assert.match(progressLine(sql, queried, 1, 30, 0), 'p95 4.0 ms  errors 1 (50.00 %)');
});

test('vus and vus_max are sampled as gauges: busy VUs, and allocated VUs growing past preAllocatedVUs', async () => {
  // 200 ms per request at 20/s: about 4 requests in flight, more than the one pre-allocated VU.
  const { url, server } = await fixedDelayServer(200);
  const s: Scenario = {
    ...scenario(20, '2s', 10),
    executor: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '2s', preAllocatedVUs: 1, maxVUs: 10 },
    thresholds: { 'vus{scenario:probe}': ['value<=10'], 'vus_max{scenario:probe}': ['value>=2', 'value<=10'] },
  };
  const r = await runNative(s, { endpoints: endpoints(url), signal }).finally(() => server.close());
  assert.equal(r.thresholds.map((t) => [t.key, t.expr, t.ok]), [
    ['vus{scenario:probe}', 'value<=10', true],
    ['vus_max{scenario:probe}', 'value>=2', true],
    ['vus_max{scenario:probe}', 'value<=10', true],
  ]);
  const vus = r.metrics.vus!;
  assert.is(vus.type, 'gauge');
  assert.ok(vus.values.max! >= 2 && vus.values.max! <= 10, `busy VUs peaked at ${vus.values.max}`);
  assert.ok(r.metrics.vus_max!.values.max! >= vus.values.max!, 'allocated ≥ busy');
});

test('a schedule shorter than the sampling tick still has a vus sample', async () => {
  const { url, server } = await fixedDelayServer(1);
  const s: Scenario = { ...scenario(10, '300ms', 2), thresholds: { vus: ['value>=0'], vus_max: ['value==2'] } };
  const r = await runNative(s, { endpoints: endpoints(url), signal }).finally(() => server.close());
  assert.equal(r.thresholds.map((t) => t.ok), [true, true]);
});

test('constant-arrival-rate schedules rate × duration arrivals, evenly spaced', () => {
  const a = [...arrivals({ executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '2s', preAllocatedVUs: 1, maxVUs: 1 }, durationMs)];
  assert.is(a.length, 100);
  assert.is(a[1]! - a[0]!, 20);
});

test('ramping-arrival-rate integrates the rate over its stages', () => {
  const a = [...arrivals({ executor: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', stages: [{ target: 100, duration: '10s' }, { target: 100, duration: '5s' }], preAllocatedVUs: 1, maxVUs: 1 }, durationMs)];
  // 0→100/s over 10 s is 500 arrivals, then 100/s for 5 s is 500 more.
  assert.ok(Math.abs(a.length - 1000) <= 1, `${a.length}`);
  const firstHalf = a.filter((t) => t < 5000).length;
  assert.ok(Math.abs(firstHalf - 125) <= 1, `ramp is slow at first: ${firstHalf}`);
  assert.ok(a.every((t, i) => i === 0 || t >= a[i - 1]!), 'monotonic');
});

test('overrides keep the executor shape', () => {
  const s = withOverrides(scenario(10, '30s', 5), { duration: '5s', rate: 20 });
  assert.equal(s.executor, { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '5s', preAllocatedVUs: 5, maxVUs: 5 });
});

/** The target in its own process, so its timers do not share an event loop with the engine measuring it. */
async function separateServer(delayMs: number): Promise<{ url: string; stop: () => void }> {
  const proc = spawn(process.execPath, [join(projectRoot, 'bench', 'target-server.mjs'), String(delayMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = await once(proc.stdout!, 'data');
  return { url: `http://127.0.0.1:${String(chunk).trim()}`, stop: () => proc.kill() };
}

test('latency accuracy: a 20 ms target measures p50 and p95 within a few ms of 20', async () => {
  const { url, stop } = await separateServer(20);
  const r = await runNative(scenario(50, '3s', 20), { endpoints: endpoints(url), signal });
  stop();
  const d = r.metrics.http_req_duration!.values;
  assert.ok(d.med! >= 19.5 && d.med! < 25, `p50 ${d.med}`);
  assert.ok(d['p(95)']! >= 19.5 && d['p(95)']! < 30, `p95 ${d['p(95)']}`);
  assert.is(r.metrics.dropped_iterations, undefined, 'nothing dropped well below saturation');
  assert.ok(Math.abs(r.metrics.http_reqs!.values.count! - 150) <= 1);
});

test('beyond saturation: arrivals are not held back; latency grows and iterations are dropped', async () => {
  // One request at a time, 20 ms each: capacity 50/s. Offer 200/s with at most 10 in flight.
  const { url, server } = await fixedDelayServer(20, true);
  const r = await runNative(scenario(200, '2s', 10), { endpoints: endpoints(url), signal, gracefulStopMs: 5000 });
  server.close();
  const dropped = r.metrics.dropped_iterations?.values.count ?? 0;
  const p95 = r.metrics.http_req_duration!.values['p(95)']!;
  assert.ok(dropped > 100, `dropped ${dropped}`);
  assert.ok(p95 > 100, `p95 ${p95} ms shows queueing, not the 20 ms service time`);
  const t = r.thresholds.find((x) => x.metric === 'dropped_iterations')!;
  assert.is(t.ok, false);
  assert.is(t.observed, dropped);
  // The timeline says when: each whole second's drops (a last partial second is in the total only).
  const perSecond = r.timeline.reduce((a, p) => a + (p.dropped ?? 0), 0);
  assert.ok(r.timeline.length >= 1 && perSecond > 50 && perSecond <= dropped, `timeline drops ${perSecond} of ${dropped}: ${JSON.stringify(r.timeline)}`);
  assert.ok(r.timeline[0]!.iterations + (r.timeline[0]!.dropped ?? 0) >= 150, 'the first second saw its ~200 arrivals, sent or dropped');
});

test('abortOnFail stops the scenario early and says why', async () => {
  const { url, server } = await fixedDelayServer(50);
  const s = scenario(20, '20s', 20);
  s.thresholds = { http_req_duration: [{ threshold: 'p(95)<10', abortOnFail: true }] };
  const t0 = Date.now();
  const r = await runNative(s, { endpoints: endpoints(url), signal });
  server.close();
  assert.ok(Date.now() - t0 < 8000, 'ended well before 20 s');
  assert.match(r.aborted ?? '', 'abortOnFail');
  assert.is(r.thresholds[0]!.ok, false);
});

/** A target that is slow (coldMs) for its first `coldForMs` after the first request, then fast (warmMs): a cold start. */
async function coldStartServer(coldMs: number, warmMs: number, coldForMs: number): Promise<{ url: string; server: Server }> {
  let first = 0;
  const server = createServer((req, res) => {
    if (req.url === '/healthz') { res.end('ok'); return; }
    req.resume();
    first ||= Date.now();
    setTimeout(() => res.end('{}'), Date.now() - first < coldForMs ? coldMs : warmMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

test('warm-up: a declared warm-up runs first at the starting rate, is reported apart and never judged; without it the cold start is judged', async () => {
  const s = { ...scenario(40, '2s', 40), thresholds: { http_req_duration: ['p(95)<100'], dropped_iterations: ['count==0'] } };
  let { url, server } = await coldStartServer(300, 5, 1000);
  const cold = await runNative(s, { endpoints: endpoints(url), signal });
  server.close();
  assert.is(cold.thresholds[0]!.ok, false, `cold start judged: p95 ${cold.thresholds[0]!.observed}`);
  assert.is(cold.warmup, undefined);

  ({ url, server } = await coldStartServer(300, 5, 1000));
  const warm = await runNative({ ...s, warmup: '1500ms' }, { endpoints: endpoints(url), signal });
  server.close();
  assert.is(warm.thresholds[0]!.ok, true, `measured window only: p95 ${warm.thresholds[0]!.observed}`);
  assert.ok(warm.warmup!.p95! >= 250, `the warm-up saw the cold start: p95 ${warm.warmup!.p95}`);
  assert.ok(Math.abs(warm.warmup!.iterations - 60) <= 1, `warm-up at the starting rate: ${warm.warmup!.iterations} iterations`);
  assert.ok(Math.abs(warm.metrics.http_reqs!.values.count! - 80) <= 1, 'the measured window holds only its own 2 s of arrivals');
  assert.match(warmupText(warm.warmup!), /^warm-up 1500ms before the measured window \(not judged\): 6\d iterations/);
});

test('the generator judges itself: a starved event loop is named as saturation (an error beside a failing check), never blamed on the platform', async () => {
  const { url, server } = await fixedDelayServer(2);
  const s = { ...scenario(50, '2s', 50), thresholds: { http_req_duration: ['p(95)<20'], dropped_iterations: ['count==0'] } };
  const healthy = await runNative(s, { endpoints: endpoints(url), signal });
  assert.is(healthy.generator!.saturated, false, JSON.stringify(healthy.generator));
  assert.is(generatorCheck(s, healthy, []).status, 'pass');
  // Block the harness's own event loop for 150 ms every 200 ms: the platform is as fast as before.
  const hog = setInterval(() => { const end = Date.now() + 150; while (Date.now() < end); }, 200);
  const starved = await runNative(s, { endpoints: endpoints(url), signal });
  clearInterval(hog);
  server.close();
  const g = starved.generator!;
  assert.ok(g.saturated && g.loopP99Ms > GENERATOR_BOUND_MS, JSON.stringify(g));
  // Its CPU is recorded: the hog's busy loop (150 ms in every 200) shows as the process's own.
  assert.ok(g.cpuPct! >= healthy.generator!.cpuPct! + 30, `cpu ${healthy.generator!.cpuPct} % healthy, ${g.cpuPct} % hogged`);
  assert.is(healthy.generator!.dropped, 0);
  const checks = scenarioChecks(s, starved);
  const gen = checks.find((c) => c.id === 'probe:generator')!;
  assert.ok(checks.some((c) => c.status === 'fail'), 'the late generator made latency look bad');
  assert.is(gen.status, 'error');
  assert.match(gen.evidence.what, /^load generator saturated.*; the harness process used \d+(\.\d)? % of one core; \d+ arrivals dropped/);
  // Late, but every other check passed: lateness only counts against the platform, the pass stands.
  assert.is(generatorCheck(s, starved, []).status, 'pass');
  // A failed request is the platform's answer however late it left: an error-rate FAIL stands.
  const errorRate = { ...checks[0]!, id: 'probe:http_req_failed:rate<0.001', status: 'fail' as const };
  assert.is(generatorCheck(s, starved, [errorRate]).status, 'pass');
  // The run: only timing checks failed beside the saturated generator, so it could not complete (3)…
  assert.match(saturation(checks)!.message, /^load-generator: load generator saturated/);
  // …unless a failure no lateness distorts stands beside them (a broker died mid-run: produce errors):
  // the run fails on it (1), the generator's error kept beside it. A latency regression against a baseline is timing too.
  const failing = (id: string) => ({ ...checks[0]!, id, status: 'fail' as const });
  assert.is(saturation([...checks, failing('probe:kafka_writer_error_count:count==0')]), null);
  assert.is(saturation([...checks, failing('probe:http_req_failed:rate<0.001')]), null);
  // Not earned: what the harness's own timing decides (its end-to-end consumer, a baseline comparison),
  // nor a failure of another scenario.
  for (const id of ['probe:kafka_e2e_delivered:rate==1', 'baseline:probe:http_req_duration:p95', 'other:http_req_failed:rate<0.001']) {
    assert.ok(saturation([...checks, failing(id)]), `${id} does not excuse the saturated generator`);
  }
});

test('behind its clock, the engine lets answers in between arrivals: a stall of the generator is not turned into drops', async () => {
  // Each dispatch costs 0.5 ms of the generator's own CPU (a produce call's encoding) and its answer
  // comes back on the next turn of the event loop. The first dispatch stalls the generator 150 ms:
  // 150 arrivals are then overdue. Dispatched back to back, the 10 VUs would stay busy until all
  // of them had been seen, and nearly all of them would be dropped.
  let calls = 0;
  const fake = {
    where: 'fake', async setup() {}, async teardown() {}, async crossChecks() { return {}; },
    iterate() {
      const end = performance.now() + (++calls === 1 ? 150 : 0.5);
      while (performance.now() < end);
      return new Promise<void>((r) => setImmediate(r));
    },
  };
  const s = scenario(1_000, '2s', 10);
  const r = await runNative(s, { endpoints: endpoints('http://127.0.0.1:1'), signal, makeTarget: async () => fake });
  const dropped = r.metrics.dropped_iterations?.values.count ?? 0;
  assert.ok(dropped < 15, `caught up without dropping the overdue arrivals (${dropped} dropped of 2000)`);
  assert.ok(r.generator!.lateMaxMs >= 140, `the stall shows as lateness (${r.generator!.lateMaxMs} ms)`);
  // The second it happened in is named in the timeline.
  assert.ok(r.timeline[0]!.lateMaxMs! >= 140, JSON.stringify(r.timeline));
});

test('a generator too far behind its clock drops what it reaches over STALE_ARRIVAL_MS late and is saturated, rather than stretch the run', async () => {
  // Each dispatch costs 10 ms of the generator's own CPU at 1,000 arrivals/s: it can dispatch a
  // tenth of them. Sending every arrival anyway would take 20 s for a 2 s schedule.
  const fake = {
    where: 'fake', async setup() {}, async teardown() {}, async crossChecks() { return {}; },
    iterate() {
      const end = performance.now() + 10;
      while (performance.now() < end);
      return new Promise<void>((r) => setImmediate(r));
    },
  };
  const s = scenario(1_000, '2s', 50);
  const t0 = performance.now();
  const r = await runNative(s, { endpoints: endpoints('http://127.0.0.1:1'), signal, makeTarget: async () => fake });
  const took = performance.now() - t0;
  const g = r.generator!;
  assert.ok(took < 2_000 + STALE_ARRIVAL_MS + 3_000, `kept near its window (${Math.round(took)} ms)`);
  assert.ok(g.staleDropped! > 500 && g.staleDropped === g.dropped, JSON.stringify(g));
  assert.ok(g.saturated);
  // The drop check fails, and the generator's check names it as the generator's (exit 3), not the platform's.
  const checks = scenarioChecks(s, r);
  assert.is(checks.find((c) => c.id === 'probe:dropped_iterations:count==0')?.status, 'fail');
  const gen = checks.find((c) => c.id === 'probe:generator')!;
  assert.is(gen.status, 'error');
  assert.match(gen.evidence.what, /of them reached by the generator too late to be sent/);
});

test('a platform that keeps every VU busy gets its drops, however late the generator is: they are never counted as stale', async () => {
  // The target never answers within the run; the generator stalls 6 s once, past STALE_ARRIVAL_MS.
  let calls = 0;
  const fake = {
    where: 'fake', async setup() {}, async teardown() {}, async crossChecks() { return {}; },
    iterate() {
      if (++calls === 3) { const end = performance.now() + STALE_ARRIVAL_MS + 1_000; while (performance.now() < end); }
      return new Promise<void>(() => {});
    },
  };
  const s = scenario(100, '1s', 3);
  const r = await runNative(s, { endpoints: endpoints('http://127.0.0.1:1'), signal, gracefulStopMs: 100, makeTarget: async () => fake });
  const g = r.generator!;
  assert.is(g.staleDropped, 0, JSON.stringify(g));
  assert.ok(g.dropped! >= 90, JSON.stringify(g));
});

test('an interrupt during a long gap between arrivals stops the schedule at once, not at the next arrival', async () => {
  const fake = { where: 'fake', async setup() {}, async teardown() {}, async crossChecks() { return {}; }, async iterate() {} };
  const s: Scenario = { ...scenario(1, '60s', 2), executor: { executor: 'constant-arrival-rate', rate: 1, timeUnit: '20s', duration: '60s', preAllocatedVUs: 2, maxVUs: 2 } };
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('SIGINT')), 300);
  const t0 = performance.now();
  const r = await runNative(s, { endpoints: endpoints('http://127.0.0.1:1'), signal: ac.signal, makeTarget: async () => fake });
  assert.ok(performance.now() - t0 < 5_000, `stopped within the gap (${Math.round(performance.now() - t0)} ms, the next arrival was due at 20 s)`);
  assert.match(r.aborted ?? '', /interrupted: SIGINT/);
});

test('an unreachable target is an infrastructure error, not a failed check', async () => {
  try {
    await runNative(scenario(10, '1s', 1), { endpoints: endpoints('http://127.0.0.1:1'), signal });
    assert.unreachable('should throw');
  } catch (e) {
    assert.is((e as Error).name, 'InfraError');
  }
});

/** Answers 200, except from `failFromMs` (after the first request) for `failForMs`: HTTP 500, as a platform that went down. */
async function outageServer(failFromMs: number, failForMs: number): Promise<{ url: string; server: Server }> {
  let first = 0;
  const server = createServer((req, res) => {
    if (req.url === '/healthz') { res.end('ok'); return; }
    req.resume();
    first ||= Date.now();
    const t = Date.now() - first;
    res.statusCode = t >= failFromMs && t < failFromMs + failForMs ? 500 : 200;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

test('a target that stops answering stops the scenario within the outage bound, and its check fails (earned, not saturation)', async () => {
  const { url, server } = await outageServer(1000, 60_000);
  const s = scenario(20, '30s', 20);
  s.thresholds = { http_req_duration: ['p(95)<1000'] }; // nothing here fails on errors: the outage check must
  const t0 = Date.now();
  const r = await runNative(s, { endpoints: endpoints(url), signal });
  server.close();
  const took = Date.now() - t0;
  assert.ok(took < 1000 + OUTAGE_STOP_MS + 4000, `stopped ${took} ms after the start of a 30 s schedule`);
  assert.match(r.aborted ?? '', 'the target stopped answering');
  assert.is(r.outage!.stopped, true);
  assert.ok(r.outage!.longestS >= OUTAGE_STOP_MS / 1000, `${r.outage!.longestS}`);
  const checks = scenarioChecks(s, r);
  const outage = checks.find((c) => c.id === 'probe:target-answering')!;
  assert.is(outage.status, 'fail');
  assert.match(outage.evidence.what, 'stopped there');
  assert.is(checks.find((c) => c.id === 'probe:http_req_duration:p(95)<1000')!.status, 'pass', 'fast 500s: the latency check alone would have passed');
  assert.is(saturation(checks), null, 'a platform that stopped answering is not the generator');
});

test('a stretch of failures shorter than the bound is measured and passes; the scenario runs to its end', async () => {
  const { url, server } = await outageServer(500, 2000);
  const s = scenario(20, '4s', 20);
  const r = await runNative(s, { endpoints: endpoints(url), signal });
  server.close();
  assert.is(r.aborted, null);
  assert.ok(r.outage!.longestS >= 1.5 && r.outage!.longestS < OUTAGE_STOP_MS / 1000, `${r.outage!.longestS}`);
  assert.ok(r.outage!.failures >= 30, `${r.outage!.failures}`);
  const outage = scenarioChecks(s, r).find((c) => c.id === 'probe:target-answering')!;
  assert.is(outage.status, 'pass');
  assert.match(outage.evidence.what, 'then the target answered again');
});

test('a target that answers nothing: the outage check has no data, never a pass', async () => {
  const server = createServer((req) => { if (req.url === '/healthz') req.socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'); }); // predictions hang
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const s = scenario(5, '1s', 10);
  const r = await runNative(s, { endpoints: endpoints(url), signal, gracefulStopMs: 300 });
  server.closeAllConnections(); server.close();
  assert.is(r.outage!.answered, 0);
  const c = scenarioChecks(s, r).find((x) => x.id === 'probe:target-answering')!;
  assert.is(c.status, 'no-data', c.evidence.what);
});

test("what the HTTP target sends is the profile's: method, path, headers and each commodity's body; each answer counts by its status", async () => {
  const seen: Array<{ method: string; url: string; auth: string | undefined; length: string | undefined; body: string }> = [];
  const server = createServer((req, res) => {
    if (req.url === '/healthz') { res.end('ok'); return; }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, length: req.headers['content-length'], body });
      // One commodity's answers fail; another's are cut off part-way through their body (a 200 that
      // never arrives whole is a failure); a long body (past undici's 128 kB dump() limit) is read to
      // its end before the answer counts.
      const long = 'x'.repeat(200_000);
      if (body.includes('brent')) {
        res.writeHead(200, { 'content-length': long.length });
        res.write(long.slice(0, 1000), () => setTimeout(() => req.socket.destroy(), 5));
        return;
      }
      res.statusCode = body.includes('corn') ? 503 : 200;
      res.end(long);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const ep: Endpoints = {
    ...endpoints(url), commodities: ['wheat', 'corn', 'brent'],
    inference: { request: { method: 'POST', path: '/v1/predict', headers: { authorization: 'Bearer t0k', 'content-type': 'application/json' }, body: '{"c":"{{commodity}}","again":"{{commodity}}"}' }, tls: false },
  };
  const r = await runNative(scenario(30, '1s', 5), { endpoints: ep, signal });
  server.close();
  assert.is(seen.length, 30);
  assert.equal(seen.slice(0, 3).map((x) => x.body), ['{"c":"wheat","again":"wheat"}', '{"c":"corn","again":"corn"}', '{"c":"brent","again":"brent"}']);
  assert.ok(seen.every((x) => x.method === 'POST' && x.url === '/v1/predict' && x.auth === 'Bearer t0k' && x.length === String(Buffer.byteLength(x.body))));
  assert.is(r.metrics.http_reqs!.values.count, 30);
  assert.is(r.metrics.http_req_failed!.values.passes, 20, '10 corn requests answered 503 and 10 brent answers cut off');
  assert.is(r.metrics.http_req_duration!.values.count, 30);
});

test('latency never counts from a time still ahead: an arrival sent before its scheduled time counts from its send', async () => {
  const calls: Array<{ scheduledAt: number; calledAt: number }> = [];
  // VUs for every arrival: a stall of the test's machine must not turn arrivals into drops here.
  const s = scenario(4000, '1s', 4000);
  s.thresholds = {};
  await runNative(s, {
    endpoints: endpoints('http://unused'), signal,
    makeTarget: async () => ({
      where: 'test', async setup() {}, async teardown() {}, async crossChecks() { return {}; },
      async iterate(scheduledAt) { calls.push({ scheduledAt, calledAt: performance.now() }); },
    }),
  });
  assert.is(calls.length, 4000);
  const ahead = calls.filter((c) => c.scheduledAt > c.calledAt);
  assert.is(ahead.length, 0, `${ahead.length} iterations were given a start up to ${Math.max(...ahead.map((c) => c.scheduledAt - c.calledAt)).toFixed(2)} ms ahead of their call`);
});

test.run();
