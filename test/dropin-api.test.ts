/**
 * wsframe/bufferutil and wsframe/utf-8-validate against the real bufferutil 4 and utf-8-validate 6
 * (their native prebuilds, as ws would load them): the same module shapes, the same results for
 * every offset, length and alignment (0 included) on every wsframe backend, and a TypeError /
 * RangeError (nothing written) for the calls that abort the process with the originals.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bufferutil from '../ts/dropin/bufferutil.js';
import isValidUTF8 from '../ts/dropin/utf-8-validate.js';
import { TUNING, backendStatus, useBackend } from '../ts/select.js';
import { activeBackend } from '../ts/index.js';
import { INVALID_SEQUENCES, VALID_BOUNDARIES, prng, randomBytes, randomUtf8, withSequence } from './reference.js';
import { ROOT, assertBuilt, runNode } from './dropin-project.js';

const require = createRequire(join(ROOT, 'package.json'));
const real = require('bufferutil') as { mask: typeof bufferutil.mask; unmask: typeof bufferutil.unmask };
const realIsValidUTF8 = require('utf-8-validate') as (b: ArrayBufferView) => boolean;

const original = activeBackend().name;
afterAll(() => {
  useBackend(original);
});
const backends = backendStatus().filter((s) => s.available).map((s) => s.name);

it('the originals under comparison are the native addons, not their JS fallbacks', () => {
  expect(Function.prototype.toString.call(real.mask)).toContain('[native code]');
  expect(Function.prototype.toString.call(realIsValidUTF8)).toContain('[native code]');
});

describe('module shapes (the built CommonJS and ESM entries users load)', () => {
  it('require: bufferutil is { mask, unmask }, utf-8-validate is the function itself', () => {
    assertBuilt();
    const bu = require('wsframe/bufferutil');
    expect(Object.keys(bu)).toEqual(['mask', 'unmask']);
    expect(typeof bu.mask).toBe('function');
    expect(typeof bu.unmask).toBe('function');
    // bufferutil's JS fallback (same API) declares these arities; the addon's functions report 0.
    expect([bu.mask.length, bu.unmask.length]).toEqual([5, 2]);
    const v = require('wsframe/utf-8-validate');
    expect(typeof v).toBe('function');
    expect(v.length).toBe(1);
    expect(Object.keys(v)).toEqual([]);
    expect(v(Buffer.from('héllo'))).toBe(true);
  });

  it("import (node's own ESM loader, not the test runner): the same objects as default exports", async () => {
    const script = [
      "import bu, { mask } from 'wsframe/bufferutil';",
      "import v from 'wsframe/utf-8-validate';",
      "import { createRequire } from 'node:module';",
      "const r = createRequire(import.meta.url);",
      "console.log(JSON.stringify([bu === r('wsframe/bufferutil'), mask === bu.mask, v === r('wsframe/utf-8-validate'), typeof v, v(Buffer.from([0xc3, 0x28]))]));",
    ].join('\n');
    const r = await runNode(ROOT, ['--input-type=module', '-e', script]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([true, true, true, 'function', false]);
  });
});

// Every size class of the kernels plus each dispatch threshold and its neighbours.
const thresholdSizes = Object.values(TUNING).flatMap((t) => [t.maskJsBelow, t.unmaskJsBelow, t.utf8JsBelow, t.utf8NodeFrom]);
const LENGTHS = [...new Set([0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 63, 64, 65, 95, 96, 97, 127, 128, 129, 255, 256, 257, 1000, 4099,
  ...thresholdSizes.filter(Number.isFinite).flatMap((n) => [n - 1, n, n + 1])])].filter((n) => n >= 0).sort((a, b) => a - b);

/** `n` bytes starting `align` bytes into a fresh ArrayBuffer (so alignment is known). */
function at(align: number, n: number, fill?: Uint8Array): Buffer {
  const b = Buffer.from(new ArrayBuffer(align + n + 8), align, n);
  if (fill) b.set(fill.subarray(0, n));
  return b;
}

