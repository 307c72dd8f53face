// Plain references for the WASM kernel tests, written independently of the code under test:
// a byte-at-a-time XOR, and a UTF-8 DFA written directly from RFC 3629 §4's grammar with ranges
// (no tables), using the state numbering of ts/backend.ts.

/** Key byte j of a key number: (key >>> 8j) & 0xff. */
export function keyByte(key: number, j: number): number {
  return (key >>> (8 * (j & 3))) & 0xff;
}

/** Key for a payload starting at phase p (what rotateKey does), built from bytes, not shifts. */
export function keyAtPhase(key: number, p: number): number {
  const b = [0, 1, 2, 3].map((j) => keyByte(key, j + p));
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

export function refMask(src: Uint8Array, key: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] ^ keyByte(key, i);
  return out;
}

// RFC 3629 §4:
//   UTF8-1 = %x00-7F
//   UTF8-2 = %xC2-DF UTF8-tail
//   UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) / %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
//   UTF8-4 = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) / %xF4 %x80-8F 2( UTF8-tail )
//   UTF8-tail = %x80-BF
export const ACCEPT = 0;
export const REJECT = 1;
const in_ = (b: number, lo: number, hi: number): boolean => b >= lo && b <= hi;

/** One DFA step (states: 0 accept, 1 reject, 2/3/4 = 1/2/3 tails left, 5 E0, 6 ED, 7 F0, 8 F4). */
export function refStep(state: number, b: number): number {
  switch (state) {
    case 0:
      if (b <= 0x7f) return 0;
      if (in_(b, 0xc2, 0xdf)) return 2;
      if (b === 0xe0) return 5;
      if (in_(b, 0xe1, 0xec) || in_(b, 0xee, 0xef)) return 3;
      if (b === 0xed) return 6;
      if (b === 0xf0) return 7;
      if (in_(b, 0xf1, 0xf3)) return 4;
      if (b === 0xf4) return 8;
      return 1;
    case 1:
      return 1;
    case 2:
      return in_(b, 0x80, 0xbf) ? 0 : 1;
    case 3:
      return in_(b, 0x80, 0xbf) ? 2 : 1;
    case 4:
      return in_(b, 0x80, 0xbf) ? 3 : 1;
    case 5:
      return in_(b, 0xa0, 0xbf) ? 2 : 1;
    case 6:
      return in_(b, 0x80, 0x9f) ? 2 : 1;
    case 7:
      return in_(b, 0x90, 0xbf) ? 3 : 1;
    case 8:
      return in_(b, 0x80, 0x8f) ? 3 : 1;
    default:
      throw new Error(`bad state ${state}`);
  }
}

export function refStream(state: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) state = refStep(state, bytes[i]);
  return state;
}

/** One-shot validator straight from the grammar (a parser, not the DFA above). */
export function refValid(bytes: Uint8Array): boolean {
  let i = 0;
  const n = bytes.length;
  const tail = (k: number): boolean => k < n && in_(bytes[k], 0x80, 0xbf);
  while (i < n) {
    const b = bytes[i];
    if (b <= 0x7f) { i += 1; continue; }
    if (in_(b, 0xc2, 0xdf)) { if (!tail(i + 1)) return false; i += 2; continue; }
    if (b >= 0xe0 && b <= 0xef) {
      if (i + 1 >= n) return false;
      const c = bytes[i + 1];
      const ok = b === 0xe0 ? in_(c, 0xa0, 0xbf) : b === 0xed ? in_(c, 0x80, 0x9f) : in_(c, 0x80, 0xbf);
      if (!ok || !tail(i + 2)) return false;
      i += 3;
      continue;
    }
    if (b >= 0xf0 && b <= 0xf4) {
      if (i + 1 >= n) return false;
      const c = bytes[i + 1];
      const ok = b === 0xf0 ? in_(c, 0x90, 0xbf) : b === 0xf4 ? in_(c, 0x80, 0x8f) : in_(c, 0x80, 0xbf);
      if (!ok || !tail(i + 2) || !tail(i + 3)) return false;
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(r: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

/** Encodes a code point by hand (not TextEncoder), so valid inputs do not depend on the runtime. */
export function encodeCodePoint(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/** Random valid UTF-8 of about `n` bytes, drawing code points from the given ranges. */
export function randomUtf8(r: () => number, n: number, ranges: [number, number][]): Uint8Array {
  const out: number[] = [];
  while (out.length < n) {
    const [lo, hi] = ranges[Math.floor(r() * ranges.length)];
    let cp = lo + Math.floor(r() * (hi - lo + 1));
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
    out.push(...encodeCodePoint(cp));
  }
  return Uint8Array.from(out);
}

export const RANGES = {
  ascii: [[0x00, 0x7f]] as [number, number][],
  latin: [[0x20, 0x7e], [0xa0, 0x17f]] as [number, number][],
  cjkEmoji: [[0x20, 0x7e], [0x4e00, 0x9fff], [0x1f300, 0x1faff]] as [number, number][],
  all: [[0x00, 0x7f], [0x80, 0x7ff], [0x800, 0xffff], [0x10000, 0x10ffff]] as [number, number][],
  edges: [[0x7f, 0x80], [0x7ff, 0x800], [0xd7ff, 0xe000], [0xfffd, 0x10000], [0x10fffe, 0x10ffff]] as [number, number][],
};

/** Invalid byte sequences, each invalid wherever it is placed between ASCII bytes. */
export const BAD_SEQUENCES: number[][] = [
  [0x80], [0xbf], [0x80, 0x80], // lone continuation
  [0xc0, 0x80], [0xc1, 0xbf], [0xc0, 0xaf], // overlong 2-byte, C0/C1
  [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], // overlong 3-byte
  [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], // overlong 4-byte
  [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xed, 0xaf, 0xbf, 0xed, 0xb0, 0x80], // surrogates
  [0xf4, 0x90, 0x80, 0x80], [0xf4, 0xbf, 0xbf, 0xbf], // > U+10FFFF
  [0xf5, 0x80, 0x80, 0x80], [0xf7, 0xbf, 0xbf, 0xbf], [0xf5], [0xff], [0xfe], // F5-FF
  [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80], // 5/6-byte forms
  [0xc2], [0xe1, 0x80], [0xf1, 0x80, 0x80], [0xe1], [0xf1], [0xf1, 0x80], // truncated
  [0xc2, 0x80, 0x80], [0xe1, 0x80, 0x80, 0x80], [0xf1, 0x80, 0x80, 0x80, 0x80], // too many tails
  [0xc2, 0xc2, 0x80], [0xe1, 0xc2, 0x80, 0x80], [0xf1, 0x80, 0xc2, 0x80, 0x80], // lead in place of tail
];
