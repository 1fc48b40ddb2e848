// Producer threads: the Kafka load spread over threads must send exactly what one thread would (every
// message read back, every followed one delivered), and a thread that dies must end the run as the
// generator's failure (exit 3), never count as the platform's produce errors. The sandbox tests run
// against the Kafka that `npm test` brought up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError, exitCodeFor, EXIT } from '../core/errors.ts';
import { inlineSender, threadedSender, type SenderConfig } from '../scenarios/engines/native/kafka-senders.ts';
import { producerThreads, INLINE_MAX_MSGS_PER_S } from '../scenarios/engines/native/kafka-target.ts';
import { runNative, GENERATOR_BOUND_MS } from '../scenarios/engines/native/index.ts';
import { generatorCheck } from '../verifiers/load.ts';
import type { Check } from '../core/record.ts';
import type { IterationTarget } from '../scenarios/engines/native/targets.ts';
import { endpointsFor } from '../scenarios/endpoints.ts';
import { MAX_PRODUCER_THREADS, type Scenario } from '../scenarios/types.ts';
import { profile, consumersCaughtUp } from './support.ts';

const CRASH = new URL('./fixtures/producer-threads/crash.mjs', import.meta.url);
const FAULT = new URL('./fixtures/producer-threads/fault.mjs', import.meta.url);
const STUCK = new URL('./fixtures/producer-threads/stuck.mjs', import.meta.url);
const EXITS = new URL('./fixtures/producer-threads/exit.mjs', import.meta.url);
const config: SenderConfig = { conn: { brokers: ['127.0.0.1:1'] }, topic: 't', acks: 'all', clientId: 'test', inFlight: 4, contract: profile.platform.kafka.contract, commodities: ['brent'] };

const kafkaScenario = (perS: number, duration: string, producerThreadsAsked?: number, followTo?: string): Scenario => ({
  name: 'threads', description: 'test', slo: [],
  target: { kind: 'kafka-produce', topic: 'prices', batchSize: 100, acks: 'all', ...(followTo ? { followTo } : {}), ...(producerThreadsAsked !== undefined ? { producerThreads: producerThreadsAsked } : {}) },
  executor: { executor: 'constant-arrival-rate', rate: perS / 100, timeUnit: '1s', duration, preAllocatedVUs: 20, maxVUs: 50 },
  thresholds: {},
});

test('producer threads: none up to the in-line bound, one per core above it, and what the scenario asks for when it asks', () => {
  assert.is(producerThreads(kafkaScenario(7_500, '10s')), 0, 'the gate\'s 7,500 msg/s on the main thread');
  assert.is(producerThreads(kafkaScenario(INLINE_MAX_MSGS_PER_S, '10s')), 0);
  assert.is(producerThreads(kafkaScenario(INLINE_MAX_MSGS_PER_S + 100, '10s')), Math.min(availableParallelism(), MAX_PRODUCER_THREADS));
  assert.is(producerThreads(kafkaScenario(400_000, '10s', 0)), 0, 'asked for none');
  assert.is(producerThreads(kafkaScenario(1_000, '10s', 3)), 3, 'asked for three');
  // A ramp is judged by its peak, per the time unit.
  const ramp: Scenario = { ...kafkaScenario(1_000, '10s'), executor: { executor: 'ramping-arrival-rate', startRate: 10, timeUnit: '100ms', stages: [{ target: 50, duration: '5s' }], preAllocatedVUs: 2, maxVUs: 50 } };
  assert.is(producerThreads(ramp), Math.min(availableParallelism(), MAX_PRODUCER_THREADS), '50 per 100 ms × 100 = 50,000 msg/s');
  // Never more than the bound by itself, however many cores; a scenario's own choice is bounded by its schema.
  assert.is(producerThreads(kafkaScenario(50_000, '10s'), 64), MAX_PRODUCER_THREADS);
  assert.is(producerThreads(kafkaScenario(50_000, '10s'), 3), 3);
});

test('a producer thread that dies fails the batches it held and every later one as the generator\'s fault, never as the broker\'s', async () => {
  const sender = threadedSender(config, 2, CRASH);
  await sender.connect();
  const first = await Promise.race([sender.send({ run: 1, first: 1, count: 10, sentAt: 0 }).then(() => null, (e: unknown) => e), sleep(5_000, 'never settled')]);
  assert.instance(first, InfraError);
  assert.match((first as Error).message, /^load-generator: producer thread [12] of 2 failed: thread broke on batch 1/);
  assert.is(exitCodeFor(first), EXIT.infra);
  const later = await sender.send({ run: 1, first: 11, count: 10, sentAt: 0 }).then(() => null, (e: unknown) => e);
  assert.is(later, first, 'later batches fail at once, with the same cause');
  // The run's teardown closes the sender after the thread is long gone: close must still return.
  await sleep(200);
  assert.is(await Promise.race([sender.close().then(() => 'closed'), sleep(3_000, 'hung')]), 'closed');
});

