// Lets Node import the k6 scripts' own library code in tests: `k6/crypto` resolves to a Node
// implementation of the one function the library uses, and `__ENV` exists as in k6.
import { register } from 'node:module';
globalThis.__ENV = { ...process.env };
register('./hooks.mjs', import.meta.url);
