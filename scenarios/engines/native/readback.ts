import type { Kafka } from 'kafkajs';
import type { InMessage } from '../../../platform/contract.ts';

/**
 * Bytes fetched per partition at a time, at least. The read-back is part of the run, so it counts
 * toward the run's memory. Reading 4.2 M messages of 100 B back, the process peaked at 454 MiB with
 * 4 MiB fetches, 198 with 256 KiB and 181 with 64 KiB, all in about 18 s; a bundled 60 s run of
 * bench/memory-run.ts (420,000 messages) at 212 MiB with 256 KiB and 145 with 64 KiB. kafkajs
 * decodes a whole fetch into message objects before the batch is handed over. A record batch
 * larger than the fetch comes back only for the first partition of a response, so the caller
 * raises it to hold one produce call's batch (`batchBytes`).
 */
const READBACK_FETCH_BYTES = 64 << 10;

/**
 * Counts this run's messages actually stored in a topic: reads every partition from its end offset
 * before the run to its end offset after, and marks each sequence number of `run` it finds (read
 * through the profile's contract by `ownSeq`). Other
 * producers (the platform's own feed) write to the same topic, so end-offset growth alone cannot
 * prove our messages landed; this can.
 */
export async function countOwnMessages(
  kafka: Kafka, topic: string, before: Map<number, number>, after: Map<number, number>,
  ownSeq: (m: InMessage) => number | null, lastSeq: number, run: number, signal: AbortSignal, timeoutMs = 60_000, batchBytes = 0,
): Promise<{ found: number; read: number; complete: boolean }> {
  const pending = new Map<number, number>(); // partition → last offset still to read
  for (const [p, end] of after) if (end > (before.get(p) ?? 0)) pending.set(p, end - 1);
  if (!pending.size) return { found: 0, read: 0, complete: true };

  const groupId = `harness-readback-${run}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.setOffsets({ groupId, topic, partitions: [...pending.keys()].map((p) => ({ partition: p, offset: String(before.get(p) ?? 0) })) });
  } finally {
    await admin.disconnect().catch(() => {});
  }

  const seen = new Uint8Array(lastSeq + 1);
  let found = 0;
  let read = 0;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxBytesPerPartition: Math.max(READBACK_FETCH_BYTES, Math.ceil(batchBytes * 1.25)) });
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const last = pending.get(batch.partition);
        if (last === undefined) return;
        for (const m of batch.messages) {
          const off = Number(m.offset);
          if (off > last) break;
          read++;
          const seq = ownSeq(m);
          if (seq !== null && seq <= lastSeq && !seen[seq]) { seen[seq] = 1; found++; }
        }
        const tail = Number(batch.messages.at(-1)?.offset ?? -1);
        if (tail >= last) {
          pending.delete(batch.partition);
          // Read to its end: fetched no more (the platform's feed keeps writing to it), so it cannot take a turn from the rest.
          consumer.pause([{ topic, partitions: [batch.partition] }]);
          if (!pending.size) done();
        }
      },
    });
    const timer = setTimeout(done, timeoutMs);
    const onAbort = () => done();
    signal.addEventListener('abort', onAbort, { once: true });
    await finished;
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  } finally {
    await consumer.disconnect().catch(() => {});
    const cleanup = kafka.admin();
    await cleanup.connect().then(() => cleanup.deleteGroups([groupId])).catch(() => {});
    await cleanup.disconnect().catch(() => {});
  }
  return { found, read, complete: pending.size === 0 };
}
