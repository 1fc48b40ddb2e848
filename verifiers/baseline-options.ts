/**
 * How a baseline comparison decides (docs/baselines.md). Apart from the comparison itself so that
 * the commands can show the defaults in their help without loading it.
 */
export interface CompareOptions { alpha: number; minDeltaPct: number; minDeltaMs: number; minErrorPts: number }
export const COMPARE_DEFAULTS: CompareOptions = { alpha: 0.01, minDeltaPct: 10, minDeltaMs: 5, minErrorPts: 0.1 };
