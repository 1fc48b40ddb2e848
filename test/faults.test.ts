import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseFaultArgs, writeFaults, readFaults, FaultWatcher } from '../sandbox/faults.ts';
import { UsageError } from '../core/errors.ts';

function fieldOf(args: string[]): string {
  try { parseFaultArgs(args); } catch (e) { assert.instance(e, UsageError); return (e as UsageError).field; }
  assert.unreachable('expected UsageError');
  return '';
}

test('valid knobs parse to numbers', () => {
  assert.equal(parseFaultArgs(['inference-latency-ms=150', 'consumer-drop-rate=0.05']), { 'inference-latency-ms': 150, 'consumer-drop-rate': 0.05 });
});

test('unknown knob, out-of-range value, non-number and missing = are named', () => {
  assert.is(fieldOf(['inference-speed=1']), 'inference-speed');
  assert.is(fieldOf(['inference-error-rate=1.5']), 'inference-error-rate');
  assert.is(fieldOf(['consumer-delay-ms=-1']), 'consumer-delay-ms');
  assert.is(fieldOf(['inference-latency-ms=fast']), 'inference-latency-ms');
  assert.is(fieldOf(['inference-latency-ms=']), 'inference-latency-ms');
  assert.is(fieldOf(['inference-latency-ms']), 'inference-latency-ms');
});

test('a watcher sees a knob change without restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'faults-'));
  const w = new FaultWatcher(dir, 20);
  assert.is(w.get('consumer-delay-ms'), 0);
  writeFaults(dir, { 'consumer-delay-ms': 40 });
  await sleep(100);
  assert.is(w.get('consumer-delay-ms'), 40);
  writeFaults(dir, {});
  await sleep(100);
  assert.is(w.get('consumer-delay-ms'), 0);
  assert.equal(readFaults(dir), {});
  w.stop();
});

test.run();
