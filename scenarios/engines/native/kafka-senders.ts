import { Worker } from 'node:worker_threads';
import { InfraError, firstLine } from '../../../core/errors.ts';
import type { KafkaConn } from '../../../platform/kafka-conn.ts';
import type { Contract } from '../../../profile/schema.ts';
import { compileMessages } from '../../../platform/contract.ts';
import { kafkaWriter, type Acks } from './kafka-writer.ts';
import { priceBatches, type BatchSpec } from './price-batch.ts';
import type { LoopDelay, ThreadLoop } from './loop-delay.ts';

/**
 * What writes the load's price batches: on the main thread, or spread over producer threads. Either
 * way `send` resolves when the batch is acknowledged and rejects when the broker refused it; a
 * rejection with an InfraError is the generator's own failure (a producer thread died), never the platform's.
 */
export interface BatchSender {
  connect(): Promise<void>;
  send(b: BatchSpec): Promise<void>;
  close(): Promise<void>;
  /**
   * Producer threads only: their event-loop delay over the measured window, as the main thread's
   * own is measured. `start` at the window's start; `stop` at its end answers one reading per thread.
   */
  threadLoops?: { start(): void; stop(): Promise<ThreadLoop[]> };
  /** Producer threads only: the generator's own failure (a thread died), also when no batch was out to carry it. */
  generatorFault?(): InfraError | null;
}

export interface SenderConfig {
  conn: KafkaConn;
  topic: string;
  acks: Acks;
  clientId: string;
  /** Produce requests in flight, in all (the scenario's VUs). */
  inFlight: number;
  contract: Contract;
  commodities: readonly string[];
  recordBytes?: number;
}

/** The batches rendered and sent on the calling thread. */
export function inlineSender(c: SenderConfig, render = priceBatches(compileMessages(c.contract), c.commodities, c.recordBytes)): BatchSender {
  const writer = kafkaWriter(c.conn, c.topic, c.acks, c.clientId, c.inFlight);
  return {
    connect: () => writer.connect(),
    send(b) {
      // A batch that cannot be rendered is the generator's failure, never a produce error of the platform's.
      let messages;
      try { messages = render(b); } catch (e) {
        return Promise.reject(new InfraError(`a batch of price messages could not be rendered: ${firstLine(e)}`, 'load-generator'));
      }
      return writer.send(messages);
    },
    close: () => writer.close(),
  };
}

/** What a producer thread is told (its workerData is a SenderConfig with its own share of `inFlight`). */
export type ToThread = ({ type: 'send'; id: number } & BatchSpec) | { type: 'measure' } | { type: 'report' } | { type: 'close' };
export type FromThread =
  | { type: 'ready' }
  | { type: 'unreachable'; error: string }
  /** `error`: the broker refused the batch; `fault`: the thread could not make it (the generator's failure). */
  | { type: 'sent'; id: number; error?: string; fault?: string }
  | { type: 'loop'; loop: LoopDelay };

/** The producer thread's entry: a bootstrap that loads the TypeScript sources (the bundle does not carry them). */
export const PRODUCER_THREAD_ENTRY = new URL('./producer-thread.mjs', import.meta.url);

/** A producer thread that has not closed this long after being asked is stopped. */
const CLOSE_WAIT_MS = 5_000;
/** A producer thread that has not reported its event-loop delay this long after being asked is busy that long at least. */
const REPORT_WAIT_MS = 2_000;

/**
 * The batches spread over `threads` producer threads, each with its own client: at 100 B per
 * message the work is per message (rendering, the client's encoding, garbage), which one thread
 * cannot do fast enough to keep up with Kafka's own producer (BENCHMARKS.md). Each batch goes to the
 * thread with the fewest batches in flight. A thread that dies or throws fails every batch it held
 * and every later one with an InfraError (the generator's fault); `entry` is for tests.
 */
