import type { Config, SandboxConfig } from '../core/config.ts';
import type { ProcessTable } from './proc.ts';

export interface PartStatus {
  name: string;
  healthy: boolean;
  /** Why it is (un)healthy, in words an operator can act on. */
  reason: string;
  endpoint?: string;
}

export interface SandboxContext {
  cfg: Config;
  sb: SandboxConfig;
  /** Absolute runtime dir (data, logs, pids, generated configs). */
  dir: string;
  procs: ProcessTable;
  progress(msg: string): void;
}

/** One real component of the sandbox platform. `up` runs install → start for each unhealthy part. */
export interface Part {
  name: string;
  /** Ports the part binds, with the config field that sets each (for a clear busy-port error). */
  ports(ctx: SandboxContext): Array<{ port: number; field: string }>;
  /** Idempotent and cached: downloads/builds into the user cache, skipped when present. */
  install(ctx: SandboxContext): Promise<void>;
  /** Starts the part and resolves when it serves requests. */
  start(ctx: SandboxContext): Promise<void>;
  /** Stops only what this part started. */
  stop(ctx: SandboxContext): Promise<void>;
  status(ctx: SandboxContext): Promise<PartStatus>;
  /** Whether any process of the part is alive; defaults to the pid file named after the part. */
  running?(ctx: SandboxContext): boolean;
}
