import { logLevel, type EachBatchPayload } from 'kafkajs';
import pg from 'pg';
import client from 'prom-client';
import { serviceEnv, serve, onShutdown, sleep } from './common.ts';
import { priceIsIntact, MODEL, type PriceMessage, type PredictionMessage } from '../../platform/reference-messages.ts';
import { kafkajs } from '../../platform/kafka.ts';
import { sandboxKafkaConn } from '../connect.ts';
import { pgConnection } from '../postgres.ts';

interface Ema { short: number; long: number; samples: number; last: number; }

/**
 * One replica of the prediction consumer group: prices in, predictions out (Kafka + PostgreSQL),
 * features updated. Offsets are committed after the outputs are written (at-least-once).
 */
export async function main(args: string[]): Promise<void> {
  const replica = args[0] ?? '0';
  const id = process.env.CARBON_CONSUMER_ID ?? `consumer-${replica}`;
  const env = serviceEnv('prediction-consumer', { replica, consumer: id });
  const { sb, faults } = env;
  const reg = [env.registry];
  const processed = new client.Counter({ name: 'consumer_messages_processed_total', help: 'price messages turned into predictions', registers: reg });
  const corrupt = new client.Counter({ name: 'consumer_messages_corrupt_total', help: 'price messages whose checksum did not match', registers: reg });
  const lagSeconds = new client.Gauge({ name: 'consumer_lag_seconds', help: 'now minus send time of the newest processed message', registers: reg });
  const lagMessages = new client.Gauge({ name: 'consumer_lag_messages', help: 'high watermark minus processed offset, summed over assigned partitions', registers: reg });
  const batchSeconds = new client.Histogram({ name: 'consumer_batch_duration_seconds', help: 'time to process one fetched batch', registers: reg, buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] });
  const rebalances = new client.Counter({ name: 'consumer_group_rebalances_total', help: 'times this replica (re)joined the consumer group', registers: reg });
  const partitionLag = new Map<number, number>();

  const pool = new pg.Pool({ ...pgConnection(sb), max: 2 });
  // A restarted PostgreSQL kills the idle connections: reconnect on the next query instead of dying with them.
  pool.on('error', (e) => process.stderr.write(`postgres connection lost: ${e.message}\n`));
  const features = new Map<string, Ema>();
  for (const r of (await pool.query('SELECT commodity, last_price, ema_short, ema_long, samples FROM features')).rows) {
    features.set(r.commodity, { short: r.ema_short, long: r.ema_long, samples: Number(r.samples), last: r.last_price });
  }

  const kafka = kafkajs(sandboxKafkaConn(sb), id, { logLevel: logLevel.WARN });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: sb.consumers.group, sessionTimeout: 10_000, heartbeatInterval: 1000, rebalanceTimeout: 15_000 });
  await producer.connect();
  // A member lost or added makes every survivor rejoin: the signal a pod failure leaves in the group.
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    rebalances.inc();
    // Lag is reported for the partitions this replica owns now: a partition handed to another
    // replica in the rebalance must not keep its last lag here forever.
    const owned = new Set(Object.values(e.payload.memberAssignment).flat());
    for (const p of [...partitionLag.keys()]) if (!owned.has(p)) partitionLag.delete(p);
    lagMessages.set([...partitionLag.values()].reduce((a, b) => a + b, 0));
    if (owned.size === 0) lagSeconds.set(0);
  });
  await consumer.connect();
  await consumer.subscribe({ topic: sb.topics.prices, fromBeginning: false });
  await serve(env, sb.ports.consumerBase + Number(replica));
  onShutdown(async () => { await consumer.disconnect(); await producer.disconnect(); await pool.end(); });

  // One batch is handled at a time, as with kafkajs' default of one partition at a time; but a batch
  // on hold (consumer-hold-ms) gives up its turn while it waits. Otherwise a hold on one partition
  // delays every other partition of this replica by as much again (latency twice the hold, seen in CI).
  let turn: Promise<void> = Promise.resolve();
  const takeTurn = async (): Promise<() => void> => {
    const before = turn;
    let done!: () => void;
    turn = new Promise((r) => { done = r; });
    await before;
    return done;
  };

  await consumer.run({
    partitionsConsumedConcurrently: sb.kafka.partitions,
    // Offsets are resolved by hand, only after a message's outputs are written: an interrupted
    // batch must not mark unprocessed messages as consumed.
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload) => {
      let endTurn = await takeTurn();
      try {
        const t0 = performance.now();
        let out: PredictionMessage[] = [];
        let handled: string | null = null;
        let chunkStart = performance.now();
        const flush = async () => {
          if (out.length) {
            await producer.send({ topic: sb.topics.predictions, acks: -1, messages: out.map((p) => ({ key: p.commodity, value: JSON.stringify(p) })) });
            await writePredictions(pool, out);
            await writeFeatures(pool, out, features);
            processed.inc(out.length);
            lagSeconds.set((Date.now() - out[out.length - 1]!.sentAt) / 1000);
          }
          if (handled !== null) resolveOffset(handled);
          out = [];
          chunkStart = performance.now();
          await heartbeat();
        };
        for (const m of batch.messages) {
          if (!isRunning() || isStale()) break;
          const delay = faults.get('consumer-delay-ms');
          if (delay > 0) await sleep(delay);
          let price: PriceMessage;
          try { price = JSON.parse(m.value!.toString()) as PriceMessage; } catch { handled = m.offset; corrupt.inc(); continue; }
          if (!priceIsIntact(price)) { handled = m.offset; corrupt.inc(); continue; }
          // Latency without a lower throughput: the wait ends when the oldest message is old enough,
          // and the messages behind it are by then older still, so no backlog builds.
          // Only a long wait flushes first: a flush per short wait (one per produce burst) cut the
          // consumers' throughput so far that messages queued 17 s behind a 7 s hold (seen in CI).
          const hold = faults.get('consumer-hold-ms');
          if (hold > 0 && price.sentAt + hold > Date.now()) {
            if (price.sentAt + hold - Date.now() > 250) await flush();
            endTurn();
            while (price.sentAt + hold > Date.now() && isRunning() && !isStale()) {
              await sleep(Math.min(1000, price.sentAt + hold - Date.now()));
              await heartbeat();
            }
            endTurn = await takeTurn();
            if (!isRunning() || isStale()) break;
          }
          handled = m.offset;
          // The drop fault loses the message silently: no metric, no log, offset still committed.
          const dropRate = faults.get('consumer-drop-rate');
          if (dropRate > 0 && Math.random() < dropRate) continue;
          const f = features.get(price.commodity) ?? { short: price.price, long: price.price, samples: 0, last: price.price };
          f.short += MODEL.alphaShort * (price.price - f.short);
          f.long += MODEL.alphaLong * (price.price - f.long);
          f.samples += 1;
          f.last = price.price;
          features.set(price.commodity, f);
          const prediction: PredictionMessage = {
            run: price.run, seq: price.seq, commodity: price.commodity, price: price.price,
            predicted: MODEL.predict(price.price, f.short, f.long) + faults.get('prediction-bias'),
            emaShort: f.short, emaLong: f.long, sourceChecksum: price.checksum,
            sentAt: price.sentAt, processedAt: Date.now(), consumer: id,
          };
          out.push(prediction);
          // A redelivered message processed again, as at-least-once consumers do after a rebalance.
          const dupRate = faults.get('consumer-duplicate-rate');
          if (dupRate > 0 && Math.random() < dupRate) out.push({ ...prediction, processedAt: Date.now() });
          // Slow processing still reports progress (and lag) every second.
          if (out.length >= 1000 || performance.now() - chunkStart > 1000) await flush();
        }
        await flush();
        partitionLag.set(batch.partition, Math.max(0, Number(batch.highWatermark) - 1 - Number(handled ?? batch.firstOffset() ?? 0)));
        lagMessages.set([...partitionLag.values()].reduce((a, b) => a + b, 0));
        batchSeconds.observe((performance.now() - t0) / 1000);
      } finally { endTurn(); }
    },
  });
}

