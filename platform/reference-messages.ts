/**
 * The reference platform's message shapes: what the load generator writes to the prices topic and
 * what the sandbox's services speak. A platform's own contract (where ids, send time and checksum
 * live) is in its profile (platform.kafka.contract); the checks read messages through that.
 */
import { createHash } from 'node:crypto';

/**
 * The reference price message as a profile's template (platform.kafka.contract.message): what the
 * sandbox's profile names, and the only message the k6 scripts (k6/lib/platform.ts) write.
 */
export const REFERENCE_MESSAGE = {
  key: '{{commodity}}',
  value: { run: '{{run}}', seq: '{{seq}}', commodity: '{{commodity}}', price: '{{price}}', sentAt: '{{sentAt}}', checksum: '{{checksum}}' },
  headers: {},
};

/** Whether a profile's message template is the reference one (same key, value and headers). */
export function isReferenceMessage(m: { key: string; value: unknown; headers: Record<string, string> } | undefined): boolean {
  return m !== undefined && JSON.stringify([m.key, m.value, m.headers]) === JSON.stringify([REFERENCE_MESSAGE.key, REFERENCE_MESSAGE.value, REFERENCE_MESSAGE.headers]);
}

/** One price tick on `commodity-prices`. `run` + `seq` identify it across the whole pipeline. */
export interface PriceMessage {
  run: number;
  seq: number;
  commodity: string;
  price: number;
  /** Producer wall clock at send, ms since epoch: end-to-end latency and lag are measured from it. */
  sentAt: number;
  checksum: string;
}

/** One prediction on `ml-predictions`, carrying the identity and checksum of the price it came from. */
export interface PredictionMessage {
  run: number;
  seq: number;
  commodity: string;
  price: number;
  predicted: number;
  /** Feature values the model used for this prediction. */
  emaShort: number;
  emaLong: number;
  sourceChecksum: string;
  sentAt: number;
  processedAt: number;
  consumer: string;
}

export function priceChecksum(m: Omit<PriceMessage, 'checksum'>): string {
  return createHash('sha256').update(`${m.run}|${m.seq}|${m.commodity}|${m.price}|${m.sentAt}`).digest('hex').slice(0, 16);
}

export function makePrice(m: Omit<PriceMessage, 'checksum'>): PriceMessage {
  return { ...m, checksum: priceChecksum(m) };
}

export function priceIsIntact(m: PriceMessage): boolean {
  return typeof m.checksum === 'string' && priceChecksum(m) === m.checksum;
}

/**
 * The reference model: an exponential-moving-average forecast. Kept trivial on purpose so the
 * accuracy spot-check can recompute it independently from the stored features.
 */
export const MODEL = {
  version: 'ema-v1',
  alphaShort: 0.2,
  alphaLong: 0.02,
  predict(price: number, emaShort: number, emaLong: number): number {
    return price + (emaShort - emaLong) * 0.5;
  },
};
