// `--engine k6` end to end with a TEST STAND-IN for the k6 binary (test/k6-stand-in/k6): no k6 can
// run on the test machine. The stand-in writes k6's output shapes and exits with k6's exit codes;
// these tests prove the harness's process handling, exit-code mapping and file collection.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cli, cfg } from './support.ts';
import { runsDir } from '../core/config.ts';
import { projectRoot } from '../core/paths.ts';
import type { RunRecord } from '../core/record.ts';
import type { ScenarioResult } from '../scenarios/result.ts';

const STAND_IN = join(projectRoot, 'test/k6-stand-in/k6');
const k6 = suite('k6 engine');

function runK6(mode: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const log = join(mkdtempSync(join(tmpdir(), 'k6-stand-in-')), 'call.json');
  const r = cli(['--json', '--quiet', 'run', 'inference-latency', '--engine', 'k6', '--duration', '2s', ...extra],
    { K6_BIN: STAND_IN, K6_STAND_IN_MODE: mode, K6_STAND_IN_LOG: log, ...env });
  const rec = r.stdout.trim() ? JSON.parse(r.stdout) as RunRecord : null;
  const call = existsSync(log) ? JSON.parse(readFileSync(log, 'utf8')) as { argv: string[]; env: Record<string, string> } : null;
  return { ...r, rec, call };
}
const scenarioOf = (rec: RunRecord) => (rec.data.scenarios as ScenarioResult[])[0]!;
const check = (rec: RunRecord, pattern: RegExp) => rec.checks.find((c) => pattern.test(c.id)) ?? assert.unreachable(`no check ${pattern}: ${rec.checks.map((c) => c.id).join(', ')}`) as never;

k6('passing run: k6 gets the generated script, all three outputs are collected and judged, exit 0', () => {
  const { code, rec, call, stderr } = runK6('pass');
  assert.is(code, 0, stderr);
  assert.ok(call, 'the stand-in was run');
  const argv = call!.argv;
  assert.is(argv[0], 'run');
  // The planned scenario, rendered into the run's folder beside a copy of k6/lib: k6 runs what the harness judges.
  const script = argv.at(-1)!;
  assert.is(script, join(runsDir(cfg), rec!.id, 'k6-inference-latency', 'inference-latency.ts'));
  assert.match(readFileSync(script, 'utf8'), '"http_req_duration{scenario:inference-latency}": [\n      "p(95)<100"');
  assert.ok(existsSync(join(dirname(script), 'lib', 'platform.ts')), 'k6/lib beside it');
  assert.ok(argv.includes('--summary-export'));
  assert.ok(argv.some((a) => a.startsWith('json=')), '--out json=');
  assert.ok(argv.includes('--new-machine-readable-summary'), 'k6 1.5 reports the machine-readable shape');
  assert.equal(JSON.parse(call!.env.HARNESS_EXECUTOR!).duration, '2s', '--duration reaches the script as its executor');
  assert.match(call!.env.INFERENCE_API_URL!, /^http:\/\/127\.0\.0\.1:\d+$/);
  const r = scenarioOf(rec!);
  assert.is(r.engine, 'k6');
  assert.is(r.k6!.exitCode, 0);
  // with --new-machine-readable-summary k6 writes the machine-readable shape to handleSummary and --summary-export alike
  for (const k of ['machine-readable-summary', 'ndjson']) assert.ok(k in r.k6!.files, k);
  for (const f of Object.values(r.k6!.files)) assert.ok(existsSync(f), f);
  const p95 = check(rec!, /http_req_duration:p\(95\)/);
  assert.is(p95.status, 'pass');
  assert.ok((p95.observed as number) >= 19 && (p95.observed as number) <= 26, `p95 ${p95.observed} from the raw samples`);
  assert.is(r.metrics.http_reqs!.values.count, 200, '100/s for 2 s');
  assert.is(check(rec!, /k6-verdict-agrees/).status, 'pass');
});

