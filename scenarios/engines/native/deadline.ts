/**
 * `p`, or `onLate()` thrown once `ms` have passed without it. For the waits on a server that a hung
 * one (connections open, nothing answered) would make last for good: the clients have no deadline
 * of their own for an answer (@platformatic/kafka's timeout is the broker's; pg's pool.end waits for
 * what is in flight). What was waited for is left to run out on its own.
 */
export function within<T>(p: Promise<T>, ms: number, onLate: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(onLate()), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
