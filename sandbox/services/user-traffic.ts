import { request } from 'undici';
import { serviceEnv, onShutdown, sleep } from './common.ts';

/**
 * Stand-in for the platform's users: a steady trickle of inference requests so the API's
 * latency and error-rate series exist even when no load test is running.
 */
export async function main(): Promise<void> {
  const { sb } = serviceEnv('user-traffic');
  const url = `http://${sb.host}:${sb.ports.inferenceApi}/v1/predict`;
  let stopping = false;
  onShutdown(async () => { stopping = true; });
  if (sb.userTraffic.rate <= 0) { await new Promise(() => {}); return; }
  const intervalMs = 1000 / sb.userTraffic.rate;
  let i = 0;
  while (!stopping) {
    const commodity = sb.priceFeed.commodities[i++ % sb.priceFeed.commodities.length]!;
    // Fire and forget: users do not wait for each other.
    request(url, { method: 'POST', body: JSON.stringify({ commodity }), headers: { 'content-type': 'application/json' }, headersTimeout: 10_000 })
      .then((r) => r.body.dump()).catch(() => {});
    await sleep(intervalMs);
  }
}
