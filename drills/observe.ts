/**
 * The drill's observers: what it watches from just before the kill until the platform is back. The
 * consumer group's lag, and the alert the kill should raise (where the profile says notifications
 * are seen). The pod timeline is `timeline.ts`; what they saw is judged in `judge.ts`.
 */
import type { Admin } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Profile } from '../profile/schema.ts';
import { httpClient } from '../platform/http.ts';
import { alertmanagerAlerts } from '../platform/alertmanager.ts';
import { sampleLag, totalEnds, type GroupLag } from '../platform/kafka-offsets.ts';
import { InfraError, UsageError } from '../core/errors.ts';
import { round } from '../verifiers/check.ts';
import { lagPeak, lagSlack, type LagSample } from './judge.ts';
import type { PodTimeline } from './timeline.ts';

/** How often a consumer's lag is read through a drill. */
export const LAG_SAMPLE_MS = 250;

/**
 * The consumer group's lag through a drill: a baseline before the kill, then a sample every
 * LAG_SAMPLE_MS. `lag-rising` marks the first sample clearly above the baseline;
 * `lag-recovered` the first one, once the replicas are back, under target and back near the baseline.
 */
export class LagFollower {
  readonly samples: LagSample[] = [];
  before = 0;
  private prev: GroupLag | null = null;

  constructor(private admin: Admin, private group: string, private topic: string, private targetS: number, private timeline: PodTimeline) {}

  private async sample(): Promise<{ behind: number; rate: number }> {
    const now = await sampleLag(this.admin, this.group, this.topic);
    const rate = this.prev ? (totalEnds(now.ends) - totalEnds(this.prev.ends)) / Math.max(0.001, (now.at - this.prev.at) / 1000) : 0;
    this.prev = now;
    return { behind: now.total, rate };
  }

  /** Two samples before the kill; the higher is the baseline (commits move the committed offset in steps). */
  async baseline(): Promise<void> {
    const a = (await this.sample()).behind;
    await sleep(LAG_SAMPLE_MS);
    this.before = Math.max(a, (await this.sample()).behind);
  }

  async follow(signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + 120_000;
    let rising = false;
    while (Date.now() < deadline && !signal.aborted) {
      await sleep(LAG_SAMPLE_MS);
      const { behind, rate } = await this.sample();
      const lagS = rate > 0 ? behind / rate : 0;
      this.samples.push({ atMs: this.timeline.elapsedMs(), lagMessages: behind, lagS: round(lagS, 3), rate: round(rate, 1) });
      // A twentieth of a second of traffic (at least 250 messages): above commit-interval noise, below
      // what a rebalance's pause in consumption adds.
      const slack = lagSlack(rate);
      if (!rising && behind > this.before + slack) { rising = true; this.timeline.mark('lag-rising', `${behind} messages behind (${lagS.toFixed(2)} s)`); }
      if (this.timeline.has('replicas-restored') && lagS < this.targetS && behind <= this.before + slack) {
        const peak = lagPeak(this);
        if (rising) this.timeline.markAt('lag-peak', peak.atMs, `${peak.lagMessages} messages behind (${peak.lagS.toFixed(2)} s)`);
        this.timeline.mark('lag-recovered', `${behind} messages behind (${lagS.toFixed(2)} s)`);
        return;
      }
    }
  }
}

/** One webhook notification as a receiver log keeps it (Alertmanager's webhook payload, plus when it arrived). */
export interface Notification { status: string; receivedAt: string; alerts: Array<{ status: string; labels: Record<string, string>; startsAt: string }> }

export interface AlertMatch { workloadLabels: string[]; labels: Record<string, string>; severity?: { label: string; critical: string[]; warning: string[] } }

/** `critical` or `warning` as the platform's severity label and values say (else the raw value). */
function severityOf(labels: Record<string, string>, s: AlertMatch['severity'] = { label: 'severity', critical: ['critical'], warning: ['warning'] }): string {
  const v = labels[s.label] ?? '?';
  return s.critical.includes(v) ? 'critical' : s.warning.includes(v) ? 'warning' : v;
}

const DEFAULT_MATCH: AlertMatch = { workloadLabels: ['workload', 'deployment', 'job', 'app'], labels: {} };

/**
 * The alert the kill caused: firing, reached the receiver after the kill, started no earlier than
 * (2 s before) the kill, carrying the profile's labels, and naming the killed workload in one of
 * its workload labels. Any other alert firing meanwhile was not caused by it and is only listed.
 */
