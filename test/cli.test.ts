import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshEntry } from '../bin/cli-build.mjs';
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

test('run before its dependencies are installed (a fresh clone, no node_modules): what to do, exit 3, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harness-nodeps-'));
  try {
    cpSync(join(projectRoot, 'bin'), join(dir, 'bin'), { recursive: true });
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'harness.mjs'), '--help'], { encoding: 'utf8', cwd: dir });
    assert.is(r.status, 3, r.stderr);
    assert.match(r.stderr, /npm start/);
    assert.not.match(r.stderr, /\n\s+at /, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const harness = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [join(projectRoot, 'bin', 'harness.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

test('the CLI runs from a bundle of the sources as they are, rebuilt when one changes, and says what the sources say', () => {
  const viaBundle = harness(['gate', '--help']);
  assert.is(viaBundle.status, 0, viaBundle.stderr);
  const entry = freshEntry();
  assert.ok(entry, 'a current bundle after a run');
  // A source changed since the build (its mtime here): the bundle is stale and the next start rebuilds it.
  const src = join(projectRoot, 'cli', 'k6.ts');
  const { atime, mtime } = statSync(src);
  try {
    utimesSync(src, atime, new Date(mtime.getTime() + 5000));
    assert.is(freshEntry(), null, 'stale once a source changed');
    assert.is(harness(['--help']).status, 0);
    const rebuilt = freshEntry();
    assert.ok(rebuilt && rebuilt !== entry, `rebuilt: ${rebuilt} after ${entry}`);
  } finally {
    utimesSync(src, atime, mtime);
  }
  assert.is(freshEntry(), null, 'the source as it was is not what the last bundle was built from');
  // The same answers as the sources run through tsx.
  for (const args of [['--help'], ['gate', '--help'], ['sandbox', 'fault', '--help'], ['sandbox', 'fault', 'nope=1'], ['no-such-command']]) {
    const a = harness(args);
    const b = harness(args, { CARBON_HARNESS_FROM_SOURCE: '1' });
    assert.equal([a.status, a.stdout, a.stderr], [b.status, b.stdout, b.stderr], args.join(' '));
  }
});

test.run();
