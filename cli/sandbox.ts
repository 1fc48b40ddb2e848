import type { Command } from 'commander';
import { runCommand } from '../core/run.ts';
import type { Check, RunRecord } from '../core/record.ts';
import type { PartStatus } from '../sandbox/part.ts';
import { GROUPS, PART_NAMES, selectPartNames } from '../sandbox/parts.ts';
import { FAULTS, FAULT_NAMES } from '../sandbox/faults.ts';

/** The parts themselves, loaded only when a sandbox command runs (not for help or a bad argument). */
const loadSandbox = () => import('../sandbox/index.ts');
/** The config and the sandbox's profile, read when a sandbox command runs. */
const context = () => import('./context.ts');

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export function partCheck(s: PartStatus): Check {
  return {
    id: `sandbox.${s.name}`, title: `${s.name} healthy`, target: 'healthy',
    observed: s.healthy ? 'healthy' : 'unhealthy', unit: '', status: s.healthy ? 'pass' : 'fail',
    evidence: { what: s.reason, how: 'process liveness plus a protocol-level probe', where: s.endpoint ?? '' },
  };
}

export function printStatus(r: RunRecord): void {
  const parts = (r.data.parts ?? []) as PartStatus[];
  if (!parts.length) return;
  const w = Math.max(...parts.map((p) => p.name.length));
  for (const p of parts) {
    process.stdout.write(`${p.healthy ? '✔' : '✘'} ${p.name.padEnd(w)}  ${(p.endpoint ?? '').padEnd(24)} ${p.reason}\n`);
  }
}

export function registerSandbox(program: Command): void {
  const sandbox = program.command('sandbox')
    .description('the embedded platform: real Kafka, PostgreSQL, Prometheus, Alertmanager and the reference services on 127.0.0.1');

  sandbox.command('up')
    .description('install (first run, cached) and start every part that is not healthy; idempotent')
    .option('--only <parts>', `comma-separated parts or groups (${Object.keys(GROUPS).join(', ')}; parts: ${PART_NAMES.join(', ')})`, list)
    .action(async (o: { only?: string[] }, cmd: Command) => {
      const { configFrom, sandboxRunOpts } = await context();
      const cfg = configFrom(cmd);
      selectPartNames(o.only);
      const [{ sandboxContext, sandboxUp, selectParts }, { writeSandboxProfile }] = await Promise.all([loadSandbox(), import('../sandbox/profile.ts')]);
      const parts = selectParts(o.only);
      process.exitCode = await runCommand(sandboxRunOpts(cmd, 'sandbox-up', cfg), async ({ rec, progress }) => {
        const statuses = await sandboxUp(sandboxContext(cfg, progress), parts);
        progress(`profile: ${writeSandboxProfile(cfg)} (harness sandbox profile)`);
        rec.setData('parts', statuses);
        statuses.forEach((s) => rec.addCheck(partCheck(s)));
      }, printStatus);
    });

  sandbox.command('down')
    .description('stop every process the sandbox started (and nothing else); data is kept')
    .option('--only <parts>', 'comma-separated parts or groups', list)
    .action(async (o: { only?: string[] }, cmd: Command) => {
      const { configFrom, sandboxRunOpts } = await context();
      const cfg = configFrom(cmd);
      selectPartNames(o.only);
      const { sandboxContext, sandboxDown, selectParts } = await loadSandbox();
      const parts = selectParts(o.only);
      process.exitCode = await runCommand(sandboxRunOpts(cmd, 'sandbox-down', cfg), async ({ rec, progress }) => {
        rec.setData('stopped', await sandboxDown(sandboxContext(cfg, progress), parts));
      });
    });

  sandbox.command('status')
    .description('health of each part with the reason; exit 1 if any part is unhealthy')
    .option('--only <parts>', 'comma-separated parts or groups', list)
    .action(async (o: { only?: string[] }, cmd: Command) => {
      const { configFrom, sandboxRunOpts } = await context();
      const cfg = configFrom(cmd);
      selectPartNames(o.only);
      const { sandboxContext, sandboxStatus, selectParts } = await loadSandbox();
      const parts = selectParts(o.only);
      process.exitCode = await runCommand(sandboxRunOpts(cmd, 'sandbox-status', cfg), async ({ rec }) => {
        const statuses = await sandboxStatus(sandboxContext(cfg), parts);
        rec.setData('parts', statuses);
        statuses.forEach((s) => rec.addCheck(partCheck(s)));
      }, printStatus);
    });

  sandbox.command('profile')
    .description('print the profile that describes the sandbox (the file `sandbox up` writes to <sandbox dir>/profile.yaml); a starting point for your own')
    .action(async (_o: unknown, cmd: Command) => {
      const [{ configFrom }, { sandboxProfileText }] = await Promise.all([context(), import('../sandbox/profile.ts')]);
      process.stdout.write(sandboxProfileText(configFrom(cmd)));
    });

  sandbox.command('fault')
    .description('set fault knobs live (no restart), e.g. `fault inference-latency-ms=150`; no arguments shows the current knobs')
    .argument('[knobs...]', `name=value pairs; names: ${FAULT_NAMES.join(', ')}`)
    .option('--clear', 'reset every knob to 0 (applied before any name=value given)')
    .addHelpText('after', `\nKnobs:\n${FAULT_NAMES.map((n) => `  ${n.padEnd(22)} ${FAULTS[n].help}`).join('\n')}\n`)
    .action(async (knobs: string[], o: { clear?: boolean }, cmd: Command) => {
      const [{ configFrom, sandboxRunOpts }, { parseFaultArgs, readFaults, writeFaults }, { sandboxDir }] = await Promise.all([
        context(), import('../sandbox/faults.ts'), import('../core/config.ts')]);
      const cfg = configFrom(cmd);
      const set = parseFaultArgs(knobs); // exits 2 naming the knob before anything changes
      const dir = sandboxDir(cfg);
      process.exitCode = await runCommand(sandboxRunOpts(cmd, 'sandbox-fault', cfg), async ({ rec }) => {
        const next = { ...(o.clear ? {} : readFaults(dir)), ...set };
        if (o.clear || knobs.length) writeFaults(dir, next);
        rec.setData('faults', next);
      }, (r) => {
        const f = r.data.faults as Record<string, number>;
        const names = Object.keys(f).filter((k) => f[k] !== 0);
        process.stdout.write(names.length ? names.map((k) => `${k}=${f[k]}`).join('\n') + '\n' : 'no faults set\n');
      });
    });
}

