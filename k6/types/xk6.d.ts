/**
 * The slice of the k6 extensions' JavaScript APIs these scripts use, written from their public API
 * docs: xk6-kafka v2 (`k6/x/kafka`) and xk6-sql v1 with its PostgreSQL driver. Neither extension
 * ships types in @types/k6; keep this file to what the scripts call so a change upstream shows up
 * as a type error here rather than at run time.
 */
declare module 'k6/x/kafka' {
  export interface KafkaMessage {
    key?: string | Uint8Array;
    value: string | Uint8Array;
    topic?: string;
    partition?: number;
    offset?: number;
    time?: Date;
  }
  export interface WriterConfig {
    brokers: string[];
    topic: string;
    autoCreateTopic?: boolean;
    balancer?: 'balancer_roundrobin' | 'balancer_leastbytes' | 'balancer_hash' | 'balancer_crc32' | 'balancer_murmur2';
    /** -1 waits for every in-sync replica, as the native engine does (acks=all). */
    requiredAcks?: number;
    batchSize?: number;
    batchTimeout?: number;
    writeTimeout?: number;
  }
  export interface ReaderConfig {
    brokers: string[];
    groupId?: string;
    groupTopics?: string[];
    topic?: string;
    /** Go duration string, e.g. "1s". */
    maxWait?: string;
    startOffset?: 'start_offsets_last_offset' | 'start_offsets_first_offset';
    sessionTimeout?: number;
    heartbeatInterval?: number;
  }
  export interface ConsumeConfig {
    maxMessages?: number;
    limit?: number;
    /** Return what was collected once maxWait passes instead of failing. */
    expectTimeout?: boolean;
  }
  export class Producer {
    constructor(config: WriterConfig);
    produce(config: { messages: KafkaMessage[] }): void;
    close(): void;
  }
  export class Consumer {
    constructor(config: ReaderConfig);
    consume(config: ConsumeConfig): KafkaMessage[];
    close(): void;
  }
  export class AdminClient {
    constructor(config: { brokers: string[] });
    /** Pins an inactive consumer group to the topics' current end offsets. */
    initializeConsumerGroupOffsets(config: { groupId: string; topics: string[] }): Array<{ topic: string; partition: number; offset: number }>;
    close(): void;
  }
}

declare module 'k6/x/sql' {
  export interface Database {
    query(query: string, ...args: unknown[]): Array<Record<string, unknown>>;
    exec(query: string, ...args: unknown[]): { rowsAffected(): number };
    close(): void;
  }
  const sql: { open(driver: symbol, connection: string): Database };
  export default sql;
}

declare module 'k6/x/sql/driver/postgres' {
  const driver: symbol;
  export default driver;
}
