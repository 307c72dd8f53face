// The WASM Backend object (ts/backend-wasm.ts): copy paths, chunking past the scratch region,
// the in-place path over WASM memory, arenas and memory growth, and load failures.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isUtf8 } from 'node:buffer';
import { createWasmArena, load } from '../ts/backend-wasm';
import { WASM_BASE64 } from '../ts/generated/wasm-binary';
import {
  RANGES, encodeCodePoint, keyAtPhase, prng, randomBytes, randomUtf8In, refIsUtf8, refMaskKey, refUtf8State,
} from './reference';

// Exhaustive loops: generous timeouts, the CI/dev machines are small and shared.
vi.setConfig({ testTimeout: 120_000 });

const backend = load();
const SCRATCH = 256 * 1024;

/** A copy of `bytes` in a fresh ArrayBuffer at byteOffset `at` (not in WASM memory). */
function placed(bytes: Uint8Array, at: number): Uint8Array {
  const v = new Uint8Array(new ArrayBuffer(bytes.length + at + 8), at, bytes.length);
  v.set(bytes);
  return v;
}
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

describe('wasm backend: module and loading', () => {
  it('identifies itself, and load() shares one stateless backend', () => {
    expect(backend.name).toBe('wasm');
    expect(backend.variant).toBe('simd128');
    expect(load()).toBe(backend);
  });

  it('the embedded module needs no imports (env.abort removed) and exports the kernels', () => {
    const mod = new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
    const names = WebAssembly.Module.exports(mod).map((e) => e.name).sort();
    expect(names).toEqual(['heapBase', 'mask', 'memory', 'scratch', 'scratchSize', 'utf8Stream', 'utf8Validate']);
  });

  describe('failures', () => {
    afterEach(() => {
      vi.unstubAllGlobals();
      vi.resetModules();
    });
    it('says so when there is no WebAssembly', async () => {
      vi.resetModules();
      vi.stubGlobal('WebAssembly', undefined);
      const m = await import('../ts/backend-wasm');
      expect(() => m.load()).toThrow(/no WebAssembly/);
      try {
        m.load();
      } catch (err) {
        expect((err as { code?: string }).code).toBe('WSFRAME_ERR_BACKEND_UNAVAILABLE');
      }
    });
    it('says so when the engine lacks SIMD, before compiling anything', async () => {
      vi.resetModules();
      const real = WebAssembly;
      const compile = vi.fn();
      vi.stubGlobal('WebAssembly', {
        validate: () => false,
        Module: function Module() { compile(); },
        Instance: real.Instance,
      });
      const m = await import('../ts/backend-wasm');
      expect(() => m.load()).toThrow(/SIMD/);
      expect(compile).not.toHaveBeenCalled();
    });
  });
});

describe('wasm backend: copy path (inputs outside WASM memory)', () => {
  it('mask(): lengths 0-300 x 4 phases x source/output offsets, output offset and partial length', () => {
    const r = prng(11);
    const data = randomBytes(r, 310);
    for (let phase = 0; phase < 4; phase++) {
      const key = keyAtPhase(0x01020304 ^ Math.floor(r() * 2 ** 32), phase);
      for (let len = 0; len <= 300; len++) {
        const want = refMaskKey(data.subarray(0, len), key);
        for (let at = 0; at < 8; at += 3) {
          // Source longer than length, to exercise the partial copy.
          const src = placed(data.subarray(0, len + (at & 1) * 5), at);
          const off = (len + at) & 7;
          const out = placed(new Uint8Array(off + len + 4).fill(0xcc), 7 - at);
          backend.mask(src, key, out, off, len);
          expect(same(out.subarray(off, off + len), want)).toBe(true);
          expect(out.subarray(0, off).every((b) => b === 0xcc)).toBe(true);
          expect(out.subarray(off + len).every((b) => b === 0xcc)).toBe(true);
        }
      }
    }
  });

  it('unmask(): lengths 0-300 at offsets 0-7, including Buffers from the pool', () => {
    const r = prng(12);
    for (let len = 0; len <= 300; len++) {
      const data = randomBytes(r, len);
      const key = Math.floor(r() * 2 ** 32);
      const want = refMaskKey(data, key);
      const v = placed(data, len & 7);
      backend.unmask(v, key);
      expect(same(v, want)).toBe(true);
      const b = Buffer.from(data);
      backend.unmask(b, key);
      expect(same(b, want)).toBe(true);
    }
  });

  it('isValidUtf8() and utf8Stream() agree with the reference and isUtf8', () => {
    const r = prng(13);
    for (let t = 0; t < 2000; t++) {
      const x = randomUtf8In(r, Math.floor(r() * 300), t & 1 ? RANGES.all : RANGES.latin);
      if (t % 3 === 0 && x.length) x[Math.floor(r() * x.length)] ^= 1 << Math.floor(r() * 8);
      const v = placed(x, t & 7);
      expect(backend.isValidUtf8(v)).toBe(refIsUtf8(x));
      expect(isUtf8(x)).toBe(refIsUtf8(x));
      const cut = Math.floor(r() * (x.length + 1));
      const s1 = backend.utf8Stream(0, v.subarray(0, cut));
      expect(s1).toBe(refUtf8State(x.subarray(0, cut)));
      expect(backend.utf8Stream(s1, v.subarray(cut))).toBe(refUtf8State(x));
    }
    expect(backend.utf8Stream(1, Buffer.from('abc'))).toBe(1);
  });
});

