/**
 * The sandbox's parts by name, in start order, and the groups `--only` accepts: names only, so a
 * command's help and argument checks need none of the parts' code (sandbox/index.ts holds the
 * parts themselves and refuses to load if the two lists disagree).
 */
import { UsageError } from '../core/errors.ts';

export const PART_NAMES = [
  'postgres', 'kafka', 'alert-sink', 'alertmanager', 'blackbox-exporter', 'prometheus',
  'inference-api', 'kube', 'prediction-consumer', 'price-feed', 'batch-workflow', 'user-traffic',
] as const;

export const GROUPS: Record<string, string[]> = {
  data: ['postgres', 'kafka'],
  monitoring: ['alert-sink', 'alertmanager', 'blackbox-exporter', 'prometheus'],
  services: ['inference-api', 'prediction-consumer', 'price-feed', 'batch-workflow', 'user-traffic'],
};

/** `--only` names (parts or groups) as part names in start order; every part when not given. */
export function selectPartNames(only?: string[]): string[] {
  if (only === undefined) return [...PART_NAMES];
  const known = `parts: ${PART_NAMES.join(', ')}; groups: ${Object.keys(GROUPS).join(', ')}`;
  if (only.length === 0) throw new UsageError('--only', `names no part; ${known}`);
  const names = new Set<string>();
  for (const n of only) {
    if (GROUPS[n]) GROUPS[n]!.forEach((g) => names.add(g));
    else if ((PART_NAMES as readonly string[]).includes(n)) names.add(n);
    else throw new UsageError('--only', `unknown part "${n}"; ${known}`);
  }
  return PART_NAMES.filter((p) => names.has(p));
}
