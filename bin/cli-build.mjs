// The CLI's compiled form: cli/main.ts and everything it imports, bundled once by esbuild into
// node_modules/.cache and rebuilt by itself whenever a source changes. Running the sources
// through tsx costs ~0.1 s to register and ~0.15 s more to transpile-check the modules at each
// start; the bundle starts in about the time Node itself does (BENCHMARKS.md, "CLI start"). There
// is no build step a user can forget: a missing or stale bundle is built on the spot (~0.3 s), and
// when it cannot be built or written, bin/harness.mjs runs the sources through tsx as before.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheRoot = join(root, 'node_modules', '.cache', 'carbon-harness-cli');
const CURRENT = join(cacheRoot, 'current.json');
// A bump here rebuilds every cached bundle (the build's own options changed).
const FORMAT = 2;
// Bundles kept besides the current one: a CLI still running from one loads its chunks lazily.
const KEEP = 3;

const stamp = (file) => {
  const s = statSync(file);
  return `${s.mtimeMs}:${s.size}`;
};

/** What a bundle depends on besides its sources: the build tool and the compiler options. */
function toolchain() {
  return {
    root,
    esbuild: JSON.parse(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version,
    tsconfig: stamp(join(root, 'tsconfig.json')),
  };
}

/** The bundle's entry when it is built from the sources as they are now, else null. */
export function freshEntry() {
  try {
    const current = JSON.parse(readFileSync(CURRENT, 'utf8'));
    if (current.format !== FORMAT) return null;
    // Built in another checkout (a moved or copied one keeps its files' mtimes): its paths are that checkout's.
    const tools = toolchain();
    if (Object.entries(tools).some(([k, v]) => current.toolchain?.[k] !== v)) return null;
    for (const [file, was] of Object.entries(current.inputs)) if (stamp(join(root, file)) !== was) return null;
    const entry = join(cacheRoot, current.dir, 'main.js');
    return existsSync(entry) ? entry : null;
  } catch {
    return null; // no bundle yet, or a source removed or renamed
  }
}

/**
 * Each module keeps the location of its source: paths built from import.meta.url (the checkout
 * root, sandbox/schema.sql, the Kafka pom) must not move into the cache with the bundle. Each
 * source is stamped as it is read, so a file saved during the build makes the bundle stale.
 */
export const sourceUrls = (stamps = new Map()) => ({
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      stamps.set(args.path, stamp(args.path));
      return {
        contents: readFileSync(args.path, 'utf8').replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'ts',
      };
    });
  },
});

/** Builds the bundle and makes it current; returns its entry. Throws when esbuild cannot build it. */
export async function buildEntry() {
  const { build } = await import('esbuild');
  mkdirSync(cacheRoot, { recursive: true });
  const tools = toolchain();
  const dir = `b-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const out = join(cacheRoot, dir);
  const stamps = new Map();
  const result = await build({
    entryPoints: [join(root, 'cli', 'main.ts')],
    bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', outdir: out, absWorkingDir: root, metafile: true, logLevel: 'silent',
    plugins: [sourceUrls(stamps)],
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = stamps.get(join(root, file)) ?? stamp(join(root, file));
  // Written last and by rename: a concurrent start sees the old bundle or the new one, never half.
  const tmp = `${CURRENT}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify({ format: FORMAT, dir, builtAt: new Date().toISOString(), toolchain: tools, inputs }));
  renameSync(tmp, CURRENT);
  prune(dir);
  return join(out, 'main.js');
}

/** Keeps the newest bundles (their names start with their build time) and removes the rest. */
function prune(keep) {
  const old = readdirSync(cacheRoot).filter((d) => d.startsWith('b-') && d !== keep)
    .sort((a, b) => Number(b.split('-')[1]) - Number(a.split('-')[1])).slice(KEEP);
  for (const d of old) rmSync(join(cacheRoot, d), { recursive: true, force: true });
}
