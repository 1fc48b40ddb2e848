import * as k8s from '@kubernetes/client-node';
import { podReady } from '../platform/kube.ts';
import { listThenWatch, type ListWatch } from '../platform/kube-watch.ts';

export interface TimelineEvent { event: string; atMs: number; pod?: string; detail?: string }

/**
 * After a kill, re-lists that cannot connect, or get no answer, for this long (counted from when
 * the first failing LIST was sent, so one LIST that ran out its requestTimeoutS is enough) mean the
 * API server is gone or hung, not blinking: the timeline stops and says so, and the drill ends at
 * once (exit 3) rather than waiting out its recovery budget blind. An answer of any kind (429, a
 * 5xx during an election) keeps it trying, and before the kill (a follow waiting hours for a
 * Schedule) nothing counts.
 */
const LOST_AFTER_MS = 5000;
/**
 * After a kill, a watch silent this long is re-listed: a hung API server keeps the watch open and
 * says nothing, which would otherwise read as a recovery that never came (a FAIL the platform did
 * not earn). A healthy one answers the LIST; a hung one lets it time out (requestTimeoutS), and the
 * timeline is lost.
 */
const SILENT_RELIST_MS = 3000;
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const unreachable = (e: unknown) => UNREACHABLE.has(String((e as { code?: unknown }).code ?? (e as { cause?: { code?: unknown } }).cause?.code));

