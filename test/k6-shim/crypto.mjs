import { createHash } from 'node:crypto';
export const sha256 = (input, encoding) => createHash('sha256').update(input).digest(encoding);
