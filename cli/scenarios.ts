import type { Command } from 'commander';
import type { Catalog } from '../scenarios/catalog.ts';
import type { Scenario } from '../scenarios/types.ts';

function describeLoad(s: Scenario): string {
  const e = s.executor;
  return e.executor === 'constant-arrival-rate'
    ? `${e.rate}/${e.timeUnit} for ${e.duration}`
    : `${e.startRate}→${e.stages.map((x) => `${x.target}@${x.duration}`).join('→')}/${e.timeUnit}`;
}

function printCatalog(c: Catalog): void {
  process.stdout.write(`files: ${c.files.join(', ')}\n\nscenarios:\n`);
  for (const s of Object.values(c.scenarios)) {
    process.stdout.write(`  ${s.name} (${s.target.kind}, ${s.executor.executor} ${describeLoad(s)}) — ${s.description}\n`);
    for (const [key, specs] of Object.entries(s.thresholds)) {
      process.stdout.write(`      ${key}: ${specs.map((t) => (typeof t === 'string' ? t : t.threshold)).join(', ')}\n`);
    }
  }
  process.stdout.write('\nsuites:\n');
  for (const [name, suite] of Object.entries(c.suites)) process.stdout.write(`  ${name}: ${suite.scenarios.join(', ')}   (${suite.source})\n`);
}

export function registerScenarios(program: Command): void {
  const sc = program.command('scenarios').description('the load scenarios and suites of the profile (its scenario files; `builtin` is the harness\'s own)');
  sc.command('list')
    .description('every scenario with its load and thresholds (targets resolved against the profile\'s slos), and every suite')
    .action(async (_o: unknown, cmd: Command) => {
      const [{ configFrom, profileFrom }, { scenarioCatalog }] = await Promise.all([import('./context.ts'), import('../scenarios/catalog.ts')]);
      const cfg = configFrom(cmd);
      const cat = scenarioCatalog(profileFrom(cmd, cfg));
      if (cmd.optsWithGlobals<{ json?: boolean }>().json) process.stdout.write(`${JSON.stringify(cat, null, 2)}\n`);
      else printCatalog(cat);
    });
  sc.command('schema')
    .description('print the scenario files\' JSON Schema (also in docs/scenarios.schema.json)')
    .action(async () => {
      const { scenarioJsonSchema } = await import('../scenarios/file.ts');
      process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
    });
}
