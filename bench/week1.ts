/**
 * `report week1` over a synthetic week: 7 days × (one daily check, 70 gates, one drill) = 504 run
 * records, written by the harness's own RunRecorder with the shapes the commands write (load checks
 * tagged with their SLOs, per-second timelines, HDR histograms of every latency), timed end to end
 * as an operator runs it: `harness report week1 --from DIR`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import { RunRecorder, type Check } from '../core/record.ts';
import { TrendSink } from '../scenarios/metrics.ts';

const DAYS = 7;
const GATES_PER_DAY = 70;
const SINCE = Date.parse('2026-11-16T00:00:00Z');

/** A deterministic stream of numbers in [0, 1): the same week each run. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

const check = (id: string, observed: number, unit: string, slo: string[] = []): Check => ({
  id, title: id, target: '', observed, unit, status: 'pass', evidence: { what: 'synthetic week (bench)', how: 'bench/week1.ts', where: 'bench', ...(slo.length ? { slo } : {}) },
});

function latencies(rand: () => number, n: number, medianMs: number): TrendSink {
  const t = new TrendSink();
  // Log-normal-ish: most near the median, a tail to ~5×.
  for (let i = 0; i < n; i++) t.add(medianMs * Math.exp((rand() + rand() + rand() - 1.5) * 0.9));
  return t;
}

function scenarioResult(name: string, startedAt: Date, h: Record<string, TrendSink>, rand: () => number) {
  return {
    scenario: name, engine: 'native', startedAt: startedAt.toISOString(), endedAt: new Date(startedAt.getTime() + 30_000).toISOString(),
    durationS: 30, where: 'bench', thresholds: [], metrics: {}, crossChecks: {}, aborted: null,
    timeline: Array.from({ length: 30 }, (_, k) => ({ t: k + 1, iterations: 100, failed: rand() < 0.01 ? 1 : 0, p95: 10 + rand() * 10 })),
    histograms: Object.fromEntries(Object.entries(h).map(([m, t]) => [m, t.encode()])),
  };
}

export function writeSyntheticWeek(dir: string): number {
  const rand = rng(7);
  let n = 0;
  for (let d = 0; d < DAYS; d++) {
    const day = SINCE + d * 86_400_000;
    const at = (ms: number) => new Date(day + ms);
    const daily = new RunRecorder(dir, 'check-daily', 'sandbox', ['bench']);
    daily.record.startedAt = at(8 * 3_600_000).toISOString();
    for (const c of [check('daily.platform-health', 100, 'percent'), check('daily.uptime', 99.9 + rand() * 0.1, 'percent'), check('daily.critical-alerts', 0, 'count'),
      check('daily.workflow-success', 99 + rand(), 'percent'), check('daily.error-rate', rand() * 0.0005, 'ratio'), check('daily.inference.latency-p95', 30 + rand() * 20, 'ms')]) daily.addCheck(c);
    daily.finish(); n++;
    for (let g = 0; g < GATES_PER_DAY; g++) {
      const started = at(9 * 3_600_000 + g * 600_000);
      const inference = latencies(rand, 3000, 12);
      const query = latencies(rand, 1500, 4);
      const e2e = latencies(rand, 30_000, 80);
      const gate = new RunRecorder(dir, 'gate', 'sandbox', ['bench']);
      gate.record.startedAt = started.toISOString();
      gate.setData('suite', 'deploy');
      gate.setData('scenarios', [
        scenarioResult('inference-latency', started, { http_req_duration: inference }, rand),
        scenarioResult('feature-store-query', started, { feature_store_query_duration: query }, rand),
        scenarioResult('consumer-lag', started, { kafka_e2e_latency: e2e }, rand),
        scenarioResult('kafka-throughput', started, {}, rand),
      ]);
      for (const c of [
        check('inference-latency:http_req_duration:p(95)<100', inference.percentile(95)!, 'ms', ['response-time-p95', 'error-rate', 'ml-inference-latency']),
        check('inference-latency:http_req_failed:rate<0.001', 0, 'ratio', ['response-time-p95', 'error-rate', 'ml-inference-latency']),
        check('feature-store-query:feature_store_query_duration:p(95)<50', query.percentile(95)!, 'ms', ['feature-store-query']),
        check('consumer-lag:kafka_e2e_latency:p(95)<5000', e2e.percentile(95)!, 'ms', ['consumer-lag']),
        check('kafka-throughput:kafka_writer_message_count:rate>=7000', 7400 + rand() * 200, '/s', ['kafka-throughput']),
      ]) gate.addCheck(c);
      gate.finish(); n++;
    }
    const drill = new RunRecorder(dir, 'drill', 'sandbox', ['bench']);
    drill.record.startedAt = at(14 * 3_600_000).toISOString();
    drill.setData('recoverySloS', 30);
    drill.setData('timeline', [{ event: 'kill', atMs: 0 }, { event: 'replacement created', atMs: 300 }, { event: 'Ready', atMs: 6000 + rand() * 2000 }, { event: 'replicas restored', atMs: 8200 }]);
    drill.addCheck(check('drill.recovery', 6 + rand() * 2, 's'));
    drill.finish(); n++;
  }
  return n;
}

export function week1Bench(say: (m: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-week1-'));
  try {
    say(`week-1 report: writing a synthetic week of ${DAYS * (GATES_PER_DAY + 2)} run records…`);
    const records = writeSyntheticWeek(join(dir, 'records'));
    const times: number[] = [];
    let rows = '';
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), '--json', '-q', 'report', 'week1', '--from', join(dir, 'records'),
        '--since', new Date(SINCE).toISOString(), '--until', new Date(SINCE + DAYS * 86_400_000).toISOString(), '--out', join(dir, 'out')],
      { encoding: 'utf8', env: { ...process.env, CARBON_HARNESS_RUNS: join(dir, 'runs') }, maxBuffer: 64 * 2 ** 20 });
      times.push(performance.now() - t);
      // The table must have read the week: every record used, the p95 row merged from histograms.
      const rec = JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; evidence: { how: string } }>; data: { week1: { records: { used: number } } } };
      if (rec.data.week1.records.used !== records) throw new Error(`week1 used ${rec.data.week1.records.used} of ${records} records`);
      rows = rec.checks.map((c) => `${c.id}=${c.status}`).join(', ');
    }
    return { records, times, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function week1Markdown(r: ReturnType<typeof week1Bench>): string {
  const f = (v: number) => (v / 1000).toFixed(2);
  return `## Report speed (week-1 table over a synthetic week)

${r.records} run records (7 days × one daily check, 70 gates of four scenarios with their HDR histograms and
per-second timelines, one drill), written by the harness's own recorder (\`bench/week1.ts\`). Timed from spawning
\`harness report week1 --from DIR\` to its exit, Markdown, HTML and JSON written: ${r.times.map(f).join(' s, ')} s
(target < 2 s; no peer tool makes this table). Rows: ${r.rows}.
`;
}
