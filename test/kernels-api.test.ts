/**
 * The public kernel functions: argument checking (TypeError / RangeError before any write), key
 * forms and phases, the size dispatch between the JS loops and the active backend, and the
 * streaming validator's contract. Run once per available backend.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isUtf8 } from 'node:buffer';
import { Utf8Validator, isValidUtf8, mask, maskKeyFrom, rotateKey, unmask } from '../ts/kernels.js';
import { backendStatus, useBackend } from '../ts/select.js';
import { activeBackend } from '../ts/index.js';
import { prng, randomBytes, randomUtf8, refMask } from './reference.js';

const original = activeBackend().name;
afterAll(() => {
  useBackend(original);
});

describe('argument checks', () => {
  const src = Buffer.alloc(8, 1);
  const out = Buffer.alloc(8);
  const key = Buffer.from([1, 2, 3, 4]);

  it('wrong types throw TypeError with a stable code and write nothing', () => {
    const bad: unknown[] = [null, undefined, 'abc', 42, {}, [1, 2, 3, 4]];
    for (const v of bad) {
      expect(() => mask(v as Buffer, key, out, 0, 4)).toThrow(TypeError);
      expect(() => mask(src, key, v as Buffer, 0, 4)).toThrow(TypeError);
      expect(() => unmask(v as Buffer, key)).toThrow(TypeError);
      expect(() => isValidUtf8(v as Buffer)).toThrow(TypeError);
    }
    expect(() => mask(src, 'abcd' as unknown as Buffer, out, 0, 4)).toThrow(TypeError);
    try {
      unmask('x' as unknown as Buffer, key);
    } catch (err) {
      expect((err as { code: string }).code).toBe('ERR_INVALID_ARG_TYPE');
    }
    expect([...out]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('out-of-range offsets, lengths and keys throw RangeError and write nothing', () => {
    const cases: [number, number][] = [[-1, 4], [0, -1], [5, 4], [0, 9], [1.5, 2], [0, 2.5], [NaN, 1], [0, Infinity]];
    for (const [offset, length] of cases) {
      expect(() => mask(src, key, out, offset, length)).toThrow(RangeError);
    }
    expect(() => mask(src, Buffer.from([1, 2, 3]), out, 0, 4)).toThrow(RangeError);
    expect(() => mask(src, 2 ** 32, out, 0, 4)).toThrow(RangeError);
    expect(() => mask(src, 1.5, out, 0, 4)).toThrow(RangeError);
    expect(() => unmask(src, key, -1)).toThrow(RangeError);
    expect(() => maskKeyFrom(key, 1)).toThrow(RangeError);
    expect([...out]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...src]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('partly overlapping source and output are rejected; identical ranges mask in place', () => {
    const buf = Buffer.from([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(() => mask(buf.subarray(0, 6), key, buf, 1, 6)).toThrow(RangeError);
    mask(buf.subarray(2, 6), key, buf, 2, 4);
    expect([...buf]).toEqual([10, 20, 30 ^ 1, 40 ^ 2, 50 ^ 3, 60 ^ 4, 70, 80]);
  });

  it('zero-length inputs are fine everywhere', () => {
    mask(Buffer.alloc(0), key, Buffer.alloc(0), 0, 0);
    unmask(Buffer.alloc(0), key);
    expect(isValidUtf8(Buffer.alloc(0))).toBe(true);
    expect(isValidUtf8(new ArrayBuffer(0))).toBe(true);
  });
});

const backends = backendStatus().filter((s) => s.available).map((s) => s.name);

describe.each(backends)('public functions on the %s backend', (name) => {
  it('selects the backend', () => {
    useBackend(name);
    expect(activeBackend().name).toBe(name);
    expect(activeBackend().chosenBy).toBe('api');
  });

  it('mask/unmask agree with the reference for every key form, phase and size class', () => {
    useBackend(name);
    const rand = prng(7);
    const keyBytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x99]);
    const keyNum = maskKeyFrom(keyBytes);
    expect(keyNum).toBe(0xefbeadde);
    for (const len of [0, 1, 3, 4, 5, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48, 63, 64, 95, 96, 127, 128, 129, 1000, 4099, 70001]) {
      const src = Buffer.from(randomBytes(rand, len));
      for (let phase = 0; phase < 6; phase++) {
        const expected = Buffer.alloc(len + 3);
        refMask(src, keyBytes, expected, 3, len, phase % 4);
        const a = Buffer.alloc(len + 3);
        mask(src, keyBytes, a, 3, len, phase);
        expect(a.equals(expected)).toBe(true);
        const c = Buffer.alloc(len + 3);
        mask(src, rotateKey(keyNum, phase), c, 3, len);
        expect(c.equals(expected)).toBe(true);
        const inPlace = Buffer.from(src);
        unmask(inPlace, keyNum, phase);
        expect(inPlace.equals(expected.subarray(3))).toBe(true);
      }
    }
  });

  it('isValidUtf8 agrees with buffer.isUtf8 for every input type and size', () => {
    useBackend(name);
    const rand = prng(11);
    for (const len of [0, 1, 2, 7, 16, 23, 24, 25, 64, 127, 128, 200, 1024, 20000]) {
      for (const weight of [1, 0.6, 0]) {
        const valid = randomUtf8(rand, len, weight);
        expect(isValidUtf8(valid)).toBe(true);
        expect(isValidUtf8(Buffer.from(valid))).toBe(true);
        expect(isValidUtf8(valid.buffer)).toBe(isUtf8(valid.buffer));
        const bad = valid.slice();
        if (bad.length > 0) {
          bad[(rand() * bad.length) | 0] = 0xc0;
          expect(isValidUtf8(bad)).toBe(false);
          expect(isValidUtf8(new DataView(bad.buffer))).toBe(false);
          expect(isValidUtf8(new Uint16Array(bad.buffer, 0, bad.length >> 1))).toBe(isUtf8(bad.subarray(0, bad.length & ~1)));
        }
      }
    }
  });

  it('isValidUtf8 on short inputs (the ASCII scan, the DFA tail and the hand-off) agrees with buffer.isUtf8', () => {
    useBackend(name);
    const rand = prng(23);
    const pieces = [[0x61], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xc0], [0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90], [0xe0]];
    for (let t = 0; t < 6000; t++) {
      const bytes: number[] = [];
      const ascii = (rand() * 40) | 0;
      for (let i = 0; i < ascii; i++) bytes.push(0x20 + ((rand() * 90) | 0));
      const more = (rand() * 6) | 0;
      for (let i = 0; i < more; i++) bytes.push(...pieces[(rand() * pieces.length) | 0]);
      const input = Buffer.from(bytes.slice(0, 40));
      expect(isValidUtf8(input)).toBe(isUtf8(input));
    }
  });

  it('Utf8Validator: fail-fast, carry across pushes, truncated tail at end, reuse after end', () => {
    useBackend(name);
    const v = new Utf8Validator();
    const euro = Buffer.from('€'); // e2 82 ac
    expect(v.push(Buffer.from('abc'))).toBe(true);
    expect(v.push(euro.subarray(0, 1))).toBe(true);
    expect(v.pending).toBe(true);
    expect(v.push(euro.subarray(1, 2))).toBe(true);
    expect(v.push(euro.subarray(2))).toBe(true);
    expect(v.pending).toBe(false);
    expect(v.end()).toBe(true);

    // Fail fast: E0 80 can never be valid, so the push that brings 0x80 fails.
    expect(v.push(Buffer.from([0x61, 0xe0]))).toBe(true);
    expect(v.push(Buffer.from([0x80]))).toBe(false);
    expect(v.valid).toBe(false);
    expect(v.push(Buffer.from('fine'))).toBe(false); // sticky
    expect(v.end()).toBe(false);

    // Truncated at the end.
    expect(v.push(Buffer.from([0xf0, 0x9f, 0x98]))).toBe(true);
    expect(v.end()).toBe(false);
    // end() reset it.
    expect(v.push(Buffer.from('ok'))).toBe(true);
    expect(v.end()).toBe(true);

    // Long pushes go to the backend; the result matches one-shot validation.
    const rand = prng(3);
    const text = Buffer.from(randomUtf8(rand, 5000, 0.3));
    for (let step = 1; step < 300; step += 37) {
      for (let i = 0; i < text.length; i += step) expect(v.push(text.subarray(i, i + step))).toBe(true);
      expect(v.end()).toBe(true);
    }
    v.push(Buffer.from('x'));
    v.reset();
    expect(v.push(Buffer.from([0xbf]))).toBe(false);
  });
});
