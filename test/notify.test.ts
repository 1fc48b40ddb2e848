/**
 * Notifications: a run's result posted to a Slack-compatible incoming webhook and a signed JSON
 * webhook, both a local receiver here that checks what arrives (the HMAC included). Retries with
 * back-off, every attempt in the record, and a delivery that fails never changes the verdict.
 * No sandbox: `report week1` over a synthetic record is the run announced.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cliAsync } from './support.ts';
import { RunRecorder, type RunRecord } from '../core/record.ts';
import { parseConfig } from '../core/config.ts';
import { sandboxProfileValues } from '../sandbox/profile.ts';
import { announce } from '../cli/notify.ts';
import { ProfileSchema } from '../profile/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'notify-'));
const runs = join(dir, 'runs');
const from = join(dir, 'records');
mkdirSync(from);
const SECRET = 'hmac-secret-for-the-test-0123456789';
const SLACK_PATH = '/services/T0001/B0002/slack-token-xyz';

// One failing daily check in the window: the week-1 table FAILs (exit 1) on its health row.
const rec = new RunRecorder(from, 'check-daily', 'notified', ['test']);
rec.addCheck({ id: 'daily.platform-health', title: 'health', target: '>=99', observed: 91.5, unit: 'percent', status: 'fail', evidence: { what: 'synthetic', how: 'test', where: 'test' } });
rec.finish();

interface Received { path: string; headers: IncomingMessage['headers']; body: string }

/** A receiver on 127.0.0.1 that answers each POST with the next status of `answers` (then 200). */
async function receiver(answers: number[] = []): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = answers.shift() ?? 200;
      res.end(res.statusCode === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, got, server };
}

function profile(name: string, url: string, extra: Record<string, unknown> = {}): string {
  const v = sandboxProfileValues(parseConfig({ sandbox: { dir: join(dir, 'sandbox') } })) as Record<string, any>;
  v.name = 'notified';
  v.notifications = { slack: { url: `${url}${SLACK_PATH}` }, webhook: { url: `${url}/hook`, secret: SECRET }, ...extra };
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, stringify(v));
  return f;
}

const week1 = (prof: string) => cliAsync(['--json', '--profile', prof, 'report', 'week1', '--from', from, '--format', 'md', '--out', join(dir, 'out')], { CARBON_HARNESS_RUNS: runs });

/** What the receiver's side does: recompute the HMAC over timestamp.body with the shared secret. */
function verified(r: Received): boolean {
  const ts = String(r.headers['x-carbon-timestamp'] ?? '');
  const sig = String(r.headers['x-carbon-signature'] ?? '');
  const want = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex')}`;
  return sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want)) && Math.abs(Date.now() / 1000 - Number(ts)) < 300;
}

const noSecrets = (text: string, where: string) => {
  for (const s of [SECRET, SLACK_PATH, 'slack-token-xyz']) assert.not.ok(text.includes(s), `${where} holds ${s}`);
};

test('a failing week-1 table is announced: Slack blocks with the verdict, the failing row and the report; a JSON event whose HMAC the receiver verifies', async () => {
  const rx = await receiver();
  try {
    const r = await week1(profile('ok', rx.url));
    assert.is(r.code, 1, r.stderr);
    const slack = rx.got.find((x) => x.path === SLACK_PATH)!;
    const hook = rx.got.find((x) => x.path === '/hook')!;
    assert.ok(slack && hook, `received: ${rx.got.map((x) => x.path).join(', ')}`);
    const msg = JSON.parse(slack.body) as { text: string; blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }> };
    assert.match(msg.text, /week-1 report on notified: FAIL/);
    assert.is(msg.blocks[0]!.type, 'header');
    assert.match(msg.blocks.map((b) => b.text?.text ?? '').join('\n'), /Not passing \(\d+\)[\s\S]*week1\.platform-health: FAIL — observed 91\.5 percent/);
    const record = JSON.parse(r.stdout) as RunRecord;
    assert.match(msg.blocks.at(-1)!.elements![0]!.text, `Report: ${join(runs, record.id)}`);
    assert.ok(verified(hook), 'the signature checks out with the shared secret');
    assert.not.ok(verified({ ...hook, body: hook.body.replace('"fail"', '"pass"') }), 'and would not for a body changed on the way');
    const event = JSON.parse(hook.body) as { event: string; id: string; status: string; notPassing: Array<{ id: string }> };
    assert.equal([event.event, event.id, event.status], ['carbon-harness.run.finished', record.id, 'fail']);
    assert.ok(event.notPassing.some((c) => c.id === 'week1.platform-health'));
    // The record keeps what each delivery did.
    const n = record.data.notifications as Array<{ target: string; ok: boolean; attempts: Array<{ status: number }> }>;
    assert.equal(n.map((d) => [d.target, d.ok, d.attempts.map((a) => a.status)]), [['slack', true, [200]], ['webhook', true, [200]]]);
    const onDisk = readFileSync(join(runs, record.id, 'record.json'), 'utf8');
    for (const [where, text] of [['stdout', r.stdout], ['stderr', r.stderr], ['the record', onDisk], ['the Slack message', slack.body], ['the event', hook.body]] as const) noSecrets(text, where);
  } finally { rx.server.close(); }
});

