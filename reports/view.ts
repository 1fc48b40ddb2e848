/**
 * What every run report (daily, drill) shows about one record: its verdict for the page header and
 * its checks for the shared checks table (templates/partials/checks-table.*.hbs). It maps the
 * record's statuses to labels; it judges nothing.
 */
import type { Check, CheckStatus, RunRecord } from '../core/record.ts';

const STATUS_TEXT: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', 'no-data': 'NO DATA' };
const STATUS_CLASS: Record<CheckStatus, string> = { pass: 'pass', fail: 'fail', error: 'error', 'no-data': 'nodata' };

export function checkRows(checks: Check[]) {
  return checks.map((c) => ({
    ...c,
    statusText: STATUS_TEXT[c.status] ?? String(c.status).toUpperCase(),
    statusClass: STATUS_CLASS[c.status] ?? 'nodata',
  }));
}

/** The record with its checks as table rows, the counts and the verdict (`layout.html` header). */
export function runView(r: RunRecord, title: string) {
  const count = (s: CheckStatus) => r.checks.filter((c) => c.status === s).length;
  return {
    ...r,
    title,
    pass: r.status === 'pass',
    verdict: r.status.toUpperCase(),
    verdictClass: r.status,
    checks: checkRows(r.checks),
    total: r.checks.length,
    passed: count('pass'),
    failed: count('fail'),
    errored: count('error'),
    noData: count('no-data'),
  };
}
