/**
 * One of the bench's generator processes run side by side (bench/split.ts): the native engine on
 * the scenario and endpoints it is given, started at an agreed time, its figures on stdout as JSON.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runNative } from '../scenarios/engines/native/index.ts';
import type { Scenario } from '../scenarios/types.ts';
import type { Endpoints } from '../scenarios/endpoints.ts';
import { windowCpuUs } from './window-cpu.ts';

const { scenario, endpoints, startAt, index } = JSON.parse(process.argv[2]!) as { scenario: Scenario; endpoints: Endpoints; startAt: number; index: number };
// A few milliseconds apart: a Kafka target's run id (and its warm-up's, one above it) is the
// millisecond it starts, and each process must read back its own messages only.
await sleep(Math.max(0, startAt + index * 50 - Date.now()));
const r = await runNative(scenario, { endpoints, signal: new AbortController().signal });
const counted = r.metrics.kafka_writer_message_count ?? r.metrics.http_reqs;
const start = Date.parse(r.startedAt);
process.stdout.write(`${JSON.stringify({
  count: counted?.values.count ?? 0,
  // The measured window (the load's clock), not the set-up before it.
  from: start, to: start + r.durationS * 1000,
  dropped: r.metrics.dropped_iterations?.values.count ?? 0,
  failed: (r.metrics.http_req_failed?.values.passes ?? 0) + (r.metrics.kafka_writer_error_count?.values.count ?? 0),
  cpuUs: windowCpuUs(r),
  readBack: r.crossChecks.readBackComplete === 1 ? r.crossChecks.ownMessagesInTopic : null,
})}\n`);
process.exit(0);
