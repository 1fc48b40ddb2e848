import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessTable, isAlive, run, startTime } from '../sandbox/proc.ts';

const table = new ProcessTable(mkdtempSync(join(tmpdir(), 'procs-')));

test('a command that exits without reading its input is judged by its exit code, not by the pipe it closed (EPIPE)', async () => {
  // More than a pipe holds, to a child that never reads it: the write fails with EPIPE every time.
  const input = 'x'.repeat(4 << 20);
  for (let i = 0; i < 5; i++) assert.is(await run('sh', ['-c', 'exit 0'], { input }), '');
  await run('sh', ['-c', 'exit 3'], { input }).then(() => assert.unreachable('exit 3 is a failure'), (e: Error) => assert.match(e.message, 'exited 3'));
});

test('a process the table started is recorded with its start time and stopped', async () => {
  const pid = table.spawn('sleeper', 'sleep', ['30']);
  assert.is(readFileSync(table.pidFile('sleeper'), 'utf8').trim(), `${pid} ${startTime(pid)}`);
  assert.ok(table.alive('sleeper'));
  assert.ok(await table.stop('sleeper', 2000));
  assert.not.ok(isAlive(pid));
});

test('a recycled pid (another process, other start time) is never signalled', async () => {
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    // As after a reboot: the pid file names a pid that now belongs to a process we did not start.
    writeFileSync(table.pidFile('stale'), `${other.pid} 1\n`);
    assert.is(table.pid('stale'), null);
    assert.not.ok(table.alive('stale'));
    assert.is(await table.stop('stale', 500), false);
    assert.ok(isAlive(other.pid!), 'the unrelated process survives');
  } finally {
    other.kill('SIGKILL');
  }
});

test.run();
