/**
 * The one LIST-then-WATCH of the harness (the pattern of client-node's ListWatch): LIST, then WATCH
 * from the list's resourceVersion; a 410 Gone, an ended or dropped watch, or a watch that cannot
 * start re-lists, and the re-list's difference from what was known arrives as synthetic events
 * (DELETED for an object that vanished meanwhile). Each watch has a generation, so a re-list never
 * leaves two watches feeding events. Used by the drill's pod timeline, the PodChaos and TestRun
 * followers, and the sandbox's kubelet bridge.
 */
import * as k8s from '@kubernetes/client-node';

export type WatchEvent = 'ADDED' | 'MODIFIED' | 'DELETED';

interface KubeObject { metadata?: { uid?: string; name?: string; namespace?: string } }

export interface ListWatchOptions<T extends KubeObject> {
  kc: k8s.KubeConfig;
  /** The LIST of the objects followed. */
  list(): Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  /** The collection's path for the WATCH, and its selectors (labelSelector, fieldSelector, timeoutSeconds). */
  path: string;
  query?: Record<string, string | number>;
  /** Every change: the first LIST's objects as ADDED, then the watch's events and each re-list's difference. */
  onEvent(type: WatchEvent, obj: T): void;
  /** After each LIST's events are delivered (the first included). */
  onList?(count: number): void;
  /** A re-LIST failed: true tries again after `retryMs`, false stops following. Default: try again. */
  onListError?(e: unknown): boolean;
  retryMs?: number;
}

export interface ListWatch<T> {
  /** The objects as the events so far leave them, by uid. */
  readonly objects: ReadonlyMap<string, T>;
  /** Re-lists so far (resync and the watchdog's included). */
  relists(): number;
  /** Ends the current watch as a dropped connection would (tests). */
  drop(): void;
  /**
   * From now on, a watch that delivers nothing for `ms` is re-listed (0: never again). An API server that hangs
   * (a frozen process, packets dropped) keeps its watch open and silent for good; a re-list's LIST
   * is a request that can fail (it has a timeout), so the silence becomes an error the caller sees.
   */
  watchdog(ms: number): void;
  /** Re-lists now: true once its LIST answered and was delivered (failures go to onListError as any re-list's). */
  resync(): Promise<boolean>;
  stop(): void;
}

/** Follows until `stop()`. Resolves once the first LIST is delivered; a failed first LIST rejects. */
export async function listThenWatch<T extends KubeObject>(o: ListWatchOptions<T>): Promise<ListWatch<T>> {
  const objects = new Map<string, T>();
  const retryMs = o.retryMs ?? 500;
  let gen = 0;
  let relists = 0;
  let stopped = false;
  let ctrl: { abort(): void } | null = null;
  let failures = 0;
  let silentMs = 0;
  let silence: NodeJS.Timeout | undefined;
  // Armed when a watch connects and by each of its events (not while one connects: a slow connect
  // would turn the watch into polling); a timer of an older watch re-lists nothing (relist checks its generation).
  const heard = (g: number) => {
    clearTimeout(silence);
    if (silentMs && !stopped) silence = setTimeout(() => void relist(g), silentMs);
  };
  const keyOf = (x: T) => x.metadata?.uid ?? `${x.metadata?.namespace ?? ''}/${x.metadata?.name ?? ''}`;

  const deliver = (items: T[]) => {
    const now = new Set(items.map(keyOf));
    for (const [k, x] of [...objects]) if (!now.has(k)) { objects.delete(k); o.onEvent('DELETED', x); }
    for (const x of items) {
      const k = keyOf(x);
      const known = objects.has(k);
      objects.set(k, x);
      o.onEvent(known ? 'MODIFIED' : 'ADDED', x);
    }
    o.onList?.(items.length);
  };

  const watch = async (rv: string): Promise<void> => {
    const g = ++gen;
    const started = performance.now();
    try {
      const c = await new k8s.Watch(o.kc).watch(o.path, { ...o.query, resourceVersion: rv, allowWatchBookmarks: true },
        (type: string, obj: T & { code?: number }) => {
          if (stopped || g !== gen) return;
          heard(g);
          if (type === 'ERROR') { if (obj.code === 410) void relist(g); return; }
          if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return; // BOOKMARK
          if (type === 'DELETED') objects.delete(keyOf(obj)); else objects.set(keyOf(obj), obj);
          o.onEvent(type, obj);
        },
        (err: unknown) => {
          if (stopped || g !== gen) return;
          // A dropped watch re-lists at once (events in between arrive as the re-list's difference);
          // one the server keeps refusing or cutting at once (no watch permission, a proxy) re-lists
          // after a pause from the second time on, never in a tight loop.
          failures = err || performance.now() - started < 1000 ? failures + 1 : 0;
          if (failures > 1) setTimeout(() => void relist(g), retryMs);
          else void relist(g);
        });
      if (stopped || g !== gen) c.abort();
      else { ctrl = c; heard(g); }
    } catch {
      if (!stopped && g === gen) setTimeout(() => void relist(g), retryMs);
    }
  };

  /** True once this re-list's LIST is delivered (its watch then starts); false when it failed or was overtaken. */
  const relist = async (from: number): Promise<boolean> => {
    if (stopped || from !== gen) return false;
    const g = ++gen; // retires the current watch before it is aborted
    relists++;
    clearTimeout(silence);
    ctrl?.abort();
    ctrl = null;
    let list;
    try { list = await o.list(); } catch (e) {
      if (stopped || g !== gen) return false;
      if (o.onListError && !o.onListError(e)) { stopped = true; return false; }
      setTimeout(() => void relist(g), retryMs);
      return false;
    }
    if (stopped || g !== gen) return false;
    deliver(list.items);
    void watch(list.metadata?.resourceVersion ?? '');
    return true;
  };

  const first = await o.list();
  deliver(first.items);
  await watch(first.metadata?.resourceVersion ?? '');
  return {
    objects,
    relists: () => relists,
    drop: () => ctrl?.abort(),
    watchdog: (ms) => { silentMs = ms; if (ctrl) heard(gen); else clearTimeout(silence); },
    resync: () => relist(gen),
    stop: () => { stopped = true; clearTimeout(silence); ctrl?.abort(); },
  };
}
