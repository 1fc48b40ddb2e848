import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseConfig, loadConfig, runsDir } from '../core/config.ts';
import { projectRoot } from '../core/paths.ts';
import { drillKubeConfig } from '../drills/safety.ts';
import { sandboxProfile } from '../sandbox/profile.ts';
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

test('runs folder: the config\'s runsDir, else $CARBON_HARNESS_RUNS (npm test\'s own folder), else runs/', () => {
  assert.is(runsDir(parseConfig({}), {}), join(projectRoot, 'runs'));
  assert.is(runsDir(parseConfig({}), { CARBON_HARNESS_RUNS: '/tmp/test-runs' }), '/tmp/test-runs');
  assert.is(runsDir(parseConfig({ runsDir: '/srv/runs' }), { CARBON_HARNESS_RUNS: '/tmp/test-runs' }), '/srv/runs');
  assert.is(usageField(() => parseConfig({ runsDir: '' })), 'config: runsDir');
});

test('drills never pick up $KUBECONFIG implicitly: the profile\'s kubeconfig and context', () => {
  const other = join(tmp, 'other-kubeconfig');
  writeFileSync(other, 'apiVersion: v1\nkind: Config\nclusters: [{name: prod, cluster: {server: "https://10.0.0.1:6443"}}]\ncontexts: [{name: prod, context: {cluster: prod, user: u}}, {name: stage, context: {cluster: prod, user: u}}]\ncurrent-context: prod\nusers: [{name: u, user: {}}]\n');
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = join(tmp, 'elsewhere');
  try {
    const base = sandboxProfile(parseConfig({ sandbox: { dir: join(tmp, 'sandbox-dir') } })).profile;
    assert.is(base.platform.kubernetes!.kubeconfig, join(tmp, 'sandbox-dir', 'kube', 'kubeconfig'));
    const named = { ...base, platform: { ...base.platform, kubernetes: { ...base.platform.kubernetes!, kubeconfig: other, context: 'stage' } } };
    assert.is(drillKubeConfig(named).kc.getCurrentContext(), 'stage');
    const none = { ...base, platform: { ...base.platform, kubernetes: undefined } };
    assert.is(usageField(() => drillKubeConfig(none)), 'platform.kubernetes');
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG; else process.env.KUBECONFIG = saved;
  }
});

test('a missing --config file is a usage error', () => {
  assert.is(usageField(() => loadConfig(join(tmp, 'absent.yaml'))), '--config');
});

test.run();
