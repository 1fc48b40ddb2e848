/**
 * The daily and drill reports share the week-1 report's templates: one checks table (Markdown and
 * HTML partials), one HTML page layout (inline CSS, header with the verdict badge, footer). Rendered
 * from synthetic run records; no sandbox needed. Then both HTML reports in headless Debian Chromium.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Check, RunRecord } from '../core/record.ts';
import { projectRoot } from '../core/paths.ts';
import { launchChromium } from './chromium.ts';
import { dailyHtml, dailyMarkdown } from '../reports/daily.ts';
import { drillHtml, drillMarkdown } from '../reports/drill.ts';
import { buildWeek1, week1Html } from '../reports/week1.ts';

// ---------------------------------------------------------------------------------------------
// Synthetic records

const check = (id: string, title: string, target: string, observed: Check['observed'], unit: string, status: Check['status'], what = `${id} measured`): Check => ({
  id, title, target, observed, unit, status, evidence: { what, how: 'synthetic fixture', where: 'http://127.0.0.1:9/metrics' },
});

const record = (kind: string, checks: Check[], data: Record<string, unknown> = {}, status: RunRecord['status'] = checks.some((c) => c.status === 'fail') ? 'fail' : 'pass'): RunRecord => ({
  id: `20261119T080000Z-${kind}-abc123`, kind, startedAt: '2026-11-19T08:00:00.000Z', endedAt: '2026-11-19T08:01:00.000Z',
  status, platform: 'sandbox', argv: ['test'], checks, data,
});

const dailyChecks = [
  check('daily.platform-health', 'platform health', '>=99', 100, 'percent', 'pass'),
  check('daily.uptime', 'uptime', '>=99.9', 99.95, 'percent', 'pass'),
  // A failing check, with a pipe and a line break in its evidence (must not break the Markdown table).
  check('daily.consumer-lag', 'consumer lag', '<5s', 12.5, 's', 'fail', 'lag | 12.5 s at partition 3\nover target'),
  check('daily.alerts', 'alerts configured', 'loaded', null, '', 'no-data'),
  check('daily.dashboards', 'dashboards <reachable>', 'ok', null, '', 'error', '<script>alert(1)</script>'),
];
const dailyFail = record('check-daily', dailyChecks, { windowS: 30 });
const dailyPass = record('check-daily', dailyChecks.filter((c) => c.status === 'pass'), { windowS: 30 });

const timeline = [
  { event: 'kill', atMs: 0, detail: 'prediction-consumer-7d9f-abcde' },
  { event: 'pod-gone', atMs: 1200, pod: 'prediction-consumer-7d9f-abcde' },
  { event: 'replacement-created', atMs: 1500, pod: 'prediction-consumer-7d9f-xyz12' },
  { event: 'lag-rising', atMs: 2000, detail: '4100 messages behind (4.10 s)' },
  { event: 'scheduled', atMs: 1900, pod: 'prediction-consumer-7d9f-xyz12', detail: 'kwok-node-0' },
  { event: 'ready', atMs: 7400, pod: 'prediction-consumer-7d9f-xyz12' },
  { event: 'replicas-restored', atMs: 7600, detail: '2/2 Ready' },
  { event: 'lag-recovered', atMs: 11000, detail: '300 messages behind (0.30 s)' },
];
const lagSamples = [
  { atMs: 500, lagMessages: 200, lagS: 0.2 }, { atMs: 1000, lagMessages: 2100, lagS: 2.1 },
  { atMs: 2000, lagMessages: 4100, lagS: 4.1 }, { atMs: 4000, lagMessages: 6900, lagS: 6.9 },
  { atMs: 6000, lagMessages: 7200, lagS: 7.2 }, { atMs: 8000, lagMessages: 3000, lagS: 3 },
  { atMs: 10000, lagMessages: 900, lagS: 0.9 }, { atMs: 11000, lagMessages: 300, lagS: 0.3 },
];
const plan = { namespace: 'ml', deployment: 'prediction-consumer', count: 1, via: 'api', recoverySloS: 30, lagTargetS: 5, context: 'sandbox', withLoad: 'consumer-lag' };
// The drill's checks are the daily's (so the shared table can be compared) plus its own.
const drillChecks = [
  check('drill.recovery', 'auto-recovery: desired replicas Ready again', '<30s', 7.6, 's', 'pass'),
  ...dailyChecks,
];
const drillWithLag = record('drill', drillChecks, { plan, recoverySloS: 30, timeline, lagSamples, victims: ['prediction-consumer-7d9f-abcde'] });
// An older record: no lag samples.
const drillOld = record('drill', drillChecks.slice(0, 1), { plan, recoverySloS: 30, timeline });

// ---------------------------------------------------------------------------------------------
// Helpers

/** The `<table class="criteria checks">…</table>` of a page. */
function checksTable(html: string): string {
  const m = html.match(/<table class="criteria checks">[\s\S]*?<\/table>/);
  assert.ok(m, 'page has the shared checks table');
  return m![0].replace(/^\s+/gm, '');
}
/** The Markdown checks table: header, separator and every `| icon |` row after it. */
function mdChecksTable(md: string): string {
  const lines = md.split('\n');
  const at = lines.indexOf('| | check | target | observed | evidence |');
  assert.ok(at >= 0, md);
  const rows: string[] = [];
  for (let k = at; k < lines.length && lines[k]!.startsWith('|'); k++) rows.push(lines[k]!);
  return rows.join('\n');
}
const between = (html: string, a: string, b: string) => html.slice(html.indexOf(a), html.indexOf(b, html.indexOf(a)) + b.length);
const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
const cellsOf = (row: string) => row.replace(/\\\|/g, '').split('|').length;