async function writePredictions(pool: pg.Pool, out: PredictionMessage[]): Promise<void> {
  // unnest() keeps it to one statement per batch whatever the batch size.
  await pool.query(
    `INSERT INTO predictions (feed_run, seq, commodity, price, predicted, source_checksum, sent_at, processed_at, consumer, ema_short, ema_long)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::float8[], $5::float8[], $6::text[],
       $7::timestamptz[], $8::timestamptz[], $9::text[], $10::float8[], $11::float8[])`,
    [out.map((p) => p.run), out.map((p) => p.seq), out.map((p) => p.commodity), out.map((p) => p.price),
      out.map((p) => p.predicted), out.map((p) => p.sourceChecksum), out.map((p) => new Date(p.sentAt)),
      out.map((p) => new Date(p.processedAt)), out.map((p) => p.consumer), out.map((p) => p.emaShort), out.map((p) => p.emaLong)],
  );
}

async function writeFeatures(pool: pg.Pool, out: PredictionMessage[], features: Map<string, Ema>): Promise<void> {
  const names = [...new Set(out.map((p) => p.commodity))];
  const fs = names.map((n) => features.get(n)!);
  await pool.query(
    `INSERT INTO features (commodity, last_price, ema_short, ema_long, samples, updated_at)
     SELECT c, lp, es, el, s, now() FROM unnest($1::text[], $2::float8[], $3::float8[], $4::float8[], $5::bigint[]) AS t(c, lp, es, el, s)
     ON CONFLICT (commodity) DO UPDATE SET last_price = EXCLUDED.last_price, ema_short = EXCLUDED.ema_short,
       ema_long = EXCLUDED.ema_long, samples = GREATEST(features.samples, EXCLUDED.samples), updated_at = now()`,
    [names, fs.map((f) => f.last), fs.map((f) => f.short), fs.map((f) => f.long), fs.map((f) => f.samples)],
  );
}