const scheduled = (p: k8s.V1Pod) => Boolean(p.spec?.nodeName) || (p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True') ?? false);

/**
 * Follows the pods of one selector and turns what happens after a kill into a timeline. LIST, then
 * WATCH from the list's resourceVersion (platform/kube-watch.ts: re-list on 410 Gone or a dropped
 * watch), all times from a monotonic client clock relative to `t0`; server timestamps (1 s
 * precision) are kept only as a cross-check.
 */
export class PodTimeline {
  readonly events: TimelineEvent[] = [];
  private pods = new Map<string, k8s.V1Pod>();
  private initial = new Set<string>();
  private victims = new Set<string>();
  private seen = new Set<string>();
  private lw: ListWatch<k8s.V1Pod> | null = null;
  private waiters: Array<() => void> = [];
  t0 = 0;
  /** Why the timeline stopped following: the re-lists failed for LOST_AFTER_MS. */
  lost: unknown = null;
  /** How long the re-lists had been failing when the timeline stopped. */
  lostForS = 0;
  private listFailingSince: number | null = null;
  private listSentAt = 0;
  private lastListError: unknown = null;

  constructor(private kc: k8s.KubeConfig, private namespace: string, private selector: string, private desired: number) {}

  /** Re-lists so far (after a 410 Gone, a dropped watch, or a watch silent after the kill). */
  get relists(): number { return this.lw?.relists() ?? 0; }

  /** LIST: returns the pods now, and follows them with a WATCH from that list's resourceVersion. */
  async start(): Promise<k8s.V1Pod[]> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    this.lw = await listThenWatch({
      kc: this.kc,
      list: () => {
        this.listSentAt = performance.now();
        return core.listNamespacedPod({ namespace: this.namespace, labelSelector: this.selector });
      },
      path: `/api/v1/namespaces/${this.namespace}/pods`, query: { labelSelector: this.selector },
      onEvent: (type, p) => this.observe(type, p),
      onList: () => { this.listFailingSince = null; },
      onListError: (e) => {
        this.lastListError = e;
        if (!this.t0 || !unreachable(e)) { this.listFailingSince = null; return true; }
        const now = performance.now();
        // From when the failing LIST was sent: one that timed out was failing all along.
        this.listFailingSince ??= this.listSentAt;
        if (now - this.listFailingSince < LOST_AFTER_MS) return true;
        this.lost = e;
        this.lostForS = Math.round((now - this.listFailingSince) / 100) / 10;
        this.waiters.splice(0).forEach((w) => w());
        return false;
      },
    });
    const pods = [...this.lw.objects.values()];
    if (!this.initial.size) pods.forEach((p) => this.initial.add(p.metadata!.uid!));
    pods.filter((p) => p.metadata?.deletionTimestamp).forEach((p) => this.terminatingAtStart.add(p.metadata!.uid!));
    return pods;
  }

  /** Ends the current watch as a dropped connection would (tests). */
  dropWatch(): void { this.lw?.drop(); }

  private armed = 0;
  private terminatingAtStart = new Set<string>();
  /** Ready pods (those not being deleted) just before an armed kill. */
  readyAtKill: number | null = null;

  /**
   * For a kill someone else makes (a Chaos Mesh Schedule): the first pod of the selector seen going
   * (deletion started, or gone) is the kill, timed when the watch delivered it; up to `count` pods
   * going within the next 5 s are its victims. Pods already terminating when the follow began are not.
   */
  armForKill(count: number): void { this.armed = count; }

  markKill(victims: k8s.V1Pod[]): void {
    this.t0 = performance.now();
    // Until the replicas are back (record() disarms it): what follows is judged on other evidence.
    this.lw?.watchdog(SILENT_RELIST_MS);
    victims.forEach((v) => this.victims.add(v.metadata!.uid!));
    this.record('kill', victims.map((v) => v.metadata!.name).join(', '));
  }

  private record(event: string, pod?: string, detail?: string): void {
    const key = `${event}|${pod ?? ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.events.push({ event, atMs: Math.round((performance.now() - this.t0) * 10) / 10, pod, detail });
    if (event === 'replicas-restored') this.lw?.watchdog(0);
    this.waiters.splice(0).forEach((w) => w());
  }

  private observe(type: string, p: k8s.V1Pod): void {
    const uid = p.metadata!.uid!;
    const name = p.metadata!.name!;
    const going = this.armed > 0 && this.initial.has(uid) && !this.terminatingAtStart.has(uid) && (type === 'DELETED' || Boolean(p.metadata?.deletionTimestamp));
    if (going && !this.t0) {
      // Counted before this event is applied: the victim as it was, Ready or not.
      this.readyAtKill = this.readyCount();
      this.markKill([p]);
    } else if (going && !this.victims.has(uid) && this.victims.size < this.armed && performance.now() - this.t0 < 5000) {
      this.victims.add(uid);
      const kill = this.events.find((e) => e.event === 'kill');
      if (kill) kill.pod = `${kill.pod}, ${name}`;
    }
    if (type === 'DELETED') {
      this.pods.delete(uid);
      if (this.t0 && this.victims.has(uid)) this.record('pod-gone', name);
    } else {
      this.pods.set(uid, p);
      if (this.t0 && !this.initial.has(uid)) {
        this.record('replacement-created', name, p.metadata?.creationTimestamp ? `server ${new Date(p.metadata.creationTimestamp).toISOString()}` : undefined);
        if (scheduled(p)) this.record('scheduled', name, p.spec?.nodeName);
        if (podReady(p)) this.record('ready', name);
      }
    }
    if (this.t0 && this.readyCount() >= this.desired && this.events.some((e) => e.event === 'ready')) this.record('replicas-restored', undefined, `${this.readyCount()}/${this.desired} Ready`);
  }

  /** Ready pods that are not being deleted. */
  readyCount(): number {
    return [...this.pods.values()].filter((p) => podReady(p) && !p.metadata?.deletionTimestamp).length;
  }

  has(event: string): boolean { return this.events.some((e) => e.event === event); }
  at(event: string): number | null { return this.events.find((e) => e.event === event)?.atMs ?? null; }

  /**
   * Before a wait that ran out is judged: the API must answer one LIST now (what it shows arrives as
   * events first), or the timeline is lost. The watch may have gone silent just before the wait
   * ended, or its re-list may still be waiting for an answer: a recovery is never failed on that.
   */
  async confirm(signal?: AbortSignal): Promise<void> {
    if (!this.lw) return;
    const since = performance.now();
    while (!this.lost && !signal?.aborted) {
      if (await this.lw.resync()) return;
      if (this.lost || signal?.aborted) return;
      const now = performance.now();
      if (now - since >= LOST_AFTER_MS) {
        this.lost = this.lastListError ?? new Error('no LIST of the pods answered');
        this.lostForS = Math.round((now - since) / 100) / 10;
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Resolves when `event` is on the timeline, after `timeoutMs`, or once the timeline is `lost`. */
  async waitFor(event: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!this.has(event) && performance.now() < deadline && !signal?.aborted && !this.lost) {
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 250); });
    }
    return this.has(event);
  }

  mark(event: string, detail?: string): void { this.record(event, undefined, detail); }

  /** Milliseconds since the kill on the timeline's clock. */
  elapsedMs(): number { return Math.round((performance.now() - this.t0) * 10) / 10; }

  /** An event measured earlier (e.g. a peak known only in hindsight), kept in time order. */
  markAt(event: string, atMs: number, detail?: string): void {
    const at = this.events.findIndex((e) => e.atMs > atMs);
    const e = { event, atMs, detail };
    if (at < 0) this.events.push(e); else this.events.splice(at, 0, e);
  }

  stop(): void {
    this.lw?.stop();
  }
}