test('a batch a producer thread could not make (its rendering failed) is the generator\'s fault too, not a produce error', async () => {
  const sender = threadedSender(config, 1, FAULT);
  await sender.connect();
  // Raced: a batch left unsettled would hang the run (and this file) instead of failing it.
  const e = await Promise.race([sender.send({ run: 1, first: 1, count: 10, sentAt: 0 }).then(() => null, (err: unknown) => err), sleep(5_000, 'never settled')]);
  assert.instance(e, InfraError);
  assert.match((e as Error).message, 'could not be rendered: boom');
  await sender.close();
});

test('a producer thread too busy to report its event-loop delay counts as that late (saturated), never left out; its batches are cut off at close', async () => {
  const sender = threadedSender(config, 1, STUCK);
  await sender.connect();
  sender.threadLoops!.start();
  const held = sender.send({ run: 1, first: 1, count: 10, sentAt: 0 }).then(() => null, (e: unknown) => e);
  const [reading] = await sender.threadLoops!.stop();
  assert.equal(reading, { p99Ms: 2_000, maxMs: 2_000, answered: false }, 'counted as blocked for the whole wait');
  assert.ok(reading!.p99Ms > GENERATOR_BOUND_MS);
  await sender.close();
  const e = await held;
  assert.instance(e, Error);
  assert.not.instance(e, InfraError, 'cut off by the harness, as the in-line client\'s close does');
  assert.match((e as Error).message, 'cut off when the producer closed');
});

test('a producer thread that exits with no batch out still fails the run (the engine asks after teardown), and reads as unanswered, never as 0 ms', async () => {
  const sender = threadedSender(config, 2, EXITS);
  await sender.connect();
  sender.threadLoops!.start();
  await sleep(400);
  const e = sender.generatorFault!();
  assert.instance(e, InfraError);
  assert.match(e!.message, /^load-generator: producer thread [12] of 2 exited \(code 5\)/);
  const readings = await sender.threadLoops!.stop();
  assert.equal(readings.map((r) => r.answered), [false, false]);
  assert.ok(readings.every((r) => r.p99Ms === 2_000));
  await sender.close();
  // And the engine ends a run on it, though no iteration ever failed.
  const fake: IterationTarget = { where: 'fake', async setup() {}, async iterate() {}, async teardown() {}, async crossChecks() { return {}; }, generatorFault: () => e };
  const s: Scenario = { ...kafkaScenario(1_000, '1s'), executor: { executor: 'constant-arrival-rate', rate: 5, timeUnit: '1s', duration: '1s', preAllocatedVUs: 1, maxVUs: 1 } };
  const err = await runNative(s, { endpoints: endpointsFor(profile), signal: new AbortController().signal, makeTarget: async () => fake }).then(() => null, (x: unknown) => x);
  assert.is(err, e);
});

test('in line, a batch that cannot be rendered is the generator\'s failure, not a produce error', async () => {
  const sender = inlineSender(config, () => { throw new Error('no such field'); });
  const e = await sender.send({ run: 1, first: 1, count: 1, sentAt: 0 }).then(() => null, (x: unknown) => x);
  assert.instance(e, InfraError);
  assert.match((e as Error).message, 'load-generator: a batch of price messages could not be rendered: no such field');
  await sender.close();
});

test('a producer thread that cannot reach the brokers fails connect with the client\'s reason (the target reports Kafka unreachable)', async () => {
  const sender = threadedSender({ ...config, conn: { brokers: ['127.0.0.1:1'] } }, 1);
  const e = await sender.connect().then(() => null, (err: unknown) => err);
  assert.ok(e instanceof Error && !(e instanceof InfraError), `a plain error: ${String(e)}`);
  await sender.close();
});

