#!/usr/bin/env node
// `npm test` on a fresh clone: install node deps, bring the sandbox up (installing its parts on the
// first run), run every test file against that one shared sandbox, and end with `N passed, N failed`.
// Only Node built-ins here: node_modules may not exist yet.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNodeModules, root } from './deps.mjs';
import { runFiles } from './uvu-files.mjs';

const say = (m) => process.stderr.write(`[npm test] ${m}\n`);
const filter = process.argv[2]; // optional: a pattern for test file names, e.g. `npm test -- kafka`

// Tests write their records to a runs folder of their own, never the user's.
const testEnv = { CARBON_HARNESS_TEST: '1', CARBON_HARNESS_RUNS: process.env.CARBON_HARNESS_RUNS ?? join(root, 'test-output', 'runs') };
// The whole suite: the replay test (run last) re-judges the records written since now, and requires
// every check id of docs/checks.md judged from evidence among them.
if (!filter) testEnv.CARBON_HARNESS_SUITE_T0 = new Date().toISOString();

function harness(args) {
  return spawnSync(process.execPath, [join(root, 'bin', 'harness.mjs'), ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...testEnv } }).status;
}

function finish(passed, failed, why) {
  if (why) say(why);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed > 0 || why ? 1 : 0);
}

if (!ensureNodeModules(say)) finish(0, 1, 'npm ci failed');

// Files that need no sandbox run first, on a machine not yet busy with it: the engine's latency
// accuracy test measures a 20 ms target and must not see the sandbox's CPU load as latency.
const STANDALONE = ['daily-judge', 'config', 'scenarios', 'structure', 'bad-input', 'baseline', 'faults', 'record', 'engine', 'thresholds', 'k6-parse', 'k6-scripts', 'k6-engine', 'report', 'reports-shared', 'cli', 'proc', 'gate-contract', 'runner', 'drill-judge', 'kafka-writer', 'profile', 'notify', 'security-judge'];
const testDir = join(root, 'test');
// Runs after every other file, on the records they wrote (it needs no sandbox).
const FINAL = ['replay'];
const isFinal = (f) => FINAL.includes(f.replace(/\.test\.ts$/, ''));
const matching = readdirSync(testDir).filter((f) => f.endsWith('.test.ts')).sort()
  .filter((f) => !filter || f.includes(filter));
const all = matching.filter((f) => !isFinal(f));
const finals = matching.filter(isFinal).map((f) => join('test', f));
const isStandalone = (f) => STANDALONE.includes(f.replace(/\.test\.ts$/, ''));
// Files that bring up a sandbox shape of their own (other ports and names; test/shapes/<name>.yaml):
// they run last, after the shared sandbox is stopped when this run started it (a sandbox that was
// already up, or KEEP_SANDBOX=1, keeps running beside them and competes for the cores).
const SHAPES = ['secure-shape'];
const isShape = (f) => SHAPES.includes(f.replace(/\.test\.ts$/, ''));
// A hung test must not hang CI: the whole suite has a hard ceiling.
const limitMin = Number(process.env.TEST_TIMEOUT_MIN ?? 60);
const opts = { cwd: root, deadline: Date.now() + limitMin * 60_000, say, env: testEnv };
if (filter && !matching.length) finish(0, 1, `no test file matches "${filter}"`);

// Two at a time (2 cores, and most of these wait on start-up and I/O), except the files that time
// things themselves (the engine's latency accuracy and its generator's self-judgement, k6's signals)
// and cli, which changes a source's mtime to see the CLI bundle rebuilt: others would rebuild it too.
const ALONE = ['engine', 'k6-engine', 'cli'];
const isAlone = (f) => ALONE.includes(f.replace(/\.test\.ts$/, ''));
const timed = await runFiles(all.filter((f) => isStandalone(f) && isAlone(f)).map((f) => join('test', f)), opts);
const paired = await runFiles(all.filter((f) => isStandalone(f) && !isAlone(f)).map((f) => join('test', f)), { ...opts, concurrency: 2 });
const first = { passed: timed.passed + paired.passed, failed: timed.failed + paired.failed, problems: [...timed.problems, ...paired.problems] };
// The files that crash parts of the shared sandbox (a broker, the API server, PostgreSQL) run after
// the others: a platform just restarted is slow for a while (a JVM compiling again, cold caches),
// and the timing checks of the next file would measure that instead of their fault.
const DESTRUCTIVE = ['faults-mid-run'];
const isDestructive = (f) => DESTRUCTIVE.includes(f.replace(/\.test\.ts$/, ''));
const sandboxed = all.filter((f) => !isStandalone(f) && !isShape(f)).sort((a, b) => Number(isDestructive(a)) - Number(isDestructive(b))).map((f) => join('test', f));
const shaped = all.filter(isShape).map((f) => join('test', f));
const shapes = async (before) => {
  if (!shaped.length) return before;
  const r = await runFiles(shaped, opts);
  // However a shape's file ended (timed out, killed), its sandbox does not outlive the run.
  for (const f of shaped) {
    const cfg = join(root, 'test', 'shapes', `${f.replace(/^test\//, '').replace(/-shape\.test\.ts$/, '')}.yaml`);
    harness(['--quiet', '-c', cfg, 'sandbox', 'down']);
  }
  return { passed: before.passed + r.passed, failed: before.failed + r.failed, problems: [...before.problems, ...r.problems] };
};
const last = async (before) => {
  if (!finals.length) return before;
  const r = await runFiles(finals, opts);
  return { passed: before.passed + r.passed, failed: before.failed + r.failed, problems: [...before.problems, ...r.problems] };
};
if (!sandboxed.length) {
  const r = await last(await shapes(first));
  finish(r.passed, r.failed, report(r.problems));
}

const wasUp = harness(['--quiet', 'sandbox', 'status']) === 0;
if (!wasUp) {
  say('bringing the sandbox up (first run installs Kafka, PostgreSQL, Prometheus, builds Kubernetes; later runs reuse the cache)…');
  const t0 = Date.now();
  if (harness(['sandbox', 'up']) !== 0) finish(first.passed, first.failed + 1, 'sandbox did not come up; see the messages above');
  say(`sandbox up in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
const keep = wasUp || process.env.KEEP_SANDBOX === '1';
const second = await runFiles(sandboxed, opts);
if (!keep) {
  say('stopping the sandbox this run started (KEEP_SANDBOX=1 keeps it)…');
  harness(['--quiet', 'sandbox', 'down']);
}
const all2 = await last(await shapes({ passed: first.passed + second.passed, failed: first.failed + second.failed, problems: [...first.problems, ...second.problems] }));
finish(all2.passed, all2.failed, report(all2.problems));

function report(problems) {
  return problems.length ? `failing files:\n  ${problems.join('\n  ')}` : undefined;
}
