// The CLI's compiled form: cli/main.ts and everything it imports, bundled once by esbuild into
// node_modules/.cache and rebuilt by itself whenever a source file changes. Running the sources
// through tsx costs ~0.1 s to register and ~0.25 s to transpile-check every module at each start;
// the bundle starts in about the time Node itself does (BENCHMARKS.md, "CLI start"). There is no
// build step a user can forget: a missing or stale bundle is built on the spot (~0.3 s), and when
// it cannot be built or written, bin/harness.mjs runs the sources through tsx as before.
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheRoot = join(root, 'node_modules', '.cache', 'carbon-harness-cli');
const CURRENT = join(cacheRoot, 'current.json');
// A bump here rebuilds every cached bundle (the build's own options changed).
const FORMAT = 1;

const stamp = (file) => {
  const s = statSync(file);
  return `${s.mtimeMs}:${s.size}`;
};

/** The bundle's entry when it is built from the sources as they are now, else null. */
export function freshEntry() {
  let current;
  try { current = JSON.parse(readFileSync(CURRENT, 'utf8')); } catch { return null; }
  if (current.format !== FORMAT) return null;
  try {
    for (const [file, was] of Object.entries(current.inputs)) if (stamp(join(root, file)) !== was) return null;
  } catch { return null; } // a source was removed or renamed
  return join(cacheRoot, current.dir, 'main.js');
}

/**
 * Each module keeps the location of its source: paths built from import.meta.url (the checkout
 * root, sandbox/schema.sql, the Kafka pom) must not move into the cache with the bundle.
 */
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};

/** Builds the bundle and makes it current; returns its entry. Throws when esbuild cannot build it. */
export async function buildEntry() {
  const { build } = await import('esbuild');
  mkdirSync(cacheRoot, { recursive: true });
  const dir = `b-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const out = join(cacheRoot, dir);
  const result = await build({
    entryPoints: [join(root, 'cli', 'main.ts')],
    bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', outdir: out, absWorkingDir: root, metafile: true, logLevel: 'silent',
    plugins: [sourceUrls],
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    inputs[file] = stamp(join(root, file));
  }
  // Written last and by rename: a concurrent start sees the old bundle or the new one, never half.
  const tmp = `${CURRENT}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ format: FORMAT, dir, builtAt: new Date().toISOString(), inputs }));
  renameSync(tmp, CURRENT);
  prune(dir);
  return join(out, 'main.js');
}

/**
 * Old bundles go after a day: a CLI still running from one loads its chunks lazily, so a bundle
 * replaced a moment ago must stay.
 */
function prune(keep) {
  for (const d of readdirSync(cacheRoot)) {
    if (!d.startsWith('b-') || d === keep) continue;
    const p = join(cacheRoot, d);
    try { if (Date.now() - statSync(p).mtimeMs > 86_400_000) rmSync(p, { recursive: true, force: true }); } catch { /* another start pruned it */ }
  }
}
