/**
 * Plain reference implementations and input generators for differential tests, shared by the tests
 * of every backend (JS, WASM, native). They are written from the RFCs, independently of the kernels
 * under test: masking is the byte-at-a-time formula of RFC 6455 §5.3, and UTF-8 follows the grammar
 * of RFC 3629 §4 sequence by sequence (no table, no DFA).
 */

/** RFC 6455 §5.3: `out[offset + i] = src[i] ^ key[(phase + i) % 4]`. */
export function refMask(src: Uint8Array, key: Uint8Array, out: Uint8Array, offset: number, length: number, phase = 0): void {
  for (let i = 0; i < length; i++) out[offset + i] = src[i] ^ key[(phase + i) % 4];
}

/** Byte j of a key number, as the kernels take keys: (key >>> 8j) & 0xff. */
export function keyByte(key: number, j: number): number {
  return (key >>> (8 * (j & 3))) & 0xff;
}

/** The key for a payload starting at phase p (what rotateKey does), built from bytes, not shifts. */
export function keyAtPhase(key: number, p: number): number {
  const b = [0, 1, 2, 3].map((j) => keyByte(key, j + p));
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

/** refMask with a key number (phase 0 unless given), into a new array of `length` bytes. */
export function refMaskKey(src: Uint8Array, key: number, phase = 0, length = src.length): Uint8Array {
  const out = new Uint8Array(length);
  refMask(src, Uint8Array.of(keyByte(key, 0), keyByte(key, 1), keyByte(key, 2), keyByte(key, 3)), out, 0, length, phase);
  return out;
}

/** Second-byte range and total length for each lead byte of RFC 3629 §4; undefined: not a lead. */
function leadInfo(b: number): { lo: number; hi: number; len: number } | undefined {
  if (b >= 0xc2 && b <= 0xdf) return { lo: 0x80, hi: 0xbf, len: 2 };
  if (b === 0xe0) return { lo: 0xa0, hi: 0xbf, len: 3 };
  if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) return { lo: 0x80, hi: 0xbf, len: 3 };
  if (b === 0xed) return { lo: 0x80, hi: 0x9f, len: 3 };
  if (b === 0xf0) return { lo: 0x90, hi: 0xbf, len: 4 };
  if (b >= 0xf1 && b <= 0xf3) return { lo: 0x80, hi: 0xbf, len: 4 };
  if (b === 0xf4) return { lo: 0x80, hi: 0x8f, len: 4 };
  return undefined;
}

/**
 * For each stream state (numbering of ts/backend.ts), a shortest input that leaves the grammar in
 * it: 1 reject, 2/3/4 one/two/three tails left, 5-8 after E0, ED, F0, F4 (restricted second byte).
 */
const STATE_PREFIX: readonly (readonly number[])[] = [[], [0x80], [0xc2], [0xe1], [0xf1], [0xe0], [0xed], [0xf0], [0xf4]];

/**
 * The stream state after `bytes` (numbering of ts/backend.ts), derived from the grammar: 0 when
 * complete, 1 as soon as a byte cannot continue a valid prefix, otherwise the state that names
 * what the pending, incomplete character still needs. `from` resumes a stream left in that state:
 * the grammar reads the state's prefix (STATE_PREFIX) first.
 */
export function refUtf8State(input: Uint8Array, from = 0): number {
  const prefix = STATE_PREFIX[from];
  if (prefix === undefined) throw new Error(`bad state ${from}`);
  const bytes = prefix.length === 0 ? input : Uint8Array.from([...prefix, ...input]);
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const info = leadInfo(b);
    if (info === undefined) return 1;
    for (let k = 1; k < info.len; k++) {
      if (i + k >= n) return pendingState(b, k, info.len);
      const c = bytes[i + k];
      const lo = k === 1 ? info.lo : 0x80;
      const hi = k === 1 ? info.hi : 0xbf;
      if (c < lo || c > hi) return 1;
    }
    i += info.len;
  }
  return 0;
}

function pendingState(lead: number, seen: number, len: number): number {
  const remaining = len - seen;
  if (seen === 1) {
    if (lead === 0xe0) return 5;
    if (lead === 0xed) return 6;
    if (lead === 0xf0) return 7;
    if (lead === 0xf4) return 8;
  }
  return remaining === 1 ? 2 : remaining === 2 ? 3 : 4;
}

export function refIsUtf8(bytes: Uint8Array): boolean {
  return refUtf8State(bytes) === 0;
}

