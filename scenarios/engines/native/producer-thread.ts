import { parentPort, workerData } from 'node:worker_threads';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { InfraError, firstLine } from '../../../core/errors.ts';
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
// waits on a busy main thread. Measured over the main thread's measured window (measure → report).
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

try {
  await sender.connect();
  say({ type: 'ready' });
} catch (e) {
  say({ type: 'unreachable', error: firstLine(e) });
}

port.on('message', (m: ToThread) => {
  switch (m.type) {
    case 'measure': loop.reset(); loop.enable(); return;
    case 'report': loop.disable(); say({ type: 'loop', loop: loopDelay(loop) }); return;
    case 'close': void sender.close().catch(() => {}).finally(() => port.close()); return;
    case 'send':
      sender.send(m).then(() => say({ type: 'sent', id: m.id }), (e: unknown) =>
        say(e instanceof InfraError ? { type: 'sent', id: m.id, fault: firstLine(e) } : { type: 'sent', id: m.id, error: firstLine(e) }));
  }
});
