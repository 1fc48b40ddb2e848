/**
 * Kafka producer throughput: the native engine (open model, its chosen client) against Kafka's own
 * ProducerPerformance from the same Maven jars, on the same broker, topic, record size and acks;
 * plus the client candidates in one closed loop, so the choice of client is re-measured each run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Producer, stringSerializers, ProduceAcks } from '@platformatic/kafka';
import { loadConfig } from '../core/config.ts';
import { kafkaClasspath } from '../sandbox/kafka.ts';
import { sandboxProfile } from '../sandbox/profile.ts';
import type { Contract } from '../profile/schema.ts';
import { compileMessages } from '../platform/contract.ts';
import { priceBatches } from '../scenarios/engines/native/price-batch.ts';
import { sandboxContext, sandboxStatus, sandboxUp, sandboxDown, selectParts } from '../sandbox/index.ts';
import { runNative } from '../scenarios/engines/native/index.ts';
import { INLINE_MAX_MSGS_PER_S } from '../scenarios/engines/native/kafka-target.ts';
import { kafkaWriter } from '../scenarios/engines/native/kafka-writer.ts';
import type { Scenario } from '../scenarios/types.ts';
import type { Endpoints } from '../scenarios/endpoints.ts';
import { ROW_RUNS, median, medianRun } from './median.ts';

const run = promisify(execFile);
const TOPIC = 'bench-producer';
const PARTITIONS = 3; // as the sandbox's commodity-prices
/** Messages per produce call in the client candidates' closed loop, as the gate's kafka-throughput scenario. */
const BATCH = 100;
// Offered well above the peer's rate: the achieved rate is the engine's ceiling.
const OFFER_OVER_PEER = 1.5;
/** Runs with and without producer threads, in turn. */
const PAIRS = 3;
// Keys spread over every partition, as the peer's unkeyed records are.
const BENCH_KEYS = Array.from({ length: 24 }, (_, i) => `bench-${i}`);

/** `peer` and `ours` are medians of `peerRuns` and `oursRuns`; the other figures are from ours' median run. */
export interface KafkaRow { bytes: number; sentBytes: number; acks: 'leader' | 'all'; peer: number; ours: number; peerRuns: number[]; oursRuns: number[]; batch: number; batches: number[]; readBackAll: boolean; readBacks: string[]; dropped: number; readBack: string; p99ms: number; threads: number; cpuPct: number }
/** `sentBytes`: the mean record (key and value) where it differs from `bytes` (the rendered prices). */
export interface CandidateRow { client: string; bytes: number; sentBytes?: number; acks: 'leader' | 'all'; rate: number; cpuUsPerMsg: number }
export interface KafkaBench { broker: string; sandboxState: string; rows: KafkaRow[]; candidates: CandidateRow[]; pairs: Array<{ threads: KafkaRow; main: KafkaRow }> }

const acksNum = (a: 'leader' | 'all') => (a === 'all' ? -1 : 1);

interface PeerRun { rate: number; recordsPerRequest: number }

/** The peer's command line (java's arguments), as run and as BENCHMARKS.md prints it. */
const peerArgs = (classpath: string, broker: string, records: string, bytes: string, acks: string) => ['-Xmx512m', '-cp', classpath, 'org.apache.kafka.tools.ProducerPerformance',
  '--topic', TOPIC, '--num-records', records, '--record-size', bytes, '--throughput', '-1',
  '--producer-props', `bootstrap.servers=${broker}`, `acks=${acks}`, '--print-metrics'];

/**
 * One ProducerPerformance run, with its own metrics printed: its rate, and how many records its producer put in
 * each produce request (`records-per-request-avg`), so ours can send requests of the same size.
 */
async function producerPerformance(classpath: string, broker: string, records: number, bytes: number, acks: 'leader' | 'all'): Promise<PeerRun> {
  const { stdout } = await run('java', peerArgs(classpath, broker, String(records), String(bytes), String(acksNum(acks))), { maxBuffer: 16 << 20 });
  // Its totals line: "N records sent, R records/sec (M MB/sec), … 50th, …" (ProducerPerformance.Stats.printTotal),
  // then with --print-metrics one "group:name:{tags} : value" line per metric (ToolsUtils.printMetrics).
  const total = stdout.match(/^\d+ records sent, ([\d.]+) records\/sec .* 50th/m);
  const perRequest = stdout.match(/^producer-metrics:records-per-request-avg:\{[^}]*\}\s*:\s*([\d.]+)$/m);
  const rate = Number(total?.[1]);
  const recordsPerRequest = Number(perRequest?.[1]);
  if (!(rate > 0) || !(recordsPerRequest >= 1)) throw new Error(`unexpected ProducerPerformance output:\n${stdout.slice(-1500)}`);
  return { rate, recordsPerRequest };
}

