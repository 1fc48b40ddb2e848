import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, loadConfig } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'cfg-'));

function usageField(fn: () => unknown): string {
  try { fn(); } catch (e) {
    assert.instance(e, UsageError);
    return (e as UsageError).field;
  }
  assert.unreachable('expected a UsageError');
  return '';
}

test('defaults give the documented ports and topics partitioning', () => {
  const c = parseConfig({});
  assert.is(c.sandbox.kafka.partitions, 6);
  assert.is(c.sandbox.consumers.replicas, 3);
  assert.is(c.sandbox.kafka.version, '4.1.1');
});

test('a wrong type names the field path', () => {
  assert.match(usageField(() => parseConfig({ sandbox: { ports: { kafka: 'x' } } })), 'sandbox.ports.kafka');
});

test('an out-of-range value names the field', () => {
  assert.match(usageField(() => parseConfig({ sandbox: { consumers: { replicas: 0 } } })), 'sandbox.consumers.replicas');
});

test('an unknown key is rejected by name (typos do not pass silently)', () => {
  assert.match(usageField(() => parseConfig({ sandbox: { kafka: { partitons: 3 } } })), 'sandbox.kafka.partitons');
});

test('env interpolation fills secrets and reports a missing variable by field', () => {
  const c = parseConfig({ sandbox: { postgres: { password: '${PGPW}' } } }, 'f', { PGPW: 's3cret' });
  assert.is(c.sandbox.postgres.password, 's3cret');
  assert.is(parseConfig({ sandbox: { postgres: { password: '${NOPE:-dflt}' } } }, 'f', {}).sandbox.postgres.password, 'dflt');
  assert.is(usageField(() => parseConfig({ sandbox: { postgres: { password: '${NOPE}' } } }, 'f', {})), 'sandbox.postgres.password');
});

test('a malformed YAML file is a usage error naming the file', () => {
  const f = join(tmp, 'bad.yaml');
  writeFileSync(f, 'sandbox: [unclosed\n');
  assert.match(usageField(() => loadConfig(f)), f);
});

test('a missing --config file is a usage error', () => {
  assert.is(usageField(() => loadConfig(join(tmp, 'absent.yaml'))), '--config');
});

test.run();
