/**
 * The memory bench's load process (bench/memory.ts starts it): the native engine driving Kafka and
 * HTTP at once for the given time, its own RSS sampled each second. Prints one JSON line at the end.
 * Usage: node --import tsx bench/memory-run.ts <broker> <topic> <http url> <seconds> <kafka msg/s> <http req/s>
 */
import { runNative } from '../scenarios/engines/native/index.ts';
import { loadConfig } from '../core/config.ts';
import { sandboxProfile } from '../sandbox/profile.ts';
import type { Scenario } from '../scenarios/types.ts';

const [broker, topic, url, seconds, kafkaRate, httpRate] = process.argv.slice(2);
const durationS = Number(seconds);
const BATCH = 100;

const kafka: Scenario = {
  name: 'memory-kafka', description: 'bench', slo: [],
  target: { kind: 'kafka-produce', topic: topic!, batchSize: BATCH, acks: 'leader', recordBytes: 100 },
  executor: { executor: 'constant-arrival-rate', rate: Math.ceil(Number(kafkaRate) / BATCH), timeUnit: '1s', duration: `${durationS}s`, preAllocatedVUs: 16, maxVUs: 64 },
  thresholds: {},
};
const http: Scenario = {
  name: 'memory-http', description: 'bench', slo: [],
  target: { kind: 'http', method: 'GET', path: '/', body: false },
  executor: { executor: 'constant-arrival-rate', rate: Number(httpRate), timeUnit: '1s', duration: `${durationS}s`, preAllocatedVUs: 32, maxVUs: 128 },
  thresholds: {},
};

// Before any load: the process with its modules loaded (tsx, both Kafka clients, undici, pg, …).
const rssAtStart = process.memoryUsage().rss;
const rss: Array<[number, number]> = [];
const t0 = Date.now();
// [seconds since the load began, bytes]: the fit reads the time, not the sample's index.
const timer = setInterval(() => rss.push([(Date.now() - t0) / 1000, process.memoryUsage().rss]), 1000);
// The sandbox profile's price message, as the gate writes it.
const contract = sandboxProfile(loadConfig()).profile.platform.kafka.contract;
const endpoints = { inferenceApi: url!, kafkaBrokers: [broker!], featureStore: {}, commodities: Array.from({ length: 24 }, (_, i) => `bench-${i}`), contract };
const signal = new AbortController().signal;
const [k, h] = await Promise.all([runNative(kafka, { endpoints, signal }), runNative(http, { endpoints, signal })]);
clearInterval(timer);
process.stdout.write(`${JSON.stringify({
  wallS: (Date.now() - t0) / 1000, rss, rssAtStart,
  kafka: { rate: k.metrics.kafka_writer_message_count?.values.rate ?? 0, sent: k.metrics.kafka_writer_message_count?.values.count ?? 0, dropped: k.metrics.dropped_iterations?.values.count ?? 0, readBack: k.crossChecks.readBackComplete === 1 ? k.crossChecks.ownMessagesInTopic : null },
  http: { rate: h.metrics.http_reqs?.values.rate ?? 0, dropped: h.metrics.dropped_iterations?.values.count ?? 0, failed: h.metrics.http_req_failed?.values.passes ?? 0 },
})}\n`);
process.exit(0);