export function threadedSender(c: SenderConfig, threads: number, entry: URL = PRODUCER_THREAD_ENTRY): BatchSender {
  type Pending = { resolve: () => void; reject: (e: Error) => void };
  interface Thread { worker: Worker; pending: Map<number, Pending>; ready: Promise<void>; exited: Promise<void>; gone: boolean; onLoop?: (l: LoopDelay) => void }
  let nextId = 0;
  let turn = -1;
  let closing = false;
  let fault: InfraError | null = null;
  const pool: Thread[] = [];
  const share = Math.max(1, Math.ceil(c.inFlight / threads));

  const failAll = (e: InfraError) => {
    fault ??= e;
    for (const t of pool) {
      for (const p of t.pending.values()) p.reject(fault);
      t.pending.clear();
    }
  };

  const start = (i: number): Thread => {
    const { contract, commodities, ...rest } = c;
    const worker = new Worker(entry, { workerData: { ...rest, contract, commodities: [...commodities], inFlight: share } satisfies SenderConfig });
    const t: Thread = { worker, pending: new Map(), ready: Promise.resolve(), exited: Promise.resolve(), gone: false };
    // Listened for from the start: a worker emits 'exit' once, maybe long before close() is called.
    t.exited = new Promise<void>((r) => worker.once('exit', () => { t.gone = true; r(); }));
    t.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromThread) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'unreachable') reject(new Error(m.error));
        else if (m.type === 'loop') t.onLoop?.(m.loop);
        else if (m.type === 'sent') {
          // A fault fails this batch with every other one still out (died() rejects all pending).
          if (m.fault !== undefined) { died(`failed: ${m.fault}`); return; }
          const p = t.pending.get(m.id);
          t.pending.delete(m.id);
          if (m.error === undefined) p?.resolve(); else p?.reject(new Error(m.error));
        }
      });
      const died = (why: string) => {
        const e = new InfraError(`producer thread ${i + 1} of ${threads} ${why}; the load generator cannot go on (the platform is not to blame)`, 'load-generator');
        reject(e);
        failAll(e);
      };
      worker.on('error', (e) => died(`failed: ${firstLine(e)}`));
      worker.on('exit', (code) => {
        if (!closing) { died(`exited (code ${code})`); return; }
        // Closed or stopped with batches still out: they were cut off by the harness, as the in-line client's close cuts its own.
        for (const p of t.pending.values()) p.reject(new Error('cut off when the producer closed'));
        t.pending.clear();
      });
    });
    t.ready.catch(() => {}); // observed by connect(); a later death reaches the batches
    return t;
  };

  return {
    async connect() {
      for (let i = 0; i < threads; i++) pool.push(start(i));
      await Promise.all(pool.map((t) => t.ready));
    },
    send(b) {
      if (fault) return Promise.reject(fault);
      if (closing) return Promise.reject(new Error('the producer is closed'));
      // The fewest in flight, ties taken in turn (every thread's client must get its share of the warm-up).
      turn = (turn + 1) % pool.length;
      let t = pool[turn]!;
      for (const u of pool) if (u.pending.size < t.pending.size) t = u;
      const id = ++nextId;
      return new Promise<void>((resolve, reject) => {
        t.pending.set(id, { resolve, reject });
        t.worker.postMessage({ type: 'send', id, ...b } satisfies ToThread);
      });
    },
    async close() {
      closing = true;
      await Promise.all(pool.map(async (t) => {
        if (t.gone) return;
        t.worker.postMessage({ type: 'close' } satisfies ToThread);
        const timer = setTimeout(() => void t.worker.terminate(), CLOSE_WAIT_MS);
        await t.exited;
        clearTimeout(timer);
      }));
    },
    threadLoops: {
      start() { for (const t of pool) if (!t.gone) t.worker.postMessage({ type: 'measure' } satisfies ToThread); },
      stop: () => Promise.all(pool.map((t) => new Promise<ThreadLoop>((resolve) => {
        // A thread that cannot answer in time had its event loop blocked at least that long, and a
        // gone one cannot say: either counts as blocked for the whole wait, never left out of the
        // judgement and never read as 0 ms (a gone one also fails the run: generatorFault).
        const unanswered = () => resolve({ p99Ms: REPORT_WAIT_MS, maxMs: REPORT_WAIT_MS, answered: false });
        if (t.gone) { unanswered(); return; }
        const timer = setTimeout(unanswered, REPORT_WAIT_MS);
        void t.exited.then(() => { clearTimeout(timer); unanswered(); });
        t.onLoop = (l) => { clearTimeout(timer); t.onLoop = undefined; resolve({ ...l, answered: true }); };
        t.worker.postMessage({ type: 'report' } satisfies ToThread);
      }))),
    },
    generatorFault: () => fault,
  };
}
