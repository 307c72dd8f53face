/**
 * Every backend that loads on this machine against the references of test/reference.ts and Node's
 * own `buffer.isUtf8` (simdutf, an independent implementation), on exhaustive small cases and
 * seeded random and adversarial inputs.
 */
import { describe, expect, it } from 'vitest';
import { isUtf8 } from 'node:buffer';
import { BACKEND_NAMES, backendStatus, getBackend } from '../ts/select.js';
import { rotateKey } from '../ts/backend-js.js';
import {
  INVALID_SEQUENCES, VALID_BOUNDARIES, prng, randomBytes, randomUtf8, refIsUtf8, refMask, refUtf8State, withSequence,
} from './reference.js';

const available = backendStatus().filter((s) => s.available).map((s) => s.name);

it('the js backend is always available', () => {
  expect(available).toContain('js');
});

function keyNumber(k: Uint8Array): number {
  return (k[0] | (k[1] << 8) | (k[2] << 16) | (k[3] << 24)) >>> 0;
}

/** Offsets into a larger ArrayBuffer, so views start at every alignment. */
function viewAt(bytes: Uint8Array, align: number): Uint8Array {
  const backing = new Uint8Array(bytes.length + align + 8);
  const v = backing.subarray(align, align + bytes.length);
  v.set(bytes);
  return v;
}

