import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Kafka, Admin } from 'kafkajs';
import { kafkajs } from '../platform/kafka.ts';
import { sandboxKafkaConn } from './connect.ts';
import { ensurePlatformTls, KEYSTORE } from './tls.ts';
import type { SandboxConfig } from '../core/config.ts';
import { InfraError, firstLine } from '../core/errors.ts';
import { cacheDir } from '../core/paths.ts';
import { aptInstall } from './apt.ts';
import type { Part, PartStatus, SandboxContext } from './part.ts';
import { portOpen, requirePortFree, run, waitFor } from './proc.ts';

/**
 * Real Apache Kafka, single node in KRaft combined mode (broker + controller in one JVM).
 * Jars come from Maven Central through sandbox/kafka/pom.xml and are cached per version in the
 * user cache; data and the generated server.properties live under `<sandbox dir>/kafka/`.
 */

/** The default shape's topics (tests of the default sandbox use them by name). */
export const TOPICS = ['commodity-prices', 'ml-predictions'] as const;
export type Topic = (typeof TOPICS)[number];
/** This sandbox's topics: prices, then predictions. */
export const topicsOf = (sb: SandboxConfig): string[] => [sb.topics.prices, sb.topics.predictions];

const NAME = 'kafka';
const HOST = '127.0.0.1';
const POM = fileURLToPath(new URL('./kafka/pom.xml', import.meta.url));
const LOG4J = fileURLToPath(new URL('./kafka/log4j2.xml', import.meta.url));
const READY_TIMEOUT_MS = 90_000;

export function kafkaBrokers(sb: SandboxConfig): string[] {
  return [`${HOST}:${sb.ports.kafka}`];
}

function home(sb: SandboxConfig): string { return cacheDir(`kafka-${sb.kafka.version}`); }
function libsDir(sb: SandboxConfig): string { return join(home(sb), 'libs'); }
function stampFile(sb: SandboxConfig): string { return join(home(sb), '.installed'); }
function runDir(ctx: SandboxContext): string { return join(ctx.dir, 'kafka'); }
function dataDir(ctx: SandboxContext): string { return join(runDir(ctx), 'data'); }
function propsFile(ctx: SandboxContext): string { return join(runDir(ctx), 'server.properties'); }

function classpath(sb: SandboxConfig): string { return `${libsDir(sb)}/*`; }

/** A tool Kafka needs: installed from Debian when missing (as PostgreSQL and Prometheus are). */
async function requireTool(cmd: string, args: string[], pkg: string, why: string, progress: (m: string) => void): Promise<void> {
  try {
    await run(cmd, args);
    return;
  } catch { /* missing: install below */ }
  try {
    progress(`kafka: ${cmd} not found; installing ${pkg} (${why})…`);
    await aptInstall([pkg], progress);
    await run(cmd, args);
  } catch (e) {
    throw new InfraError(`${cmd} is needed (${why}) and apt-get install ${pkg} did not provide it: ${firstLine(e)}`, NAME);
  }
}

