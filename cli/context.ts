/**
 * What every command reads first, before anything runs: the harness config and the platform
 * profile (exit 2 on any mistake, no record, nothing touched), and the run options they imply.
 * Commands import this module, never the dispatcher (cli/main.ts).
 */
import type { Command } from 'commander';
import { loadConfig, runsDir, type Config } from '../core/config.ts';
import { registerProfileSecrets } from '../profile/secrets.ts';
import { announce, announces } from './notify.ts';
import type { RunRecord } from '../core/record.ts';
import { UsageError } from '../core/errors.ts';
import { loadProfile, profileRef, type LoadedProfile } from '../profile/load.ts';
import { sandboxProfile, sandboxProfileRef } from '../sandbox/profile.ts';

export interface GlobalOpts { config?: string; profile?: string; json?: boolean; quiet?: boolean }

/** Config errors surface before anything runs: exit 2, no record, nothing touched. */
export function configFrom(cmd: Command): Config {
  const file = (cmd.optsWithGlobals() as GlobalOpts).config;
  if (file === '') throw new UsageError('--config', 'names no file');
  return loadConfig(file);
}

/** The embedded sandbox's own profile (what `harness sandbox profile` prints). */
export const sandboxProfileOf = (cfg: Config): LoadedProfile => sandboxProfile(cfg);
export const isSandboxProfile = (cfg: Config, lp: LoadedProfile): boolean => lp.hash === sandboxProfile(cfg).hash;

/**
 * The platform under test: `--profile FILE`, else `$HARNESS_PROFILE`, else the embedded sandbox's
 * profile. Validated before anything runs: exit 2.
 */
export function profileFrom(cmd: Command, cfg: Config, env = process.env): LoadedProfile {
  const flag = (cmd.optsWithGlobals() as GlobalOpts).profile;
  if (flag === '') throw new UsageError('--profile', 'names no file');
  const file = flag ?? (env.HARNESS_PROFILE || undefined);
  const lp = file === undefined ? sandboxProfileOf(cfg) : loadProfile(file, env, flag !== undefined ? '--profile' : 'HARNESS_PROFILE');
  if (file !== undefined && lp.profile.name === 'sandbox' && !isSandboxProfile(cfg, lp)) {
    throw new UsageError(`${lp.source}: name`, '"sandbox" is reserved for the embedded sandbox\'s own profile; name this platform (e.g. staging)');
  }
  // From here on every record, report and message the run writes masks them.
  registerProfileSecrets(lp.profile);
  return lp;
}

/** The sandbox's own commands record against the sandbox's profile. */
export function sandboxRunOpts(cmd: Command, kind: string, cfg: Config) {
  const g = cmd.optsWithGlobals() as GlobalOpts;
  return { kind, runsDir: runsDir(cfg), platform: 'sandbox', profile: sandboxProfileRef(cfg), json: g.json, quiet: g.quiet };
}

export function runOpts(cmd: Command, kind: string, cfg: Config, lp: LoadedProfile) {
  const g = cmd.optsWithGlobals() as GlobalOpts;
  const n = lp.profile.notifications;
  return {
    kind, runsDir: runsDir(cfg), platform: lp.profile.name, profile: profileRef(lp), json: g.json, quiet: g.quiet,
    ...(announces(n, kind) ? { announce: (r: RunRecord, dir: string) => announce(n, r, dir) } : {}),
  };
}