export function alertForKill(list: Notification[], sinceWall: number, workload: string, match: AlertMatch = DEFAULT_MATCH): { hit: { name: string; severity: string; afterS: number } | null; others: string[] } {
  const others: string[] = [];
  for (const n of list) {
    const at = Date.parse(n.receivedAt);
    // A notification without a readable arrival time cannot be placed after the kill: never counted.
    if (!Number.isFinite(at) || at < sinceWall || n.status !== 'firing') continue;
    for (const a of n.alerts) {
      const started = Date.parse(a.startsAt);
      if (a.status !== 'firing' || !Number.isFinite(started) || started < sinceWall - 2000) continue;
      const labelled = Object.entries(match.labels).every(([k, v]) => a.labels[k] === v);
      if (labelled && match.workloadLabels.some((k) => a.labels[k] === workload)) return { hit: { name: a.labels.alertname ?? '?', severity: severityOf(a.labels, match.severity), afterS: (at - sinceWall) / 1000 }, others };
      others.push(`${a.labels.alertname ?? '?'}${a.labels.workload ? ` (${a.labels.workload})` : ''}`);
    }
  }
  return { hit: null, others };
}

/**
 * Why an alert may not have come: whether Prometheus (which evaluates the rule) and Alertmanager
 * (which routes it) answer at all, so a missing alert with a dead chain reads as such.
 */
export async function alertChain(p: Profile): Promise<string[]> {
  const parts = [['prometheus', p.platform.prometheus, '/api/v1/status/buildinfo'], ['alertmanager', p.platform.alertmanager, '/api/v2/status']] as const;
  return Promise.all(parts.filter(([, api]) => api).map(async ([part, api, path]) => {
    const c = httpClient(part, api!, 3000);
    try { await c.getJson(path); return `${part} at ${c.url} answered`; } catch (e) { return `${part} did not answer (${(e as Error).message})`; }
  }));
}

export interface AlertWait { alert: { name: string; severity: string; afterS: number } | null; others: string[]; where: string; how: string }

/**
 * Watches for the alert where the profile says notifications are seen: a receiver's log of webhook
 * notifications (timed by when each arrived there), or Alertmanager's API, polled every 500 ms from
 * the kill on (timed by when an alert was first seen active: not silenced, not inhibited).
 */
export function watchAlerts(p: Profile, sinceWall: number, signal: AbortSignal): { wait(waitS: number, workload: string, signal: AbortSignal): Promise<AlertWait>; stop(): void } {
  const spec = p.drill.alert;
  let read: () => Promise<Notification[]>;
  let where: string;
  let how: string;
  let stopped = false;
  let pollError: Error | null = null;
  if (spec.source === 'alertmanager') {
    if (!p.platform.alertmanager) throw new UsageError('drill.alert.source', `profile "${p.name}" names no Alertmanager (platform.alertmanager) to watch for the alert`);
    const am = httpClient('alertmanager', p.platform.alertmanager);
    where = am.url;
    how = 'Alertmanager GET /api/v2/alerts (active, not silenced, not inhibited) every 500 ms from the kill; time = first seen active there';
    const seen = new Map<string, Notification>();
    const poll = async () => {
      const now = new Date().toISOString();
      for (const a of await alertmanagerAlerts(am, { active: true, silenced: false, inhibited: false })) {
        // By fingerprint and start: an alert that was firing before the kill and fires again is a new firing.
        const key = `${a.fingerprint}@${a.startsAt}`;
        if (a.status.state !== 'active' || seen.has(key)) continue;
        seen.set(key, { status: 'firing', receivedAt: now, alerts: [{ status: 'firing', labels: a.labels, startsAt: a.startsAt }] });
      }
    };
    void (async () => {
      while (!stopped && !signal.aborted) {
        try { await poll(); } catch (e) { pollError = e as Error; }
        await sleep(500);
      }
    })();
    read = async () => {
      await poll();
      return [...seen.values()];
    };
  } else {
    const url = spec.source;
    where = url;
    how = 'webhook notifications kept by the receiver at drill.alert.source; time = when the notification arrived';
    read = async () => {
      const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return (await r.json()) as Notification[];
    };
  }
  return {
    stop() { stopped = true; },
    async wait(waitS, workload, sig) {
      const deadline = sinceWall + waitS * 1000;
      let others: string[] = [];
      // Looks at least once: the notification may have arrived while recovery and lag were followed.
      for (let first = true; first || (Date.now() < deadline && !sig.aborted); first = false) {
        let list: Notification[];
        try { list = await read(); } catch (e) {
          throw new InfraError(`alerts unreadable at ${where}: ${(e as Error).message}`, spec.source === 'alertmanager' ? 'alertmanager' : 'alert receiver');
        }
        const r = alertForKill(list, sinceWall, workload, { ...spec, severity: p.platform.alertmanager?.severity });
        others = r.others;
        if (r.hit) return { alert: r.hit, others, where, how };
        await sleep(500);
      }
      if (pollError && spec.source === 'alertmanager') others.push(`(a poll failed meanwhile: ${(pollError as Error).message})`);
      return { alert: null, others, where, how };
    },
  };
}