k6('k6 exit 99 (threshold crossed): FAIL, exit 1, the p95 check names its observed value', () => {
  const { code, rec } = runK6('fail');
  assert.is(code, 1);
  assert.is(rec!.status, 'fail');
  const p95 = check(rec!, /http_req_duration:p\(95\)/);
  assert.is(p95.status, 'fail');
  assert.ok((p95.observed as number) > 100);
  assert.is(scenarioOf(rec!).k6!.exitCode, 99);
  assert.is(check(rec!, /k6-verdict-agrees/).status, 'pass', 'k6 and the harness agree it failed');
  assert.match(readFileSync(join(runsDir(cfg), rec!.id, 'junit.xml'), 'utf8'), /p\(95\)&lt;100/);
});

k6('k6 claiming success over failing samples does not pass: the disagreement is a failed check', () => {
  // as k6 1.4, whose summaries carry per-threshold verdicts (the ≥ 1.5 machine-readable summary carries none)
  const { code, rec } = runK6('lie', [], { K6_STAND_IN_VERSION: '1.4.0' });
  assert.is(code, 1);
  assert.is(check(rec!, /http_req_duration:p\(95\)/).status, 'fail');
  const agree = check(rec!, /k6-verdict-agrees/);
  assert.is(agree.status, 'fail');
  assert.match(agree.evidence.what, /k6 says pass, harness says fail/);
});

k6('k6 script error (exit 107): ERROR, exit 3, the message carries k6\'s output', () => {
  const { code, rec, stderr } = runK6('error');
  assert.is(code, 3);
  assert.is(rec!.status, 'error');
  assert.match(stderr + JSON.stringify(rec), /k6 exited with 107/);
  assert.match(stderr + JSON.stringify(rec), /script exception/);
});

k6('truncated NDJSON from k6: a clear error naming the file and line, never a PASS', () => {
  const { code, rec, stderr } = runK6('truncated');
  assert.is(code, 3);
  assert.is(rec!.status, 'error');
  assert.match(stderr + JSON.stringify(rec), /metrics\.ndjson.*line \d+.*truncated/);
});

k6('no k6 installed: exit 2 naming --engine with install pointers; K6_BIN not executable names K6_BIN', () => {
  const r = cli(['run', 'inference-latency', '--engine', 'k6'], { K6_BIN: '', PATH: '/usr/bin:/bin' });
  assert.is(r.code, 2);
  assert.match(r.stderr, /--engine: k6 was not found on PATH/);
  assert.match(r.stderr, /grafana\.com\/docs\/k6/);
  const notExec = join(mkdtempSync(join(tmpdir(), 'k6-')), 'k6');
  writeFileSync(notExec, 'not a program');
  const r2 = cli(['run', 'inference-latency', '--engine', 'k6'], { K6_BIN: notExec });
  assert.is(r2.code, 2);
  assert.match(r2.stderr, /K6_BIN: .* is not an executable file/);
});

k6('Ctrl-C during a k6 run: k6 gets SIGINT, its output is still read, the record says aborted', async () => {
  const child = spawn(process.execPath, [join(projectRoot, 'bin/harness.mjs'), '--json', 'run', 'inference-latency', '--engine', 'k6', '--duration', '2s'],
    { cwd: projectRoot, env: { ...process.env, K6_BIN: STAND_IN, K6_STAND_IN_MODE: 'hang' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const deadline = Date.now() + 20_000;
  while (!/k6: running/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.match(stderr, /k6: running \(/, 'k6 progress is streamed');
  child.kill('SIGINT');
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
  assert.is(code, 3, stderr);
  const rec = JSON.parse(stdout) as RunRecord;
  assert.is(rec.status, 'aborted');
  const r = scenarioOf(rec);
  assert.match(r.aborted ?? '', /interrupted/);
  assert.is(r.k6!.exitCode, 105);
});

k6.run();
