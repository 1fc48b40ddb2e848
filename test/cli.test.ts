import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildProgram, main } from '../cli/main.ts';
import { projectRoot } from '../core/paths.ts';

/** Every command path in the CLI, groups included (`sandbox`, `sandbox up`, …). */
function paths(c: Command, prefix: string[] = []): string[][] {
  return c.commands.flatMap((sub) => {
    const p = [...prefix, sub.name()];
    return [p, ...paths(sub, p)];
  });
}

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => { out += String(chunk); return true; }) as typeof process.stdout.write;
  try {
    return { code: await main(argv), out };
  } finally {
    process.stdout.write = write;
  }
}

test('every command answers --help with its usage and exit 0', async () => {
  const all = paths(buildProgram());
  for (const want of [['gate'], ['run'], ['check', 'daily'], ['drill', 'pod-kill'], ['drill', 'wednesday'], ['report', 'week1'], ['k6', 'generate'], ['sandbox', 'fault'], ['start']]) {
    assert.ok(all.some((p) => p.join(' ') === want.join(' ')), `command ${want.join(' ')} exists`);
  }
  for (const p of all) {
    const { code, out } = await capture([...p, '--help']);
    assert.is(code, 0, p.join(' '));
    assert.match(out, `Usage: harness ${p.join(' ')}`, p.join(' '));
    assert.ok(out.split('\n').length > 3, `${p.join(' ')} describes itself`);
  }
});

test('an unknown command or option is a usage error (exit 2)', async () => {
  const errWrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.is((await capture(['no-such-command'])).code, 2);
    assert.is((await capture(['gate', '--no-such-option'])).code, 2);
  } finally {
    process.stderr.write = errWrite;
  }
});

test('output piped into a reader that stops early (| true): exit 0, no stack trace', () => {
  const r = spawnSync('bash', ['-c', `node ${JSON.stringify(join(projectRoot, 'bin', 'harness.mjs'))} scenarios schema | true; echo "rc=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8' });
  assert.match(r.stderr, /rc=0\s*$/, r.stderr);
  assert.not.match(r.stderr, /EPIPE|\n\s+at /, r.stderr);
});

test.run();
