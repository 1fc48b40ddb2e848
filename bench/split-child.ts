/**
 * One of the bench's generator processes run side by side (bench/split.ts): the native engine on
 * the scenario and endpoints it is given, started at an agreed time, its figures on stdout as JSON.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runNative } from '../scenarios/engines/native/index.ts';
import type { Scenario } from '../scenarios/types.ts';
import type { Endpoints } from '../scenarios/endpoints.ts';

const { scenario, endpoints, startAt } = JSON.parse(process.argv[2]!) as { scenario: Scenario; endpoints: Endpoints; startAt: number };
await sleep(Math.max(0, startAt - Date.now()));
const cpu0 = process.cpuUsage();
const r = await runNative(scenario, { endpoints, signal: new AbortController().signal });
const cpu = process.cpuUsage(cpu0);
const counted = r.metrics.kafka_writer_message_count ?? r.metrics.http_reqs;
process.stdout.write(`${JSON.stringify({
  rate: counted?.values.rate ?? 0, count: counted?.values.count ?? 0,
  dropped: r.metrics.dropped_iterations?.values.count ?? 0, cpuUs: cpu.user + cpu.system,
  readBack: r.crossChecks.readBackComplete === 1 ? r.crossChecks.ownMessagesInTopic : null,
})}\n`);
process.exit(0);
