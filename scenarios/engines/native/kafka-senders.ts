import { Worker } from 'node:worker_threads';
import { InfraError, firstLine } from '../../../core/errors.ts';
import type { KafkaConn } from '../../../platform/kafka.ts';
import type { Contract } from '../../../profile/schema.ts';
import { compileMessages } from '../../../platform/contract.ts';
import { kafkaWriter, type Acks } from './kafka-writer.ts';
import { priceBatches, type BatchSpec } from './price-batch.ts';
import type { LoopDelay } from './loop-delay.ts';

/**
 * What writes the load's price batches: on the main thread, or spread over producer threads. Either
 * way `send` resolves when the batch is acknowledged and rejects when the broker refused it; a
 * rejection with an InfraError is the generator's own failure (a producer thread died), never the platform's.
 */
export interface BatchSender {
  connect(): Promise<void>;
  send(b: BatchSpec): Promise<void>;
  close(): Promise<void>;
  /** Each producer thread's event-loop delay from its start to its close (after close; none on the main thread). */
  threadLoops?(): LoopDelay[];
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
export function inlineSender(c: SenderConfig): BatchSender {
  const writer = kafkaWriter(c.conn, c.topic, c.acks, c.clientId, c.inFlight);
  const render = priceBatches(compileMessages(c.contract), c.commodities, c.recordBytes);
  return { connect: () => writer.connect(), send: (b) => writer.send(render(b)), close: () => writer.close() };
}

/** What a producer thread is told (its workerData is a SenderConfig with its own share of `inFlight`). */
export type ToThread = ({ type: 'send'; id: number } & BatchSpec) | { type: 'close' };
export type FromThread =
  | { type: 'ready' }
  | { type: 'unreachable'; error: string }
  | { type: 'sent'; id: number; error?: string }
  | { type: 'closed'; loop: LoopDelay };

/** The producer thread's entry: a bootstrap that loads the TypeScript sources (the bundle does not carry them). */
export const PRODUCER_THREAD_ENTRY = new URL('./producer-thread.mjs', import.meta.url);

/** A producer thread that has not closed this long after being asked is stopped. */
const CLOSE_WAIT_MS = 5_000;

/**
 * The batches spread over `threads` producer threads, each with its own client: at 100 B per
 * message the work is per message (rendering, the client's encoding, garbage), which one thread
 * cannot do fast enough to keep up with Kafka's own producer (BENCHMARKS.md). Each batch goes to the
 * thread with the fewest batches in flight. A thread that dies or throws fails every batch it held
 * and every later one with an InfraError (the generator's fault); `entry` is for tests.
 */
export function threadedSender(c: SenderConfig, threads: number, entry: URL = PRODUCER_THREAD_ENTRY): BatchSender {
  type Pending = { resolve: () => void; reject: (e: Error) => void };
  interface Thread { worker: Worker; pending: Map<number, Pending>; ready: Promise<void>; loop?: LoopDelay }
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
    const pending = new Map<number, Pending>();
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromThread) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'unreachable') reject(new Error(m.error));
        else if (m.type === 'closed') thread.loop = m.loop;
        else if (m.type === 'sent') {
          const p = pending.get(m.id);
          pending.delete(m.id);
          if (m.error === undefined) p?.resolve(); else p?.reject(new Error(m.error));
        }
      });
      const died = (why: string) => {
        const e = new InfraError(`producer thread ${i + 1} of ${threads} ${why}; the load generator cannot go on (the platform is not to blame)`, 'load-generator');
        reject(e);
        failAll(e);
      };
      worker.on('error', (e) => died(`failed: ${firstLine(e)}`));
      worker.on('exit', (code) => { if (!closing) died(`exited (code ${code})`); });
    });
    ready.catch(() => {}); // observed by connect(); a later death reaches the batches
    const thread: Thread = { worker, pending, ready };
    return thread;
  };

  return {
    async connect() {
      for (let i = 0; i < threads; i++) pool.push(start(i));
      await Promise.all(pool.map((t) => t.ready));
    },
    send(b) {
      if (fault) return Promise.reject(fault);
      // The fewest in flight, ties taken in turn (warm-up sends one at a time and must reach every thread).
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
        const exited = new Promise<void>((r) => t.worker.once('exit', () => r()));
        t.worker.postMessage({ type: 'close' } satisfies ToThread);
        const timer = setTimeout(() => void t.worker.terminate(), CLOSE_WAIT_MS);
        await exited;
        clearTimeout(timer);
      }));
    },
    // A thread that died or never closed reports nothing: its death already failed the run.
    threadLoops: () => pool.flatMap((t) => (t.loop ? [t.loop] : [])),
  };
}
