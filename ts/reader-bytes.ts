/**
 * Byte loops the frame reader runs inline on small payloads, where calling a kernel would cost
 * more than the work: a view (~110 ns) plus a WASM or N-API crossing. They work on a range of a
 * larger buffer (the chunk being parsed), so no view is created per frame.
 */
import { CLASS, TRANSITION } from './backend-js.js';
import { UTF8_REJECT } from './backend.js';

import { LITTLE_ENDIAN } from './bytes.js';

/**
 * Unmasks `b[s, e)` in place with `key` (little-endian u32, key byte 0 applies at `s`) and returns
 * the OR of the unmasked bytes, so `(result & 0x80808080) !== 0` means "not pure ASCII". With key 0
 * nothing is written (unmasked frames: only the ASCII test runs). `words` must be an Int32Array over
 * `b.buffer` from byte 0: the aligned middle of the range is done 4 bytes per step through it.
 */
export function unmaskRange(b: Uint8Array, s: number, e: number, key: number, words: Int32Array): number {
  const base = b.byteOffset;
  let acc = 0;
  let k = key >>> 0;
  let i = s;
  // Bytes until the absolute address is 4-aligned, rotating the key so it stays in phase.
  while (i < e && ((base + i) & 3) !== 0) {
    const x = b[i] ^ (k & 0xff);
    b[i++] = x;
    acc |= x;
    k = (k >>> 8) | ((k & 0xff) << 24);
  }
  if (LITTLE_ENDIAN) {
    const nw = (e - i) >> 2;
    let w = (base + i) >> 2;
    const wEnd = w + nw;
    if (k === 0) {
      for (; w < wEnd; w++) acc |= words[w];
    } else {
      const kw = k | 0;
      for (; w < wEnd; w++) {
        const x = words[w] ^ kw;
        words[w] = x;
        acc |= x;
      }
    }
    i += nw << 2;
  }
  while (i < e) {
    const x = b[i] ^ (k & 0xff);
    b[i++] = x;
    acc |= x;
    k = (k >>> 8) | ((k & 0xff) << 24);
  }
  return acc;
}

/** The UTF-8 DFA state (numbering of ts/backend.ts) after `b[s, e)` from `state`; stops at Reject. */
export function utf8Range(state: number, b: Uint8Array, s: number, e: number): number {
  let st = state;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (st === 0 && c < 0x80) continue;
    st = TRANSITION[(st << 4) | CLASS[c]];
    if (st === UTF8_REJECT) return st;
  }
  return st;
}
