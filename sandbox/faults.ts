import { existsSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/record.ts';

interface Knob { min: number; max: number; whole?: true; help: string }

/**
 * The fault knobs of the reference platform. Services re-read the file while running, so a knob
 * takes effect live, without a restart. Plain data: `harness sandbox fault --help` lists them
 * without loading a validation library.
 */
export const FAULTS = {
  'inference-latency-ms': { min: 0, max: 60_000, whole: true, help: 'extra latency added to every inference request (ms)' },
  'inference-error-rate': { min: 0, max: 1, help: 'fraction of inference requests answered with HTTP 500 (0..1)' },
  'consumer-drop-rate': { min: 0, max: 1, help: 'fraction of price messages the consumers silently lose (0..1)' },
  'consumer-delay-ms': { min: 0, max: 60_000, whole: true, help: 'processing time per message in the consumers (ms): builds lag' },
  'consumer-hold-ms': { min: 0, max: 60_000, whole: true, help: 'the consumers handle no message before it is this old (ms): end-to-end latency without a backlog' },
  'ready-delay-s': { min: 0, max: 600, help: 'seconds a replacement consumer pod takes to become Ready' },
  'consumer-duplicate-rate': { min: 0, max: 1, help: 'fraction of price messages the consumers process twice, as an at-least-once redelivery would (0..1)' },
  'feed-corrupt-rate': { min: 0, max: 1, help: 'fraction of price messages the feed sends damaged: the price changed after the checksum (0..1)' },
  'prediction-bias': { min: -1000, max: 1000, help: 'amount added to every prediction: a model that no longer matches the reference' },
  'workflow-failure-rate': { min: 0, max: 1, help: 'fraction of batch workflow runs that fail (0..1)' },
} as const satisfies Record<string, Knob>;

export type FaultName = keyof typeof FAULTS;
export type Faults = Partial<Record<FaultName, number>>;
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];

export function isFaultName(s: string): s is FaultName {
  return Object.hasOwn(FAULTS, s);
}

/** Parses `name=value` arguments; every problem names the knob so the user knows what to fix. */
export function parseFaultArgs(args: string[]): Faults {
  const out: Faults = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(arg, 'expected <name>=<value>, e.g. inference-latency-ms=150');
    const name = arg.slice(0, eq);
    const raw = arg.slice(eq + 1).trim();
    if (!isFaultName(name)) throw new UsageError(name, `unknown fault; known faults: ${FAULT_NAMES.join(', ')}`);
    const num = raw === '' ? NaN : Number(raw);
    const k: Knob = FAULTS[name];
    if (!Number.isFinite(num) || num < k.min || num > k.max || (k.whole && !Number.isInteger(num))) {
      throw new UsageError(name, `invalid value ${JSON.stringify(raw)}: expected ${k.whole ? 'a whole number' : 'a number'} from ${k.min} to ${k.max}`);
    }
    out[name] = num;
  }
  return out;
}

export function faultsFile(sandboxDir: string): string {
  return join(sandboxDir, 'faults.json');
}

export function readFaults(sandboxDir: string): Faults {
  const f = faultsFile(sandboxDir);
  if (!existsSync(f)) return {};
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Faults;
  } catch {
    return {}; // a torn read cannot happen (atomic writes), but a hand-edited file might be bad
  }
}

export function writeFaults(sandboxDir: string, faults: Faults): void {
  mkdirSync(sandboxDir, { recursive: true });
  writeFileAtomic(faultsFile(sandboxDir), JSON.stringify(faults, null, 2) + '\n');
}

/** Live view of the knobs for a long-running service: re-reads when the file changes. */
export class FaultWatcher {
  private mtime = -1;
  private current: Faults = {};
  private timer: NodeJS.Timeout;

  constructor(private readonly sandboxDir: string, intervalMs = 200) {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), intervalMs);
    this.timer.unref();
  }

  private refresh(): void {
    const f = faultsFile(this.sandboxDir);
    const m = existsSync(f) ? statSync(f).mtimeMs : 0;
    if (m !== this.mtime) {
      this.mtime = m;
      this.current = m ? readFaults(this.sandboxDir) : {};
    }
  }

  get(name: FaultName): number {
    return this.current[name] ?? 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
