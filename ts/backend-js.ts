/**
 * The pure TypeScript backend: always available, and the engine for small inputs on every backend
 * (below a few dozen bytes a JS loop beats any call across the WASM or N-API boundary).
 *
 * Masking works a 32-bit word at a time over an Int32Array view of the aligned middle of the
 * buffer; creating that view costs about 100 ns on the machines measured, so short inputs take an
 * unrolled byte loop instead. UTF-8 validation is a table-driven DFA with an ASCII fast path.
 */
import * as nodeBuffer from 'node:buffer';
import type { Backend } from './backend.js';
import { UTF8_ACCEPT, UTF8_REJECT } from './backend.js';

import { LITTLE_ENDIAN } from './bytes.js';

/** Inputs shorter than this use the byte loop (see bench/kernels.mjs for the crossover). */
export const WORD_LOOP_MIN = 96;
/** The ASCII scan switches to 32-bit words only for inputs at least this long. */
const WORD_SCAN_MIN = 256;

/** The key's 4 bytes as a native-endian word, so `int32[i] ^ word` masks 4 bytes in one step. */
function nativeWord(key: number): number {
  if (LITTLE_ENDIAN) return key | 0;
  return ((key & 0xff) << 24) | ((key & 0xff00) << 8) | ((key >>> 8) & 0xff00) | (key >>> 24);
}

/** Key for a payload starting `phase` bytes into the key: byte j of the result is byte (phase + j) & 3. */
export function rotateKey(key: number, phase: number): number {
  const s = (phase & 3) << 3;
  return s === 0 ? key >>> 0 : ((key >>> s) | (key << (32 - s))) >>> 0;
}

/** `out[o + i] = src[si + i] ^ keyByte(i & 3)` for `0 <= i < n`: the unrolled byte loop. */
export function xorRange(src: Uint8Array, si: number, key: number, out: Uint8Array, o: number, n: number): void {
  const k0 = key & 0xff, k1 = (key >>> 8) & 0xff, k2 = (key >>> 16) & 0xff, k3 = key >>> 24;
  const end4 = n & ~3;
  let i = 0;
  for (; i < end4; i += 4) {
    out[o + i] = src[si + i] ^ k0;
    out[o + i + 1] = src[si + i + 1] ^ k1;
    out[o + i + 2] = src[si + i + 2] ^ k2;
    out[o + i + 3] = src[si + i + 3] ^ k3;
  }
  if (i < n) out[o + i] = src[si + i] ^ k0;
  if (i + 1 < n) out[o + i + 1] = src[si + i + 1] ^ k1;
  if (i + 2 < n) out[o + i + 2] = src[si + i + 2] ^ k2;
}

/**
 * `dst[d + i] = src[s + i] ^ word` for `words` 32-bit words: the word loop of maskJs, also run by
 * the writer over slab memory. On a little-endian machine a key number is already the word that
 * masks four bytes in wire order (elsewhere see nativeWord). Reads and writes whole words, so a
 * caller masking a payload whose length is not a multiple of 4 touches up to 3 bytes past it and
 * must keep that room free.
 */
export function xorWords(src: Int32Array, s: number, dst: Int32Array, d: number, words: number, word: number): void {
  const end4 = words & ~3;
  let i = 0;
  for (; i < end4; i += 4) {
    dst[d + i] = src[s + i] ^ word;
    dst[d + i + 1] = src[s + i + 1] ^ word;
    dst[d + i + 2] = src[s + i + 2] ^ word;
    dst[d + i + 3] = src[s + i + 3] ^ word;
  }
  for (; i < words; i++) dst[d + i] = src[s + i] ^ word;
}

export function maskBytes(source: Uint8Array, key: number, output: Uint8Array, offset: number, length: number): void {
  xorRange(source, 0, key, output, offset, length);
}

export function unmaskBytes(buffer: Uint8Array, key: number): void {
  maskBytes(buffer, key, buffer, 0, buffer.length);
}

export function maskJs(source: Uint8Array, key: number, output: Uint8Array, offset: number, length: number): void {
  const outStart = output.byteOffset + offset;
  // The word loop needs source and output to reach 4-byte alignment at the same index.
  if (length < WORD_LOOP_MIN || ((source.byteOffset ^ outStart) & 3) !== 0) {
    maskBytes(source, key, output, offset, length);
    return;
  }
  const head = (4 - (outStart & 3)) & 3;
  xorRange(source, 0, key, output, offset, head);
  const words = (length - head) >>> 2;
  const w = nativeWord(rotateKey(key, head));
  const src = new Int32Array(source.buffer, source.byteOffset + head, words);
  const dst = new Int32Array(output.buffer, outStart + head, words);
  xorWords(src, 0, dst, 0, words, w);
  const done = head + (words << 2);
  xorRange(source, done, rotateKey(key, done), output, offset + done, length - done);
}

/**
 * Node's simdutf ASCII check (Node >= 18.15), undefined on older Node. unmaskAsciiJs uses it: the
 * native and WASM kernels OR the bytes they write as they go, but in JS that OR slowed the word loop
 * by 33-47 %, while this separate pass over bytes still in cache adds 2 % at 16-64 KiB (more at
 * 1 KiB, where the call itself dominates).
 */