function assertSelfContained(name: string, html: string): void {
  assert.not.match(html, /<script/i, `${name}: no scripts`);
  assert.not.match(html, /<link\b/i, `${name}: no linked stylesheets`);
  assert.not.match(html, /\s(src|srcset)=/i, `${name}: nothing loaded by src`);
  assert.not.match(html, /url\(|@import/i, `${name}: no CSS fetches`);
  // The only absolute URL allowed is the SVG namespace (an identifier, never fetched).
  const urls = (html.match(/(https?:)?\/\/[^\s"'<>)]+/g) ?? []).filter((u) => u !== 'http://www.w3.org/2000/svg');
  // Evidence text may name a URL (where something was measured); it is text, never an attribute.
  for (const u of urls) assert.not.match(html, new RegExp(`(href|src|action|xlink:href)="${u.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `${name}: ${u} is referenced as a resource`);
}

const week1 = week1Html(buildWeek1({ dir: '/nowhere', found: 0, used: [], outsideWindow: 0, skipped: [], otherPlatform: 0, aborted: 0, abortedFailing: [] }, { incidents: null, feedback: null },
  { since: new Date('2026-11-16T00:00:00Z'), until: new Date('2026-11-23T00:00:00Z') }), '/nowhere');

// ---------------------------------------------------------------------------------------------

const shared = suite('reports share templates');

shared('daily HTML: verdict FAIL, one row per check, the failing check is a FAIL badge, text escaped', () => {
  const html = dailyHtml(dailyFail);
  assert.match(html, '<span class="verdict verdict-fail" id="verdict">FAIL</span>');
  assert.match(html, '<title>Daily operations check — FAIL</title>');
  assert.match(html, '2/5 checks passed · 1 failed · 1 error · 1 no data · window 30 s');
  const table = checksTable(html);
  assert.is(count(table, /<tr class="row-/g), 5);
  assert.match(table, /<tr class="row-fail" data-check="daily\.consumer-lag">\n<td class="metric">consumer lag<\/td>\n<td class="target"><code>&lt;5s<\/code><\/td>\n<td class="measured">12\.50 s<\/td>\n<td class="status"><span class="badge badge-fail">FAIL<\/span>/);
  assert.match(table, /data-check="daily\.platform-health">[\s\S]*?badge-pass">PASS</);
  assert.match(table, /data-check="daily\.alerts">[\s\S]*?<td class="measured">—<\/td>[\s\S]*?badge-nodata">NO DATA</);
  assert.match(table, /data-check="daily\.dashboards">[\s\S]*?badge-error">ERROR</);
  // Record text is escaped, never markup.
  assert.match(table, 'dashboards &lt;reachable&gt;');
  assert.match(table, '&lt;script&gt;alert(1)&lt;/script&gt;');
  assertSelfContained('daily.html', html);

  const ok = dailyHtml(dailyPass);
  assert.match(ok, '<span class="verdict verdict-pass" id="verdict">PASS</span>');
  assert.not.match(checksTable(ok), 'badge-fail');
});

shared('daily Markdown: the shared checks table; a failing check is ❌ and a pipe in evidence does not break the row', () => {
  const md = dailyMarkdown(dailyFail);
  assert.match(md, /^## ❌ Daily operations check: FAIL$/m);
  const table = mdChecksTable(md);
  const rows = table.split('\n');
  assert.is(rows.length, 2 + 5);
  const lag = rows.find((r) => r.includes('consumer lag'))!;
  assert.is(lag, '| ❌ | consumer lag | `<5s` | 12.50 s | lag \\| 12.5 s at partition 3 over target |');
  for (const r of rows) assert.is(cellsOf(r), cellsOf(rows[0]!), `same cell count: ${r}`);
  assert.match(dailyMarkdown(dailyPass), /^## ✅ Daily operations check: PASS$/m);
});

shared('daily and drill render the same checks with the same partial (HTML and Markdown)', () => {
  const daily = checksTable(dailyHtml(dailyFail));
  const drill = checksTable(drillHtml(drillWithLag));
  // The drill's table is the daily's plus its own first row: everything else byte-identical.
  const drillRows = drill.split(/(?=<tr class="row-)/);
  const dailyRows = daily.split(/(?=<tr class="row-)/);
  assert.is(drillRows.length, dailyRows.length + 1);
  assert.is(drillRows[0], dailyRows[0], 'same table head');
  assert.match(drillRows[1]!, 'data-check="drill.recovery"');
  assert.equal(drillRows.slice(2), dailyRows.slice(1));
  // Markdown: identical rows too.
  const mdDaily = mdChecksTable(dailyMarkdown(dailyFail)).split('\n');
  const mdDrill = mdChecksTable(drillMarkdown(drillWithLag)).split('\n');
  assert.equal(mdDrill.slice(0, 2), mdDaily.slice(0, 2));
  assert.match(mdDrill[2]!, '| ✅ | auto-recovery: desired replicas Ready again | `<30s` | 7.60 s |');
  assert.equal(mdDrill.slice(3), mdDaily.slice(2));
});

shared('week-1, daily and drill HTML share one page layout: stylesheet, header with the verdict badge, footer', () => {
  const pages = { week1, daily: dailyHtml(dailyFail), drill: drillHtml(drillWithLag) };
  const style = between(pages.week1, '<style>', '</style>');
  assert.ok(style.length > 2000, 'the week-1 stylesheet is inline');
  const footer = between(pages.week1, '<footer>', '</footer>');
  for (const [name, html] of Object.entries(pages)) {
    assert.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">'), name);
    assert.is(between(html, '<style>', '</style>'), style, `${name}: same stylesheet`);
    assert.is(between(html, '<footer>', '</footer>'), footer, `${name}: same footer`);
    assert.match(html, /<header class="report-head">\n\s*<h1>[^<]+<\/h1>\n\s*<span class="verdict verdict-(pass|fail|incomplete)" id="verdict">(PASS|FAIL|INCOMPLETE)<\/span>\n\s*<\/header>/, name);
    assert.is(count(html, /<html/g), 1, `${name}: one page`);
    assert.ok(html.trimEnd().endsWith('</body>\n</html>'), name);
    assertSelfContained(name, html);
  }
  // An empty week is not a pass: every row is NO DATA, so the headline is INCOMPLETE.
  assert.match(pages.week1, '<span class="verdict verdict-incomplete" id="verdict">INCOMPLETE</span>');
  assert.match(style, '.verdict-incomplete');
  // The stylesheet styles what the run reports add (error badges, the checks table).
  assert.match(style, '.badge-error');
  assert.match(style, 'table.checks');
});

shared('drill HTML: recovery timeline as a table and an SVG with the SLO; lag over time as SVG charts', () => {
  const html = drillHtml(drillWithLag);
  assert.match(html, '<title>Pod-kill drill: ml/prediction-consumer — FAIL</title>');
  assert.match(html, '<code>ml/prediction-consumer</code> · 1 pod(s) via api · recovery SLO 30 s · under load <code>consumer-lag</code>');
  // Table: one row per event, in time order (the fixture lists lag-rising before scheduled).
  const rows = [...html.matchAll(/<tr data-event="([^"]+)"><td class="metric">[^<]+<\/td><td class="measured">\+([\d.]+) s<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)];
  assert.equal(rows.map((r) => [r[1], r[2]]), [
    ['kill', '0.00'], ['pod-gone', '1.20'], ['replacement-created', '1.50'], ['scheduled', '1.90'], ['lag-rising', '2.00'],
    ['ready', '7.40'], ['replicas-restored', '7.60'], ['lag-recovered', '11.00'],
  ]);
  assert.equal(rows.find((r) => r[1] === 'scheduled')!.slice(3), ['prediction-consumer-7d9f-xyz12', 'kwok-node-0']);
  // Timeline chart: a marker per event and the SLO line.
  const tl = between(html, '<svg class="chart timeline-chart"', '</svg>');
  assert.is(count(tl, /<circle class="event"/g), timeline.length);
  assert.is(count(tl, /<line class="threshold"/g), 1);
  assert.match(tl, 'recovery SLO 30 s');
  assert.match(tl, 'replicas-restored');
  // Lag charts: seconds (with the 5 s target) and messages, a vertex per sample, event markers.
  const lines = [...html.matchAll(/<svg class="chart line-chart"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
  assert.is(lines.length, 2);
  const [secs, msgs] = lines as [string, string];
  assert.match(secs, 'Consumer lag after the kill: seconds behind');
  assert.match(msgs, 'Consumer lag after the kill: messages behind');
  for (const svg of lines) {
    const pts = svg.match(/<polyline class="series"[^>]* points="([^"]+)"/)![1]!;
    assert.is(pts.trim().split(/\s+/).length, lagSamples.length);
    assert.is(count(svg, /<circle class="point"/g), lagSamples.length);
    assert.equal([...svg.matchAll(/<text class="marker-label"[^>]*>([^<]+)</g)].map((m) => m[1]), ['kill', 'replicas-restored', 'lag-recovered']);
  }
  assert.match(secs, /<line class="threshold"[^>]*\/>\n<text[^>]*>target &lt; 5 s<\/text>/);
  assert.not.match(msgs, 'class="threshold"');
  assert.match(secs, '<title>+6 s: 7.2 s behind (7200 messages)</title>');
  // Checks: the drill's failing check shows as FAIL under a FAIL verdict.
  assert.match(html, '<span class="verdict verdict-fail" id="verdict">FAIL</span>');
  assert.match(checksTable(html), /data-check="daily\.consumer-lag">[\s\S]*?badge-fail">FAIL</);
  assertSelfContained('drill.html', html);
});

shared('drill HTML without lag samples (older records), with malformed ones, and a dry run', () => {
  const old = drillHtml(drillOld);
  assert.match(old, '<span class="verdict verdict-pass" id="verdict">PASS</span>');
  assert.is(count(old, /<svg class="chart line-chart"/g), 0, 'no lag chart without samples');
  assert.is(count(old, /<svg class="chart timeline-chart"/g), 1);
  assert.is(count(old, /<tr data-event=/g), timeline.length);

  const bad = drillHtml(record('drill', [], { plan, timeline, lagSamples: [{ atMs: 'x' }, null, { atMs: 100, lagS: 1, lagMessages: 50 }] }, 'pass'));
  const svg = bad.match(/<svg class="chart line-chart"[\s\S]*?<\/svg>/)![0];
  assert.is(count(svg, /<circle class="point"/g), 1, 'only the well-formed sample is drawn');

  const empty = drillHtml(record('drill', [], { plan, timeline, lagSamples: [] }, 'pass'));
  assert.match(empty, 'The record has no usable lag samples.');

  const dry = drillHtml(record('drill', [], { plan, wouldKill: ['prediction-consumer-7d9f-abcde'] }, 'pass'));
  assert.match(dry, 'Would kill: <code>prediction-consumer-7d9f-abcde</code>');
  assert.match(dry, 'No recovery timeline in the record.');
  assert.is(count(dry, /<svg/g), 0);

  const aborted = drillHtml({ ...record('drill', [], {}, 'error'), error: 'kube API unreachable' });
  assert.match(aborted, '<span class="verdict verdict-error" id="verdict">ERROR</span>');
  assert.match(aborted, '<title>Pod-kill drill — ERROR</title>');
  assert.match(aborted, /<section class="card run-error">[\s\S]*kube API unreachable/);
  assertSelfContained('aborted drill.html', aborted);
});

shared('drill Markdown keeps its timeline and the shared checks table', () => {
  const md = drillMarkdown(drillWithLag);
  assert.match(md, /^## ❌ Drill: FAIL$/m);
  assert.match(md, '| replicas-restored | +7.60 s |  2/2 Ready |');
  assert.match(md, '| scheduled | +1.90 s | prediction-consumer-7d9f-xyz12 kwok-node-0 |');
  assert.match(md, '| ❌ | consumer lag | `<5s` | 12.50 s |');
});

// ---------------------------------------------------------------------------------------------
// Both HTML reports in a real browser (the week-1 report's test does the same for its page)

shared('daily.html and drill.html render in headless Chromium: badges, timeline rows, charts laid out, no requests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-reports-'));
  writeFileSync(join(dir, 'daily.html'), dailyHtml(dailyFail));
  writeFileSync(join(dir, 'drill.html'), drillHtml(drillWithLag));
  const browser = await launchChromium('reports-shared test');
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (req) => { if (!req.url().startsWith('file:')) requests.push(req.url()); });
    const shot = (name: string) => {
      const p = join(projectRoot, 'test-output', name);
      mkdirSync(dirname(p), { recursive: true });
      return page.screenshot({ path: p, fullPage: true });
    };

    await page.goto(pathToFileURL(join(dir, 'daily.html')).href);
    assert.is(await page.locator('#verdict').textContent(), 'FAIL');
    assert.equal(await page.locator('table.checks td.status .badge').allTextContents(), ['PASS', 'PASS', 'FAIL', 'NO DATA', 'ERROR']);
    // The stylesheet applies: a FAIL badge is red, the page is not unstyled.
    assert.is(await page.locator('table.checks .badge-fail').evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(220, 38, 38)');
    assert.is(await page.locator('script').count(), 0);
    await shot('daily-report.png');

    await page.goto(pathToFileURL(join(dir, 'drill.html')).href);
    assert.is(await page.locator('#verdict').textContent(), 'FAIL');
    assert.is(await page.locator('table.timeline tbody tr').count(), timeline.length);
    assert.is(await page.locator('table.checks tbody tr').count(), drillChecks.length);
    const tl = page.locator('svg.timeline-chart');
    assert.is(await tl.locator('circle.event').count(), timeline.length);
    const lag = page.locator('svg.line-chart');
    assert.is(await lag.count(), 2);
    for (let k = 0; k < 2; k++) {
      assert.is(await lag.nth(k).locator('circle.point').count(), lagSamples.length);
      const box = await lag.nth(k).boundingBox();
      assert.ok(box && box.width > 300 && box.height > 150, JSON.stringify(box));
    }
    const tbox = await tl.boundingBox();
    assert.ok(tbox && tbox.width > 600, JSON.stringify(tbox));
    await shot('drill-report.png');
    assert.equal(requests, [], 'self-contained reports make no network requests');
  } finally {
    await browser.close();
  }
});

shared.run();