/**
 * What one of ours' records carries, key and value, on average: the price is rendered through the contract and its value
 * padded to `bytes`, never shortened (below the rendered size it is longer than asked), and the key comes on top. The
 * peer's records (no key) are run at this size: the same bytes per record. Never less than `bytes`: padding gives
 * up with less room than its own field, so a record may come out a few bytes short of the size asked.
 */
function sentSize(contract: Contract, bytes: number): number {
  // Sequence numbers of a run's middle (six digits): a run sends one to two million messages.
  const batch = priceBatches(compileMessages(contract), BENCH_KEYS, bytes)({ run: Date.now(), first: 500_001, count: 10_000, sentAt: Date.now() });
  return Math.max(bytes, Math.round(batch.reduce((n, m) => n + Buffer.byteLength(m.key ?? '') + Buffer.byteLength(m.value), 0) / batch.length));
}

/** `producerThreads` absent: the engine's own choice for the offered rate, as a user's scenario gets it. */
const kafkaScenario = (bytes: number, acks: 'leader' | 'all', batch: number, offeredPerS: number, durationS: number, producerThreads?: number): Scenario => ({
  name: 'bench-kafka', description: 'bench', slo: [],
  target: { kind: 'kafka-produce', topic: TOPIC, batchSize: batch, acks, recordBytes: bytes, ...(producerThreads === undefined ? {} : { producerThreads }) },
  executor: { executor: 'constant-arrival-rate', rate: Math.ceil(offeredPerS / batch), timeUnit: '1s', duration: `${durationS}s`, preAllocatedVUs: 32, maxVUs: 64 },
  thresholds: {},
});
const kafkaEndpoints = (broker: string, contract: Contract): Endpoints => ({ inferenceApi: '', kafkaBrokers: [broker], featureStore: {}, commodities: BENCH_KEYS, contract });

async function ours(endpoints: Endpoints, bytes: number, acks: 'leader' | 'all', batch: number, offeredPerS: number, durationS: number, producerThreads?: number) {
  const r = await runNative(kafkaScenario(bytes, acks, batch, offeredPerS, durationS, producerThreads), { endpoints, signal: new AbortController().signal });
  const cross = r.crossChecks;
  return {
    batch,
    rate: r.metrics.kafka_writer_message_count?.values.rate ?? 0,
    dropped: r.metrics.dropped_iterations?.values.count ?? 0,
    p99: r.metrics.kafka_writer_write_seconds?.values['p(99)'] ?? NaN,
    threads: r.generator?.producerThreads?.length ?? 0,
    cpuPct: r.generator?.cpuPct ?? NaN,
    readBack: cross.readBackComplete === 1 ? `${cross.ownMessagesInTopic} of ${r.metrics.kafka_writer_message_count?.values.count ?? 0} found` : `read-back incomplete: ${Object.values(r.crossCheckErrors ?? {}).join('; ') || 'no reason recorded'}`,
    allFound: cross.readBackComplete === 1 && cross.ownMessagesInTopic === (r.metrics.kafka_writer_message_count?.values.count ?? 0),
  };
}

/** The client candidate that is the engine's own writer sending the engine's rendered price messages. */
const ENGINE_WRITER = "the engine's writer (@platformatic/kafka), each message a rendered price";

/**
 * Closed loop, same for every client: `inFlight` sends of `BATCH` messages outstanding at all times.
 * The candidates send one fixed value, as the peer does; ENGINE_WRITER renders each message as the
 * engine does (its key, contract and checksum, in the sending thread), so the two rows of
 * @platformatic/kafka differ by the engine's own per-message work.
 */
