/**
 * A bench row is this many runs of the peer and ours in turn, compared by their medians: one run of
 * either moves by ±30 % on this shared machine (at 16:38 on 2026-12-06 the peer's single 100 B Kafka run
 * gave 197,902 msg/s at acks=1 and 295,683 at acks=all; wrk moved from 17,044 to 29,147 req/s within minutes at 21:00).
 */
export const ROW_RUNS = 3; // odd: the median is one run's figure

export const median = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

/** The run whose `by` is the median (the lower middle of an even count). */
export const medianRun = <T>(runs: T[], by: (r: T) => number): T => [...runs].sort((a, b) => by(a) - by(b))[(runs.length - 1) >> 1]!;
