#!/usr/bin/env node
// `npm test` on a fresh clone: install node deps, bring the sandbox up (installing its parts on the
// first run), run every test file against that one shared sandbox, and end with `N passed, N failed`.
// Only Node built-ins here: node_modules may not exist yet.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureNodeModules, root } from './deps.mjs';

const say = (m) => process.stderr.write(`[npm test] ${m}\n`);
const filter = process.argv[2]; // optional: a pattern for test file names, e.g. `npm test -- kafka`

function harness(args) {
  return spawnSync(process.execPath, [join(root, 'bin', 'harness.mjs'), ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] }).status;
}

function finish(passed, failed, why) {
  if (why) say(why);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed > 0 || why ? 1 : 0);
}

if (!ensureNodeModules(say)) finish(0, 1, 'npm ci failed');

// Files that need no sandbox run first, on a machine not yet busy with it: the engine's latency
// accuracy test measures a 20 ms target and must not see the sandbox's CPU load as latency.
const STANDALONE = ['config', 'faults', 'record', 'engine', 'thresholds', 'k6-parse', 'k6-scripts', 'k6-engine', 'report', 'reports-shared', 'cli', 'proc', 'gate-contract'];
const standalone = `^(${STANDALONE.join('|')})\\.test\\.ts$`;
const sandboxed = `^(?!(${STANDALONE.join('|')})\\.test\\.ts$)${filter ? `.*${filter}` : ''}.*\\.test\\.ts$`;
// A hung test must not hang CI: the whole suite has a hard ceiling.
const limitMin = Number(process.env.TEST_TIMEOUT_MIN ?? 60);
const deadline = Date.now() + limitMin * 60_000;

/** Runs uvu over the files matching `pattern`; resolves with its counts. */
function uvu(pattern) {
  const args = [join(root, 'node_modules', 'uvu', 'bin.js'), 'test', pattern];
  if (!process.stdout.isTTY) args.push('--no-color');
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CARBON_HARNESS_TEST: '1' },
  });
  let out = '';
  let lingering;
  child.stdout.on('data', (d) => {
    out += d;
    process.stdout.write(d);
    // uvu prints its summary when the last test ends; a handle a test forgot to close must not hang the run.
    if (!lingering && /Duration:/.test(out)) {
      lingering = setTimeout(() => { say('tests finished but left handles open; ending the test process'); child.kill('SIGKILL'); }, 15_000);
    }
  });
  const timer = setTimeout(() => { say(`test run exceeded ${limitMin} min; killing it`); child.kill('SIGKILL'); }, Math.max(0, deadline - Date.now()));
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    clearTimeout(lingering);
    const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
    const num = (label) => Number((plain.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? NaN);
    const total = num('Total'), passed = num('Passed'), skipped = num('Skipped');
    if (Number.isNaN(total)) {
      // uvu prints no summary when no file matched the pattern.
      resolve(/No test files|found no/i.test(plain) || plain.trim() === '' ? { passed: 0, failed: 0 } : { passed: 0, failed: 1, why: `test runner ended (exit ${code}) without a summary` });
      return;
    }
    const failed = total - passed - (Number.isNaN(skipped) ? 0 : skipped);
    resolve({ passed, failed: code !== 0 && code !== null && failed === 0 ? 1 : failed });
  }));
}

const first = filter && !STANDALONE.some((n) => n.includes(filter)) ? { passed: 0, failed: 0 } : await uvu(filter ? `^(${STANDALONE.filter((n) => n.includes(filter)).join('|')})\\.test\\.ts$` : standalone);

const wasUp = harness(['--quiet', 'sandbox', 'status']) === 0;
if (!wasUp) {
  say('bringing the sandbox up (first run installs Kafka, PostgreSQL, Prometheus, builds Kubernetes; later runs reuse the cache)…');
  const t0 = Date.now();
  if (harness(['sandbox', 'up']) !== 0) finish(first.passed, first.failed + 1, 'sandbox did not come up; see the messages above');
  say(`sandbox up in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
const keep = wasUp || process.env.KEEP_SANDBOX === '1';
const second = await uvu(sandboxed);
if (!keep) {
  say('stopping the sandbox this run started (KEEP_SANDBOX=1 keeps it)…');
  harness(['--quiet', 'sandbox', 'down']);
}
finish(first.passed + second.passed, first.failed + second.failed, first.why ?? second.why);
