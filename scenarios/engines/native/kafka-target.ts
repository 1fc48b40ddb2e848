import type { Consumer, Admin } from 'kafkajs';
import { availableParallelism } from 'node:os';
import { InfraError } from '../../../core/errors.ts';
import { MAX_PRODUCER_THREADS, type Scenario } from '../../types.ts';
import type { MetricStore, Tags } from '../../metrics.ts';
import { compileMessages } from '../../../platform/contract.ts';
import { topicName, type Endpoints } from '../../endpoints.ts';
import { kafkajs } from '../../../platform/kafka.ts';
import { countOwnMessages } from './readback.ts';
import { within } from './deadline.ts';
import { peakIterationsPerS } from './arrivals.ts';
import { inlineSender, threadedSender, type BatchSender } from './kafka-senders.ts';
import { priceBatches, type BatchSpec } from './price-batch.ts';
import { sampleEnds, totalEnds, type OffsetSample } from '../../../platform/kafka-offsets.ts';
import type { IterationTarget } from './iteration-target.ts';

/** An unpadded price message is well under this (about 110 B in the sandbox's contract). */
const PRICE_MESSAGE_MAX_BYTES = 256;

/**
 * Before the clock starts, WARM_ROUNDS rounds of up to WARM_PARALLEL produce calls at once (at least
 * one per producer thread), of at most WARM_BATCH_MAX messages each, warm the client (not measured:
 * the warm-up run id's). Five calls one after another left the produce
 * path cold: the gate's 7,500 msg/s then ran its first second 100–1,200 ms late on the sandbox's busy
 * cores and dropped arrivals (docs/kafka-client.md, "The rest of the generator's budget").
 */
const WARM_ROUNDS = 10;
const WARM_PARALLEL = 10;
const WARM_BATCH_MAX = 100;
/**
 * The warm-up's produce calls get this long in all, reading the end offsets after the run 15 s and
 * closing the producer 10 s (it waits for its calls in flight): a broker that accepts connections
 * and answers nothing (hung) held a run for as long as it stayed hung. The wait for the last
 * predictions and the read-back have deadlines of their own.
 */
const WARM_DEADLINE_MS = 20_000;
const ENDS_WAIT_MS = 15_000;
const CLOSE_WAIT_MS = 10_000;


