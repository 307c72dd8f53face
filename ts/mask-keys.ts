/**
 * Masking keys for client frames (RFC 6455 §5.3: unpredictable, from a strong source). One
 * `crypto.randomFillSync` call fills a pool of keys, so a frame costs an array read instead of a
 * syscall; the pool is refilled when used up. Keys are little-endian u32 numbers (ts/backend.ts).
 */
import { randomFillSync } from 'node:crypto';

const POOL_KEYS = 2048;
// Int32 rather than Uint32: half the keys would be above 2^31 and get boxed as heap numbers on
// their way through the writer; the kernels read a key's bits the same either way.
const pool = new Int32Array(POOL_KEYS);
let next = POOL_KEYS;

/** The next key from the shared CSPRNG pool (its 32 bits, as a signed integer). */
export function pooledMaskKey(): number {
  if (next === POOL_KEYS) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++];
}
