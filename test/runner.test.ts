/**
 * `npm test`'s own counting (bin/uvu-files.mjs): the closing `N passed, N failed` line must not lie.
 * Deliberately broken test files, each run as `npm test` runs a file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
// @ts-expect-error: a plain .mjs module (bin/ has only Node built-ins), typed loosely here
import { countFile, runFiles } from '../bin/uvu-files.mjs';

// Inside the checkout, so the files resolve uvu and tsx from its node_modules.
const dir = mkdtempSync(join(projectRoot, 'test-output', 'runner-'));
const file = (name: string, body: string) => { writeFileSync(join(dir, name), body); return join(dir, name); };
const HEAD = `import { test } from 'uvu';\nimport * as assert from 'uvu/assert';\n`;

const good = file('good.test.ts', `${HEAD}test('one', () => assert.ok(true));\ntest('two', () => assert.ok(true));\ntest.run();\n`);
const failing = file('failing.test.ts', `${HEAD}test('ok', () => assert.ok(true));\ntest('bad', () => assert.ok(false));\ntest.run();\n`);
const throwsAtImport = file('throws.test.ts', `${HEAD}throw new Error('broken at import');\n`);
const exitsEarly = file('exits.test.ts', `${HEAD}test('never reported', () => assert.ok(true));\nprocess.exit(0);\n`);
const crashes = file('crashes.test.ts', `${HEAD}test('ok', () => assert.ok(true));\ntest.run();\nsetTimeout(() => process.kill(process.pid, 'SIGKILL'), 0);\n`);
const noTests = file('empty.test.ts', `${HEAD}test.run();\n`);
const noRun = file('norun.test.ts', `${HEAD}test('registered but never run', () => assert.ok(true));\n`);

const quiet = { cwd: projectRoot, write: () => {}, writeErr: () => {}, lingerMs: 2000 };

test('a healthy file counts its tests; a failing one counts its failures', async () => {
  const r = await runFiles([good, failing], quiet);
  assert.equal([r.passed, r.failed], [3, 1]);
  assert.equal(r.problems, [`${failing}: 1 test(s) failed`]);
});

test('a file that throws at import, exits before its summary, dies on a signal, runs no test or never calls run() is a failure, and the others still run', async () => {
  const r = await runFiles([throwsAtImport, good, exitsEarly, crashes, noTests, noRun], quiet);
  assert.is(r.passed, 2 + 1, 'the good file and the test before the crash');
  assert.is(r.failed, 5, r.problems.join('\n'));
  const why = (f: string) => r.problems.find((p: string) => p.startsWith(f)) ?? '';
  assert.match(why(throwsAtImport), 'no test summary');
  assert.match(why(exitsEarly), 'no test summary');
  assert.match(why(crashes), 'SIGKILL');
  assert.match(why(noTests), 'ran no test');
  assert.match(why(noRun), 'no test summary');
});

test('two at a time: the same totals, the files run side by side, and each one\'s output is written whole, never interleaved', async () => {
  // Each file waits for the other to have started: only side by side can both pass.
  const started = (n: string) => join(dir, `${n}.started`);
  const slow = (name: string, other: string) => file(`${name}.test.ts`, `${HEAD}import { existsSync, writeFileSync } from 'node:fs';
test('${name}', async () => {
  console.log('${name}-start');
  writeFileSync(${JSON.stringify(started(name))}, '');
  const until = Date.now() + 8000;
  while (!existsSync(${JSON.stringify(started(other))}) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(${JSON.stringify(started(other))}), '${other} runs beside me');
  await new Promise((r) => setTimeout(r, 300));
  console.log('${name}-end');
});
test.run();
`);
  const [a, b] = [slow('slow-a', 'slow-b'), slow('slow-b', 'slow-a')];
  const out: string[] = [];
  const r = await runFiles([a, b, failing], { ...quiet, write: (d: string) => out.push(String(d)), concurrency: 2 });
  assert.equal([r.passed, r.failed], [3, 1], r.problems.join('\n'));
  const text = out.join('');
  for (const [n, other] of [['slow-a', 'slow-b'], ['slow-b', 'slow-a']]) {
    const [s0, s1] = [text.indexOf(`${n}-start`), text.indexOf(`${n}-end`)];
    assert.ok(s0 >= 0 && s1 > s0, text);
    assert.not.ok(text.slice(s0, s1).includes(other!), `${n}'s output is interrupted by ${other}'s:\n${text}`);
  }
});

test('the summary reader: missing summary, zero tests and a bad exit after a clean summary are failures', () => {
  const summary = (total: number, passed: number) => `  Total:     ${total}\n  Passed:    ${passed}\n  Skipped:   0\n  Duration:  1.00ms\n`;
  assert.equal(countFile(summary(4, 4), 0, null), { passed: 4, failed: 0, skipped: 0, why: null });
  assert.is(countFile(summary(4, 3), 1, null).failed, 1);
  assert.is(countFile('', null, 'SIGKILL').failed, 1, 'no output at all is not "no tests matched"');
  assert.is(countFile('Error: found no ConsumerGroup', 1, null).failed, 1);
  assert.is(countFile(summary(0, 0), 0, null).failed, 1);
  assert.is(countFile(summary(4, 4), 1, null).failed, 1);
  assert.is(countFile(`\x1b[2m${summary(2, 2)}\x1b[0m`, 0, null).passed, 2);
  // uvu's Total leaves skipped tests out: skips never cancel failures.
  assert.equal(countFile('  Total:     5\n  Passed:    5\n  Skipped:   2\n  Duration:  1ms\n', 0, null), { passed: 5, failed: 0, skipped: 2, why: null });
  assert.is(countFile('  Total:     5\n  Passed:    3\n  Skipped:   2\n  Duration:  1ms\n', 1, null).failed, 2);
  // A line of a test's own that looks like a summary does not count: the last summary does.
  assert.is(countFile(`Total: 9\n${summary(4, 3)}`, 1, null).failed, 1);
});

test.run();