export function kafkaTarget(s: Scenario, store: MetricStore, ep: Endpoints, tags: Tags): IterationTarget {
  const target = s.target as Extract<Scenario['target'], { kind: 'kafka-produce' }>;
  // Topic roles (prices, predictions) as the profile names them.
  const t = { ...target, topic: topicName(ep, target.topic), followTo: target.followTo === undefined ? undefined : topicName(ep, target.followTo) };
  const conn = ep.kafka ?? { brokers: ep.kafkaBrokers };
  const kafka = kafkajs(conn, `harness-${s.name}`, { retry: { retries: 2 } });
  const admin: Admin = kafka.admin();
  // The profile's price message; a template its contract could not read back was refused at plan time.
  if (!ep.contract) throw new InfraError('the platform profile names no message contract (platform.kafka.contract)', 'kafka');
  const codec = compileMessages(ep.contract);
  // As many produce requests in flight as VUs: each VU's call is one request to the leader.
  const senderConfig = { conn, topic: t.topic, acks: t.acks ?? 'all', clientId: `harness-${s.name}`, inFlight: Math.max(1, s.executor.maxVUs), contract: ep.contract, commodities: ep.commodities, recordBytes: t.recordBytes } as const;
  const threads = producerThreads(s);
  // In line, the contract compiled above renders the batches (each thread compiles its own).
  const producer: BatchSender = threads > 0 ? threadedSender(senderConfig, threads) : inlineSender(senderConfig, priceBatches(codec, ep.commodities, t.recordBytes));
  // Our own feed run id, so our messages are told apart from the platform's feed.
  const run = Date.now();
  let seq = 0;
  const warmRun = run + 1;
  const ownPrediction = codec.predictionSeq(run);
  let warmSeq = 0;
  /** The next batch's numbers; warm-up batches carry a run id of their own (not followed, read back or counted). */
  const nextBatch = (warm: boolean, sentAtMs: number, count = t.batchSize): BatchSpec => {
    const b = { run: warm ? warmRun : run, first: (warm ? warmSeq : seq) + 1, count, sentAt: sentAtMs };
    if (warm) warmSeq += count; else seq += count;
    return b;
  };
  const sentAt = new Map<number, number>();
  const seen = new Set<number>();
  let consumer: Consumer | null = null;
  let followGroup: string | null = null;
  let offsetsBefore: OffsetSample = { at: 0, offsets: new Map() };
  let offsetsAfter: OffsetSample | null = null;
  let own: { found: number; read: number; complete: boolean } | null = null;
  let readBackError: string | null = null;

  const open = async () => {
    try {
      await admin.connect();
      await producer.connect();
      // Sends before the clock starts open the connections to every partition's leader and get the
      // produce path compiled, with several requests in flight as under load: without them the first
      // second of a run is judged on a cold client. They carry the warm-up run id. Each producer
      // thread's client is warmed alike (a batch goes to the thread with the fewest in flight).
      // At least one per thread a round, at most WARM_PARALLEL in all: the warm-up stays at most 10,000
      // messages however many threads (a followed scenario's platform must get through them too).
      const perRound = Math.max(threads, Math.min(WARM_PARALLEL, Math.max(1, s.executor.maxVUs)));
      const warm = async () => {
        for (let i = 0; i < WARM_ROUNDS; i++) await Promise.all(Array.from({ length: perRound }, () => producer.send(nextBatch(true, Date.now(), Math.min(t.batchSize, WARM_BATCH_MAX)))));
      };
      await within(warm(), WARM_DEADLINE_MS, () => new Error(`the warm-up's ${WARM_ROUNDS * perRound} produce calls were not all acknowledged within ${WARM_DEADLINE_MS / 1000} s`));
      offsetsBefore = await sampleEnds(admin, t.topic);
    } catch (e) {
      if (e instanceof InfraError) throw e; // a producer thread that died: the generator's, not Kafka's
      throw new InfraError(`Kafka at ${ep.kafkaBrokers.join(',')} is not reachable: ${(e as Error).message}`, 'kafka');
    }
    if (t.followTo) {
      // Pin the group's start to the topic's current end before joining: "latest" would be
      // resolved only at the first fetch, after our first predictions may already be written.
      const groupId = followGroup = `harness-follow-${run}`;
      const ends = await admin.fetchTopicOffsets(t.followTo);
      await admin.setOffsets({ groupId, topic: t.followTo, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
      consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
      await consumer.connect();
      await consumer.subscribe({ topic: t.followTo, fromBeginning: false });
      let assigned = false;
      consumer.on(consumer.events.GROUP_JOIN, () => { assigned = true; });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          const now = Date.now();
          for (const m of batch.messages) {
            // The platform's own predictions share the topic (thousands a second): the reader
            // looks for our run id in the raw bytes before parsing, or parsing starves the generator.
            const s = ownPrediction(m);
            const at = s === null ? undefined : sentAt.get(s);
            if (s === null || at === undefined) continue;
            if (seen.has(s)) { store.add('kafka_e2e_duplicates', 1, tags); continue; }
            seen.add(s);
            store.add('kafka_e2e_received', 1, tags);
            store.add('kafka_e2e_latency', now - at, tags);
          }
        },
      });
      const deadline = Date.now() + 20_000;
      while (!assigned && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (!assigned) throw new InfraError(`could not join a consumer group on ${t.followTo} within 20 s`, 'kafka');
    }
  };

  return {
    where: `${t.topic} on ${ep.kafkaBrokers.join(',')}`,
    async setup() {
      // A failed setup never reaches teardown: close what was opened, or its sockets keep the CLI alive.
      try { await open(); } catch (e) {
        await consumer?.disconnect().catch(() => {});
        if (followGroup) await admin.deleteGroups([followGroup]).catch(() => {});
        await within(producer.close(), CLOSE_WAIT_MS, () => new Error('not closed')).catch(() => {});
        await admin.disconnect().catch(() => {});
        throw e;
      }
    },
    async iterate(scheduledAt, { store, warmup }) {
      // Both latencies count from the arrival's scheduled time, like HTTP: a generator that falls
      // behind its clock shows up as latency, not as silently fewer sends (no coordinated omission).
      const scheduledWall = Date.now() - (performance.now() - scheduledAt);
      const b = nextBatch(warmup, Date.now());
      if (t.followTo && !warmup) for (let q = b.first; q < b.first + b.count; q++) sentAt.set(q, scheduledWall);
      try {
        await producer.send(b);
        store.add('kafka_writer_message_count', b.count, tags);
      } catch (e) {
        // A producer thread that died is the generator's failure: the engine ends the run on it.
        if (e instanceof InfraError) throw e;
        store.add('kafka_writer_error_count', 1, tags);
      }
      store.add('kafka_writer_write_seconds', performance.now() - scheduledAt, tags);
    },
    async teardown(signal) {
      if (consumer) {
        // Messages still in the pipeline get a grace period to arrive before they count as lost.
        const deadline = Date.now() + 15_000;
        while (seen.size < sentAt.size && Date.now() < deadline && !signal.aborted) await new Promise((r) => setTimeout(r, 200));
        for (const s of sentAt.keys()) store.add('kafka_e2e_delivered', seen.has(s) ? 1 : 0, tags);
        await consumer.disconnect().catch(() => {});
      }
      // The follower's group is ours: not left in the platform's broker (a dead broker keeps it until its offsets expire).
      if (followGroup) await admin.deleteGroups([followGroup]).catch(() => {});
      try {
        offsetsAfter = await within(sampleEnds(admin, t.topic), ENDS_WAIT_MS, () => new Error(`no answer within ${ENDS_WAIT_MS / 1000} s`));
      } catch (e) { offsetsAfter = null; readBackError = `end offsets after the run could not be read: ${(e as Error).message}`; }
      await within(producer.close(), CLOSE_WAIT_MS, () => new Error('not closed')).catch(() => {});
      await within(admin.disconnect(), CLOSE_WAIT_MS, () => new Error('not closed')).catch(() => {});
      if (signal.aborted) readBackError ??= `no read-back, the run was stopped: ${String((signal.reason as Error)?.message ?? signal.reason)}`;
      else if (offsetsAfter && seq > 0) {
        try { own = await countOwnMessages(kafka, t.topic, offsetsBefore.offsets, offsetsAfter.offsets, codec.priceSeq(run), seq, run, signal, 60_000, t.batchSize * (t.recordBytes ?? PRICE_MESSAGE_MAX_BYTES)); } catch (e) { own = null; readBackError = `read-back failed: ${(e as Error).message}`; }
      }
    },
    ...(producer.threadLoops ? { threadLoops: producer.threadLoops } : {}),
    ...(producer.generatorFault ? { generatorFault: producer.generatorFault } : {}),
    crossCheckErrors(): Record<string, string> { return readBackError ? { ownMessagesInTopic: readBackError } : {}; },
    async crossChecks() {
      // null: the end offsets after the run could not be read (a record keeps null; NaN would not survive its JSON).
      const out: Record<string, number | null> = { topicEndOffsetDelta: offsetsAfter ? totalEnds(offsetsAfter) - totalEnds(offsetsBefore) : null };
      if (own) {
        out.ownMessagesInTopic = own.found;
        out.messagesReadBack = own.read;
        out.readBackComplete = own.complete ? 1 : 0;
      }
      return out;
    },
  };
}

/** Offered messages a second above which the load is spread over producer threads when the scenario does not say. */
export const INLINE_MAX_MSGS_PER_S = 40_000;

/**
 * Producer threads for a scenario: its own `producerThreads` (0: send from the main thread), else
 * none up to INLINE_MAX_MSGS_PER_S offered and one per core above it, at most MAX_PRODUCER_THREADS (BENCHMARKS.md: one thread
 * sends ~100,000 100 B messages a second on an idle core; each thread costs a client and memory).
 */
export function producerThreads(s: Scenario, cores = availableParallelism()): number {
  const t = s.target as Extract<Scenario['target'], { kind: 'kafka-produce' }>;
  if (t.producerThreads !== undefined) return t.producerThreads;
  const msgsPerS = peakIterationsPerS(s) * t.batchSize;
  return msgsPerS > INLINE_MAX_MSGS_PER_S ? Math.min(cores, MAX_PRODUCER_THREADS) : 0;
}
