import { existsSync } from 'node:fs';
import { aptInstall } from '../sandbox/apt.ts';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's chromium, headless, driven by playwright-core: installed on first use (with progress),
 * launched with nothing that reaches the network.
 */
export async function launchChromium(tag: string) {
  if (!existsSync(CHROMIUM)) {
    const say = (m: string) => process.stderr.write(`[${tag}] ${m}\n`);
    say(`${CHROMIUM} missing: installing Debian chromium (first run only)…`);
    const t0 = Date.now();
    await aptInstall(['chromium'], say);
    say(`chromium installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
