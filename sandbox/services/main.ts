/** Entry point of every reference service: `node --import tsx sandbox/services/main.ts <service> [args]`. */
const services: Record<string, () => Promise<{ main: (args: string[]) => Promise<void> }>> = {
  'price-feed': () => import('./price-feed.ts'),
  'prediction-consumer': () => import('./prediction-consumer.ts'),
  'inference-api': () => import('./inference-api.ts'),
  'batch-workflow': () => import('./batch-workflow.ts'),
  'user-traffic': () => import('./user-traffic.ts'),
  'alert-sink': () => import('./alert-sink.ts'),
  'kube-bridge': () => import('../kube-bridge.ts'),
};

const [name, ...args] = process.argv.slice(2);
const load = name ? services[name] : undefined;
if (!load) {
  process.stderr.write(`usage: main.ts <${Object.keys(services).join('|')}>\n`);
  process.exit(2);
}
(await load()).main(args).catch((e: Error) => {
  process.stderr.write(`${name}: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