async function candidate(client: string, broker: string, bytes: number, acks: 'leader' | 'all', total: number, rendered: { contract: Contract; sentBytes: number }, inFlight = 32): Promise<CandidateRow> {
  const value = 'x'.repeat(bytes);
  let send: (n: number) => Promise<unknown>;
  let close: () => Promise<void>;
  if (client === ENGINE_WRITER) {
    const w = kafkaWriter({ brokers: [broker] }, TOPIC, acks, 'bench', inFlight);
    await w.connect();
    const render = priceBatches(compileMessages(rendered.contract), BENCH_KEYS, bytes);
    const run = Date.now();
    let seq = 1;
    send = (n) => { const first = seq; seq += n; return w.send(render({ run, first, count: n, sentAt: Date.now() })); };
    close = () => w.close();
  } else if (client === 'kafkajs') {
    const p = new Kafka({ clientId: 'bench', brokers: [broker], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
    await p.connect();
    send = (n) => p.send({ topic: TOPIC, acks: acksNum(acks), messages: Array.from({ length: n }, () => ({ value })) });
    close = () => p.disconnect();
  } else {
    // As many requests in flight as the loop keeps out (the client's default is 5), as the engine's writer does.
    const p = new Producer({ clientId: 'bench', bootstrapBrokers: [broker], serializers: stringSerializers, acks: acks === 'all' ? ProduceAcks.ALL : ProduceAcks.LEADER, autocreateTopics: false, maxInflights: inFlight });
    send = (n) => p.send({ messages: Array.from({ length: n }, () => ({ topic: TOPIC, value })) });
    close = () => p.close();
  }
  await send(1);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  const worker = async () => { while (sent < total) { const n = Math.min(BATCH, total - sent); sent += n; await send(n); } };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await close();
  const recordBytes = client === ENGINE_WRITER ? rendered.sentBytes : bytes;
  return { client, bytes, ...(recordBytes !== bytes ? { sentBytes: recordBytes } : {}), acks, rate: total / s, cpuUsPerMsg: (cpu.user + cpu.system) / total };
}

export async function kafkaBench(durationS: number, say: (m: string) => void): Promise<KafkaBench> {
  const cfg = loadConfig();
  const sb = cfg.sandbox;
  const broker = `${sb.host}:${sb.ports.kafka}`;
  const ctx = sandboxContext(cfg, say);
  const kafkaPart = selectParts(['kafka']);
  const all = await sandboxStatus(ctx);
  const up = (name: string) => all.find((p) => p.name === name)?.healthy === true;
  let started = false;
  if (!up('kafka')) {
    say('kafka: starting the sandbox broker alone for the producer benchmark…');
    await sandboxUp(ctx, kafkaPart);
    started = true;
  }
  const sandboxState = started ? 'broker alone (started by the bench)'
    : up('price-feed') ? 'the whole sandbox running (its price feed and consumers share the 2 cores)' : 'broker alone';
  try {
    const admin = new Kafka({ clientId: 'bench', brokers: [broker], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    if (!(await admin.listTopics()).includes(TOPIC)) await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
    await admin.disconnect();

    // The sandbox profile's price message, as the gate writes it.
    const endpoints = kafkaEndpoints(broker, sandboxProfile(cfg).profile.platform.kafka.contract);
    const rows: KafkaRow[] = [];
    // What a rendered record of each size carries: the same for both acks rows and the candidates.
    const sizes = [100, 1024] as const;
    const sent = new Map(sizes.map((b) => [b, sentSize(endpoints.contract!, b)]));
    for (const bytes of sizes) {
      const sentBytes = sent.get(bytes)!;
      const records = bytes === 100 ? 1_000_000 : 300_000;
      for (const acks of ['leader', 'all'] as const) {
        const peerRuns: number[] = [];
        const runs: Array<Awaited<ReturnType<typeof ours>>> = [];
        for (let i = 1; i <= ROW_RUNS; i++) {
          say(`kafka: ProducerPerformance ${records} × ${sentBytes} B, acks=${acks === 'all' ? 'all' : 1} (${i}/${ROW_RUNS})…`);
          const peer = await producerPerformance(kafkaClasspath(sb), broker, records, sentBytes, acks);
          peerRuns.push(peer.rate);
          // Requests of the peer's size: one produce call carries what its producer put in one request.
          const batch = Math.max(1, Math.round(peer.recordsPerRequest));
          say(`kafka: native engine ${bytes} B, acks=${acks === 'all' ? 'all' : 1}, open model at ${Math.round(peer.rate * OFFER_OVER_PEER)} msg/s offered for ${durationS} s, ${batch} messages per produce call (${i}/${ROW_RUNS})…`);
          runs.push(await ours(endpoints, bytes, acks, batch, peer.rate * OFFER_OVER_PEER, durationS));
        }
        const mid = medianRun(runs, (r) => r.rate);
        rows.push({
          bytes, sentBytes, acks, peer: median(peerRuns), ours: mid.rate, peerRuns, oursRuns: runs.map((r) => r.rate), batch: mid.batch, batches: runs.map((r) => r.batch),
          readBackAll: runs.every((r) => r.allFound), readBacks: runs.map((r) => r.readBack), dropped: mid.dropped, readBack: mid.readBack, p99ms: mid.p99, threads: mid.threads, cpuPct: mid.cpuPct,
        });
      }
    }
    // The first row's offer again, with the engine's threads and on the main thread alone, in turn:
    // what the producer threads bring. One run of each is within this machine's spread.
    const first = rows[0]!;
    const pairs: KafkaBench['pairs'] = [];
    const firstBatch = Math.round(median(first.batches));
    const again = async (threads?: number): Promise<KafkaRow> => {
      const o = await ours(endpoints, first.bytes, first.acks, firstBatch, first.peer * OFFER_OVER_PEER, durationS, threads);
      return { ...first, ours: o.rate, oursRuns: [o.rate], peerRuns: [first.peer], batch: firstBatch, batches: [firstBatch], readBackAll: o.allFound, readBacks: [o.readBack], dropped: o.dropped, readBack: o.readBack, p99ms: o.p99, threads: o.threads, cpuPct: o.cpuPct };
    };
    for (let i = 1; i <= PAIRS; i++) {
      say(`kafka: native engine ${first.bytes} B, acks=1, the same offer with producer threads, then on the main thread alone (${i}/${PAIRS})…`);
      pairs.push({ threads: await again(), main: await again(0) });
    }
    const candidates: CandidateRow[] = [];
    for (const client of ['kafkajs', '@platformatic/kafka', ENGINE_WRITER]) {
      for (const bytes of sizes) {
        say(`kafka: candidate ${client}, ${bytes} B, acks=1, 32 batches in flight…`);
        candidates.push(await candidate(client, broker, bytes, 'leader', bytes === 100 ? 300_000 : 100_000, { contract: endpoints.contract!, sentBytes: sent.get(bytes)! }));
      }
    }
    return { broker, sandboxState, rows, candidates, pairs };
  } finally {
    if (started) await sandboxDown(ctx, kafkaPart);
  }
}

export function kafkaMarkdown(k: KafkaBench, durationS: number): string {
  const f = (v: number, d = 0) => v.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
  const acks = (a: string) => (a === 'all' ? 'all' : '1');
  // One run's figure alone, or the median with each run's figure beside it.
  const fig = (m: number, v: number[]) => (v.length > 1 ? `${f(m)} (${v.map((x) => f(x)).join(', ')})` : f(m));
  const row = (r: KafkaRow) => `| ${r.bytes} B (${r.sentBytes} B sent) | ${acks(r.acks)} | ${r.threads || 'main'} | ${new Set(r.batches).size === 1 ? f(r.batch) : fig(r.batch, r.batches)} | ${fig(r.ours, r.oursRuns)} | ${fig(r.peer, r.peerRuns)} | **${(r.ours / r.peer).toFixed(2)}×** | ${f(r.dropped)} | ${f(r.p99ms, 1)} | ${f(r.cpuPct)} | ${r.readBack}${r.oursRuns.length < 2 ? '' : r.readBackAll ? '; all found in every run' : `; NOT all found in every run (each run: ${r.readBacks.join('; ')})`} |`;
  const head = (many: boolean) => `| record | acks | producer threads | messages per produce call | ours msg/s${many ? ': median (runs)' : ''} | ProducerPerformance msg/s${many ? ': median (runs)' : ''} | ${many ? 'ratio of medians' : 'ratio'} | dropped arrivals | produce p99 ms | generator CPU % of a core | read-back |
|---|---|---|---|---|---|---|---|---|---|---|`;
  const cands = k.candidates.map((c) => `| ${c.client} | ${c.bytes} B${c.sentBytes ? ` (${c.sentBytes} B sent)` : ''} | ${f(c.rate)} | ${c.cpuUsPerMsg.toFixed(1)} |`).join('\n');
  const withThreads = median(k.pairs.map((p) => p.threads.ours));
  const mainOnly = median(k.pairs.map((p) => p.main.ours));
  return `## Kafka producer (native engine vs Kafka's ProducerPerformance)

Broker ${k.broker}, ${k.sandboxState}; topic \`${TOPIC}\` (${PARTITIONS} partitions). The peer is
\`org.apache.kafka.tools.ProducerPerformance\` from the sandbox's Kafka jars (\`--throughput -1\`, its default batching:
\`batch.size\` 16 KiB per partition, run with \`--print-metrics\`):
\`java ${peerArgs('<the sandbox\'s Kafka jars>', k.broker, '<records>', '<record size>', '1|-1').join(' ')}\`.
Ours: the native engine's Kafka target, open model (arrivals on a clock, an arrival finding every VU busy is dropped and
counted, latency from the scheduled time), ≤ 64 VUs, offered ${OFFER_OVER_PEER}× the peer's rate for
${durationS} s, with the producer threads the engine chooses for that rate (one per core above ${INLINE_MAX_MSGS_PER_S.toLocaleString('en')} msg/s offered;
docs/kafka-client.md); each message is a JSON price rendered through the sandbox profile's contract (with its SHA-256
checksum) and its value padded to the record size, never shortened, with its key beside it. The peer sends records
of ours' mean key and value size (the record column's "sent", the peer's \`--record-size\`): more than asked where
the rendered price is longer (at 100 B), the key's few bytes more where it is padded (at 1 KiB). Each of ours' produce calls carries as many messages as the peer's producer
averaged per produce request in the run just before it (its own \`records-per-request-avg\`, rounded; the
messages-per-call column: ours' median run first when the runs differ). That matches the messages per request, not their
spread: ours are keyed by commodity (${BENCH_KEYS.length} keys hashed over the partitions), the peer's unkeyed records fill one partition's
batch at a time; and ours may have as many requests in flight as VUs, the peer at most 5 per connection. Benches before
2026-12-07 sent a fixed 100 messages per call, and those before its 05:09 run ran the peer at the size asked (100 B against ours' ~130):
their ratios are not comparable with these. Every acknowledged message is then read back from the topic (the read-back
column). The peer's figure is its own (its clock starts once its producer is built: its JVM start is left out, its first
metadata fetch and its JIT warm-up count); its records are one random payload sent again and again. Each row is
${ROW_RUNS} runs of the peer and ours in turn (ours offered ${OFFER_OVER_PEER}× the peer run just before it), compared by their medians: a
single run of either moves by a third here. Dropped arrivals, p99, CPU and read-back are from ours' median run.

${head(true)}
${k.rows.map(row).join('\n')}

${k.pairs.length ? `### Producer threads against the main thread alone

The first row's offer (${OFFER_OVER_PEER}× its median peer figure, the median of its messages per call) again, ${k.pairs.length} times in turn: with the threads the engine chooses, then with \`producerThreads: 0\`
(rendered and sent on the main thread, as below ${INLINE_MAX_MSGS_PER_S.toLocaleString('en')} msg/s). A single ${durationS} s run is within this machine's spread;
the medians compare.

${head(false)}
${k.pairs.flatMap((p) => [row(p.threads), row(p.main)]).join('\n')}

**Median ${f(withThreads)} msg/s with producer threads against ${f(mainOnly)} on the main thread alone
(${(withThreads / mainOnly).toFixed(2)}×)**; the threads were ahead in ${k.pairs.filter((p) => p.threads.ours > p.main.ours).length} of ${k.pairs.length} pairs.
` : ''}
### Client candidates (why the engine writes with @platformatic/kafka)

Same closed loop for each client (32 produce calls of ${BATCH} messages in flight, acks=1), CPU time of this process per
message. The first four send one fixed value, as the peer does; the last two are the engine's own writer with the messages
the engine sends (keyed by commodity, rendered through the contract with their checksum, padded to at least the record
size: the record column's "sent" is their mean key and value, more bytes than the fixed rows' at 100 B; rendered in this
thread): against the @platformatic/kafka rows, the engine's own work per message and those extra bytes. kafkajs remains the admin and consumer client; \`@confluentinc/kafka-javascript\` (librdkafka) is discussed in
\`docs/kafka-client.md\`.

| client | record | msg/s | CPU µs/msg |
|---|---|---|---|
${cands}
`;
}
