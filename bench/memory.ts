/**
 * Memory over a long run: Kafka at 7,000 msg/s and HTTP at 500 req/s at once from one harness
 * process (bench/memory-run.ts) for 10 minutes (BENCH_MEMORY_S), its RSS sampled each second.
 * k6 keeps every sample of a trend metric in memory (grafana/k6#763), so its memory grows with the
 * run; ours keeps HDR histograms and should stay flat after the first minute.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { build } from 'esbuild';
// @ts-expect-error: a plain .mjs module (bin/ has only Node built-ins), typed loosely here
import { sourceUrls } from '../bin/cli-build.mjs';
import { Kafka, logLevel } from 'kafkajs';
import { projectRoot } from '../core/paths.ts';
import { loadConfig } from '../core/config.ts';
import { sandboxContext, sandboxDown, sandboxStatus, sandboxUp, selectParts } from '../sandbox/index.ts';

const SECONDS = Number(process.env.BENCH_MEMORY_S ?? 600);
const KAFKA_RATE = 7000;
const HTTP_RATE = 500;
const TOPIC = 'bench-memory';

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0; let den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return den ? num / den : 0;
}

export async function memoryBench(say: (m: string) => void, targetUrl: string) {
  const cfg = loadConfig();
  const ctx = sandboxContext(cfg, say);
  const kafkaPart = selectParts(['kafka']);
  const started = !(await sandboxStatus(ctx, kafkaPart)).every((p) => p.healthy);
  if (started) { say('memory: starting the sandbox broker…'); await sandboxUp(ctx, kafkaPart); }
  const broker = `${cfg.sandbox.host}:${cfg.sandbox.ports.kafka}`;
  try {
    const admin = new Kafka({ clientId: 'bench', brokers: [broker], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    if (!(await admin.listTopics()).includes(TOPIC)) await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    say(`memory: ${SECONDS} s of Kafka ${KAFKA_RATE} msg/s + HTTP ${HTTP_RATE} req/s in one process…`);
    // Bundled as the CLI is (bin/cli-build.mjs): the process a user's `harness run` is, without tsx
    // and its compiled sources in memory. Under node_modules, so its packages resolve.
    const outdir = join(projectRoot, 'node_modules', '.cache', 'carbon-harness-bench');
    await build({ entryPoints: [join(projectRoot, 'bench', 'memory-run.ts')], bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', outdir, logLevel: 'silent', plugins: [sourceUrls()] });
    const child = spawn(process.execPath, [join(outdir, 'memory-run.js'), broker, TOPIC, targetUrl, String(SECONDS), String(KAFKA_RATE), String(HTTP_RATE)],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c) => { out += String(c); });
    const [code] = await once(child, 'exit');
    if (code !== 0) throw new Error(`memory run exited ${code}`);
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { wallS: number; rss: Array<[number, number]>; rssAtStart: number; kafka: { rate: number; sent: number; dropped: number; readBack: number | null }; http: { rate: number; dropped: number; failed: number } };
    const mb = r.rss.map(([t, b]) => [t, b / 2 ** 20] as const);
    // The slope over the load itself: after its first minute, before the read-back that follows it.
    const perMinOf = (s: ReadonlyArray<readonly [number, number]>) => (s.length > 10 ? slope(s.map(([t]) => t / 60), s.map(([, v]) => v)) : NaN);
    const perMin = perMinOf(mb.filter(([t]) => t >= 60 && t <= SECONDS));
    // The same over the load's second half: V8 grows and gives back heap in the first minutes (a run's
    // slope from minute 1 moved from +1.6 to -1.8 MiB/min between two runs of the same code), so
    // whether memory still grows is read at the end.
    const lateSlopeMbPerMin = perMinOf(mb.filter(([t]) => t >= SECONDS / 2 && t <= SECONDS));
    const inLoad = mb.filter(([t]) => t <= SECONDS).map(([, v]) => v);
    return { seconds: SECONDS, ...r, peakMb: Math.max(...mb.map(([, v]) => v)), loadPeakMb: Math.max(...inLoad), firstMinutePeakMb: Math.max(...mb.filter(([t]) => t < 60).map(([, v]) => v)), slopeMbPerMin: perMin, lateSlopeMbPerMin, endMb: mb.at(-1)![1] };
  } finally {
    if (started) await sandboxDown(ctx, kafkaPart);
  }
}

export function memoryMarkdown(r: Awaited<ReturnType<typeof memoryBench>>): string {
  const f = (v: number, d = 0) => v.toFixed(d);
  return `## Memory over a long run

One process (\`bench/memory-run.ts\`: the native engine, as \`harness run\` uses it) driving the sandbox broker at
${KAFKA_RATE.toLocaleString('en')} msg/s (100 B, acks=1, 100 per produce call) and the bench's HTTP target at ${HTTP_RATE} req/s, both at once, for
${r.seconds} s (wall ${f(r.wallS)} s, including the Kafka read-back of every message sent). RSS is sampled each second.

| | |
|---|---|
| achieved | Kafka ${f(r.kafka.rate)} msg/s (${r.kafka.sent.toLocaleString('en')} sent, ${r.kafka.dropped} dropped arrivals, ${r.kafka.readBack === null ? 'read-back incomplete' : `${r.kafka.readBack.toLocaleString('en')} read back`}); HTTP ${f(r.http.rate)} req/s (${r.http.dropped} dropped, ${r.http.failed} failed) |
| peak RSS | **${f(r.peakMb)} MiB** over the whole run, read-back included (target < 250 MiB); during the load ${f(r.loadPeakMb)} MiB; first minute ${f(r.firstMinutePeakMb)} MiB; at the end ${f(r.endMb)} MiB; before any load (modules loaded) ${f(r.rssAtStart / 2 ** 20)} MiB |
| RSS slope from minute 1 to the load's end | **${f(r.slopeMbPerMin, 2)} MiB/min** (least squares over the per-second samples against their times) |
| RSS slope over the load's second half | **${f(r.lateSlopeMbPerMin, 2)} MiB/min** (the same fit from ${f(r.seconds / 2)} s to ${r.seconds} s: V8 grows and gives back heap in the first minutes, which moves the slope from minute 1 either way) |

k6 keeps every sample of a trend metric for its end-of-test summary (grafana/k6#763), so its memory grows with the
run's length. The harness keeps HDR histograms instead (the "Memory per latency sample" table). No k6 runs on this
machine, so there is no peer figure here.
`;
}