describe('wasm backend: inputs larger than the scratch region (chunking)', () => {
  const r = prng(14);
  it('mask/unmask keep the key phase across chunks', () => {
    for (const len of [SCRATCH - 1, SCRATCH, SCRATCH + 1, SCRATCH + 3, 3 * SCRATCH + 5]) {
      const data = randomBytes(r, len);
      const key = Math.floor(r() * 2 ** 32);
      const want = refMaskKey(data, key);
      const out = new Uint8Array(len + 3);
      backend.mask(placed(data, 1), key, out, 3, len);
      expect(same(out.subarray(3), want)).toBe(true);
      const v = placed(data, 2);
      backend.unmask(v, key);
      expect(same(v, want)).toBe(true);
    }
  });

  it('UTF-8: characters straddling the chunk boundary, errors right after it', () => {
    for (const cp of [0xe9, 0x20ac, 0x1f600]) {
      const enc = encodeCodePoint(cp);
      for (let shift = 0; shift <= 4; shift++) {
        const x = new Uint8Array(SCRATCH + 64).fill(0x61);
        const at = SCRATCH - shift;
        x.set(enc, at);
        expect(backend.isValidUtf8(x)).toBe(true);
        expect(backend.utf8Stream(0, x.subarray(0, SCRATCH + 1))).toBe(refUtf8State(x.subarray(0, SCRATCH + 1)));
        // Break the character's last byte: invalid whichever chunk it falls in.
        const y = x.slice();
        y[at + enc.length - 1] = 0x41;
        if (enc.length > 1) {
          expect(backend.isValidUtf8(y)).toBe(false);
          expect(refIsUtf8(y)).toBe(false);
        }
        // Truncate the character at the end of a large input: an intermediate state, not accept.
        const z = x.subarray(0, at + enc.length - 1);
        expect(backend.utf8Stream(0, z)).toBe(refUtf8State(z));
        expect(backend.isValidUtf8(z)).toBe(enc.length === 1);
      }
    }
  });

  it('UTF-8: large random text, valid and with one error anywhere', () => {
    const x = randomUtf8In(r, 2 * SCRATCH + 1000, RANGES.cjkEmoji);
    expect(backend.isValidUtf8(x)).toBe(true);
    for (let t = 0; t < 6; t++) {
      const y = x.slice();
      y[Math.floor(r() * y.length)] = 0xff;
      expect(backend.isValidUtf8(y)).toBe(false);
      expect(backend.utf8Stream(0, y)).toBe(1);
    }
  });
});

