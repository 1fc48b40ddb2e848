#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
// Output piped into a reader that stopped (`harness scenarios list | head`): stop quietly, as other
// command-line tools do, rather than with a stack trace for the write that could not land.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); throw e; });
}
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// The record is written: a leftover handle (a watch a library did not close) must not keep the CLI
// alive. The timer does not itself hold the process open.
setTimeout(() => process.exit(), 3000).unref();
