#!/usr/bin/env node
// Installs node dependencies when node_modules is missing or older than the lock file, so
// `npm start` and `npm test` work on a fresh clone. Only Node built-ins: nothing is installed yet.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function ensureNodeModules(say = (m) => process.stderr.write(`${m}\n`)) {
  const stamp = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= statSync(lock).mtimeMs) return true;
  say('installing node dependencies (npm ci)…');
  return spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' }).status === 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exit(ensureNodeModules() ? 0 : 1);
}