test('retried with back-off: two 503s, then delivered; every attempt in the record', async () => {
  // Both targets share the receiver: its first answers go to whichever asks first.
  const rx = await receiver([503, 503, 503, 503]);
  try {
    const t0 = Date.now();
    const r = await week1(profile('flaky', rx.url));
    assert.is(r.code, 1);
    const n = (JSON.parse(r.stdout) as RunRecord).data.notifications as Array<{ ok: boolean; attempts: Array<{ status: number; at: string }> }>;
    assert.equal(n.map((d) => d.ok), [true, true]);
    assert.equal(n.map((d) => d.attempts.map((a) => a.status)), [[503, 503, 200], [503, 503, 200]]);
    const gap = (d: { attempts: Array<{ at: string }> }, k: number) => Date.parse(d.attempts[k]!.at) - Date.parse(d.attempts[k - 1]!.at);
    assert.ok(gap(n[0]!, 1) >= 450 && gap(n[0]!, 2) >= 950, `back-off ${gap(n[0]!, 1)} ms, then ${gap(n[0]!, 2)} ms`);
    assert.ok(Date.now() - t0 < 30_000);
  } finally { rx.server.close(); }
});

test('a delivery that fails never changes the verdict: a receiver that is down, or refuses the request, leaves exit 1 and says so', async () => {
  const refusing = await receiver([401, 401]);
  try {
    const r = await week1(profile('refused', refusing.url));
    assert.is(r.code, 1, 'the table\'s verdict, not the delivery\'s');
    const n = (JSON.parse(r.stdout) as RunRecord).data.notifications as Array<{ ok: boolean; attempts: unknown[] }>;
    assert.equal(n.map((d) => [d.ok, d.attempts.length]), [[false, 1], [false, 1]], 'a refusal is final: not retried');
    assert.match(r.stderr, /notification to slack \(http:\/\/127\.0\.0\.1:\d+\/services\/…\) not delivered after 1 attempt\(s\): the verdict stands/);
    noSecrets(r.stderr, 'stderr');
  } finally { refusing.server.close(); }
  const down = await receiver();
  down.server.close();
  const r = await week1(profile('down', down.url));
  assert.is(r.code, 1);
  const n = (JSON.parse(r.stdout) as RunRecord).data.notifications as Array<{ ok: boolean; attempts: Array<{ status: number | null; error?: string }> }>;
  assert.equal(n.map((d) => [d.ok, d.attempts.map((a) => a.error)]), [[false, ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']], [false, ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']]]);
});

test('when: failures announces only runs that did not pass; commands: names which results are announced', async () => {
  const n = ProfileSchema.shape.notifications.parse({ webhook: { url: 'http://127.0.0.1:1/hook', secret: SECRET }, when: 'failures' })!;
  const passing = { ...rec.record, status: 'pass' as const };
  assert.is(await announce(n, passing, dir), null);
  const { announces } = await import('../cli/notify.ts');
  assert.is(announces(n, 'gate'), true);
  assert.is(announces({ ...n, commands: ['drill'] }, 'gate'), false);
  assert.is(announces(undefined, 'gate'), false);
});

test.run();
