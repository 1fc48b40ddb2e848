// A load target with a fixed service time, in its own process so it does not share an event loop
// with the load generator being measured. Usage: node target-server.mjs <delayMs>; prints its port,
// then `first-request <epoch ms>` when the first request arrives (the CLI start bench times it).
import { createServer } from 'node:http';

const delay = Number(process.argv[2] ?? 0);
let first = true;
const server = createServer((req, res) => {
  if (first) { first = false; process.stdout.write(`first-request ${performance.timeOrigin + performance.now()}\n`); }
  req.resume();
  const answer = () => res.end('{"ok":true}');
  if (req.url === '/healthz' || delay <= 0) answer(); else setTimeout(answer, delay);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
