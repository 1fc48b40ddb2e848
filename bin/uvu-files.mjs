// Runs uvu test files one process each and counts them so that the closing line cannot lie: a file
// that throws at import, exits without uvu's summary, dies on a signal or runs no test at all is a
// failure of its own, and the other files still run. Only Node built-ins: node_modules may not exist yet.
import { spawn } from 'node:child_process';

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Reads uvu's closing summary (`Total:`, `Passed:`, `Skipped:`) from one file's output and decides
 * what the file counts for. `code` is the exit code, `signal` the signal that ended it (or null).
 */
export function countFile(output, code, signal) {
  const plain = output.replace(ANSI, '');
  // The last summary: a test may print lines of its own that look like one before it.
  const num = (label) => {
    const all = [...plain.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)\\s*$`, 'gm'))];
    return all.length ? Number(all.at(-1)[1]) : NaN;
  };
  const total = num('Total'), passed = num('Passed'), skipped = num('Skipped');
  const ended = signal ? `killed by ${signal}` : `exit ${code}`;
  if (Number.isNaN(total) || Number.isNaN(passed)) return { passed: 0, failed: 1, skipped: 0, why: `no test summary (${ended}): it threw before its tests ran, or died` };
  if (total === 0) return { passed: 0, failed: 1, skipped: 0, why: 'ran no test' };
  const skip = Number.isNaN(skipped) ? 0 : skipped;
  // uvu's Total counts the tests that ran; skipped ones are counted apart.
  const failed = Math.max(0, total - passed);
  // A summary that counts no failure while the process failed (an error after the summary, a signal) is one failure.
  if (failed === 0 && (code !== 0 || signal)) return { passed, failed: 1, skipped: skip, why: `every test passed but the process ended badly (${ended})` };
  return { passed, failed, skipped: skip, why: failed ? `${failed} test(s) failed` : null };
}

/**
 * Runs one test file as `node --import tsx FILE`; uvu prints its summary when the file's suites end.
 * `lingerMs`: a file that printed its summary but keeps handles open is ended after this long (not a failure).
 * `deadline`: epoch ms after which the file is killed (a failure).
 */
export function runFile(file, { cwd, env = {}, deadline = Infinity, lingerMs = 15_000, write = (d) => process.stdout.write(d), writeErr = (d) => process.stderr.write(d), say = () => {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    });
    let out = '';
    let lingering = null;
    let lingered = false;
    let timedOut = false;
    const onData = (d) => {
      out += d;
      write(d);
      if (!lingering && /^\s*Duration:/m.test(out.replace(ANSI, ''))) {
        lingering = setTimeout(() => { lingered = true; say(`${file}: finished but left handles open; ending it`); child.kill('SIGKILL'); }, lingerMs);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => writeErr(d));
    const timer = setTimeout(() => { timedOut = true; say(`${file}: over the suite's time limit; killing it`); child.kill('SIGKILL'); }, Math.max(0, Math.min(deadline - Date.now(), 2 ** 31 - 1)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(lingering);
      let r = lingered ? countFile(out, 0, null) : countFile(out, code, signal);
      if (timedOut) r = { passed: r.passed, failed: Math.max(1, r.failed), skipped: r.skipped, why: 'killed at the time limit' };
      resolve({ file, ...r });
    });
  });
}

/**
 * Runs `files`, `concurrency` at a time (default one after another); returns the totals and one
 * line per file that failed. Side by side, each file's output is held and written whole when it
 * ends, so the log reads file by file.
 */
export async function runFiles(files, opts = {}) {
  const totals = { passed: 0, failed: 0, skipped: 0, problems: [] };
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const queue = [...files];
  const one = async (f) => {
    const t0 = Date.now();
    const held = [];
    const own = concurrency === 1 ? opts : {
      ...opts,
      write: (d) => held.push(['out', d]),
      writeErr: (d) => held.push(['err', d]),
    };
    const r = await runFile(f, own);
    for (const [k, d] of held) (k === 'out' ? (opts.write ?? ((x) => process.stdout.write(x))) : (opts.writeErr ?? ((x) => process.stderr.write(x))))(d);
    // Wall time per file (uvu's own Duration leaves out start-up and module loading): where the suite's time goes.
    opts.say?.(`${f}: ${r.passed} passed, ${r.failed} failed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    totals.passed += r.passed;
    totals.failed += r.failed;
    totals.skipped += r.skipped;
    if (r.failed) totals.problems.push(`${f}: ${r.why}`);
  };
  const worker = async () => { while (queue.length) await one(queue.shift()); };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return totals;
}
