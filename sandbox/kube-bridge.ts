/**
 * The kubelet bridge: plays kubelet for `prediction-consumer` pods on the kwok nodes, so each pod is one
 * real consumer process of the reference services.
 *
 * - LIST the pods, then WATCH from the list's resourceVersion; re-list on 410 Gone or a broken watch
 *   (platform/kube-watch.ts, as the drills follow pods).
 * - A pod bound to a node (spec.nodeName) gets a slot i in 0..replicas-1 (the lowest free one, so a
 *   replacement reuses the slot its predecessor freed) and one process `prediction-consumer i` with
 *   CARBON_CONSUMER_ID=<pod name>, serving metrics on consumerBase+i — the static Prometheus targets.
 * - Readiness is decided here, not by kwok (kwok's pod stages skip pods labelled
 *   carbon-harness.io/kubelet=bridge): the pod becomes Ready once the `ready-delay-s` fault knob has
 *   elapsed since the bridge saw the pod bound to a node AND its process's /metrics answers. kwok
 *   would mark a pod Ready the instant it is scheduled, with no process behind it — a drill would
 *   then measure nothing real.
 * - A pod being deleted: the process gets SIGTERM at once (SIGKILL after the pod's grace period, at
 *   most 10 s); once it is gone the bridge finalises the deletion (grace 0), like a kubelet.
 * - A process that dies on its own is restarted (restartPolicy Always) after a kubelet-like
 *   CrashLoopBackOff (10 s, doubling, at most 5 min); the pod is NotReady meanwhile.
 *
 * - KUBE-STATE-METRICS STAND-IN: kube-state-metrics cannot be fetched here, so the bridge also serves
 *   the one series of it the daily crash check reads, `kube_pod_container_status_restarts_total`, from
 *   the pods as the API server lists them (status.containerStatuses[].restartCount, as kube-state-metrics
 *   derives it), on sandbox.ports.kubeStateMetrics for Prometheus to scrape.
 *
 * Slots survive a bridge restart (state file `kube/bridge-state.json`): live processes of pods that
 * still exist are adopted, not restarted; processes of pods that no longer exist are stopped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { listThenWatch, type ListWatch } from '../platform/kube-watch.ts';
import { podReady } from '../platform/kube.ts';
import type { SandboxConfig } from '../core/config.ts';
import { writeFileAtomic } from '../core/record.ts';
import { FaultWatcher } from './faults.ts';
import { BRIDGE_LABEL, BRIDGE_LABEL_VALUE, kubeConfig, kubeDir } from './kube.ts';
import { ProcessTable, isAlive } from './proc.ts';
import { replicaName, serviceCommand } from './services.ts';
import { firstLine } from '../core/errors.ts';

/** The service each bridged pod runs. */
const SERVICE = 'prediction-consumer';
const MAX_SLOTS = 16;

/** Ready as the cluster last showed it. */

interface Slot {
  slot: number;
  pod: string;
  uid: string;
  pid: number;
  startedAt: number;
  /** ready-delay-s counts from here: when the bridge first saw the pod bound to a node (or the restart). */
  readySince: number;
  restarts: number;
  ready: boolean;
  stopping: boolean;
  /** Set while the process is dead and waiting for its CrashLoopBackOff restart. */
  restartAt?: number;
  crashes?: number;
  /** Bumped on every (re)start: a readiness wait of an older process gives up. */
  generation: number;
  /** The container's waiting state while a crashed process waits for its restart. */
  waiting?: object;
  /** The last status patch failed (logged once until one succeeds). */
  patchFailing?: boolean;
  /** The previous run's end, reported as the container's lastState like a kubelet does. */
  lastTerminated?: Terminated;
}

interface Terminated { exitCode: number; reason: string; message?: string; startedAt: string; finishedAt: string }

function log(msg: string): void {
  process.stdout.write(`${new Date().toISOString()} kube-bridge: ${msg}\n`);
}

const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export async function main(): Promise<void> {
  const raw = process.env.CARBON_SANDBOX_CONFIG;
  const dir = process.env.CARBON_SANDBOX_DIR;
  if (!raw || !dir) throw new Error('CARBON_SANDBOX_CONFIG and CARBON_SANDBOX_DIR must be set (started by `harness sandbox up`)');
  const sb = JSON.parse(raw) as SandboxConfig;
  const bridge = new Bridge(sb, dir);
  const shutdown = () => { bridge.close(); log('stopping (consumer processes are left to `sandbox down`)'); process.exit(0); };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  await bridge.run();
}

