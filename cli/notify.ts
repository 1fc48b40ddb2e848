/**
 * The profile's notifications for a finished run (docs/profile.md, "Notifications"): which run
 * is announced where, signed how. Loaded only when a profile names a target.
 */
import type { RunRecord } from '../core/record.ts';
import type { Profile } from '../profile/schema.ts';

type Notifications = NonNullable<Profile['notifications']>;

/** Whether this kind of run is announced at all (before anything is loaded). */
export const announces = (n: Profile['notifications'], kind: string): n is Notifications =>
  Boolean(n && (n.slack || n.webhook) && (n.commands as string[]).includes(kind));

export async function announce(n: Notifications, r: RunRecord, dir: string): Promise<unknown[] | null> {
  if (n.when === 'failures' && r.status === 'pass') return null;
  const [{ deliver, signature }, { runEvent, slackMessage }] = await Promise.all([import('../platform/notify.ts'), import('../reports/notification.ts')]);
  const report = n.reportBaseUrl ? `${n.reportBaseUrl.replace(/\/$/, '')}/${r.id}/` : dir;
  const out: Array<Promise<unknown>> = [];
  if (n.slack) out.push(deliver('slack', n.slack.url, JSON.stringify(slackMessage(r, report)), {}));
  if (n.webhook) {
    const body = JSON.stringify(runEvent(r, report));
    const timestamp = String(Math.floor(Date.now() / 1000));
    out.push(deliver('webhook', n.webhook.url, body, { 'x-carbon-timestamp': timestamp, 'x-carbon-signature': signature(n.webhook.secret, timestamp, body), 'x-carbon-event': 'run.finished' }));
  }
  return Promise.all(out);
}
