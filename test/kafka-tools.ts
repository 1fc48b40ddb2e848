/**
 * Kafka's own tools, from the same Maven jars as the sandbox broker (kafka-tools sits in its libs
 * folder, as in Kafka's distribution), for cross-checks: the harness's figures against a tool no one
 * here wrote. This parses the tool's live output; nothing is a fixture.
 */
import { spawn } from 'node:child_process';
import { kafkaClasspath, kafkaBrokers } from '../sandbox/kafka.ts';
import type { SandboxConfig } from '../core/config.ts';

export interface GroupRow { topic: string; partition: number; current: number | null; logEnd: number; lag: number | null }

function java(sb: SandboxConfig, main: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-Xms64m', '-Xmx256m', '-cp', kafkaClasspath(sb), main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${main} exited ${code}: ${err.slice(-2000)}`))));
  });
}

/**
 * `kafka-consumer-groups --describe --group G` (org.apache.kafka.tools.consumer.group.ConsumerGroupCommand).
 * Its table (ConsumerGroupCommand's printOffsets in apache/kafka tools/): a header line
 * `GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID`, then one row per
 * partition; `-` where the group has committed nothing. Columns are located by the header's names.
 */
export async function describeGroup(sb: SandboxConfig, group: string): Promise<{ rows: GroupRow[]; startedAt: number; endedAt: number }> {
  const startedAt = Date.now();
  const text = await java(sb, 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
    ['--bootstrap-server', kafkaBrokers(sb).join(','), '--describe', '--group', group]);
  const endedAt = Date.now();
  const lines = text.split('\n').filter((l) => l.trim());
  const header = lines.findIndex((l) => /^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\b/.test(l));
  if (header < 0) throw new Error(`no offsets table in kafka-consumer-groups output:\n${text}`);
  const names = lines[header]!.trim().split(/\s+/);
  const col = (n: string) => names.indexOf(n);
  const num = (v: string | undefined) => (v === undefined || v === '-' ? null : Number(v));
  const rows = lines.slice(header + 1).map((l) => l.trim().split(/\s+/)).filter((f) => f[col('GROUP')] === group).map((f) => ({
    topic: f[col('TOPIC')]!, partition: Number(f[col('PARTITION')]), current: num(f[col('CURRENT-OFFSET')]),
    logEnd: Number(f[col('LOG-END-OFFSET')]), lag: num(f[col('LAG')]),
  }));
  return { rows, startedAt, endedAt };
}

/**
 * `kafka-broker-api-versions` (org.apache.kafka.tools.BrokerApiVersionsCommand) with a client
 * config file, as an operator would check a login by hand: exit 0 and one `host:port (id: …) -> (`
 * block per broker when the brokers let it in; a non-zero exit with Kafka's own reason when not.
 */
export function brokerApiVersions(sb: SandboxConfig, bootstrap: string, configFile: string, timeoutMs = 90_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('java', ['-Xms64m', '-Xmx256m', '-cp', kafkaClasspath(sb), 'org.apache.kafka.tools.BrokerApiVersionsCommand',
      '--bootstrap-server', bootstrap, '--command-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}
