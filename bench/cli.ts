/**
 * How fast the CLI starts: `harness --help` against `node -e 0` (the floor any Node CLI stands on),
 * and how long `harness run` takes from its start to its first request on the wire.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../core/paths.ts';
import { median } from './median.ts';

const HARNESS = join(projectRoot, 'bin', 'harness.mjs');
const RUNS = 10;

function wallMs(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore', env });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t;
}

/** Medians of RUNS runs each, after one run that warms the disk cache and builds the CLI bundle. */
function helpTimes() {
  wallMs([HARNESS, '--help']);
  const fromSource = { ...process.env, CARBON_HARNESS_FROM_SOURCE: '1' };
  wallMs([HARNESS, '--help'], fromSource);
  const node: number[] = []; const help: number[] = []; const source: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    node.push(wallMs(['-e', '0']));
    help.push(wallMs([HARNESS, '--help']));
    source.push(wallMs([HARNESS, '--help'], fromSource));
  }
  return { nodeMs: median(node), helpMs: median(help), sourceMs: median(source) };
}

/**
 * `harness run inference-latency` against a profile whose inference API is the bench's target
 * server: from spawning the CLI to the target seeing its first request.
 */
async function firstRequestMs(): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  const out: number[] = [];
  try {
    const sandboxProfile = spawnSync(process.execPath, [HARNESS, 'sandbox', 'profile'], { encoding: 'utf8' }).stdout;
    for (let i = 0; i < 5; i++) {
      const target = spawn(process.execPath, [join(projectRoot, 'bench', 'target-server.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines = createInterface({ input: target.stdout! })[Symbol.asyncIterator]();
      const port = String((await lines.next()).value).trim();
      const profile = join(dir, 'profile.yaml');
      // The sandbox profile with the bench's target as its inference API (and a name of its own).
      const text = sandboxProfile.replace(/^name: sandbox$/m, 'name: bench').replace(/(inferenceApi:\n\s+url: )\S+/, `$1http://127.0.0.1:${port}`);
      if (!text.includes(`url: http://127.0.0.1:${port}`) || !text.includes('name: bench')) throw new Error('the sandbox profile has no inferenceApi.url to point at the target');
      writeFileSync(profile, text);
      const start = performance.timeOrigin + performance.now();
      const cli = spawn(process.execPath, [HARNESS, '-q', '-p', profile, 'run', 'inference-latency', '--duration', '1s'],
        { stdio: 'ignore', env: { ...process.env, CARBON_HARNESS_RUNS: join(dir, 'runs') } });
      const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
      const line = await Promise.race([lines.next(), exited.then((code) => { throw new Error(`harness run exited ${code} before any request reached the target`); })]);
      const first = Number(String((line as IteratorResult<string>).value).split(' ')[1]);
      out.push(first - start);
      await exited;
      target.kill();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function cliBench(say: (m: string) => void) {
  say(`CLI start: harness --help and node -e 0, ${RUNS} runs each…`);
  const help = helpTimes();
  say('CLI start: harness run inference-latency until its first request, 5 runs…');
  const first = await firstRequestMs();
  return { ...help, firstMs: first };
}

export function cliMarkdown(r: Awaited<ReturnType<typeof cliBench>>): string {
  const f = (v: number) => v.toFixed(0);
  return `## CLI start

Wall time from spawning the process to its exit (median of ${RUNS} runs: the mean of the two middle ones), on an idle machine. The CLI runs from a bundle
esbuild builds from the sources on first use and whenever one changes (\`bin/cli-build.mjs\`); the command modules are
loaded only when their command runs.

| command | median ms | ratio to \`node -e 0\` |
|---|---|---|
| \`node -e 0\` (the floor) | ${f(r.nodeMs)} | 1.0× |
| \`harness --help\` | ${f(r.helpMs)} | **${(r.helpMs / r.nodeMs).toFixed(1)}×** |
| \`harness --help\` from the sources through tsx (\`CARBON_HARNESS_FROM_SOURCE=1\`) | ${f(r.sourceMs)} | ${(r.sourceMs / r.nodeMs).toFixed(1)}× |

\`harness run inference-latency\` against the bench's target server (a profile naming it as the inference API), from
spawning the CLI to the target's first request: ${r.firstMs.map(f).join(', ')} ms (max **${f(Math.max(...r.firstMs))} ms**).
`;
}
