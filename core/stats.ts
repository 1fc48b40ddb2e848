/**
 * The two tests a baseline comparison rests on (docs/baselines.md). Both use the normal
 * approximation, as scipy.stats does with method="asymptotic": the unit of observation is a
 * second of load (its p95, its throughput) or a request (failed or not), so samples are many and
 * the approximation holds.
 */

/** Complementary error function (Numerical Recipes' erfcc; fractional error below 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
    + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** P(Z > z) for a standard normal Z. */
export const normalSf = (z: number): number => 0.5 * erfc(z / Math.SQRT2);

export interface MannWhitney { u: number; z: number; p: number; n1: number; n2: number }

/**
 * Mann–Whitney U test that `x` is stochastically greater than `y` (one-sided), with the tie
 * correction and the continuity correction: U is x's rank sum less its minimum, z its distance from
 * n1·n2/2 in standard deviations. `p` is null-free: with no variation at all (every value equal) z is 0.
 */
export function mannWhitneyGreater(x: readonly number[], y: readonly number[]): MannWhitney {
  const n1 = x.length;
  const n2 = y.length;
  const all = [...x.map((v) => ({ v, fromX: true })), ...y.map((v) => ({ v, fromX: false }))].sort((a, b) => a.v - b.v);
  const n = all.length;
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1; // mid-rank of the tie group
    for (let k = i; k <= j; k++) if (all[k]!.fromX) rankSumX += rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * ((n + 1) - tieTerm / (n * (n - 1))));
  const z = sigma > 0 ? (u - mu - 0.5) / sigma : 0;
  return { u, z, p: sigma > 0 ? normalSf(z) : 1, n1, n2 };
}

/** One-sided two-proportion z-test (pooled) that proportion 2 is greater than proportion 1. */
export function proportionGreater(k1: number, n1: number, k2: number, n2: number): { z: number; p: number } {
  if (n1 <= 0 || n2 <= 0) return { z: 0, p: 1 };
  const pooled = (k1 + k2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, p: 1 };
  const z = (k2 / n2 - k1 / n1) / se;
  return { z, p: normalSf(z) };
}
