// wsframe WebAssembly kernels: XOR masking and UTF-8 validation over raw (pointer, length) pairs.
//
// Built with `--runtime stub`, SIMD enabled, no `env.abort` import (asconfig.json). Nothing here
// allocates: the only memory used is static data (lookup tables and the scratch region below).
// Function names and semantics mirror the C kernels (native/): mask, utf8Validate, utf8Stream.

// ---------------------------------------------------------------------------------------------
// Scratch region: a fixed static area where the JS side copies inputs that do not already live in
// this module's memory. It is part of the module's static data and is never grown or moved.

const SCRATCH_SIZE: usize = 256 * 1024;
const SCRATCH: usize = memory.data(<i32>SCRATCH_SIZE, 64);

export function scratch(): usize {
  return SCRATCH;
}

export function scratchSize(): usize {
  return SCRATCH_SIZE;
}

/** First byte after all static data (scratch and tables): memory from here on is free for the host. */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------------------------
// Masking (RFC 6455 §5.3): dst[i] = src[i] ^ keyByte(i & 3), keyByte(j) = (key >>> 8j) & 0xff.
// Loads and stores are unaligned-safe in WebAssembly; src == dst (in place) is supported because
// every block is loaded before it is stored. Every wide step advances by a multiple of 4, so the
// key needs no rotation until the byte tail. Returns nonzero when some byte written has bit 7 set
// (not ASCII): the OR rides along in registers, as in the native kernels.

export function mask(src: usize, dst: usize, len: usize, key: u32): u32 {
  let i: usize = 0;
  let high: u32 = 0;
  if (len >= 16) {
    const k = i32x4.splat(<i32>key);
    let acc = i32x4.splat(0);
    while (i + 64 <= len) {
      const a = v128.xor(v128.load(src + i), k);
      const b = v128.xor(v128.load(src + i, 16), k);
      const c = v128.xor(v128.load(src + i, 32), k);
      const d = v128.xor(v128.load(src + i, 48), k);
      v128.store(dst + i, a);
      v128.store(dst + i, b, 16);
      v128.store(dst + i, c, 32);
      v128.store(dst + i, d, 48);
      acc = v128.or(acc, v128.or(v128.or(a, b), v128.or(c, d)));
      i += 64;
    }
    while (i + 16 <= len) {
      const a = v128.xor(v128.load(src + i), k);
      v128.store(dst + i, a);
      acc = v128.or(acc, a);
      i += 16;
    }
    high = <u32>i8x16.bitmask(acc);
  }
  let tail: u64 = 0;
  if (i + 8 <= len) {
    const k64 = (<u64>key << 32) | <u64>key;
    const w = load<u64>(src + i) ^ k64;
    store<u64>(dst + i, w);
    tail = w;
    i += 8;
  }
  if (i + 4 <= len) {
    const w = load<u32>(src + i) ^ key;
    store<u32>(dst + i, w);
    tail |= <u64>w;
    i += 4;
  }
  while (i < len) {
    const b = load<u8>(src + i) ^ <u8>(key >>> (<u32>(i & 3) << 3));
    store<u8>(dst + i, b);
    tail |= <u64>b;
    i++;
  }
  return high | <u32>((tail & 0x8080808080808080) != 0);
}

// ---------------------------------------------------------------------------------------------
// Scalar UTF-8 DFA (RFC 3629 §4). State numbers are the contract of ts/backend.ts:
// 0 accept, 1 reject (sticky), 2/3/4 = 1/2/3 continuation bytes 80-BF still expected,
// 5 after E0 (A0-BF next), 6 after ED (80-9F next), 7 after F0 (90-BF next), 8 after F4 (80-8F next).

const ACCEPT: u32 = 0;
const REJECT: u32 = 1;

// Byte classes: 0 = 00-7F, 1 = 80-8F, 2 = 90-9F, 3 = A0-BF, 4 = C0-C1 and F5-FF (never valid),
// 5 = C2-DF, 6 = E0, 7 = E1-EC and EE-EF, 8 = ED, 9 = F0, 10 = F1-F3, 11 = F4.
const CLASS: usize = memory.data<u8>([
  // 00-7F
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  // 80-8F, 90-9F, A0-BF
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  // C0-C1, C2-DF
  4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
  // E0, E1-EC, ED, EE-EF, F0, F1-F3, F4, F5-FF
  6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 7, 9, 10, 10, 10, 11, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
]);

