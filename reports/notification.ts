/**
 * What a notification says about a finished run, from its record alone: the verdict, the checks
 * that did not pass, and where the report is. One message for a Slack-compatible incoming webhook
 * (Block Kit: https://api.slack.com/reference/block-kit/blocks), one JSON document for any other.
 */
import type { Check, RunRecord } from '../core/record.ts';

const MAX_LISTED = 10;
const ICON: Record<string, string> = { pass: ':white_check_mark:', fail: ':x:', error: ':warning:', incomplete: ':heavy_minus_sign:', aborted: ':octagonal_sign:' };
const WHAT: Record<string, string> = { gate: 'deploy gate', run: 'load run', 'check-daily': 'daily check', drill: 'drill', 'report-week1': 'week-1 report' };

const notPassing = (r: RunRecord) => r.checks.filter((c) => c.status !== 'pass');
const line = (c: Check) => `${c.id}: ${c.status.toUpperCase()} — observed ${c.observed === null ? 'no data' : `${c.observed}${c.unit ? ` ${c.unit}` : ''}`} (target ${c.target})`;

/** The JSON webhook's body: stable field names a receiver can rely on. */
export function runEvent(r: RunRecord, report: string) {
  return {
    event: 'carbon-harness.run.finished',
    id: r.id, kind: r.kind, platform: r.platform, status: r.status, error: r.error ?? null,
    startedAt: r.startedAt, endedAt: r.endedAt,
    checks: { total: r.checks.length, passed: r.checks.filter((c) => c.status === 'pass').length },
    notPassing: notPassing(r).map((c) => ({ id: c.id, status: c.status, observed: c.observed, unit: c.unit, target: c.target })),
    report,
  };
}

/** A Slack incoming-webhook message: a fallback `text` and blocks (header, summary, failing checks, report). */
export function slackMessage(r: RunRecord, report: string) {
  const bad = notPassing(r);
  const head = `${ICON[r.status] ?? ''} ${WHAT[r.kind] ?? r.kind} on ${r.platform}: ${r.status.toUpperCase()}`.trim();
  const listed = bad.slice(0, MAX_LISTED).map((c) => `• ${line(c)}`).join('\n');
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: head.replace(/:[a-z_]+:\s*/, '').slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: `${head}\n${r.checks.length - bad.length}/${r.checks.length} checks passed · run \`${r.id}\`${r.error ? `\n*Error:* ${r.error}` : ''}` } },
  ];
  if (bad.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Not passing (${bad.length})*\n${listed}${bad.length > MAX_LISTED ? `\n… and ${bad.length - MAX_LISTED} more` : ''}`.slice(0, 3000) } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Report: ${report}` }] });
  return { text: `${head} (run ${r.id})`, blocks };
}
