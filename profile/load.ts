import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseYamlFile } from '../core/yaml-file.ts';
import { readUserFile } from '../core/files.ts';
import { ProfileSchema, type Profile } from './schema.ts';

/** A profile as loaded: the values, and what names it in a record (never the secrets it resolved). */
export interface LoadedProfile {
  profile: Profile;
  /** The file it came from. */
  source: string;
  /** sha256 of the file's text before `${…}` was resolved (first 16 hex): a secret never enters it. */
  hash: string;
  /** `file:line` of a key path, for errors found after loading (a suite naming an unknown scenario). */
  lineOf?: (path: Array<string | number>) => string;
}

/** What a record keeps of the profile it ran against. */
export interface ProfileRef { name: string; source: string; hash: string }

export const profileRef = (p: LoadedProfile): ProfileRef => ({ name: p.profile.name, source: p.source, hash: p.hash });

const MAX_BYTES = 1 << 20;

/** The value of `scenarios` that names the harness's own suite file (scenarios/definitions/deploy.yaml). */
export const BUILTIN_SCENARIOS = 'builtin';

/** Parses profile text; errors are `file:line: key: message`, exit 2. */
export function parseProfile(text: string, source: string, env: NodeJS.ProcessEnv = process.env): LoadedProfile {
  const baseDir = dirname(source);
  const { value: profile, lineOf } = parseYamlFile(text, source, ProfileSchema, { env, baseDir, expect: 'name, platform and slos' });
  // Relative paths are the profile's neighbours, never whatever the working directory holds.
  const k = profile.platform.kubernetes;
  if (k?.kubeconfig && !isAbsolute(k.kubeconfig)) k.kubeconfig = resolve(baseDir, k.kubeconfig);
  const audit = profile.security.auditLog;
  if (audit && !isAbsolute(audit.path)) audit.path = resolve(baseDir, audit.path);
  profile.scenarios = profile.scenarios.map((f) => (f === BUILTIN_SCENARIOS || isAbsolute(f) ? f : resolve(baseDir, f)));
  return { profile, source, hash: createHash('sha256').update(text).digest('hex').slice(0, 16), lineOf };
}

export function loadProfile(file: string, env: NodeJS.ProcessEnv = process.env, field = '--profile'): LoadedProfile {
  const { path, text } = readUserFile(file, field, MAX_BYTES);
  return parseProfile(text, path, env);
}