class Bridge {
  private readonly procs: ProcessTable;
  private readonly faults: FaultWatcher;
  private readonly core: k8s.CoreV1Api;
  private readonly kc: k8s.KubeConfig;
  private readonly stateFile: string;
  private readonly slots = new Map<number, Slot>();
  /** The pods as the LIST and WATCH leave them, by uid. */
  private lw: ListWatch<k8s.V1Pod> | null = null;
  private readonly finalizing = new Set<string>();
  private readonly waitingLogged = new Set<string>();
  /** uid → when the bridge first saw the pod bound to a node. */
  private readonly boundSeen = new Map<string, number>();
  /** How the processes this bridge spawned ended, by pid (from their exit events). */
  private readonly exits = new Map<number, { code: number | null; signal: NodeJS.Signals | null; at: number }>();
  private listed = false;
  private closed = false;
  private pending = false;
  private running: Promise<void> | null = null;

  constructor(private readonly sb: SandboxConfig, private readonly dir: string) {
    this.procs = new ProcessTable(dir);
    this.faults = new FaultWatcher(dir, 100);
    this.kc = kubeConfig({ dir });
    this.core = this.kc.makeApiClient(k8s.CoreV1Api);
    this.stateFile = join(kubeDir({ dir }), 'bridge-state.json');
  }

  close(): void {
    this.closed = true;
    this.lw?.stop();
  }

  private get pods(): ReadonlyMap<string, k8s.V1Pod> { return this.lw?.objects ?? new Map(); }

  private get capacity(): number { return Math.min(this.sb.consumers.replicas, MAX_SLOTS); }

  private saveState(): void {
    writeFileAtomic(this.stateFile, JSON.stringify([...this.slots.values()].map((s) => ({
      slot: s.slot, pod: s.pod, uid: s.uid, pid: s.pid, startedAt: s.startedAt, restarts: s.restarts,
    })), null, 2) + '\n');
  }

  /** Adopts live processes recorded by an earlier bridge; stops consumer processes nobody owns. */
  private async loadState(): Promise<void> {
    let saved: Array<Pick<Slot, 'slot' | 'pod' | 'uid' | 'pid' | 'startedAt' | 'restarts'>> = [];
    try { if (existsSync(this.stateFile)) saved = JSON.parse(readFileSync(this.stateFile, 'utf8')); } catch { saved = []; }
    for (const s of saved) {
      if (this.procs.pid(replicaName(s.slot)) === s.pid && isAlive(s.pid)) {
        this.slots.set(s.slot, { ...s, readySince: s.startedAt, ready: false, stopping: false, generation: 0 });
        log(`adopted slot ${s.slot}: pod ${s.pod} pid ${s.pid}`);
      }
    }
    for (let i = 0; i < MAX_SLOTS; i++) {
      if (!this.slots.has(i) && this.procs.alive(replicaName(i))) {
        log(`stopping ${replicaName(i)} (pid ${this.procs.pid(replicaName(i))}): no pod owns it`);
        await this.procs.stop(replicaName(i), 5_000);
      }
    }
    this.saveState();
  }

  /** kube-state-metrics' restart counter for every pod the API lists (the stand-in described above). */
  private serveStateMetrics(): void {
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    createServer((req, res) => {
      if (req.url !== '/metrics') { res.statusCode = 404; res.end(); return; }
      const lines = ['# HELP kube_pod_container_status_restarts_total The number of container restarts per container.', '# TYPE kube_pod_container_status_restarts_total counter'];
      for (const pod of this.pods.values()) {
        for (const c of pod.status?.containerStatuses ?? []) {
          lines.push(`kube_pod_container_status_restarts_total{namespace="${esc(pod.metadata!.namespace!)}",pod="${esc(pod.metadata!.name!)}",uid="${esc(pod.metadata!.uid!)}",container="${esc(c.name)}"} ${c.restartCount ?? 0}`);
        }
      }
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(lines.join('\n') + '\n');
    }).listen(this.sb.ports.kubeStateMetrics, this.sb.host).unref();
  }

