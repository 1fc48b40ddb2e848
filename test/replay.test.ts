/**
 * The replay test (docs/checks.md): every record the suite wrote is judged again from what it stored,
 * under the profile it ran with, without touching the platform. Each check judged from evidence must
 * come out as it did when the run judged it. Over the whole suite (`npm test` sets
 * CARBON_HARNESS_SUITE_T0 and runs this file last), every id docs/checks.md marks "evidence" must have
 * been re-judged at least once, and every id any record holds must be in docs/checks.md.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cfg } from './support.ts';
import { runsDir } from '../core/config.ts';
import { RECORD_SCHEMA_VERSION, type RunRecord } from '../core/record.ts';
import { parseRecord } from '../core/journal.ts';
import { loadProfile, type LoadedProfile } from '../profile/load.ts';
import { rejudge } from '../cli/actions/judge.ts';

/** The ids of docs/checks.md as patterns, with how each is judged. */
interface Entry { id: string; re: RegExp; from: string; literal: number }

function catalog(): Entry[] {
  const text = readFileSync(join(import.meta.dirname, '..', 'docs', 'checks.md'), 'utf8');
  const out: Entry[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]!.startsWith('`')) continue;
    for (const id of cells[1]!.match(/`[^`]+`/g)!.map((x) => x.slice(1, -1))) {
      // A name has no colon, except a metric (it may carry tags), a threshold and a load check's id;
      // `<suffix>` may be empty. The literal parts are matched as written.
      const names = id.match(/<[^>]+>/g) ?? [];
      const literal = id.split(/<[^>]+>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      const name = (n: string) => (n === '<suffix>' ? '.*' : ['<metric>', '<threshold>', '<check>'].includes(n) ? '.+' : '[^:]+');
      const re = new RegExp(`^${literal.map((part, i) => part + (i < names.length ? name(names[i]!) : '')).join('')}$`);
      out.push({ id, re, from: cells[2]!, literal: id.replace(/<[^>]+>/g, '').length });
    }
  }
  return out;
}

/** The catalog entry of a check id: of those that match, the one with the most written out (`baseline:<scenario>:errors` before `<scenario>:<metric>:<threshold>`). */
const entryOf = (ids: Entry[], id: string): Entry | undefined => ids.filter((x) => x.re.test(id)).sort((a, b) => b.literal - a.literal)[0];

const since = process.env.CARBON_HARNESS_SUITE_T0;
const JUDGED = new Set(['gate', 'run', 'drill', 'security', 'daily']);

/** The suite's records, each read as every reader reads it (core/journal.ts); one it cannot read is named. */
function records(): { records: RunRecord[]; unreadable: string[] } {
  const dir = runsDir(cfg);
  const out: RunRecord[] = [];
  const unreadable: string[] = [];
  for (const d of existsSync(dir) ? readdirSync(dir) : []) {
    const f = join(dir, d, 'record.json');
    if (!existsSync(f)) continue;
    let value: unknown;
    try { value = JSON.parse(readFileSync(f, 'utf8')); } catch (e) { unreadable.push(`${d}: ${(e as Error).message}`); continue; }
    const parsed = parseRecord(value);
    if ('error' in parsed) {
      // Records of an older harness (a runs folder kept across versions) may be refused; this suite's may not.
      if (!since || String((value as { startedAt?: unknown }).startedAt) >= since) unreadable.push(`${d}: ${parsed.error}`);
      continue;
    }
    if (!since || (parsed.record.startedAt ?? '') >= since) out.push(parsed.record);
  }
  return { records: out, unreadable };
}

test('every record the suite wrote is readable by the journal\'s schema of its kind', () => {
  const { records: all, unreadable } = records();
  assert.ok(all.length > 0, `no record in ${runsDir(cfg)}`);
  assert.equal(unreadable, [], 'records the harness wrote and its own readers refuse');
});

test('docs/checks.md: every check id a record of the suite holds is in the catalog', () => {
  const ids = catalog();
  assert.ok(ids.length > 60, `${ids.length} ids read from docs/checks.md`);
  const unknown = new Set<string>();
  for (const r of records().records) for (const c of r.checks) if (!entryOf(ids, c.id)) unknown.add(`${c.id} (${r.kind} ${r.id})`);
  assert.equal([...unknown], [], 'ids missing from docs/checks.md');
});

test('every stored verdict judged from evidence is judged the same again from the record alone', async () => {
  const ids = catalog();
  const profiles = new Map<string, LoadedProfile | string>();
  const profileOf = (r: RunRecord): LoadedProfile | string => {
    const ref = r.profile as { source?: string; hash?: string } | undefined;
    if (!ref?.source || !existsSync(ref.source)) return `profile ${ref?.source ?? '(none)'} is gone`;
    if (!profiles.has(ref.source)) {
      try { profiles.set(ref.source, loadProfile(ref.source)); } catch (e) { profiles.set(ref.source, `profile ${ref.source}: ${(e as Error).message}`); }
    }
    const lp = profiles.get(ref.source)!;
    // The same file rewritten since (a test's variant): not the targets this run was judged by.
    return typeof lp === 'string' || lp.hash === ref.hash ? lp : `profile ${ref.source} changed since the run`;
  };
  const seen = new Map<string, number>();
  const differ: string[] = [];
  const skipped: string[] = [];
  let judged = 0;
  const missed: string[] = [];
  for (const r of records().records.filter((x) => JUDGED.has(x.kind))) {
    const lp = profileOf(r);
    if (typeof lp === 'string') { skipped.push(`${r.id}: ${lp}`); continue; }
    const again = await rejudge(r, lp);
    judged++;
    const redone = new Map(again.checks.map((c) => [c.id, c]));
    // This harness's records: each check the catalog says is judged from evidence must have been.
    if (r.schemaVersion === RECORD_SCHEMA_VERSION) {
      const rejudged = new Set(again.rejudged);
      for (const c of r.checks) if (entryOf(ids, c.id)?.from === 'evidence' && !rejudged.has(c.id)) missed.push(`${r.kind} ${r.id} ${c.id}: ${redone.get(c.id)?.evidence.judged ?? 'not judged again'}`);
    }
    for (const id of new Set(again.rejudged)) {
      const before = r.checks.find((c) => c.id === id);
      const after = redone.get(id);
      if (!before || !after) continue;
      const entry = entryOf(ids, id);
      if (entry?.from !== 'evidence') continue;
      seen.set(entry.id, (seen.get(entry.id) ?? 0) + 1);
      if (before.status !== after.status || JSON.stringify(before.observed) !== JSON.stringify(after.observed)) {
        differ.push(`${r.kind} ${r.id} ${id}: ${before.status} ${JSON.stringify(before.observed)} → ${after.status} ${JSON.stringify(after.observed)} (${after.evidence.what?.slice(0, 200)})`);
      }
    }
  }
  process.stderr.write(`replay: ${judged} record(s) judged again, ${skipped.length} skipped (profile gone or changed); ${[...seen.values()].reduce((a, b) => a + b, 0)} verdicts over ${seen.size} catalog ids\n`);
  assert.ok(judged > 0, 'no record was judged again');
  assert.equal(missed, [], 'checks judged from evidence that were not derived again from the record');
  assert.equal(differ, [], 'verdicts that came out differently from the stored evidence');
  if (since) {
    const never = ids.filter((x) => x.from === 'evidence' && !seen.has(x.id)).map((x) => x.id);
    assert.equal(never, [], 'catalog ids judged from evidence that no record of the suite re-judged');
  }
});

test.run();
