// A producer thread's entry. The CLI runs from a bundle that does not carry this thread's
// TypeScript, so the thread loads its sources through tsx, as bin/harness.mjs does when it cannot
// use the bundle.
import { register } from 'tsx/esm/api';

register();
await import('./producer-thread.ts');