  async run(): Promise<void> {
    await this.loadState();
    this.serveStateMetrics();
    setInterval(() => this.schedule(), 1000).unref();
    const namespace = this.sb.kube.namespace;
    const labelSelector = `app=${this.sb.consumers.deployment},${BRIDGE_LABEL}=${BRIDGE_LABEL_VALUE}`;
    // The first LIST is tried until the API answers; re-lists after that are the helper's.
    while (!this.closed && !this.lw) {
      try {
        const lw = await listThenWatch<k8s.V1Pod>({
          kc: this.kc, path: `/api/v1/namespaces/${namespace}/pods`, query: { labelSelector, timeoutSeconds: 300 }, retryMs: 1000,
          list: () => this.core.listNamespacedPod({ namespace, labelSelector }),
          onEvent: () => this.schedule(),
          onList: (n) => { this.listed = true; log(`listed ${n} pod(s)`); this.schedule(); },
          onListError: (e) => { log(`API error (${firstLine(e)}); re-listing in 1 s`); return true; },
        });
        if (this.closed) lw.stop(); else this.lw = lw;
      } catch (e) {
        log(`API error (${firstLine(e)}); listing again in 1 s`);
        await sleep(1000);
      }
    }
    // Runs until closed (SIGTERM): the watch and the reconcile loop do the work.
    while (!this.closed) await sleep(1000);
  }

  /** Coalesces reconcile requests: at most one pass runs, and one more follows if asked meanwhile. */
  private schedule(): void {
    if (!this.listed) return;
    if (this.running) { this.pending = true; return; }
    this.running = this.reconcile()
      .catch((e: Error) => log(`reconcile failed: ${e.message}`))
      .finally(() => {
        this.running = null;
        if (this.pending) { this.pending = false; this.schedule(); }
      });
  }

  private slotOf(uid: string): Slot | undefined {
    for (const s of this.slots.values()) if (s.uid === uid) return s;
    return undefined;
  }

