import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxProfile } from '../sandbox/profile.ts';
import { parseConfig } from '../core/config.ts';
import { K6_DIR, renderScript, staleScripts, writeScripts } from '../scenarios/engines/k6/script.ts';
import { scenarioCatalog } from '../scenarios/catalog.ts';
import { makePrice } from '../platform/reference-messages.ts';
import { projectRoot } from '../core/paths.ts';

const defaults = sandboxProfile(parseConfig({}));
const SCENARIOS = scenarioCatalog(defaults, {}).scenarios;

test('the committed k6 scripts are what the scenario definitions render today', () => {
  assert.equal(staleScripts(defaults), [], 'run `node bin/harness.mjs k6 generate` and commit k6/');
});

test('a stale or missing script is detected, and generate rewrites only what changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k6-scripts-'));
  cpSync(K6_DIR, dir, { recursive: true });
  assert.equal(staleScripts(defaults, dir), []);
  writeFileSync(join(dir, 'inference-latency.ts'), readFileSync(join(dir, 'inference-latency.ts'), 'utf8').replace('p(95)<100', 'p(95)<200'));
  assert.equal(staleScripts(defaults, dir), ['inference-latency.ts']);
  assert.equal(writeScripts(defaults, dir), ['inference-latency.ts']);
  assert.equal(staleScripts(defaults, dir), []);
});

test('every script type-checks against @types/k6 and the extensions\' declared APIs', () => {
  const r = spawnSync(process.execPath, [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', join(K6_DIR, 'tsconfig.json')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test('the type check fails on a script that misuses the k6 API (the check can fail)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k6-types-'));
  cpSync(K6_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), readFileSync(join(K6_DIR, 'tsconfig.json'), 'utf8').replace('"../node_modules/@types"', JSON.stringify(join(projectRoot, 'node_modules/@types'))));
  writeFileSync(join(dir, 'broken.ts'), "import http from 'k6/http';\nexport default function (): void { http.get(42); }\n");
  const r = spawnSync(process.execPath, [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  assert.is.not(r.status, 0);
  assert.match(r.stdout, /broken\.ts/);
});

const between = (text: string, start: string, end: string): string => {
  const i = text.indexOf(start);
  assert.ok(i >= 0, `missing ${start}`);
  const j = text.indexOf(end, i + start.length);
  return text.slice(i + start.length, j);
};

for (const s of Object.values(SCENARIOS)) {
  test(`${s.name}: executor, thresholds and scenario name carry over one to one`, () => {
    const text = renderScript(s);
    assert.equal(JSON.parse(between(text, 'const definition: ArrivalExecutor = ', ';\n')), s.executor);
    const thresholds = JSON.parse(between(text, '  thresholds: ', ',\n  summaryTrendStats'));
    assert.equal(thresholds, s.thresholds);
    assert.ok(text.includes(`'${s.name}': { ...executor, exec: 'iteration'`));
    for (const key of Object.keys(s.thresholds)) assert.ok(key.includes(`scenario:${s.name}`), `${key} is scoped to its scenario`);
  });
}

test('scenario tags and a ramping executor carry over too, and the script type-checks', () => {
  const s = {
    ...SCENARIOS['inference-latency']!, name: 'ramp-probe', tags: { team: 'ml', slo: 'response-time-p95' },
    executor: { executor: 'ramping-arrival-rate' as const, startRate: 10, timeUnit: '1s', stages: [{ target: 50, duration: '10s' }, { target: 0, duration: '5s' }], preAllocatedVUs: 5, maxVUs: 20 },
    thresholds: { 'http_req_duration{scenario:ramp-probe}': [{ threshold: 'p(99)<250', abortOnFail: true, delayAbortEval: '5s' }] },
  };
  const text = renderScript(s);
  assert.equal(JSON.parse(between(text, 'const definition: ArrivalExecutor = ', ';\n')), s.executor);
  assert.equal(JSON.parse(between(text, '  thresholds: ', ',\n  summaryTrendStats')), s.thresholds);
  assert.equal(JSON.parse(between(text, 'tags: ', ' },\n')), s.tags);
  const dir = mkdtempSync(join(tmpdir(), 'k6-ramp-'));
  cpSync(K6_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), readFileSync(join(K6_DIR, 'tsconfig.json'), 'utf8').replace('"../node_modules/@types"', JSON.stringify(join(projectRoot, 'node_modules/@types'))));
  writeFileSync(join(dir, 'ramp-probe.ts'), text);
  const r = spawnSync(process.execPath, [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test('kafka scripts send the native engine\'s message: same seq, sentAt and checksum', () => {
  const code = `
    const { priceMessage } = await import(${JSON.stringify(join(K6_DIR, 'lib/platform.ts'))});
    process.stdout.write(JSON.stringify([priceMessage(1764000000000, 1, 1764000000123), priceMessage(1764000000000, 4242, 1764000000456)]));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/k6-shim/register.mjs', '--input-type=module', '-e', code],
    { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, COMMODITIES: '' } });
  assert.is(r.status, 0, r.stderr);
  const fromK6 = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  const commodities = parseConfig({}).sandbox.priceFeed.commodities;
  for (const m of fromK6) {
    const seq = m.seq as number;
    const native = makePrice({ run: 1764000000000, seq, commodity: commodities[seq % commodities.length]!, price: 100 + (seq % 1000) / 100, sentAt: m.sentAt as number });
    assert.equal(m, native);
  }
});

test.run();