// Transitions: NEXT[state * 12 + class].
const NEXT: usize = memory.data<u8>([
  // class: 0  1  2  3  4  5  6  7  8  9 10 11
  /* 0 */  0, 1, 1, 1, 1, 2, 5, 3, 6, 7, 4, 8,
  /* 1 */  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  /* 2 */  1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
  /* 3 */  1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1,
  /* 4 */  1, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1,
  /* 5 */  1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1,
  /* 6 */  1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  /* 7 */  1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1,
  /* 8 */  1, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
]);

// @ts-ignore: decorator
@inline function step(state: u32, byte: u32): u32 {
  return <u32>load<u8>(NEXT + state * 12 + <u32>load<u8>(CLASS + byte));
}

/** Runs the DFA over [ptr + i, ptr + len) from `state`, stopping early on reject. */
function dfaRun(state: u32, ptr: usize, i: usize, len: usize): u32 {
  while (i < len) {
    if (state == ACCEPT) {
      // ASCII skip, 8 then 1 byte at a time, only at a character boundary.
      while (i + 8 <= len && (load<u64>(ptr + i) & 0x8080808080808080) == 0) i += 8;
      while (i < len && load<u8>(ptr + i) < 0x80) i++;
      if (i == len) break;
    }
    state = step(state, <u32>load<u8>(ptr + i));
    if (state == REJECT) return REJECT;
    i++;
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// SIMD validation by nibble lookups (after Keiser & Lemire, "Validating UTF-8 in less than one
// instruction per byte", 2021). For every byte `cur` and the byte before it `p1`, three 16-entry
// tables indexed by p1's high nibble, p1's low nibble and cur's high nibble each give a set of
// error classes that pair could belong to; the AND of the three keeps the classes it belongs to.
// Each class is one product (set of p1 high nibbles) x (set of p1 low nibbles) x (set of cur high
// nibbles), so the AND is exact:
//
//   bit  class         p1 high   p1 low        cur high   meaning
//   0x01 TOO_SHORT     C-F       any           0-7, C-F   lead byte not followed by a continuation
//   0x02 TOO_LONG      0-7       any           8-B        continuation after ASCII
//   0x04 OVERLONG_2    C         0-1           8-B        C0/C1 lead
//   0x08 OVERLONG_3    E         0             8-9        E0 80..E0 9F
//   0x10 SURROGATE     E         D             A-B        ED A0..ED BF
//   0x20 TOO_LARGE     F         4-F           9-B        F4 90.. and F5-FF leads
//   0x40 OL4_OR_LARGE  F         0, 5-F        8          F0 80..F0 8F, and F5-FF followed by 8x
//   0x80 TWO_CONTS     8-B       any           8-B        continuation after continuation
//
// TWO_CONTS is an error unless the byte must be the 2nd/3rd continuation of a 3/4-byte sequence
// (byte two back >= E0, or three back >= F0): XORing that "must continue" bit (0x80) cancels the
// allowed case and flags a missing continuation. A block with no byte >= 0x80 skips the lookups:
// it only has to check the previous block did not end inside a sequence.

const T_P1_HIGH: usize = memory.data<u8>([
  0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, // 0-7: TOO_LONG
  0x80, 0x80, 0x80, 0x80,                         // 8-B: TWO_CONTS
  0x01 | 0x04,                                    // C: TOO_SHORT | OVERLONG_2
  0x01,                                           // D: TOO_SHORT
  0x01 | 0x08 | 0x10,                             // E: TOO_SHORT | OVERLONG_3 | SURROGATE
  0x01 | 0x20 | 0x40,                             // F: TOO_SHORT | TOO_LARGE | OL4_OR_LARGE
], 16);

// Bits every low nibble allows: TOO_SHORT | TOO_LONG | TWO_CONTS = 0x83.
const T_P1_LOW: usize = memory.data<u8>([
  0x83 | 0x04 | 0x08 | 0x40, // 0: OVERLONG_2, OVERLONG_3, OL4_OR_LARGE
  0x83 | 0x04,               // 1: OVERLONG_2
  0x83, 0x83,                // 2, 3
  0x83 | 0x20,               // 4: TOO_LARGE
  0x83 | 0x20 | 0x40, 0x83 | 0x20 | 0x40, 0x83 | 0x20 | 0x40, 0x83 | 0x20 | 0x40, // 5-8
  0x83 | 0x20 | 0x40, 0x83 | 0x20 | 0x40, 0x83 | 0x20 | 0x40, 0x83 | 0x20 | 0x40, // 9-C
  0x83 | 0x20 | 0x40 | 0x10, // D: also SURROGATE
  0x83 | 0x20 | 0x40, 0x83 | 0x20 | 0x40, // E, F
], 16);

const T_CUR_HIGH: usize = memory.data<u8>([
  0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, // 0-7: TOO_SHORT
  0x02 | 0x80 | 0x04 | 0x08 | 0x40,               // 8
  0x02 | 0x80 | 0x04 | 0x08 | 0x20,               // 9
  0x02 | 0x80 | 0x04 | 0x10 | 0x20,               // A
  0x02 | 0x80 | 0x04 | 0x10 | 0x20,               // B
  0x01, 0x01, 0x01, 0x01,                         // C-F: TOO_SHORT
], 16);

// Subtracted (saturating) from a block to find a sequence left open at its end: byte 15 >= C0,
// byte 14 >= E0 or byte 13 >= F0 leaves a nonzero lane.
const T_INCOMPLETE: usize = memory.data<u8>([
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xdf, 0xbf,
], 16);

// Splatted constants, loaded from memory once per call: written as v128.const, Binaryen keeps them
// inside the loop and V8 rebuilds each one (movq/pinsrq) at every use.
const K_0F: usize = memory.data<u8>([0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f], 16);
const K_60: usize = memory.data<u8>([0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60], 16);
const K_70: usize = memory.data<u8>([0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70], 16);
const K_80: usize = memory.data<u8>([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80], 16);

// @ts-ignore: decorator
@inline function checkBlock(prev: v128, cur: v128, prevHigh: v128, curHigh: v128, t1: v128, t2: v128, t3: v128,
  k0f: v128, k60: v128, k70: v128, k80: v128): v128 {
  // p1/p2/p3: the bytes 1, 2 and 3 positions back (byte-wise concatenation shifts of prev:cur).
  // High nibbles of p1 are shifted the same way from the blocks' high nibbles, computed once each.
  const p1 = i8x16.shuffle(prev, cur, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
  const p1High = i8x16.shuffle(prevHigh, curHigh, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
  const p2 = i8x16.shuffle(prev, cur, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
  const p3 = i8x16.shuffle(prev, cur, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28);
  const classes = v128.and(
    v128.and(
      i8x16.swizzle(t1, p1High),
      i8x16.swizzle(t2, v128.and(p1, k0f)),
    ),
    i8x16.swizzle(t3, curHigh),
  );
  // Saturating subtraction leaves the top bit set exactly when p2 >= E0 (p2 - 0x60 >= 0x80) or
  // p3 >= F0 (p3 - 0x70 >= 0x80): cheaper than unsigned compares, which x64 lacks.
  const mustContinue = v128.and(
    v128.or(i8x16.sub_sat_u(p2, k60), i8x16.sub_sat_u(p3, k70)),
    k80,
  );
  return v128.xor(classes, mustContinue);
}

/**
 * Validates [ptr, ptr + len) with len a multiple of 16, starting at a character boundary, without
 * judging a sequence left open at the very end (the caller hands that to the DFA). Returns true
 * when no error was found.
 */
function simdBlocks(ptr: usize, len: usize): bool {
  const t1 = v128.load(T_P1_HIGH);
  const t2 = v128.load(T_P1_LOW);
  const t3 = v128.load(T_CUR_HIGH);
  const tInc = v128.load(T_INCOMPLETE);
  const k0f = v128.load(K_0F);
  const k60 = v128.load(K_60);
  const k70 = v128.load(K_70);
  const high = v128.load(K_80);
  // After an ASCII block, prevHigh may stay zero: any high nibble 0-7 selects the same classes.
  let prev = i8x16.splat(0);
  let prevHigh = i8x16.splat(0);
  let prevIncomplete = i8x16.splat(0);
  let err = i8x16.splat(0);
  let i: usize = 0;
  while (i + 64 <= len) {
    // ASCII run: a tight loop with no vector state, 64 bytes per test of the top bits.
    if (i8x16.bitmask(v128.or(
      v128.or(v128.load(ptr + i), v128.load(ptr + i, 16)),
      v128.or(v128.load(ptr + i, 32), v128.load(ptr + i, 48)),
    )) == 0) {
      i += 64;
      while (i + 64 <= len && i8x16.bitmask(v128.or(
        v128.or(v128.load(ptr + i), v128.load(ptr + i, 16)),
        v128.or(v128.load(ptr + i, 32), v128.load(ptr + i, 48)),
      )) == 0) i += 64;
      // The block before the run must not have ended inside a sequence.
      err = v128.or(err, prevIncomplete);
      prevIncomplete = i8x16.splat(0);
      // Any ASCII block acts like zeros as the previous block (classes of high nibble 0-7 are the
      // same, and no byte >= E0 requires a continuation), so the run's last block is not reloaded.
      prevHigh = i8x16.splat(0);
      prev = i8x16.splat(0);
      continue;
    }
    // Non-ASCII: one 16-byte block at a time. Interleaving four blocks makes V8 spill registers.
    const end = i + 64;
    do {
      const cur = v128.load(ptr + i);
      const curHigh = v128.and(i16x8.shr_u(cur, 4), k0f);
      err = v128.or(err, checkBlock(prev, cur, prevHigh, curHigh, t1, t2, t3, k0f, k60, k70, high));
      prev = cur;
      prevHigh = curHigh;
      i += 16;
    } while (i < end);
    prevIncomplete = i8x16.sub_sat_u(prev, tInc);
    if (v128.any_true(err)) return false;
  }
  while (i < len) {
    const a = v128.load(ptr + i);
    if (!v128.any_true(v128.and(a, high))) {
      err = v128.or(err, prevIncomplete);
      prevIncomplete = i8x16.splat(0);
      prevHigh = i8x16.splat(0);
    } else {
      // i16x8 shift + mask: V8 emulates i8x16.shr_u with a mask it rebuilds at every use.
      const ah = v128.and(i16x8.shr_u(a, 4), k0f);
      err = v128.or(err, checkBlock(prev, a, prevHigh, ah, t1, t2, t3, k0f, k60, k70, high));
      prevIncomplete = i8x16.sub_sat_u(a, tInc);
      prevHigh = ah;
    }
    prev = a;
    i += 16;
  }
  return !v128.any_true(err);
}

/**
 * Streaming validation: the DFA state after consuming [ptr, ptr + len) from `state`, exactly what
 * the scalar DFA would return (including fail-fast rejects of an incomplete final sequence).
 */
export function utf8Stream(state: u32, ptr: usize, len: usize): u32 {
  if (state == REJECT) return REJECT;
  let i: usize = 0;
  // Finish a sequence left open by the previous chunk (at most 3 bytes).
  while (state != ACCEPT && i < len) {
    state = step(state, <u32>load<u8>(ptr + i));
    if (state == REJECT) return REJECT;
    i++;
  }
  if (state != ACCEPT) return state;
  const bulk = (len - i) & ~<usize>15;
  if (bulk >= 16) {
    if (!simdBlocks(ptr + i, bulk)) return REJECT;
    // Back up to the start of a sequence left open at the end of the bulk, if any: everything
    // before it is valid and complete, so the DFA resumes from ACCEPT there.
    let end = i + bulk;
    if (load<u8>(ptr + end - 1) >= 0xc0) end -= 1;
    else if (load<u8>(ptr + end - 2) >= 0xe0) end -= 2;
    else if (load<u8>(ptr + end - 3) >= 0xf0) end -= 3;
    i = end;
  }
  return dfaRun(ACCEPT, ptr, i, len);
}

/** One-shot validation: 1 when [ptr, ptr + len) is complete, valid UTF-8, else 0. */
export function utf8Validate(ptr: usize, len: usize): u32 {
  return utf8Stream(ACCEPT, ptr, len) == ACCEPT ? 1 : 0;
}