describe.each(BACKEND_NAMES.filter((n) => available.includes(n)))('%s backend', (name) => {
  const b = getBackend(name);
  const rand = prng(0x5eed + name.length);
  const key = new Uint8Array([0x9a, 0x13, 0xf7, 0x4c]);

  it('mask: lengths 0-300 x 4 key phases x source/output alignments', () => {
    for (let len = 0; len <= 300; len++) {
      const src = randomBytes(rand, len);
      for (let phase = 0; phase < 4; phase++) {
        const k = rotateKey(keyNumber(key), phase);
        for (const sa of [0, 1, 2, 3, 7]) {
          for (const da of [0, 1, 3, 6]) {
            const s = viewAt(src, sa);
            const out = viewAt(new Uint8Array(len + 5), da);
            const expected = new Uint8Array(len + 5);
            refMask(src, key, expected, 2, len, phase);
            b.mask(s, k, out, 2, len);
            if (Buffer.compare(out, expected) !== 0) {
              expect({ len, phase, sa, da, out: [...out] }).toEqual({ len, phase, sa, da, out: [...expected] });
            }
          }
        }
      }
    }
  });

  it('unmask: lengths 0-300 x 4 key phases x alignments, and masking twice is the identity', () => {
    for (let len = 0; len <= 300; len++) {
      const src = randomBytes(rand, len);
      for (let phase = 0; phase < 4; phase++) {
        const k = rotateKey(keyNumber(key), phase);
        for (const a of [0, 1, 2, 3, 5]) {
          const buf = viewAt(src, a);
          const expected = new Uint8Array(len);
          refMask(src, key, expected, 0, len, phase);
          b.unmask(buf, k);
          if (Buffer.compare(buf, expected) !== 0) expect({ len, phase, a, got: [...buf] }).toEqual({ len, phase, a, got: [...expected] });
          b.unmask(buf, k);
          expect(Buffer.compare(buf, src)).toBe(0);
        }
      }
    }
  });

  it('unmaskAscii: one byte >= 0x80 at every position of 0-300 bytes, every key phase and alignment', () => {
    // The expected answer comes from the plaintext built here, never from the kernel: every byte
    // below 0x80, except at most one at position `hi`.
    for (let len = 0; len <= 300; len++) {
      for (let hi = -1; hi < len; hi++) {
        const plain = randomBytes(rand, len).map((x) => x & 0x7f);
        if (hi >= 0) plain[hi] |= 0x80;
        const phase = (len + hi) & 3;
        const masked = new Uint8Array(len);
        refMask(plain, key, masked, 0, len, phase);
        const buf = viewAt(masked, (len * 7 + hi) & 7);
        const ascii = b.unmaskAscii(buf, rotateKey(keyNumber(key), phase));
        if (ascii !== (hi < 0)) expect({ len, hi, phase, ascii }).toEqual({ len, hi, phase, ascii: hi < 0 });
        expect(Buffer.compare(buf, plain)).toBe(0);
      }
    }
  });

  it('unmaskAscii on large inputs: the one high byte first, last, at chunk edges, or none', () => {
    for (const len of [4096 + 3, 65536 + 1, 262144 + 7]) {
      for (const hi of [-1, 0, 15, 16, 31, 32, 127, 128, 4095, 4096, 65535, 65536, len - 1]) {
        if (hi >= len) continue;
        const plain = randomBytes(rand, len).map((x) => x & 0x7f);
        if (hi >= 0) plain[hi] = 0x80 | (hi & 0x7f);
        const masked = new Uint8Array(len);
        refMask(plain, key, masked, 0, len, 2);
        const buf = viewAt(masked, hi & 3);
        expect({ len, hi, ascii: b.unmaskAscii(buf, rotateKey(keyNumber(key), 2)) }).toEqual({ len, hi, ascii: hi < 0 });
        expect(Buffer.compare(buf, plain)).toBe(0);
      }
    }
  });

  it('mask and unmask: large inputs (crossing any internal chunk size) and an all-zero key', () => {
    for (const len of [4096 + 3, 65536 + 1, 262144 + 7, (1 << 20) + 5]) {
      const src = randomBytes(rand, len);
      const expected = new Uint8Array(len);
      refMask(src, key, expected, 0, len, 1);
      const out = new Uint8Array(len + 1);
      b.mask(src, rotateKey(keyNumber(key), 1), out, 1, len);
      expect(Buffer.compare(out.subarray(1), expected)).toBe(0);
      const inPlace = src.slice();
      b.unmask(inPlace, rotateKey(keyNumber(key), 1));
      expect(Buffer.compare(inPlace, expected)).toBe(0);
      b.unmask(inPlace, 0);
      expect(Buffer.compare(inPlace, expected)).toBe(0);
    }
  });

  it('utf8: valid boundary code points and every forbidden sequence, at every position of 0-80 bytes of text', () => {
    const asciiBase = new Uint8Array(80).fill(0x61);
    const mixedBase = randomUtf8(rand, 80);
    for (const base of [asciiBase, mixedBase]) {
      for (const seq of [...INVALID_SEQUENCES, ...VALID_BOUNDARIES]) {
        for (let at = 0; at < 80; at++) {
          const input = withSequence(base, seq, at);
          const expected = refIsUtf8(input);
          expect(isUtf8(input)).toBe(expected); // the reference agrees with simdutf
          const got = b.isValidUtf8(input);
          if (got !== expected) expect({ seq, at, got }).toEqual({ seq, at, got: expected });
          const state = b.utf8Stream(0, input);
          if (state !== refUtf8State(input)) expect({ seq, at, state }).toBe(refUtf8State(input));
        }
      }
    }
  });

  it('utf8: every 1- and 2-byte input, and every 3-byte input with a lead byte >= 0xC0', () => {
    for (let x = 0; x < 256; x++) {
      const one = new Uint8Array([x]);
      expect(b.utf8Stream(0, one)).toBe(refUtf8State(one));
      for (let y = 0; y < 256; y++) {
        const two = new Uint8Array([x, y]);
        const s = b.utf8Stream(0, two);
        if (s !== refUtf8State(two)) expect([x, y, s]).toEqual([x, y, refUtf8State(two)]);
        if (x >= 0xc0) {
          for (const z of [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xf4, 0xff]) {
            const three = new Uint8Array([x, y, z]);
            const s3 = b.utf8Stream(0, three);
            if (s3 !== refUtf8State(three)) expect([x, y, z, s3]).toEqual([x, y, z, refUtf8State(three)]);
          }
        }
      }
    }
  });

  it('utf8: random valid text and random bytes of many lengths agree with the reference and buffer.isUtf8', () => {
    for (let i = 0; i < 400; i++) {
      const len = (rand() * (i < 300 ? 300 : 5000)) | 0;
      const valid = randomUtf8(rand, len, [0.98, 0.7, 0.3, 0][i & 3]);
      expect(b.isValidUtf8(valid)).toBe(true);
      const noise = randomBytes(rand, len);
      expect(b.isValidUtf8(noise)).toBe(isUtf8(noise));
      // A single corrupted byte in otherwise valid text.
      if (valid.length > 0) {
        const corrupt = valid.slice();
        corrupt[(rand() * corrupt.length) | 0] = (rand() * 256) | 0;
        expect(b.isValidUtf8(corrupt)).toBe(isUtf8(corrupt));
        expect(b.utf8Stream(0, corrupt)).toBe(refUtf8State(corrupt));
      }
    }
  });

  it('utf8: long inputs (ASCII runs then an error far in) and views at every alignment', () => {
    const long = new Uint8Array(70000).fill(0x41);
    for (const at of [0, 15, 16, 31, 32, 63, 64, 65, 4095, 65535, 69999]) {
      for (const seq of [[0x80], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
        const input = withSequence(long, seq, Math.min(at, long.length - seq.length));
        expect(b.isValidUtf8(input)).toBe(false);
      }
    }
    expect(b.isValidUtf8(long)).toBe(true);
    const text = randomUtf8(rand, 3000, 0.3);
    for (let a = 0; a < 8; a++) expect(b.isValidUtf8(viewAt(text, a))).toBe(true);
  });

  it('utf8 stream: every split point of inputs ending in every truncation matches the reference, state by state', () => {
    const inputs: Uint8Array[] = [];
    for (const seq of [...INVALID_SEQUENCES, ...VALID_BOUNDARIES]) {
      inputs.push(withSequence(randomUtf8(rand, 40, 0.6), seq, 20));
      inputs.push(withSequence(new Uint8Array(33).fill(0x20), seq, 30));
    }
    inputs.push(randomUtf8(rand, 200, 0.2));
    for (const input of inputs) {
      for (let cut = 0; cut <= input.length; cut++) {
        const first = input.subarray(0, cut);
        const s1 = b.utf8Stream(0, first);
        expect(s1).toBe(refUtf8State(first));
        const s2 = b.utf8Stream(s1, input.subarray(cut));
        expect(s2).toBe(refUtf8State(input));
      }
    }
  });

  it('utf8 stream: random multi-way splits of long text, fail-fast at the first bad chunk', () => {
    for (let t = 0; t < 60; t++) {
      const input = randomUtf8(rand, 500 + ((rand() * 3000) | 0), [0.9, 0.4, 0][t % 3]);
      const bad = t % 2 === 1;
      const badAt = (rand() * input.length) | 0;
      if (bad) input[badAt] = 0xff;
      let s = 0;
      let pos = 0;
      while (pos < input.length) {
        const next = Math.min(input.length, pos + 1 + ((rand() * 70) | 0));
        s = b.utf8Stream(s, input.subarray(pos, next));
        expect(s).toBe(refUtf8State(input.subarray(0, next)));
        pos = next;
      }
      expect(s === 0).toBe(!bad && refIsUtf8(input));
    }
  });
});
