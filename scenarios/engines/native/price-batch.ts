import type { MessageCodec, OutMessage } from '../../../platform/contract.ts';

/**
 * One produce call's price messages, as numbers only: the main thread keeps the clock and the
 * sequence counters, and whoever sends (the main thread itself or a producer thread) renders the
 * messages from this. A message's fields follow from its sequence number alone, so both render the same.
 */
export interface BatchSpec {
  run: number;
  /** The first message's sequence number; the batch's are first … first + count − 1. */
  first: number;
  count: number;
  /** Wall-clock ms written into each message (its `sentAt`). */
  sentAt: number;
}

/** Renders a batch of price messages through the profile's contract, padded to `recordBytes` when set. */
export function priceBatches(codec: MessageCodec, commodities: readonly string[], recordBytes?: number): (b: BatchSpec) => OutMessage[] {
  return (b) => {
    const out = new Array<OutMessage>(b.count);
    for (let i = 0; i < b.count; i++) {
      const seq = b.first + i;
      const m = codec.render({ run: b.run, seq, commodity: commodities[(seq - 1) % commodities.length]!, price: 100 + (seq % 1000) / 100, sentAt: b.sentAt });
      if (recordBytes) m.value = padded(m.value, recordBytes);
      out[i] = m;
    }
    return out;
  };
}

/** One run of padding, grown when a longer one is needed; each message takes a slice of it (no copy). */
let fill = '';

/** The message with a `pad` field that brings its JSON to `bytes` (never shorter than the message itself). */
export function padded(json: string, bytes: number): string {
  const room = bytes - json.length - ',"pad":""'.length;
  if (room <= 0) return json;
  if (fill.length < room) fill = 'x'.repeat(room);
  return `${json.slice(0, -1)},"pad":"${fill.slice(0, room)}"}`;
}
