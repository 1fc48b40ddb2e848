#!/usr/bin/env node
// The CLI is TypeScript. It runs from a bundle built from the sources on the spot and cached
// (bin/cli-build.mjs), so it starts at once and there is no build step to forget; where the bundle
// cannot be built, the sources run through tsx.
import { pathToFileURL } from 'node:url';
import { buildEntry, freshEntry } from './cli-build.mjs';

// Output piped into a reader that stopped (`harness scenarios list | head`): stop quietly, as other
// command-line tools do, rather than with a stack trace for the write that could not land.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); throw e; });
}

async function loadMain() {
  if (process.env.CARBON_HARNESS_FROM_SOURCE !== '1') {
    const entry = freshEntry() ?? await buildEntry().catch(() => null);
    if (entry) {
      try { return (await import(pathToFileURL(entry).href)).main; } catch { /* removed or broken meanwhile: the sources */ }
    }
  }
  // A source esbuild cannot build, a cache that cannot be written, a bundle that would not load:
  // the sources through tsx, which report any error as before.
  const tsx = await import('tsx/esm/api').catch((e) => {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    // A fresh clone run before anything was installed: say what to do, not a resolver's stack.
    process.stderr.write('error: the harness\'s dependencies are not installed here (no node_modules/tsx): run `npm start` or `node bin/deps.mjs` in the checkout first\n');
    process.exit(3);
  });
  tsx.register();
  return (await import('../cli/main.ts')).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
// The record is written and the exit code follows it: a library's late failure (a socket of a
// broker that died mid-run) is reported, and must not turn the exit code into a crash's 1.
// Its name only: the message may carry an address with credentials, and the mask is the run's.
const late = (e) => process.stderr.write(`warning: a failure after the run ended (not judged): ${e?.code ?? e?.name ?? 'unknown'}\n`);
process.on('unhandledRejection', late);
process.on('uncaughtException', late);
// The record is written: a leftover handle (a watch a library did not close) must not keep the CLI
// alive. The timer does not itself hold the process open.
setTimeout(() => process.exit(), 3000).unref();
