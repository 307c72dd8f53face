/**
 * The byte-level steps every frame writer shares (RFC 6455 §5.2): header fields, masking-key
 * bytes, and unmasked frames encoded contiguously into a slab
 * (the form the broadcaster batches). Callers check arguments; these functions trust them.
 */
import { Slab } from './frame-slab.js';

export const FIN = 0x80;
export const RSV1 = 0x40;
const MASK_BIT = 0x80;

/** Header bytes (without the 4-byte masking key) for a payload of `len` bytes. */
export function lengthFieldSize(len: number): number {
  return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

/** Writes the first byte and the length fields at `p`; returns the offset after them. */
export function putHeader(u8: Uint8Array, p: number, b0: number, masked: boolean, len: number): number {
  const m = masked ? MASK_BIT : 0;
  u8[p] = b0;
  if (len < 126) {
    u8[p + 1] = m | len;
    return p + 2;
  }
  if (len < 65536) {
    u8[p + 1] = m | 126;
    u8[p + 2] = len >>> 8;
    u8[p + 3] = len & 0xff;
    return p + 4;
  }
  // 64-bit length; JS lengths stay below 2^53, so the high word fits a double's exact range.
  const hi = Math.floor(len / 0x100000000);
  u8[p + 1] = m | 127;
  u8[p + 2] = hi >>> 24;
  u8[p + 3] = (hi >>> 16) & 0xff;
  u8[p + 4] = (hi >>> 8) & 0xff;
  u8[p + 5] = hi & 0xff;
  u8[p + 6] = len >>> 24;
  u8[p + 7] = (len >>> 16) & 0xff;
  u8[p + 8] = (len >>> 8) & 0xff;
  u8[p + 9] = len & 0xff;
  return p + 10;
}

/** The key's four bytes in wire order (key byte j is `(key >>> 8j) & 0xff`). */
export function putKey(u8: Uint8Array, p: number, key: number): void {
  u8[p] = key & 0xff;
  u8[p + 1] = (key >>> 8) & 0xff;
  u8[p + 2] = (key >>> 16) & 0xff;
  u8[p + 3] = key >>> 24;
}

/** The most UTF-16 units a string may have to be encoded into a slab (3 bytes each at most). */
export const SLAB_TEXT_MAX_UNITS = 5000;
/** The largest payload copied into a slab; larger ones go out as their own buffers. */
export const SLAB_BYTES_MAX = 16 * 1024;
/** Slab size: a frame of SLAB_BYTES_MAX wastes at most a quarter of one. */
export const SLAB_SIZE = 64 * 1024;

/**
 * Appends an unmasked frame carrying `str` (UTF-8) at `slab.pos`, contiguous with what is there,
 * and advances `pos`. `str.length <= SLAB_TEXT_MAX_UNITS`. The UTF-8 is written straight into the
 * slab where the payload goes; the length field's size depends on the encoded length, which is
 * known before encoding for most lengths: up to 41 units it is at most 123 bytes (2-byte header),
 * from 126 units on it is 126..65535 bytes (4-byte header). In between the payload is written after
 * a 2-byte header and moved by 2 bytes in the rare case that it turns out longer than 125 bytes.
 */
export function appendServerText(slab: Slab, b0: number, str: string): void {
  const n = str.length;
  const cap = n * 3;
  slab.reserve(cap + 4);
  const p = slab.pos;
  const u8 = slab.u8;
  let len: number;
  if (n < 126) {
    len = u8.utf8Write(str, p + 2, cap);
    if (len > 125) u8.copyWithin(p + 4, p + 2, p + 2 + len);
  } else {
    len = u8.utf8Write(str, p + 4, cap);
  }
  slab.pos = putHeader(u8, p, b0, false, len) + len;
}

/** Appends an unmasked frame carrying a copy of `src` at `slab.pos`; `src.length <= SLAB_BYTES_MAX`. */
export function appendServerBytes(slab: Slab, b0: number, src: Uint8Array): void {
  const len = src.length;
  slab.reserve(len + 4);
  const at = putHeader(slab.u8, slab.pos, b0, false, len);
  if (len !== 0) slab.u8.set(src, at);
  slab.pos = at + len;
}