/** Deterministic PRNG (mulberry32) so every CI run tests the same inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic PRNG (xorshift32) giving integers in [1, 2^32), for tests that draw with `%` and `&`. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

/** Valid UTF-8 of about `n` bytes mixing every sequence length (weights favour text-like input). */
export function randomUtf8(rand: () => number, n: number, asciiWeight = 0.5): Uint8Array {
  const parts: number[] = [];
  while (parts.length < n) {
    const r = rand();
    let cp: number;
    if (r < asciiWeight) cp = (rand() * 0x80) | 0;
    else if (r < asciiWeight + 0.15) cp = 0x80 + ((rand() * (0x800 - 0x80)) | 0);
    else if (r < asciiWeight + 0.35) {
      cp = 0x800 + ((rand() * (0x10000 - 0x800)) | 0);
      if (cp >= 0xd800 && cp <= 0xdfff) cp -= 0x800;
    } else cp = 0x10000 + ((rand() * (0x110000 - 0x10000)) | 0);
    parts.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
  }
  return new Uint8Array(parts);
}

/** Encodes a code point by hand (not TextEncoder or Buffer), so valid inputs do not depend on the runtime. */
export function encodeCodePoint(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/** Random valid UTF-8 of about `n` bytes, drawing code points from the given ranges (surrogates become 'A'). */
export function randomUtf8In(r: () => number, n: number, ranges: [number, number][]): Uint8Array {
  const out: number[] = [];
  while (out.length < n) {
    const [lo, hi] = ranges[Math.floor(r() * ranges.length)];
    let cp = lo + Math.floor(r() * (hi - lo + 1));
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
    out.push(...encodeCodePoint(cp));
  }
  return Uint8Array.from(out);
}

/** Code point ranges for randomUtf8In: alphabets, and the edges between sequence lengths. */
export const RANGES = {
  ascii: [[0x00, 0x7f]] as [number, number][],
  latin: [[0x20, 0x7e], [0xa0, 0x17f]] as [number, number][],
  cjkEmoji: [[0x20, 0x7e], [0x4e00, 0x9fff], [0x1f300, 0x1faff]] as [number, number][],
  all: [[0x00, 0x7f], [0x80, 0x7ff], [0x800, 0xffff], [0x10000, 0x10ffff]] as [number, number][],
  edges: [[0x7f, 0x80], [0x7ff, 0x800], [0xd7ff, 0xe000], [0xfffd, 0x10000], [0x10fffe, 0x10ffff]] as [number, number][],
};

/** Sequences that RFC 3629 forbids, each a classic failure mode of validators. */
export const INVALID_SEQUENCES: number[][] = [
  [0x80], [0xbf], [0x80, 0x80], // lone continuation bytes
  [0xc0, 0x80], [0xc1, 0xbf], // overlong 2-byte
  [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], // overlong 3-byte
  [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], // overlong 4-byte
  [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80], // surrogates
  [0xf4, 0x90, 0x80, 0x80], [0xf7, 0xbf, 0xbf, 0xbf], // above U+10FFFF
  [0xf5, 0x80, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80], // 5/6-byte forms
  [0xfe], [0xff],
  [0xc2], [0xe2, 0x82], [0xf0, 0x9f, 0x98], // truncated (invalid when followed by ASCII)
  [0xc2, 0xc2, 0x80], [0xe2, 0x28, 0xa1], [0xf0, 0x9f, 0x28, 0x80], // bad continuation
];

/** Valid boundary code points: the first and last of every length class and around surrogates. */
export const VALID_BOUNDARIES: number[][] = [
  [0x00], [0x7f], [0xc2, 0x80], [0xdf, 0xbf], [0xe0, 0xa0, 0x80], [0xef, 0xbf, 0xbf],
  [0xed, 0x9f, 0xbf], [0xee, 0x80, 0x80], [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf],
  [0xef, 0xbb, 0xbf], // BOM
];

/** `base` with `seq` written at position `at` (truncated to base's length). */
export function withSequence(base: Uint8Array, seq: number[], at: number): Uint8Array {
  const out = new Uint8Array(Math.max(base.length, at + seq.length));
  out.set(base);
  out.set(seq, at);
  return out;
}

/**
 * INVALID_SEQUENCES and more that are invalid only with ASCII (or nothing) around them: sequences
 * cut short, too many tails, a lead byte where a tail belongs. Each is invalid wherever it is
 * placed between ASCII bytes, and alone.
 */
export const INVALID_BETWEEN_ASCII: number[][] = [
  ...INVALID_SEQUENCES,
  [0xc0, 0xaf], [0xed, 0xaf, 0xbf, 0xed, 0xb0, 0x80], [0xf4, 0xbf, 0xbf, 0xbf], [0xf5],
  [0xe1, 0x80], [0xf1, 0x80, 0x80], [0xe1], [0xf1], [0xf1, 0x80],
  [0xc2, 0x80, 0x80], [0xe1, 0x80, 0x80, 0x80], [0xf1, 0x80, 0x80, 0x80, 0x80],
  [0xe1, 0xc2, 0x80, 0x80], [0xf1, 0x80, 0xc2, 0x80, 0x80],
];
