// Differential tests of the native masking kernels on every SIMD path this CPU runs.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { load, nativePaths, setNativePath } from '../ts/backend-native';
import { keyAtPhase, keyByte, refMaskKey, xorshift32 } from './reference';

const backend = load();
const paths = nativePaths();
const KEYS = [0x00000000, 0xffffffff, 0x04030201, 0x9e3779b9];

describe('native paths', () => {
  it('offers every path the CPU supports', () => {
    expect(paths[0]).toBe('scalar');
    if (process.arch === 'x64') {
      expect(paths).toContain('sse2');
      const flags = readFileSync('/proc/cpuinfo', 'utf8');
      expect(paths.includes('avx2')).toBe(/\bavx2\b/.test(flags) && /\bxsave\b/.test(flags));
    }
  });
  it('switches and reports the active path', () => {
    for (const p of paths) {
      expect(setNativePath(p)).toBe(p);
      expect(backend.variant).toBe(p);
    }
    expect(() => setNativePath('avx512')).toThrow(TypeError);
  });
});

describe.each(paths)('mask/unmask on the %s path', (path) => {
  beforeEach(() => {
    setNativePath(path);
  });
  // The path is process-wide: if another test file shared this process (a 'threads' pool) and
  // switched it mid-test, this test would not have tested `path`. Vitest's default pool (forks)
  // gives each file its own process.
  afterEach(() => {
    expect(backend.variant).toBe(path);
  });

  it('mask: lengths 0-300 x 4 key phases x src/dst alignments 0-7', () => {
    const r = xorshift32(0x1234 + path.length);
    const src = new Uint8Array(320);
    for (let i = 0; i < src.length; i++) src[i] = r() & 0xff;
    const out = new Uint8Array(320);
    const key = 0x9e3779b9;
    let checked = 0;
    for (let len = 0; len <= 300; len++) {
      for (let phase = 0; phase < 4; phase++) {
        for (let sa = 0; sa < 8; sa++) {
          const source = src.subarray(sa, sa + len);
          const expected = refMaskKey(source, key, phase, len);
          for (let da = 0; da < 8; da++) {
            out.fill(0xa5);
            backend.mask(source, keyAtPhase(key, phase), out, da, len);
            for (let i = 0; i < da; i++) if (out[i] !== 0xa5) throw new Error(`${path}: byte before offset written (len ${len})`);
            for (let i = 0; i < len; i++) {
              if (out[da + i] !== expected[i]) {
                throw new Error(`${path}: mask len ${len} phase ${phase} src+${sa} dst+${da}: byte ${i} is ${out[da + i]}, want ${expected[i]}`);
              }
            }
            for (let i = da + len; i < out.length; i++) if (out[i] !== 0xa5) throw new Error(`${path}: byte after the end written (len ${len})`);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(301 * 4 * 64);
  });

  it('unmask in place: lengths 0-300 x 4 key phases x alignments 0-7, several keys', () => {
    const r = xorshift32(99);
    const base = new Uint8Array(320);
    for (let i = 0; i < base.length; i++) base[i] = r() & 0xff;
    for (const key of KEYS) {
      for (let len = 0; len <= 300; len++) {
        for (let phase = 0; phase < 4; phase++) {
          for (let a = 0; a < 8; a++) {
            const buf = base.slice();
            const view = buf.subarray(a, a + len);
            const expected = refMaskKey(view, key, phase, len);
            backend.unmask(view, keyAtPhase(key, phase));
            for (let i = 0; i < len; i++) {
              if (view[i] !== expected[i]) throw new Error(`${path}: unmask len ${len} phase ${phase} +${a} key ${key}: byte ${i}`);
            }
            for (let i = 0; i < a; i++) if (buf[i] !== base[i]) throw new Error(`${path}: unmask wrote before the view`);
            for (let i = a + len; i < buf.length; i++) if (buf[i] !== base[i]) throw new Error(`${path}: unmask wrote after the view`);
          }
        }
      }
    }
  });

  it('mask with source === output (in place through mask) and unmask undoes mask', () => {
    for (const len of [1, 15, 16, 17, 64, 127, 128, 129, 511, 512, 513, 4096 + 7, 70000]) {
      const data = new Uint8Array(len + 5);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
      const copy = data.slice();
      const view = data.subarray(5);
      backend.mask(view, 0xdeadbeef, view, 0, len);
      for (let i = 0; i < len; i++) if (view[i] !== (copy[5 + i] ^ keyByte(0xdeadbeef, i))) throw new Error(`${path}: in-place mask ${len} @${i}`);
      backend.unmask(view, 0xdeadbeef);
      expect(data).toEqual(copy);
    }
  });

  it('large buffers (alignment prologue of the AVX2 path) at every dst alignment 0-31', () => {
    const r = xorshift32(7);
    const src = new Uint8Array(5000);
    for (let i = 0; i < src.length; i++) src[i] = r() & 0xff;
    for (let a = 0; a < 32; a++) {
      for (const len of [511, 512, 513, 1000, 4093]) {
        const key = keyAtPhase(0xa1b2c3d4, a);
        const out = new Uint8Array(len + 64);
        backend.mask(src.subarray(a), key, out, a, len);
        const want = refMaskKey(src.subarray(a), 0xa1b2c3d4, a, len);
        expect(Buffer.compare(out.subarray(a, a + len), want)).toBe(0);
        const inPlace = src.slice(a, a + len);
        backend.unmask(inPlace, key);
        expect(Buffer.compare(inPlace, want)).toBe(0);
      }
    }
  });

  it('unmaskAscii: one byte >= 0x80 at every position, lengths 0-300 and large buffers at alignments 0-31', () => {
    // The plaintext is built here (bytes < 0x80 but one at `hi`), masked by the reference, and the
    // kernel's answer is checked against `hi`, not against anything the kernel computed.
    const r = xorshift32(99);
    const check = (len: number, hi: number, align: number): void => {
      const plain = new Uint8Array(len);
      for (let i = 0; i < len; i++) plain[i] = r() & 0x7f;
      if (hi >= 0) plain[hi] = 0x80 | (r() & 0x7f);
      const phase = (len ^ hi) & 3;
      const backing = new Uint8Array(len + align);
      const buf = backing.subarray(align);
      buf.set(refMaskKey(plain, 0x5ca1ab1e, phase, len));
      const ascii = backend.unmaskAscii(buf, keyAtPhase(0x5ca1ab1e, phase));
      if (ascii !== (hi < 0) || Buffer.compare(buf, plain) !== 0) throw new Error(`${path}: unmask len ${len} high byte at ${hi} +${align}: ascii ${ascii}`);
    };
    for (let len = 0; len <= 300; len++) for (let hi = -1; hi < len; hi++) check(len, hi, (len + hi) & 7);
    for (let align = 0; align < 32; align++) {
      for (const len of [512, 1000, 4093]) {
        for (const hi of [-1, 0, 30, 31, 32, 33, 127, 128, len - 17, len - 16, len - 1]) check(len, hi, align);
      }
    }
  });

  it('buffers past the non-temporal store threshold (4 MiB), separate and in place', () => {
    const len = (4 << 20) + 45;
    const src = new Uint8Array(len + 8);
    for (let i = 0; i < src.length; i++) src[i] = (i * 131 + (i >> 9)) & 0xff;
    for (const [sa, da, phase] of [[0, 0, 0], [3, 5, 1], [7, 1, 3]]) {
      const key = keyAtPhase(0x0badf00d, phase);
      const out = new Uint8Array(len + 8);
      backend.mask(src.subarray(sa), key, out, da, len - sa);
      for (let i = 0; i < len - sa; i++) {
        if (out[da + i] !== (src[sa + i] ^ keyByte(0x0badf00d, i + phase))) throw new Error(`${path}: big mask +${sa}/+${da} @${i}`);
      }
      expect(out[da + len - sa]).toBe(0);
      backend.unmask(out.subarray(da, da + len - sa), key);
      expect(Buffer.compare(out.subarray(da, da + len - sa), src.subarray(sa, len))).toBe(0);
    }
  });

  it('accepts other TypedArrays and DataView, counting bytes', () => {
    const u16 = new Uint16Array([0x0201, 0x0403, 0x0605]);
    backend.unmask(u16 as unknown as Uint8Array, 0x04030201);
    expect([...new Uint8Array(u16.buffer)]).toEqual([0, 0, 0, 0, 4, 4]);
    const dv = new DataView(new ArrayBuffer(4));
    dv.setUint32(0, 0x11223344, true);
    backend.unmask(dv as unknown as Uint8Array, 0x11223344);
    expect(dv.getUint32(0, true)).toBe(0);
  });

  it('zero-length views, including ones with no backing store', () => {
    const ab = new ArrayBuffer(8);
    const detachedView = new Uint8Array(ab, 0, 8);
    structuredClone(ab, { transfer: [ab] });
    expect(detachedView.length).toBe(0);
    for (const z of [new Uint8Array(0), Buffer.alloc(0), new Uint8Array(new ArrayBuffer(0)), detachedView, Buffer.alloc(8).subarray(8)]) {
      expect(() => backend.unmask(z, 0x12345678)).not.toThrow();
      expect(() => backend.mask(z, 0x12345678, z, 0, 0)).not.toThrow();
      expect(backend.isValidUtf8(z)).toBe(true);
      expect(backend.utf8Stream(3, z)).toBe(3);
    }
  });
});