/** A short-lived admin client for probes: fail fast, never log. */
function probeClient(sb: SandboxConfig, retries = 0): Kafka {
  return kafkajs(sandboxKafkaConn(sb), 'carbon-harness-sandbox', {
    connectionTimeout: 1_500,
    requestTimeout: 5_000,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
}

async function withAdmin<T>(sb: SandboxConfig, fn: (admin: Admin) => Promise<T>, retries = 0): Promise<T> {
  const admin = probeClient(sb, retries).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

interface TopicHealth { ok: boolean; reason: string; partitions: Map<string, number> }

/** Checks that every harness topic exists and every one of its partitions has a leader. */
async function topicHealth(admin: Admin, TOPICS: string[]): Promise<TopicHealth> {
  const { topics } = await admin.fetchTopicMetadata();
  const byName = new Map(topics.map((t) => [t.name, t]));
  const partitions = new Map<string, number>();
  for (const name of TOPICS) {
    const t = byName.get(name);
    if (!t) return { ok: false, reason: `topic ${name} missing`, partitions };
    partitions.set(name, t.partitions.length);
    const leaderless = t.partitions.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0);
    if (t.partitions.length === 0 || leaderless.length > 0) {
      return {
        ok: false,
        reason: `topic ${name}: ${leaderless.length || 'all'} of ${t.partitions.length} partitions without a leader`,
        partitions,
      };
    }
  }
  return { ok: true, reason: '', partitions };
}

/**
 * The secured shape has one client listener, SASL_SSL with SCRAM-SHA-512: the broker's own
 * inter-broker traffic uses it too (its SCRAM user is made at format time). The controller
 * listener stays on loopback plaintext, as it is internal to the one node.
 */
function listenerProperties(ctx: SandboxContext): Record<string, string> {
  const { ports, security } = ctx.sb;
  if (!security.enabled) {
    return {
      'listeners': `PLAINTEXT://${HOST}:${ports.kafka},CONTROLLER://${HOST}:${ports.kafkaController}`,
      'advertised.listeners': `PLAINTEXT://${HOST}:${ports.kafka}`,
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    };
  }
  const tls = join(ctx.dir, 'tls');
  return {
    'listeners': `SASL_SSL://${HOST}:${ports.kafka},CONTROLLER://${HOST}:${ports.kafkaController}`,
    'advertised.listeners': `SASL_SSL://${HOST}:${ports.kafka}`,
    'inter.broker.listener.name': 'SASL_SSL',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config':
      `org.apache.kafka.common.security.scram.ScramLoginModule required username="${security.user}" password="${security.password}";`,
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': join(tls, KEYSTORE),
    'ssl.keystore.password': security.password,
    'ssl.key.password': security.password,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': join(tls, 'ca.crt'),
  };
}

function serverProperties(ctx: SandboxContext): string {
  const { ports, kafka } = ctx.sb;
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${HOST}:${ports.kafkaController}`,
    ...listenerProperties(ctx),
    'controller.listener.names': 'CONTROLLER',
    'log.dirs': dataDir(ctx),
    'num.partitions': kafka.partitions,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // The harness checks that its topics exist; a typo must not silently create a new one.
    'auto.create.topics.enable': false,
    // After a crash (SIGKILL) the restarted node waits for its previous registration's session
    // to lapse before it unfences; the 9 s default would add ~10 s to every unclean restart.
    'broker.heartbeat.interval.ms': 500,
    'broker.session.timeout.ms': 3_000,
    'num.network.threads': 3,
    'num.io.threads': 8,
    'num.recovery.threads.per.data.dir': 1,
    // A sandbox runs load tests for hours: bound the disk it can take.
    'log.segment.bytes': 64 * 1024 * 1024,
    'log.retention.bytes': 256 * 1024 * 1024,
    'log.retention.hours': 6,
    'log.retention.check.interval.ms': 60_000,
  };
  return `# Generated by carbon-harness sandbox/kafka.ts — edits are overwritten on start.\n${
    Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
}

/**
 * Kafka cluster ids are 16 random bytes, base64url without padding (what `StorageTool random-uuid`
 * prints). Like Kafka's own Uuid.randomUuid, never one starting with '-': the CLI would take it for a flag.
 */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The cache is good for this version and this pom: a pom that gained a jar fetches again. */
function stampOk(sb: SandboxConfig, pomHash: string): boolean {
  try { return (JSON.parse(readFileSync(stampFile(sb), 'utf8')) as { pom?: string }).pom === pomHash && existsSync(libsDir(sb)); } catch { return false; }
}

/** The Kafka jars' classpath, kafka-tools included (for cross-checks with Kafka's own tools). */
export function kafkaClasspath(sb: SandboxConfig): string { return classpath(sb); }

async function install(ctx: SandboxContext): Promise<void> {
  const { sb } = ctx;
  const version = sb.kafka.version;
  const libs = libsDir(sb);
  const pomHash = createHash('sha256').update(readFileSync(POM)).digest('hex').slice(0, 16);
  if (stampOk(sb, pomHash)) return;

  await requireTool('java', ['-version'], 'openjdk-17-jre-headless', 'Kafka 4.x runs on Java 17+', ctx.progress);
  await requireTool('mvn', ['-v'], 'maven', 'it fetches the Kafka jars from Maven Central', ctx.progress);

  ctx.progress(`kafka: downloading ${version} jars from Maven Central (first run only)…`);
  const started = Date.now();
  mkdirSync(home(sb), { recursive: true });
  const tmp = join(home(sb), `libs.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    await run('mvn', [
      '-B', '-ntp', '-f', POM,
      `-Dkafka.version=${version}`,
      `-DoutputDirectory=${tmp}`,
      'dependency:copy-dependencies',
    ]);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new InfraError(`could not fetch Kafka ${version} from Maven Central (is sandbox.kafka.version a published release?)\n${(e as Error).message}`, NAME);
  }
  const jars = readdirSync(tmp).filter((f) => f.endsWith('.jar'));
  if (!jars.some((f) => f.startsWith('kafka_2.13-'))) {
    rmSync(tmp, { recursive: true, force: true });
    throw new InfraError(`Maven finished but no kafka_2.13 jar was copied (got ${jars.length} jars)`, NAME);
  }
  rmSync(libs, { recursive: true, force: true });
  renameSync(tmp, libs);
  writeFileSync(stampFile(sb), JSON.stringify({ version, pom: pomHash, jars: jars.length, installedAt: new Date().toISOString() }) + '\n');
  ctx.progress(`kafka: ${jars.length} jars cached in ${libs} (${Math.round((Date.now() - started) / 1000)} s)`);
}

async function format(ctx: SandboxContext): Promise<void> {
  if (existsSync(join(dataDir(ctx), 'meta.properties'))) return;
  mkdirSync(dataDir(ctx), { recursive: true });
  const clusterId = newClusterId();
  ctx.progress(`kafka: formatting storage (cluster ${clusterId})`);
  try {
    await run('java', [
      '-Xmx256m', `-Dlog4j2.configurationFile=${LOG4J}`,
      '-cp', classpath(ctx.sb), 'kafka.tools.StorageTool',
      'format', '-t', clusterId, '-c', propsFile(ctx), '--ignore-formatted',
      // The secured shape's SCRAM user exists from the first start (the broker itself logs in as it).
      ...(ctx.sb.security.enabled ? ['--add-scram', `SCRAM-SHA-512=[name=${ctx.sb.security.user},password=${ctx.sb.security.password}]`] : []),
    ], { cwd: runDir(ctx), secrets: [ctx.sb.security.password] });
  } catch (e) {
    throw new InfraError(`storage format failed\n${(e as Error).message}`, NAME);
  }
}

async function ensureTopics(ctx: SandboxContext): Promise<void> {
  const partitions = ctx.sb.kafka.partitions;
  const TOPICS = topicsOf(ctx.sb);
  await withAdmin(ctx.sb, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = TOPICS.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      ctx.progress(`kafka: creating topics ${missing.join(', ')} (${partitions} partitions)`);
      try {
        await admin.createTopics({
          topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
          waitForLeaders: false,
        });
      } catch (e) {
        // Another `up` racing us is fine; anything else is not.
        if (!/already exists/i.test(String((e as Error).message))) throw e;
      }
    }
    // A topic from an earlier run with fewer partitions than configured is grown (never shrunk).
    const { topics } = await admin.fetchTopicMetadata({ topics: [...TOPICS] });
    const grow = topics.filter((t) => t.partitions.length < partitions);
    if (grow.length > 0) {
      ctx.progress(`kafka: growing ${grow.map((t) => t.name).join(', ')} to ${partitions} partitions`);
      await admin.createPartitions({ topicPartitions: grow.map((t) => ({ topic: t.name, count: partitions })) });
    }
  });
  // Metadata can name a leader a moment before that leader answers for the partition
  // (kafkajs then sees NOT_LEADER_OR_FOLLOWER on ListOffsets): wait until offsets are served too.
  let last = '';
  await waitFor('kafka topic leaders', async () => {
    return withAdmin(ctx.sb, async (admin) => {
      const h = await topicHealth(admin, topicsOf(ctx.sb));
      last = h.reason;
      if (!h.ok) return false;
      try {
        for (const topic of topicsOf(ctx.sb)) await admin.fetchTopicOffsets(topic);
      } catch (e) {
        last = `offsets not served yet: ${(e as Error).message}`;
        return false;
      }
      return true;
    });
  }, 30_000, () => last, 250);
  // Asking for a group's coordinator makes the broker create __consumer_offsets now, so the
  // first consumer of a run does not wait (and log COORDINATOR_NOT_AVAILABLE) while it does.
  // kafkajs needs its own retries here: a fresh admin looks the coordinator up before it has metadata.
  let why = '';
  await waitFor('kafka group coordinator', () => withAdmin(ctx.sb, async (admin) => {
    try {
      await admin.describeGroups(['carbon-harness-warmup']);
      return true;
    } catch (e) {
      why = (e as Error).message;
      return false;
    }
  }, 5), 30_000, () => why, 250);
}

async function start(ctx: SandboxContext): Promise<void> {
  const { sb, procs } = ctx;
  await install(ctx); // a no-op when the cache matches this version and pom
  mkdirSync(runDir(ctx), { recursive: true });

  if (!procs.alive(NAME)) {
    await requirePortFree(sb.ports.kafka, 'sandbox.ports.kafka');
    await requirePortFree(sb.ports.kafkaController, 'sandbox.ports.kafkaController');
    if (ctx.sb.security.enabled) await ensurePlatformTls(ctx.sb, ctx.progress);
    writeFileSync(propsFile(ctx), serverProperties(ctx), { mode: 0o600 }); // the secured shape's passwords are in it
    await format(ctx);
    ctx.progress(`kafka: starting broker ${sb.kafka.version} on ${kafkaBrokers(sb)[0]}`);
    const heap = `${sb.kafka.heapMb}m`;
    procs.spawn(NAME, 'java', [
      `-Xms${heap}`, `-Xmx${heap}`,
      '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExplicitGCInvokesConcurrent', '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${LOG4J}`,
      `-Dkafka.logs.dir=${runDir(ctx)}`,
      '-cp', classpath(sb),
      'kafka.Kafka', propsFile(ctx),
    ], { cwd: runDir(ctx) });
  }

  const t0 = Date.now();
  const deadline = t0 + READY_TIMEOUT_MS;
  let lastErr = '';
  for (;;) {
    if (!procs.alive(NAME)) {
      throw new InfraError(`broker exited during startup (log: ${procs.logFile(NAME)})\n${procs.tailLog(NAME, 25)}`, NAME);
    }
    try {
      if (await portOpen(sb.ports.kafka)) {
        await withAdmin(sb, (admin) => admin.listTopics());
        break;
      }
      lastErr = `port ${sb.ports.kafka} not open yet`;
    } catch (e) {
      lastErr = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new InfraError(`broker did not serve metadata within ${READY_TIMEOUT_MS / 1000} s (${lastErr}; log: ${procs.logFile(NAME)})\n${procs.tailLog(NAME, 25)}`, NAME);
    }
    await sleep(300);
  }
  await ensureTopics(ctx);
  ctx.progress(`kafka: ready on ${kafkaBrokers(sb)[0]} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

async function stop(ctx: SandboxContext): Promise<void> {
  await ctx.procs.stop(NAME, 20_000);
}

async function status(ctx: SandboxContext): Promise<PartStatus> {
  const { sb, procs } = ctx;
  const endpoint = kafkaBrokers(sb)[0]!;
  const base = { name: NAME, endpoint };
  if (!procs.alive(NAME)) return { ...base, healthy: false, reason: 'not running' };
  if (!(await portOpen(sb.ports.kafka))) return { ...base, healthy: false, reason: `port ${sb.ports.kafka} refused` };
  try {
    const TOPICS = topicsOf(sb);
    const h = await withAdmin(sb, (a) => topicHealth(a, TOPICS));
    if (!h.ok) return { ...base, healthy: false, reason: h.reason };
    const parts = TOPICS.map((t) => `${t}×${h.partitions.get(t)}`).join(', ');
    return { ...base, healthy: true, reason: `Kafka ${sb.kafka.version} serving ${parts}` };
  } catch (e) {
    return { ...base, healthy: false, reason: `metadata request failed: ${(e as Error).message}` };
  }
}

export const kafkaPart: Part = {
  name: NAME,
  ports: (ctx) => [
    { port: ctx.sb.ports.kafka, field: 'sandbox.ports.kafka' },
    { port: ctx.sb.ports.kafkaController, field: 'sandbox.ports.kafkaController' },
  ],
  install,
  start,
  stop,
  status,
};

/** The version recorded by the last completed install, or null (for `doctor`-style reports). */
export function installedKafka(sb: SandboxConfig): { version: string; jars: number } | null {
  try {
    return JSON.parse(readFileSync(stampFile(sb), 'utf8')) as { version: string; jars: number };
  } catch {
    return null;
  }
}