test('the engine: an iteration that fails inside the generator stops the run at once, tears it down and ends as incomplete (exit 3), not as a FAIL', async () => {
  let calls = 0;
  let tornDown = 0;
  const fake: IterationTarget = {
    where: 'fake', async setup() {},
    async iterate() { if (++calls === 3) throw new InfraError('producer thread 1 of 1 exited (code 1)', 'load-generator'); },
    async teardown() { tornDown++; },
    async crossChecks() { return {}; },
  };
  const s: Scenario = { ...kafkaScenario(1_000, '20s'), executor: { executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '20s', preAllocatedVUs: 2, maxVUs: 2 } };
  const t0 = performance.now();
  const e = await runNative(s, { endpoints: endpointsFor(profile), signal: new AbortController().signal, makeTarget: async () => fake }).then(() => null, (err: unknown) => err);
  assert.instance(e, InfraError);
  assert.match((e as Error).message, 'load-generator: producer thread 1 of 1 exited');
  assert.is(tornDown, 1);
  assert.ok(performance.now() - t0 < 5_000, `stopped at once, not after the 20 s schedule (${Math.round(performance.now() - t0)} ms)`);
  assert.ok(calls <= 4, `no arrivals sent after the failure (${calls} iterations)`);
});

test('a producer thread that fell behind makes the generator saturated, as a late main thread would: a failing timing check is then an error, not a FAIL', async () => {
  const behind = (p99Ms: number): IterationTarget => ({
    where: 'fake', async setup() {}, async iterate() {}, async crossChecks() { return {}; },
    threadLoops: { start() { calls.push('start'); }, async stop() { calls.push('stop'); return [{ p99Ms: 1, maxMs: 2, answered: true }, { p99Ms, maxMs: p99Ms * 2, answered: true }]; } },
    async teardown() { calls.push('teardown'); },
  });
  let calls: string[] = [];
  const s: Scenario = { ...kafkaScenario(1_000, '1s'), executor: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '1s', preAllocatedVUs: 2, maxVUs: 2 } };
  const run = (p99Ms: number) => runNative(s, { endpoints: endpointsFor(profile), signal: new AbortController().signal, makeTarget: async () => behind(p99Ms) });
  const late = await run(GENERATOR_BOUND_MS + 70);
  assert.is(late.generator!.loopP99Ms, GENERATOR_BOUND_MS + 70, 'the worst thread\'s delay');
  assert.equal(late.generator!.producerThreads, [{ p99Ms: 1, maxMs: 2, answered: true }, { p99Ms: GENERATOR_BOUND_MS + 70, maxMs: 2 * (GENERATOR_BOUND_MS + 70), answered: true }]);
  assert.ok(late.generator!.saturated);
  assert.equal(calls, ['start', 'stop', 'teardown'], 'read over the measured window, before the threads are closed');
  calls = [];
  const failingDrops: Check = { id: 'threads:dropped_iterations', title: 'drops', target: 'count==0', observed: 5, unit: 'count', status: 'fail', evidence: { what: '', how: '', where: '' } };
  const c = generatorCheck(s, late, [failingDrops]);
  assert.is(c.status, 'error');
  assert.match(c.evidence.what, `2 producer threads, event-loop delay p99 1 / ${GENERATOR_BOUND_MS + 70} ms`);
  const onTime = await run(GENERATOR_BOUND_MS - 10);
  assert.not.ok(onTime.generator!.saturated, 'below the bound');
  assert.is(generatorCheck(s, onTime, [failingDrops]).status, 'pass', 'the drops stay the platform\'s FAIL');
});

test('sandbox: two producer threads send every message once, and each followed price arrives as a prediction', async () => {
  const r = await runNative(kafkaScenario(5_000, '3s', 2, 'predictions'), { endpoints: endpointsFor(profile), signal: new AbortController().signal });
  const sent = r.metrics.kafka_writer_message_count?.values.count ?? 0;
  assert.is(r.aborted, null);
  // Drops are the load's business (a busy sandbox), not the threads': each started iteration's batch is sent once.
  const started = r.metrics.iterations?.values.count ?? 0;
  assert.ok(started >= 100, `most of the 150 arrivals started (${started})`);
  assert.is(sent, started * 100, 'every started batch sent');
  assert.is(r.metrics.kafka_writer_error_count?.values.count ?? 0, 0);
  assert.is(r.crossChecks.ownMessagesInTopic, sent, 'read back from the topic: each message once, none missing');
  assert.is(r.crossChecks.readBackComplete, 1);
  const delivered = r.metrics.kafka_e2e_delivered?.values;
  assert.ok(delivered, 'the predictions were followed');
  assert.is(delivered!.rate, 1, `every followed message arrived as a prediction (${JSON.stringify(delivered)})`);
  assert.is(r.metrics.kafka_e2e_duplicates?.values.count ?? 0, 0);
  assert.equal(r.generator!.producerThreads?.map((t) => t.answered), [true, true], 'both threads reported their event-loop delay');
  await consumersCaughtUp(); // the next file's lag checks start from a caught-up platform
});

test.run();
