// kafkajs's default partitioner hash (Java-compatible murmur2), not part of its typed API: the
// Kafka writer's test compares our partitioning against it.
declare module 'kafkajs/src/producer/partitioners/default/murmur2.js' {
  export default function murmur2(key: string | Buffer): number;
}
