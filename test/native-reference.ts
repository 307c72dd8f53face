// Plain references for the native differential tests, written from the specifications and not
// from the code under test: a byte-by-byte XOR (RFC 6455 §5.3) and the RFC 3629 §4 grammar as a
// DFA, with the state numbers of ts/backend.ts (0 accept, 1 reject, 2-8 documented there).

export function keyByte(key: number, i: number): number {
  return (key >>> (8 * (i & 3))) & 0xff;
}

/** The key for a payload that starts at byte `phase` of the masking key. */
export function rotate(key: number, phase: number): number {
  const r = 8 * (phase & 3);
  return r === 0 ? key >>> 0 : ((key >>> r) | (key << (32 - r))) >>> 0;
}

/** output[offset + i] = source[i] ^ key byte (phase + i) & 3. */
export function refMask(source: Uint8Array, key: number, phase: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = source[i] ^ keyByte(key, i + phase);
  return out;
}

const inRange = (b: number, lo: number, hi: number) => b >= lo && b <= hi;

/** One step of RFC 3629's grammar: UTF8-char = UTF8-1 / UTF8-2 / UTF8-3 / UTF8-4. */
export function refStep(state: number, b: number): number {
  const tail = inRange(b, 0x80, 0xbf);
  switch (state) {
    case 0:
      if (b <= 0x7f) return 0; // UTF8-1
      if (inRange(b, 0xc2, 0xdf)) return 2; // UTF8-2
      if (b === 0xe0) return 5; // %xE0 %xA0-BF UTF8-tail
      if (inRange(b, 0xe1, 0xec) || b === 0xee || b === 0xef) return 3;
      if (b === 0xed) return 6; // %xED %x80-9F UTF8-tail
      if (b === 0xf0) return 7; // %xF0 %x90-BF 2( UTF8-tail )
      if (inRange(b, 0xf1, 0xf3)) return 4;
      if (b === 0xf4) return 8; // %xF4 %x80-8F 2( UTF8-tail )
      return 1;
    case 2: return tail ? 0 : 1;
    case 3: return tail ? 2 : 1;
    case 4: return tail ? 3 : 1;
    case 5: return inRange(b, 0xa0, 0xbf) ? 2 : 1;
    case 6: return inRange(b, 0x80, 0x9f) ? 2 : 1;
    case 7: return inRange(b, 0x90, 0xbf) ? 3 : 1;
    case 8: return inRange(b, 0x80, 0x8f) ? 3 : 1;
    default: return 1;
  }
}

export function refState(state: number, bytes: Uint8Array, from = 0, to = bytes.length): number {
  for (let i = from; i < to && state !== 1; i++) state = refStep(state, bytes[i]);
  return state;
}

export function refValid(bytes: Uint8Array): boolean {
  return refState(0, bytes) === 0;
}

/** Deterministic PRNG (xorshift32) so failures reproduce. */
export function rng(seed: number): () => number {
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

/** Encodes a code point by hand (not through Buffer), so the encoder is a reference too. */
export function encode(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}
