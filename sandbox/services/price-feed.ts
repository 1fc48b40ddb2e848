import { logLevel, CompressionTypes } from 'kafkajs';
import client from 'prom-client';
import { serviceEnv, serve, onShutdown, sleep } from './common.ts';
import { makePrice, type PriceMessage } from '../../platform/reference-messages.ts';
import { kafkajs } from '../../platform/kafka.ts';
import { sandboxKafkaConn } from '../connect.ts';

/** The upstream market-data feed: produces price ticks to the prices topic at a steady rate. */
export async function main(): Promise<void> {
  const env = serviceEnv('price-feed');
  const { sb, faults } = env;
  const run = Date.now();
  const sent = new client.Counter({ name: 'price_feed_messages_sent_total', help: 'price messages acknowledged by Kafka', registers: [env.registry] });
  const errors = new client.Counter({ name: 'price_feed_send_errors_total', help: 'failed produce requests', registers: [env.registry] });
  const lastSeq = new client.Gauge({ name: 'price_feed_last_seq', help: 'sequence number of the newest acknowledged message', registers: [env.registry] });
  new client.Gauge({ name: 'price_feed_run', help: 'run id of this feed (ms epoch of its start)', registers: [env.registry] }).set(run);
  new client.Gauge({ name: 'price_feed_target_rate', help: 'configured messages per second', registers: [env.registry] }).set(sb.priceFeed.rate);

  const kafka = kafkajs(sandboxKafkaConn(sb), 'price-feed', { logLevel: logLevel.WARN });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await serve(env, sb.ports.priceFeed);

  const prices = new Map(sb.priceFeed.commodities.map((c, i) => [c, 50 + i * 17.5]));
  let seq = 0;
  let stopping = false;
  onShutdown(async () => { stopping = true; await producer.disconnect(); });

  // Open-loop schedule: how many messages are due is decided by the clock, not by how fast Kafka acks.
  const start = performance.now();
  const tickMs = 50;
  while (!stopping) {
    const due = Math.floor(((performance.now() - start) / 1000) * sb.priceFeed.rate);
    const n = Math.min(due - seq, Math.max(1, sb.priceFeed.rate)); // cap a catch-up burst at 1 s of messages
    if (n > 0) {
      const batch: PriceMessage[] = [];
      const now = Date.now();
      for (let i = 0; i < n; i++) {
        const commodity = sb.priceFeed.commodities[(seq + i) % sb.priceFeed.commodities.length]!;
        const p = Math.max(0.01, prices.get(commodity)! * (1 + (Math.random() - 0.5) * 0.002));
        prices.set(commodity, p);
        batch.push(makePrice({ run, seq: seq + i + 1, commodity, price: Math.round(p * 10000) / 10000, sentAt: now }));
      }
      seq += n;
      // Damage in transit: the price changes after the checksum was computed.
      const corruptRate = faults.get('feed-corrupt-rate');
      if (corruptRate > 0) for (const m of batch) if (Math.random() < corruptRate) m.price += 1;
      try {
        await producer.send({
          topic: sb.topics.prices, acks: -1, compression: CompressionTypes.None,
          messages: batch.map((m) => ({ key: m.commodity, value: JSON.stringify(m) })),
        });
        sent.inc(n);
        lastSeq.set(seq);
      } catch (e) {
        errors.inc();
        process.stderr.write(`produce failed (${n} messages, seq ≤ ${seq}): ${(e as Error).message}\n`);
        await sleep(500);
      }
    }
    await sleep(tickMs);
  }
}
