// Raw WASM kernels (mask, utf8Validate, utf8Stream by pointer) against the plain references,
// run on an arena so inputs sit at chosen addresses (alignments) in WASM memory.
import { describe, expect, it, vi } from 'vitest';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { createWasmArena } from '../ts/backend-wasm';
import {
  INVALID_BETWEEN_ASCII, RANGES, keyAtPhase, prng, randomBytes, randomUtf8In, refIsUtf8, refMaskKey, refUtf8State,
} from './reference';

// Exhaustive loops: generous timeouts, the CI/dev machines are small and shared.
vi.setConfig({ testTimeout: 120_000 });

const arena = createWasmArena(1 << 20);
const ex = arena.exports;
const mem = (): Uint8Array => arena.view();
const base = arena.base;

/** Writes bytes at base + at and returns the pointer. */
function put(bytes: Uint8Array, at = 0): number {
  mem().set(bytes, at);
  return base + at;
}
function validate(bytes: Uint8Array, at = 0): boolean {
  return ex.utf8Validate(put(bytes, at), bytes.length) === 1;
}
function stream(state: number, bytes: Uint8Array, at = 0): number {
  return ex.utf8Stream(state, put(bytes, at), bytes.length);
}

describe('wasm mask kernel', () => {
  it('masks the RFC 6455 §5.7 example', () => {
    // "Hello" masked with key bytes 37 fa 21 3d gives 7f 9f 4d 51 58.
    const key = 0x37 | (0xfa << 8) | (0x21 << 16) | (0x3d << 24);
    const p = put(Uint8Array.from([0x48, 0x65, 0x6c, 0x6c, 0x6f]));
    ex.mask(p, p + 64, 5, key);
    expect([...mem().subarray(64, 69)]).toEqual([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  });

  it('matches a byte-at-a-time XOR: lengths 0-300 x 4 key phases x src/dst offsets 0-7', () => {
    const r = prng(1);
    const src = randomBytes(r, 300);
    const key0 = 0xa1b2c3d4;
    let checked = 0;
    for (let phase = 0; phase < 4; phase++) {
      const key = keyAtPhase(key0, phase);
      for (let len = 0; len <= 300; len++) {
        const want = refMaskKey(src.subarray(0, len), key);
        for (let so = 0; so < 8; so++) {
          for (let dof = 0; dof < 8; dof++) {
            const m = mem();
            m.set(src.subarray(0, len), so);
            const dAt = 4096 + dof;
            m.fill(0xee, dAt - 8, dAt + len + 8);
            ex.mask(base + so, base + dAt, len, key);
            const got = m.subarray(dAt, dAt + len);
            if (!Buffer.from(got).equals(Buffer.from(want))) {
              throw new Error(`mismatch len=${len} phase=${phase} src+${so} dst+${dof}`);
            }
            // No byte written outside [dst, dst + len).
            if (m[dAt - 1] !== 0xee || m[dAt + len] !== 0xee) throw new Error(`wrote outside dst, len=${len} dst+${dof}`);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(4 * 301 * 64);
  });

  it('works in place (src == dst) at every alignment', () => {
    const r = prng(2);
    for (let len = 0; len <= 300; len++) {
      const data = randomBytes(r, len);
      const key = Math.floor(r() * 2 ** 32);
      const at = len & 7;
      const p = put(data, at);
      ex.mask(p, p, len, key);
      expect(Buffer.from(mem().subarray(at, at + len)).equals(Buffer.from(refMaskKey(data, key)))).toBe(true);
    }
  });

  it('masks large random inputs', () => {
    const r = prng(3);
    for (const len of [4096, 65536 + 13, 300001]) {
      const data = randomBytes(r, len);
      const key = Math.floor(r() * 2 ** 32);
      const p = put(data, 3);
      ex.mask(p, p, len, key);
      expect(Buffer.from(mem().subarray(3, 3 + len)).equals(Buffer.from(refMaskKey(data, key)))).toBe(true);
    }
  });
});

describe('wasm UTF-8 kernels, one-shot', () => {
  it('known answers', () => {
    const yes = [[], [0x41], [0xc2, 0x80], [0xdf, 0xbf], [0xe0, 0xa0, 0x80], [0xed, 0x9f, 0xbf],
      [0xee, 0x80, 0x80], [0xef, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf],
      [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80]];
    for (const s of yes) expect(validate(Uint8Array.from(s)), s.join(',')).toBe(true);
    for (const s of INVALID_BETWEEN_ASCII) expect(validate(Uint8Array.from(s)), s.join(',')).toBe(false);
  });

  it('the reference agrees with buffer.isUtf8 on the adversarial set', () => {
    for (const s of INVALID_BETWEEN_ASCII) expect(isUtf8(Uint8Array.from(s))).toBe(false);
    for (const s of INVALID_BETWEEN_ASCII) expect(refIsUtf8(Uint8Array.from(s))).toBe(false);
  });

  it('random valid text of all lengths 0-300 and several alphabets, at offsets 0-7', () => {
    const r = prng(4);
    for (const [name, ranges] of Object.entries(RANGES)) {
      for (let len = 0; len <= 300; len++) {
        const text = randomUtf8In(r, len, ranges);
        expect(refIsUtf8(text)).toBe(true);
        for (let at = 0; at < 8; at++) {
          if (!validate(text, at)) throw new Error(`${name} len=${len} at=${at} rejected`);
        }
      }
    }
  });

  it('every bad sequence at every position 0-140 within ASCII and multibyte filler', () => {
    const r = prng(5);
    const fillers = [
      new Uint8Array(400).fill(0x61),
      randomUtf8In(r, 400, RANGES.cjkEmoji),
      randomUtf8In(r, 400, RANGES.latin),
    ];
    let n = 0;
    for (const filler of fillers) {
      for (const bad of INVALID_BETWEEN_ASCII) {
        for (let pos = 0; pos <= 140; pos++) {
          // Cut the filler at a character boundary at or before pos, then bad, then filler again.
          let cut = pos;
          while (cut > 0 && (filler[cut] & 0xc0) === 0x80) cut--;
          for (const tailLen of [0, 1, 17, 70]) {
            let rest = 200;
            while ((filler[rest] & 0xc0) === 0x80) rest++;
            const input = Buffer.concat([filler.subarray(0, cut), Uint8Array.from(bad), filler.subarray(rest, rest + tailLen)]);
            // Trim the tail back to a character boundary so only `bad` is wrong.
            let end = input.length;
            while (end > cut + bad.length && (input[end - 1] & 0xc0) === 0x80) end--;
            if (end > cut + bad.length && input[end - 1] >= 0xc0) end--;
            const x = input.subarray(0, end);
            const want = refIsUtf8(x);
            expect(want).toBe(isUtf8(x));
            const got = validate(x, pos & 7);
            if (got !== want) throw new Error(`bad=${bad} pos=${pos} tail=${tailLen} want=${want}`);
            n++;
          }
        }
      }
    }
    expect(n).toBeGreaterThan(10000);
  });

  it('an error at every position of 16/32/64-byte blocks and across block boundaries, after long ASCII runs', () => {
    for (const run of [0, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 4095]) {
      for (const bad of INVALID_BETWEEN_ASCII) {
        for (let extra = 0; extra < 70; extra++) {
          const x = new Uint8Array(run + extra + bad.length + 3).fill(0x20);
          x.set(bad, run + extra);
          expect(validate(x, extra & 7)).toBe(refIsUtf8(x));
          expect(refIsUtf8(x)).toBe(false);
        }
      }
    }
  });

  it('random bytes and mutated valid text agree with the reference and isUtf8', () => {
    const r = prng(6);
    for (let t = 0; t < 4000; t++) {
      const len = Math.floor(r() * 200);
      let x: Uint8Array;
      if (t % 3 === 0) x = randomBytes(r, len);
      else {
        x = randomUtf8In(r, len, t % 3 === 1 ? RANGES.all : RANGES.edges);
        const flips = 1 + Math.floor(r() * 2);
        for (let k = 0; k < flips && x.length > 0; k++) x[Math.floor(r() * x.length)] = Math.floor(r() * 256);
      }
      const want = refIsUtf8(x);
      expect(isUtf8(x)).toBe(want);
      expect(validate(x, t & 7)).toBe(want);
    }
  });
});

describe('wasm UTF-8 kernels, streaming', () => {
  const r = prng(7);
  const samples: Uint8Array[] = [
    randomUtf8In(r, 200, RANGES.all),
    randomUtf8In(r, 150, RANGES.cjkEmoji),
    randomUtf8In(r, 100, RANGES.edges),
    Uint8Array.from([...new Array(40).fill(0x41), 0xe0, 0x80, ...new Array(40).fill(0x41)]),
    Uint8Array.from([...new Array(30).fill(0x41), 0xf4, 0x8f, 0xbf, 0xbf, 0xed, 0xa0, 0x80, 0x41]),
    ...INVALID_BETWEEN_ASCII.map((b) => Uint8Array.from([...new Array(33).fill(0x62), ...b, 0x62, 0x62])),
  ];

  it('every prefix returns the reference state (fail-fast included)', () => {
    for (const s of samples) {
      for (let i = 0; i <= s.length; i++) {
        const prefix = s.subarray(0, i);
        expect(stream(0, prefix, i & 7)).toBe(refUtf8State(prefix));
      }
    }
    // A chunk ending in E0 80 can never become valid: reject, not an intermediate state.
    expect(stream(0, Uint8Array.from([0x41, 0xe0, 0x80]))).toBe(1);
    expect(stream(0, Uint8Array.from([...new Array(40).fill(0x41), 0xe0, 0x80]))).toBe(1);
    expect(stream(0, Uint8Array.from([...new Array(40).fill(0x41), 0xe0]))).toBe(5);
    expect(stream(0, Uint8Array.from([...new Array(40).fill(0x41), 0xf0, 0x90]))).toBe(3);
  });

  it('split at every position: two chunks give the one-shot answer and the reference states', () => {
    for (const s of samples) {
      const whole = refUtf8State(s);
      for (let i = 0; i <= s.length; i++) {
        const a = s.subarray(0, i);
        const b = s.subarray(i);
        const mid = stream(0, a, 1);
        expect(mid).toBe(refUtf8State(a));
        const end = stream(mid, b, 5);
        expect(end).toBe(whole);
        expect(end === 0).toBe(validate(s));
      }
    }
  });

  it('resumes from every intermediate state', () => {
    for (let st = 0; st <= 8; st++) {
      for (const s of samples) {
        for (const len of [0, 1, 2, 3, 4, 17, 40, s.length]) {
          const x = s.subarray(0, len);
          expect(stream(st, x, len & 7)).toBe(refUtf8State(x, st));
        }
      }
      for (let b = 0; b < 256; b++) {
        const x = Uint8Array.from([b, 0x80, 0x41]);
        expect(stream(st, x)).toBe(refUtf8State(x, st));
        expect(stream(st, x.subarray(0, 1))).toBe(refUtf8State(x.subarray(0, 1), st));
      }
    }
  });

  it('random multi-splits agree with the reference state after every chunk', () => {
    const rr = prng(8);
    for (let t = 0; t < 1500; t++) {
      const len = Math.floor(rr() * 400);
      const x = randomUtf8In(rr, len, t & 1 ? RANGES.all : RANGES.cjkEmoji);
      if (t % 4 === 0 && x.length) x[Math.floor(rr() * x.length)] = Math.floor(rr() * 256);
      let st = 0;
      let ref = 0;
      let i = 0;
      while (i < x.length) {
        const n = Math.min(x.length - i, Math.floor(rr() * 70));
        const c = x.subarray(i, i + n);
        st = stream(st, c, (i * 7) & 7);
        ref = refUtf8State(c, ref);
        expect(st).toBe(ref);
        i += n;
      }
      expect(st === 0).toBe(refIsUtf8(x));
    }
  });
});

describe('wasm UTF-8 kernels, property-based (fast-check)', () => {
  // Bytes at every class boundary of the grammar, plus ASCII, so random arrays hit edge cases.
  const edgeByte = fc.constantFrom(
    0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec,
    0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
  );
  const tailByte = fc.constantFrom(0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf);
  // A lead byte followed by 0-4 continuation-range bytes: near-valid sequences, so an error is
  // usually the only one in otherwise valid text (two errors would hide each other).
  const sequence = fc.tuple(edgeByte, fc.array(tailByte, { maxLength: 4 })).map(([lead, tail]) => Uint8Array.from([lead, ...tail]));
  const mostlyText = fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map((t) => Buffer.from(t)) },
    { weight: 2, arbitrary: sequence },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }) },
    { weight: 1, arbitrary: fc.array(edgeByte, { maxLength: 6 }).map((a) => Uint8Array.from(a)) },
  );
  const input = fc.array(mostlyText, { maxLength: 8 }).map((parts) => Uint8Array.from(Buffer.concat(parts)));

  it('one-shot equals the grammar reference and isUtf8', () => {
    fc.assert(
      fc.property(input, fc.nat(7), (x, at) => {
        const want = refIsUtf8(x);
        return want === isUtf8(x) && validate(x, at) === want;
      }),
      { numRuns: 20000, seed: 42 },
    );
  });

  it('streaming over random splits equals the reference state after every chunk', () => {
    fc.assert(
      fc.property(input, fc.array(fc.nat(120), { maxLength: 8 }), (x, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (x.length + 1)))].sort((p, q) => p - q);
        let st = 0;
        let ref = 0;
        let prev = 0;
        for (const p of [...points, x.length]) {
          const c = x.subarray(prev, p);
          st = stream(st, c, p & 7);
          ref = refUtf8State(c, ref);
          if (st !== ref) return false;
          prev = p;
        }
        return (st === 0) === refIsUtf8(x);
      }),
      { numRuns: 5000, seed: 7 },
    );
  });
});