export const nodeIsAscii: ((b: Uint8Array) => boolean) | undefined = (nodeBuffer as { isAscii?: (b: Uint8Array) => boolean }).isAscii;

/** True when every byte is below 0x80. */
function isAsciiJs(buffer: Uint8Array): boolean {
  if (nodeIsAscii !== undefined) return nodeIsAscii(buffer);
  let acc = 0;
  for (let i = 0; i < buffer.length; i++) acc |= buffer[i];
  return acc < 0x80;
}

export function unmaskJs(buffer: Uint8Array, key: number): void {
  maskJs(buffer, key, buffer, 0, buffer.length);
}

export function unmaskAsciiJs(buffer: Uint8Array, key: number): boolean {
  maskJs(buffer, key, buffer, 0, buffer.length);
  return isAsciiJs(buffer);
}

// ---------------------------------------------------------------------------------------------
// UTF-8: the DFA whose states are numbered in backend.ts (0 accept, 1 reject, 2-8 mid-sequence).

/** Byte classes: which bytes behave alike in every state. */
export const CLASS = new Uint8Array(256);
// 0: 00-7F  1: 80-8F  2: 90-9F  3: A0-BF  4: C0-C1, F5-FF  5: C2-DF  6: E0  7: E1-EC, EE-EF
// 8: ED  9: F0  10: F1-F3  11: F4
for (let b = 0; b < 256; b++) {
  CLASS[b] =
    b < 0x80 ? 0 : b < 0x90 ? 1 : b < 0xa0 ? 2 : b < 0xc0 ? 3 : b < 0xc2 ? 4 : b < 0xe0 ? 5 :
    b === 0xe0 ? 6 : b === 0xed ? 8 : b < 0xf0 ? 7 : b === 0xf0 ? 9 : b < 0xf4 ? 10 : b === 0xf4 ? 11 : 4;
}

/** TRANSITION[state * 16 + class]: the next state; anything not listed rejects. */
export const TRANSITION = new Uint8Array(9 * 16).fill(UTF8_REJECT);
function on(state: number, classes: number[], next: number): void {
  for (const c of classes) TRANSITION[state * 16 + c] = next;
}
on(0, [0], 0);
on(0, [5], 2);
on(0, [6], 5);
on(0, [7], 3);
on(0, [8], 6);
on(0, [9], 7);
on(0, [10], 4);
on(0, [11], 8);
on(2, [1, 2, 3], 0);
on(3, [1, 2, 3], 2);
on(4, [1, 2, 3], 3);
on(5, [3], 2);
on(6, [1, 2], 2);
on(7, [2, 3], 3);
on(8, [1], 3);

/** Index of the first byte >= 0x80 at or after `i`, or `end`. Words for long runs. */
function skipAscii(chunk: Uint8Array, i: number, end: number, words: Int32Array | null, wordBase: number): number {
  if (words !== null) {
    // Align to the view, then test 4 bytes per step.
    while (i < end && ((i - wordBase) & 3) !== 0) {
      if (chunk[i] >= 0x80) return i;
      i++;
    }
    if (i >= end) return i;
    let w = (i - wordBase) >> 2;
    const wEnd = (end - wordBase) >> 2;
    while (w < wEnd && (words[w] & 0x80808080) === 0) w++;
    i = wordBase + (w << 2);
  }
  while (i < end && chunk[i] < 0x80) i++;
  return i;
}

export function utf8StreamJs(state: number, chunk: Uint8Array): number {
  const n = chunk.length;
  let s = state;
  if (s === UTF8_REJECT) return s;
  let words: Int32Array | null = null;
  let wordBase = 0;
  if (n >= WORD_SCAN_MIN) {
    wordBase = (4 - (chunk.byteOffset & 3)) & 3;
    words = new Int32Array(chunk.buffer, chunk.byteOffset + wordBase, (n - wordBase) >>> 2);
  }
  let i = 0;
  while (i < n) {
    if (s === UTF8_ACCEPT) {
      i = skipAscii(chunk, i, n, words, wordBase);
      if (i === n) break;
    }
    s = TRANSITION[(s << 4) | CLASS[chunk[i++]]];
    if (s === UTF8_REJECT) return s;
  }
  return s;
}

/** The DFA over `chunk[start..]` from `state`, for inputs too short for the word scan (< 256 B). */
export function utf8DfaFrom(state: number, chunk: Uint8Array, start: number): number {
  const n = chunk.length;
  let s = state;
  for (let i = start; i < n && s !== UTF8_REJECT; i++) s = TRANSITION[(s << 4) | CLASS[chunk[i]]];
  return s;
}

export function isValidUtf8Js(buffer: Uint8Array): boolean {
  return utf8StreamJs(UTF8_ACCEPT, buffer) === UTF8_ACCEPT;
}

export function load(): Backend {
  return {
    name: 'js',
    variant: 'swar32',
    mask: maskJs,
    unmask: unmaskJs,
    unmaskAscii: unmaskAsciiJs,
    isValidUtf8: isValidUtf8Js,
    utf8Stream: utf8StreamJs,
  };
}
