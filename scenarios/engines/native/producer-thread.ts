import { parentPort, workerData } from 'node:worker_threads';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { firstLine } from '../../../core/errors.ts';
import type { FromThread, SenderConfig, ToThread } from './kafka-senders.ts';
import { inlineSender } from './kafka-senders.ts';
import { LOOP_RESOLUTION_MS, loopDelay } from './loop-delay.ts';

// One producer thread: its own client renders and sends the batches the main thread assigns it and
// answers each with sent (or the broker's refusal). The clock, the VUs and every metric stay on the
// main thread; an error thrown here ends the thread, which the main thread counts as the generator's fault.
const port = parentPort!;
const sender = inlineSender(workerData as SenderConfig);
const say = (m: FromThread) => port.postMessage(m);
// This thread's own lateness: a batch waits in its queue while the thread is busy, as an arrival
// waits on a busy main thread. Reported at close, judged with the main thread's.
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

try {
  await sender.connect();
  loop.enable();
  say({ type: 'ready' });
} catch (e) {
  say({ type: 'unreachable', error: firstLine(e) });
}

port.on('message', (m: ToThread) => {
  if (m.type === 'close') {
    loop.disable();
    void sender.close().catch(() => {}).finally(() => { say({ type: 'closed', loop: loopDelay(loop) }); port.close(); });
    return;
  }
  sender.send(m).then(() => say({ type: 'sent', id: m.id }), (e: unknown) => say({ type: 'sent', id: m.id, error: firstLine(e) }));
});