  private async reconcile(): Promise<void> {
    // Processes whose pod is gone entirely (deleted with grace 0, or while we were away).
    for (const s of this.slots.values()) {
      if (!s.stopping && !this.pods.has(s.uid)) void this.kill(s, 'pod deleted');
    }
    const pods = [...this.pods.values()].sort((a, b) =>
      String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')));
    for (const pod of pods) {
      const uid = pod.metadata!.uid!;
      const name = pod.metadata!.name!;
      const slot = this.slotOf(uid);
      if (pod.metadata?.deletionTimestamp) {
        if (slot && !slot.stopping) void this.kill(slot, 'pod is being deleted', pod);
        else if (!slot) void this.finalize(pod);
        continue;
      }
      if (!pod.spec?.nodeName) continue;
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      if (!this.boundSeen.has(uid)) this.boundSeen.set(uid, Date.now());
      if (!slot) {
        const free = Array.from({ length: this.capacity }, (_, i) => i).find((i) => !this.slots.has(i));
        if (free === undefined) {
          if (!this.waitingLogged.has(uid)) { this.waitingLogged.add(uid); log(`pod ${name}: all ${this.capacity} slots busy, waiting`); }
          continue;
        }
        this.waitingLogged.delete(uid);
        await this.startProcess(pod, free, 0, this.boundSeen.get(uid)!);
      } else if (!slot.stopping && !isAlive(slot.pid)) {
        if (slot.restartAt === undefined) {
          // CrashLoopBackOff: 10 s, doubling, at most 5 min; reset after 10 min of running. The slot
          // (and its metrics port) stays reserved for this pod meanwhile.
          const ranMs = Date.now() - slot.startedAt;
          slot.crashes = ranMs > 600_000 ? 1 : (slot.crashes ?? 0) + 1;
          const backoffS = Math.min(300, 10 * 2 ** (slot.crashes - 1));
          slot.restartAt = Date.now() + backoffS * 1000;
          slot.ready = false;
          slot.lastTerminated = this.terminated(slot);
          log(`pod ${name}: process ${slot.pid} (slot ${slot.slot}) exited after ${(ranMs / 1000).toFixed(1)} s; restarting in ${backoffS} s (CrashLoopBackOff)`);
          slot.waiting = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${backoffS}s restarting failed container` } };
          await this.patchStatus(pod, slot, false, slot.waiting);
        } else if (Date.now() >= slot.restartAt) {
          this.slots.delete(slot.slot);
          await this.startProcess(pod, slot.slot, slot.restarts + 1, Date.now(), slot.crashes, slot.lastTerminated);
        } else if (podReady(pod)) {
          await this.patchStatus(pod, slot, false, slot.waiting); // the crash's status never landed
        }
      } else if (!slot.stopping && slot.generation !== 0 && podReady(pod) !== slot.ready) {
        // As a kubelet's status loop: the cluster says other than this slot knows (a patch lost while
        // the API server was down, or overtaken by an older one). Without it a pod that became Ready
        // while the API was away stayed NotReady in the cluster for good.
        await this.patchStatus(pod, slot, slot.ready);
      } else if (!slot.stopping && slot.generation === 0) {
        // Adopted from an earlier bridge: confirm readiness with this bridge's own checks.
        slot.generation = 1;
        void this.awaitReady(pod, slot, 1);
      }
    }
  }

  private async startProcess(pod: k8s.V1Pod, i: number, restarts: number, readySince: number, crashes = 0, lastTerminated?: Terminated): Promise<void> {
    const name = pod.metadata!.name!;
    const c = serviceCommand({ sb: this.sb, dir: this.dir } as Parameters<typeof serviceCommand>[0], SERVICE, [String(i)]);
    // A slot is only free once its previous process is gone, so the metrics port is free too.
    const pid = this.procs.spawn(replicaName(i), c.cmd, c.args, { env: { ...c.env, CARBON_CONSUMER_ID: name }, cwd: c.cwd },
      (code, signal) => {
        // Only an end nobody asked for is a crash to report; a process stopped with its pod is not kept.
        if ([...this.slots.values()].some((x) => x.pid === pid && !x.stopping)) this.exits.set(pid, { code, signal, at: Date.now() });
      });
    const slot: Slot = { slot: i, pod: name, uid: pod.metadata!.uid!, pid, startedAt: Date.now(), readySince, restarts, crashes, ready: false, stopping: false, generation: Date.now(), lastTerminated };
    this.slots.set(i, slot);
    this.saveState();
    log(`pod ${name}: started consumer pid ${pid} in slot ${i} (metrics :${this.sb.ports.consumerBase + i})`);
    await this.patchStatus(pod, slot, false);
    void this.awaitReady(pod, slot, slot.generation);
  }

  /** Ready = ready-delay-s elapsed since the pod was bound (or the process restarted) AND /metrics answers. */
  private async awaitReady(pod: k8s.V1Pod, slot: Slot, generation: number): Promise<void> {
    const delayMs = this.faults.get('ready-delay-s') * 1000;
    const url = `http://${this.sb.host}:${this.sb.ports.consumerBase + slot.slot}/metrics`;
    const current = () => !this.closed && !slot.stopping && slot.generation === generation && this.slots.get(slot.slot) === slot;
    let metricsOk = false;
    while (current() && isAlive(slot.pid)) {
      if (!metricsOk) {
        try {
          const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
          await r.arrayBuffer();
          metricsOk = r.ok;
        } catch { /* not yet */ }
      }
      const waited = Date.now() - slot.readySince;
      if (metricsOk && waited >= delayMs) break;
      await sleep(metricsOk ? Math.min(100, Math.max(5, delayMs - waited)) : 100);
    }
    if (!current() || !isAlive(slot.pid)) return;
    slot.ready = true;
    await this.patchStatus(this.pods.get(slot.uid) ?? pod, slot, true);
    log(`pod ${slot.pod}: Ready ${((Date.now() - slot.readySince) / 1000).toFixed(2)} s after it was bound, ${((Date.now() - slot.startedAt) / 1000).toFixed(2)} s after process start (ready-delay-s=${delayMs / 1000})`);
  }

  private async patchStatus(pod: k8s.V1Pod, slot: Slot, ready: boolean, state?: object): Promise<void> {
    const now = rfc3339(Date.now());
    const started = rfc3339(slot.startedAt);
    const prev = new Map((pod.status?.conditions ?? []).map((c) => [c.type, c]));
    const cond = (type: string, status: boolean) => {
      const p = prev.get(type);
      const s = status ? 'True' : 'False';
      return { type, status: s, lastProbeTime: null, lastTransitionTime: p && p.status === s ? p.lastTransitionTime : now };
    };
    const container = pod.spec?.containers?.[0];
    const body = {
      status: {
        phase: 'Running',
        hostIP: this.sb.host,
        hostIPs: [{ ip: this.sb.host }],
        podIP: this.sb.host,
        podIPs: [{ ip: this.sb.host }],
        startTime: pod.status?.startTime ?? started,
        conditions: [
          cond('PodReadyToStartContainers', true), cond('Initialized', true),
          cond('Ready', ready), cond('ContainersReady', ready), cond('PodScheduled', true),
        ],
        containerStatuses: [{
          name: container?.name ?? SERVICE,
          image: container?.image ?? SERVICE,
          imageID: '',
          containerID: `carbon-bridge://${slot.pid}`,
          ready,
          started: !state,
          restartCount: slot.restarts,
          state: state ?? { running: { startedAt: started } },
          lastState: slot.lastTerminated ? { terminated: slot.lastTerminated } : {},
        }],
      },
    };
    try {
      await this.core.patchNamespacedPodStatus(
        { name: pod.metadata!.name!, namespace: this.sb.kube.namespace, body },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      if (slot.patchFailing) log(`pod ${pod.metadata!.name}: status sent again (Ready=${ready})`);
      slot.patchFailing = false;
    } catch (e) {
      // The next reconcile compares again and re-sends what is still out of date.
      if (!slot.patchFailing) log(`pod ${pod.metadata!.name}: status patch failed: ${firstLine(e)}`);
      slot.patchFailing = true;
    }
  }

  /**
   * How a crashed process ended, as a kubelet reports it: 128 + signal number when killed by a signal;
   * a process adopted from an earlier bridge was not ours to wait on, so its end is unknown (the
   * kubelet's own wording for a lost container).
   */
  private terminated(slot: Slot): Terminated {
    const e = this.exits.get(slot.pid);
    this.exits.delete(slot.pid);
    const startedAt = rfc3339(slot.startedAt);
    if (!e) return { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'the process ended while not supervised by this bridge', startedAt, finishedAt: rfc3339(Date.now()) };
    const code = e.code ?? 128 + (e.signal ? osConstants.signals[e.signal] : 0);
    return { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', ...(e.signal ? { message: `killed by ${e.signal}` } : {}), startedAt, finishedAt: rfc3339(e.at) };
  }

  /** Stops the pod's process (SIGTERM now, SIGKILL after the grace period), frees the slot, finalises the pod. */
  private async kill(slot: Slot, why: string, pod?: k8s.V1Pod): Promise<void> {
    slot.stopping = true;
    const grace = Math.min(10, pod?.metadata?.deletionGracePeriodSeconds ?? pod?.spec?.terminationGracePeriodSeconds ?? 0);
    const t0 = Date.now();
    log(`pod ${slot.pod}: ${why}; stopping pid ${slot.pid} (slot ${slot.slot}, grace ${grace} s)`);
    await this.procs.stop(replicaName(slot.slot), grace * 1000);
    log(`pod ${slot.pod}: pid ${slot.pid} gone after ${((Date.now() - t0) / 1000).toFixed(2)} s; slot ${slot.slot} free`);
    if (this.slots.get(slot.slot) === slot) this.slots.delete(slot.slot);
    this.boundSeen.delete(slot.uid);
    this.saveState();
    if (pod) await this.finalize(pod);
    this.schedule();
  }

  /** The kubelet's last word on a deleted pod: delete it for good (grace 0, only this uid). */
  private async finalize(pod: k8s.V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    if (this.finalizing.has(uid)) return;
    this.finalizing.add(uid);
    try {
      await this.core.deleteNamespacedPod({
        name: pod.metadata!.name!, namespace: this.sb.kube.namespace, gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code !== 404 && code !== 409) log(`pod ${pod.metadata!.name}: final delete failed: ${firstLine(e)}`);
    } finally {
      setTimeout(() => this.finalizing.delete(uid), 30_000).unref();
    }
  }
}
