/**
 * The gate's own Kafka scenario at its seed rate: `harness gate --only kafka-throughput` five times
 * on the whole sandbox (its price feed and consumers sharing the cores), each run's rate, drops and
 * the generator's judgement of itself read from the record it wrote.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import { loadConfig } from '../core/config.ts';
import { sandboxContext, sandboxDown, sandboxStatus, sandboxUp, selectParts } from '../sandbox/index.ts';
import type { RunRecord } from '../core/record.ts';
import type { ScenarioResult } from '../scenarios/result.ts';
import { durationMs } from '../scenarios/verdict.ts';
import { GENERATOR_BOUND_MS } from '../scenarios/engines/native/index.ts';

const RUNS = Number(process.env.BENCH_GATE_RUNS ?? 5);

export interface GateRow { status: string; exit: number | null; offered: number; rate: number; dropped: number; lateP99Ms: number; loopP99Ms: number; cpuPct: number; saturated: boolean; notPassing: string[] }

export async function gateBench(say: (m: string) => void): Promise<GateRow[]> {
  const ctx = sandboxContext(loadConfig(), say);
  // Left as found: only the parts the bench starts are stopped again.
  const down = (await sandboxStatus(ctx)).filter((p) => !p.healthy).map((p) => p.name);
  const started = down.length ? selectParts(down) : [];
  if (started.length) { say(`gate: starting ${down.join(', ')}…`); await sandboxUp(ctx, started); }
  const dir = mkdtempSync(join(tmpdir(), 'bench-gate-'));
  const rows: GateRow[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      say(`gate: harness gate --only kafka-throughput, run ${i + 1}/${RUNS}…`);
      const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), '--json', '-q', 'gate', '--only', 'kafka-throughput'],
        { encoding: 'utf8', env: { ...process.env, CARBON_HARNESS_RUNS: join(dir, 'runs') }, maxBuffer: 64 * 2 ** 20 });
      let rec: RunRecord;
      try { rec = JSON.parse(r.stdout) as RunRecord; } catch { throw new Error(`gate run ${i + 1} printed no record (exit ${r.status}): ${r.stderr.slice(-500)}`); }
      const s = ((rec.data.scenarios ?? []) as ScenarioResult[])[0];
      if (!s) throw new Error(`gate run ${i + 1} recorded no scenario (exit ${r.status}, ${rec.status}): ${rec.error ?? ''}`);
      const ex = s.executor as { rate?: number; timeUnit?: string };
      const batch = (rec.data.plan as { scenarios?: Array<{ target: { batchSize?: number } }> } | undefined)?.scenarios?.[0]?.target.batchSize ?? 1;
      rows.push({
        status: rec.status, exit: r.status, offered: ((ex.rate ?? 0) * batch) / (durationMs(ex.timeUnit ?? '1s') / 1000),
        rate: s.metrics.kafka_writer_message_count?.values.rate ?? 0, dropped: s.metrics.dropped_iterations?.values.count ?? 0,
        // A run whose generator did not judge itself is not counted as holding the rate.
        lateP99Ms: s.generator?.lateP99Ms ?? NaN, loopP99Ms: s.generator?.loopP99Ms ?? NaN, cpuPct: s.generator?.cpuPct ?? NaN, saturated: s.generator?.saturated ?? true,
        notPassing: rec.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.status}`),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (started.length) await sandboxDown(ctx, started);
  }
  return rows;
}

export function gateMarkdown(rows: GateRow[]): string {
  const held = rows.filter((r) => r.status === 'pass' && r.dropped === 0);
  const onSchedule = held.filter((r) => !r.saturated).length;
  const f = (v: number) => Math.round(v).toLocaleString('en-US');
  return `## The gate's Kafka scenario at the seed's rate

\`harness gate --only kafka-throughput\` ${rows.length} times in a row on the whole sandbox (its price feed, consumers and
services running on the same 2 cores), each read from the record it wrote. The generator judges itself: arrivals late
or an event loop delayed past its bound (p99) beside a failing timing check would make the run "load generator
saturated" (exit 3); past its bound with every check passing, the run passes (lateness counts only against the platform).

| run | offered msg/s | achieved msg/s | dropped arrivals | lateness p99 ms | event-loop delay p99 ms | generator CPU | status (exit) |
|---|---|---|---|---|---|---|---|
${rows.map((r, i) => `| ${i + 1} | ${f(r.offered)} | ${f(r.rate)} | ${r.dropped} | ${r.lateP99Ms} | ${r.loopP99Ms} | ${r.cpuPct} % | ${r.status} (${r.exit})${r.notPassing.length ? `: ${r.notPassing.join(', ')}` : ''} |`).join('\n')}

**${held.length} of ${rows.length}** held the offered rate with 0 dropped arrivals and every check passing; ${onSchedule} of ${held.length} also with the
generator within its bound (lateness and event-loop delay p99 ≤ ${GENERATOR_BOUND_MS} ms).
`;
}