describe.each(backends)('same results as bufferutil (%s backend)', (name) => {
  const rand = prng(0xb0ff);
  const data = randomBytes(rand, 5000);

  it('mask: every source/output alignment, offset and length, key anywhere', () => {
    useBackend(name);
    let calls = 0;
    for (const len of LENGTHS) {
      for (let sa = 0; sa < 8; sa++) {
        for (let oa = 0; oa < 8; oa += len > 256 ? 3 : 1) {
          for (const offset of [0, 1, 3, 6]) {
            const key = at((sa + oa) & 3, 4, randomBytes(rand, 4));
            const src = at(sa, len, data.subarray(sa));
            const want = at(oa, offset + len + 3, data.subarray(100));
            const got = at(oa, offset + len + 3, data.subarray(100));
            real.mask(src, key, want, offset, len);
            bufferutil.mask(src, key, got, offset, len);
            if (!got.equals(want)) expect({ len, sa, oa, offset, got: got.toString('hex') }).toEqual({ len, sa, oa, offset, got: want.toString('hex') });
            calls++;
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(3000);
  });

  it('mask in place (how ws masks a payload it owns)', () => {
    useBackend(name);
    for (const len of LENGTHS) {
      for (let a = 0; a < 8; a++) {
        const key = Buffer.from([0x9e, 0x37, 0x79, 0xb9]);
        const want = at(a, len, data);
        const got = at(a, len, data);
        real.mask(want, key, want, 0, len);
        bufferutil.mask(got, key, got, 0, len);
        expect(got.equals(want), `len ${len} align ${a}`).toBe(true);
      }
    }
  });

  it('unmask: every alignment and length', () => {
    useBackend(name);
    for (const len of [...LENGTHS, 65536 + 5]) {
      for (let a = 0; a < 8; a++) {
        const key = at(a & 3, 4, randomBytes(rand, 4));
        const want = at(a, len, len > data.length ? randomBytes(prng(len), len) : data);
        const got = Buffer.from(new ArrayBuffer(a + len + 8), a, len);
        got.set(want);
        real.unmask(want, key);
        bufferutil.unmask(got, key);
        expect(got.equals(want), `len ${len} align ${a}`).toBe(true);
      }
    }
  });

  it('any TypedArray or DataView is taken as its bytes, as the addon does', () => {
    useBackend(name);
    const ab = randomBytes(rand, 400).buffer;
    const key = new Uint32Array([0x04030201]);
    const views = [new Uint16Array(ab, 2, 150), new Float64Array(ab, 8, 40), new DataView(ab, 3, 300), new Int8Array(ab, 1, 333)];
    for (const v of views) {
      const want = new Uint8Array(v.byteLength + 2);
      const got = new Uint8Array(v.byteLength + 2);
      real.mask(v, key, want, 2, v.byteLength);
      bufferutil.mask(v, key, got, 2, v.byteLength);
      expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    }
  });

  it('utf-8-validate: valid and invalid input of every size, sequence and position', () => {
    useBackend(name);
    let checked = 0;
    for (const n of [0, 1, 2, 3, 4, 5, 15, 16, 23, 24, 25, 31, 32, 33, 63, 64, 65, 127, 128, 129, 500, 4096, 70000]) {
      for (const ascii of [1, 0.5, 0]) {
        const text = randomUtf8(rand, n, ascii).subarray(0, n);
        for (let a = 0; a < 4; a++) {
          const buf = at(a, text.length, text);
          expect(isValidUTF8(buf), `valid-ish ${n} ascii ${ascii} align ${a}`).toBe(realIsValidUTF8(buf));
          checked++;
        }
        for (const seq of [...INVALID_SEQUENCES, ...VALID_BOUNDARIES]) {
          for (const pos of n === 0 ? [0] : [0, n >> 1, Math.max(0, n - seq.length)]) {
            const buf = Buffer.from(withSequence(text, seq, pos));
            expect(isValidUTF8(buf), `seq ${seq} at ${pos} of ${n}`).toBe(realIsValidUTF8(buf));
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(3000);
    const ab = Buffer.from('€uro '.repeat(40)).buffer;
    for (const v of [new Uint16Array(ab, 0, 50), new DataView(ab, 1, 99), new Float32Array(ab, 4, 10)]) {
      expect(isValidUTF8(v)).toBe(realIsValidUTF8(v));
    }
  });
});

describe('utf-8-validate where Node has no buffer.isUtf8 (Node < 18.14: the backend path)', () => {
  it('gives utf-8-validate\'s answers on every backend', async () => {
    assertBuilt();
    // A child process: the module decides at load whether Node has isUtf8.
    const script = `
      require('node:buffer').isUtf8 = undefined;
      const ours = require('wsframe/utf-8-validate');
      const real = require('utf-8-validate');
      const { useBackend, backendStatus } = require('wsframe');
      const { INVALID, VALID } = JSON.parse(process.argv[1]);
      let checked = 0, wrong = [];
      for (const s of backendStatus().filter((b) => b.available)) {
        useBackend(s.name);
        for (const n of [0, 1, 23, 24, 47, 48, 95, 96, 97, 127, 128, 129, 300, 5000]) {
          const base = Buffer.from('abc é€😀 xyz '.repeat(Math.ceil(n / 10) + 1)).subarray(0, n);
          for (const seq of [...INVALID, ...VALID, []]) {
            for (const at of [0, n >> 1, Math.max(0, n - seq.length)]) {
              const b = Buffer.alloc(Math.max(n, at + seq.length));
              base.copy(b); Buffer.from(seq).copy(b, at);
              if (ours(b) !== real(b)) wrong.push([s.name, n, seq, at]);
              checked++;
            }
          }
        }
      }
      console.log(JSON.stringify({ checked, wrong: wrong.slice(0, 5) }));`;
    const r = await runNode(ROOT, ['-e', script, JSON.stringify({ INVALID: INVALID_SEQUENCES, VALID: VALID_BOUNDARIES })]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { checked: number; wrong: unknown[] };
    expect(out.wrong).toEqual([]);
    expect(out.checked).toBeGreaterThan(2000);
  });
});

describe('bad arguments throw instead of aborting the process', () => {
  const src = Buffer.alloc(64, 7);
  const key = Buffer.from([1, 2, 3, 4]);

  it('mask: wrong types are TypeErrors, out-of-range offsets and lengths RangeErrors, nothing written', () => {
    const out = Buffer.alloc(64);
    const notBytes: unknown[] = [undefined, null, 'abcd', 42, {}, [1, 2, 3, 4], new ArrayBuffer(8)];
    for (const v of notBytes) {
      expect(() => bufferutil.mask(v as Buffer, key, out, 0, 4)).toThrow(TypeError);
      expect(() => bufferutil.mask(src, v as Buffer, out, 0, 4)).toThrow(TypeError);
      expect(() => bufferutil.mask(src, key, v as Buffer, 0, 4)).toThrow(TypeError);
    }
    const bad: [number, number][] = [[-1, 4], [1.5, 4], [NaN, 4], [0, -1], [0, 65], [0, 2.5], [61, 4], [64, 1], [Infinity, 0]];
    for (const [offset, length] of bad) {
      const err = (() => {
        try {
          bufferutil.mask(src, key, out, offset, length);
        } catch (e) {
          return e as Error & { code?: string };
        }
        return undefined;
      })();
      expect(err, `offset ${offset} length ${length}`).toBeInstanceOf(RangeError);
      expect(err!.code).toBe('ERR_OUT_OF_RANGE');
    }
    expect(() => bufferutil.mask(src, key, out, '1' as unknown as number, 4)).toThrow(RangeError);
    expect(() => bufferutil.mask(src, Buffer.from([1, 2, 3]), out, 0, 4)).toThrow(RangeError);
    // Partly overlapping source and output: unspecified bytes as with bufferutil, but only inside
    // output[offset, offset + length).
    const shared = Buffer.alloc(80, 5);
    bufferutil.mask(shared.subarray(8, 40), key, shared.subarray(8), 1, 32);
    expect(shared.subarray(0, 9).equals(Buffer.alloc(9, 5))).toBe(true);
    expect(shared.subarray(41).equals(Buffer.alloc(39, 5))).toBe(true);
    expect(out.equals(Buffer.alloc(64))).toBe(true);
    expect(src.equals(Buffer.alloc(64, 7))).toBe(true);
    // Boundaries that are valid: length 0 at the very end, offset + length exactly the output.
    bufferutil.mask(src, key, out, 64, 0);
    bufferutil.mask(src, key, out, 32, 32);
    expect(out[63]).toBe(7 ^ 4);
  });

  it('unmask and utf-8-validate: wrong types are TypeErrors', () => {
    const buf = Buffer.alloc(40, 9);
    for (const v of [undefined, null, 'abcd', 42, {}, new ArrayBuffer(8)]) {
      expect(() => bufferutil.unmask(v as Buffer, key)).toThrow(TypeError);
      expect(() => bufferutil.unmask(buf, v as Buffer)).toThrow(TypeError);
      expect(() => isValidUTF8(v as Buffer)).toThrow(TypeError);
    }
    expect(() => bufferutil.unmask(buf, Buffer.alloc(2))).toThrow(RangeError);
    expect(() => (isValidUTF8 as unknown as () => boolean)()).toThrow(TypeError);
    expect(buf.equals(Buffer.alloc(40, 9))).toBe(true);
  });

  it('the same calls abort a process that uses the originals (what the checks prevent)', async () => {
    const calls = [
      "require('bufferutil').mask(Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(8), '1', 2)",
      "require('bufferutil').unmask('abcd', Buffer.alloc(4))",
      "require('utf-8-validate')('abc')",
    ];
    for (const call of calls) {
      const orig = await runNode(ROOT, ['-e', call]);
      expect(orig.signal, call).toBe('SIGABRT');
      const ours = await runNode(ROOT, ['-e', `try { ${call.replace(/require\('(bufferutil|utf-8-validate)'\)/, "require('wsframe/$1')")} } catch (e) { console.log(e.name, e.code) }`]);
      expect(ours.signal).toBe(null);
      expect(ours.stdout.trim()).toMatch(/^(TypeError ERR_INVALID_ARG_TYPE|RangeError ERR_OUT_OF_RANGE)$/);
    }
  });
});

describe('the npm-alias form: the package root also has bufferutil-compatible mask/unmask', () => {
  it('root mask/unmask give bufferutil results for bufferutil-shaped calls', () => {
    assertBuilt();
    const root = require('wsframe') as { mask: typeof real.mask; unmask: typeof real.unmask };
    const rand = prng(7);
    for (const len of LENGTHS) {
      const key = Buffer.from(randomBytes(rand, 4));
      const src = Buffer.from(randomBytes(rand, len));
      const want = Buffer.alloc(len + 5);
      const got = Buffer.alloc(len + 5);
      real.mask(src, key, want, 5, len);
      root.mask(src, key, got, 5, len);
      expect(got.equals(want)).toBe(true);
      real.unmask(want, key);
      root.unmask(got, key);
      expect(got.equals(want)).toBe(true);
    }
  });
});

describe('TypeScript types', () => {
  it('a user project type-checks require and import forms against the built declarations', async () => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'wsframe-dropin-types-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(ROOT, join(dir, 'node_modules', 'wsframe'), 'dir');
      symlinkSync(join(ROOT, 'node_modules', '@types'), join(dir, 'node_modules', '@types'), 'dir');
      const files = ['uses-require.cts', 'uses-import.mts'];
      for (const f of files) cpSync(join(ROOT, 'test', 'fixtures', 'dropin-types', f), join(dir, f));
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const r = await runNode(dir, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', ...files], {}, 60_000);
      expect(r.stdout + r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