describe('wasm backend: in place over WASM memory (arena)', () => {
  it('processes views over memory.buffer by pointer, without touching the scratch region', () => {
    const arena = createWasmArena(64 * 1024);
    const b = arena.backend;
    const scratchPtr = arena.exports.scratch();
    const scratchView = (): Uint8Array => new Uint8Array(arena.memory.buffer, scratchPtr, 4096);
    scratchView().fill(0x5a);
    const r = prng(15);
    for (let len = 0; len <= 300; len += 7) {
      const data = randomBytes(r, len);
      const key = Math.floor(r() * 2 ** 32);
      const at = 1000 + (len & 7);
      const v = arena.view().subarray(at, at + len);
      v.set(data);
      const ascii = b.unmaskAscii(v, key);
      expect(same(v, refMaskKey(data, key))).toBe(true);
      expect(ascii).toBe(v.every((x) => x < 0x80));
      const out = arena.view().subarray(20000, 20000 + len + 5);
      b.mask(v, key, out, 5, len);
      expect(same(out.subarray(5, 5 + len), data)).toBe(true);
      const text = randomUtf8In(r, len, RANGES.all);
      const tv = arena.view().subarray(30001, 30001 + text.length);
      tv.set(text);
      expect(b.isValidUtf8(tv)).toBe(true);
      expect(b.utf8Stream(0, tv)).toBe(0);
    }
    expect(scratchView().every((x) => x === 0x5a)).toBe(true);
  });

  it('mixes resident and non-resident source/output', () => {
    const arena = createWasmArena(4096);
    const data = randomBytes(prng(16), 200);
    const key = 0xdeadbeef;
    const want = refMaskKey(data, key);
    const inMem = arena.view().subarray(100, 300);
    inMem.set(data);
    const out = new Uint8Array(210);
    arena.backend.mask(inMem, key, out, 10, 200);
    expect(same(out.subarray(10), want)).toBe(true);
    const outMem = arena.view().subarray(1000, 1210);
    arena.backend.mask(placed(data, 3), key, outMem, 10, 200);
    expect(same(outMem.subarray(10), want)).toBe(true);
  });

  it('mixes resident and non-resident source/output beyond the scratch size (chunked)', () => {
    const len = SCRATCH + SCRATCH / 2 + 3;
    const arena = createWasmArena(2 * len + 64);
    const data = randomBytes(prng(18), len);
    const key = 0x9e3779b9;
    const want = refMaskKey(data, key);
    const inMem = arena.view().subarray(1, 1 + len);
    inMem.set(data);
    const out = new Uint8Array(len + 2);
    arena.backend.mask(inMem, key, out, 2, len);
    expect(same(out.subarray(2), want)).toBe(true);
    const outMem = arena.view().subarray(len + 8, 2 * len + 9);
    arena.backend.mask(placed(data, 3), key, outMem, 1, len);
    expect(same(outMem.subarray(1), want)).toBe(true);
  });

  it('the raw exports work by pointer on the arena (how the frame reader calls them)', () => {
    const arena = createWasmArena(1 << 16);
    const text = Buffer.from('héllo wörld, こんにちは 🌍 '.repeat(20));
    const key = 0x11223344;
    const masked = refMaskKey(text, key);
    arena.view().set(masked, 0);
    arena.exports.mask(arena.base, arena.base, masked.length, key);
    expect(same(arena.view().subarray(0, text.length), text)).toBe(true);
    expect(arena.exports.utf8Validate(arena.base, text.length)).toBe(1);
    expect(arena.exports.utf8Stream(0, arena.base, text.length - 1)).toBe(refUtf8State(text.subarray(0, text.length - 1)));
  });

  it('survives memory growth: old views detach, new views see the same bytes, caches refresh', () => {
    const arena = createWasmArena(1000);
    expect(arena.size).toBeGreaterThanOrEqual(1000);
    const b = arena.backend;
    const data = randomBytes(prng(17), 500);
    const key = 0x0badf00d;
    // Fill the backend's cached scratch views (copy path) and a resident view before growing.
    const outside = Buffer.from(data);
    b.unmask(outside, key);
    expect(same(outside, refMaskKey(data, key))).toBe(true);
    const before = arena.view();
    before.set(data, 10);
    const oldBuffer = arena.memory.buffer;
    arena.grow(8 << 20);
    expect(arena.size).toBeGreaterThanOrEqual(8 << 20);
    expect(before.byteLength).toBe(0); // detached by growth
    expect(arena.memory.buffer).not.toBe(oldBuffer);
    const after = arena.view();
    expect(after === before).toBe(false);
    expect(same(after.subarray(10, 510), data)).toBe(true);
    // In place on the new memory, including the newly grown part.
    const v = after.subarray(10, 510);
    b.unmask(v, key);
    expect(same(v, refMaskKey(data, key))).toBe(true);
    const far = after.subarray((8 << 20) - 600, (8 << 20) - 100);
    far.set(data);
    b.unmask(far, key);
    expect(same(far, refMaskKey(data, key))).toBe(true);
    // The copy path after growth (its cached scratch views were detached and must be rebuilt).
    const outside2 = Buffer.from(data);
    b.unmask(outside2, key);
    expect(same(outside2, refMaskKey(data, key))).toBe(true);
    expect(b.isValidUtf8(Buffer.from('grown ✓'))).toBe(true);
    // Growth through memory.grow directly (not arena.grow) is survived too.
    arena.memory.grow(1);
    const again = arena.view().subarray(10, 510);
    b.unmask(again, key);
    expect(same(again, data)).toBe(true);
    const outside3 = Buffer.from(data);
    b.unmask(outside3, key);
    expect(same(outside3, refMaskKey(data, key))).toBe(true);
  });

  it('rejects a bad arena size, and growth beyond what WebAssembly allows', () => {
    expect(() => createWasmArena(-1)).toThrow(RangeError);
    expect(() => createWasmArena(1.5)).toThrow(/out of range/);
    const arena = createWasmArena(0);
    expect(() => arena.grow(2 ** 40)).toThrow(/cannot grow the WebAssembly arena/);
    expect(arena.view().length).toBe(arena.size);
  });
});
