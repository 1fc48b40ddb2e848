import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Producer } from '@platformatic/kafka';
import kafkajsMurmur2 from 'kafkajs/src/producer/partitioners/default/murmur2.js';
import { kafkaWriter, PARTITION_MEMO_KEYS } from '../scenarios/engines/native/kafka-writer.ts';
import { padded } from '../scenarios/engines/native/price-batch.ts';

// What the engine asks its Kafka client for on every produce call, captured at the client's
// send(): no broker is needed to see the acks and the partition each message is given.
type SendOpts = { acks?: number; partitioner?: (m: { key?: string }) => number; messages: Array<{ topic: string; key?: string; value?: string }> };
const sent: SendOpts[] = [];
const original = Producer.prototype.send;
test.before(() => { (Producer.prototype as unknown as { send: (o: SendOpts) => Promise<unknown> }).send = async function (o: SendOpts) { sent.push(o); return {}; }; });
test.after(() => { Producer.prototype.send = original; });

test('acks=all is asked for on every send (the client ignores a constructor acks and defaults to the leader alone); leader only when asked', async () => {
  const all = kafkaWriter({ brokers: ['127.0.0.1:1'] }, 't', 'all', 'test');
  await all.send([{ key: 'wheat', value: '{}' }]);
  await all.send([{ key: 'corn', value: '{}' }]);
  assert.equal(sent.map((o) => o.acks), [-1, -1]);
  await kafkaWriter({ brokers: ['127.0.0.1:1'] }, 't', 'leader', 'test').send([{ key: 'wheat', value: '{}' }]);
  assert.is(sent.at(-1)!.acks, 1);
  await all.close();
});

test('keys are partitioned as Java and kafkajs do (murmur2 with the sign bit masked), so a commodity lands where the platform\'s feed puts it', async () => {
  const w = kafkaWriter({ brokers: ['127.0.0.1:1'] }, 't', 'all', 'test');
  const keys = Array.from({ length: 500 }, (_, i) => `commodity-${i}`);
  await w.send(keys.map((key) => ({ key, value: '{}' })));
  const o = sent.at(-1)!;
  assert.ok(o.partitioner, 'a partitioner is given');
  for (const p of [3, 7, 12]) {
    const ours = o.messages.map((m) => o.partitioner!(m) % p);
    const theirs = keys.map((k) => (kafkajsMurmur2(k) & 0x7fffffff) % p);
    assert.equal(ours, theirs, `${p} partitions`);
    // Each key is hashed once and then remembered: a repeated key gets the same partition.
    assert.equal(o.messages.map((m) => o.partitioner!({ key: m.key }) % p), theirs, `${p} partitions, keys seen before`);
  }
  // Unique keys beyond the memo's bound (a key template with {{seq}}) are hashed each time, not kept.
  const many = Array.from({ length: PARTITION_MEMO_KEYS + 500 }, (_, i) => `k-${i}`);
  assert.equal(many.map((key) => o.partitioner!({ key }) % 7), many.map((k) => (kafkajsMurmur2(k) & 0x7fffffff) % 7));
  // The client's own default (unsigned murmur2) would differ for about half the keys: the test can fail.
  const { murmur2 } = await import('@platformatic/kafka');
  assert.ok(keys.filter((k) => ((murmur2(k) >>> 0) % 3) !== ((kafkajsMurmur2(k) & 0x7fffffff) % 3)).length > 100);
  await w.close();
});

test('a message padded to a record size is exactly that long and still its JSON, whatever sizes came before', () => {
  const m = JSON.stringify({ run: 1, seq: 2, commodity: 'wheat', price: 100.5 });
  for (const bytes of [1024, 100, 4096, 200, m.length + 10]) {
    const p = padded(m, bytes);
    assert.is(p.length, bytes, `${bytes} B`);
    const { pad, ...rest } = JSON.parse(p);
    assert.equal(rest, JSON.parse(m));
    assert.match(pad, /^x*$/);
  }
  assert.is(padded(m, 10), m, 'never shorter than the message');
});

test.run();
