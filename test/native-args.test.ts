// The addon validates its own arguments: bad ones throw TypeError/RangeError, never crash.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load } from '../ts/backend-native';

load(); // runs the self-test; then call the raw addon, without the JS layer in front
const root = join(__dirname, '..');
const addon = createRequire(join(root, 'package.json'))('node-gyp-build')(root);

const buf = Buffer.alloc(16);
const NOT_BYTES = [undefined, null, 0, 'abc', {}, [1, 2, 3], new ArrayBuffer(8), Symbol('x'), 10n];
const BAD_INTS: Array<[unknown, 'TypeError' | 'RangeError']> = [
  [-1, 'RangeError'], [1.5, 'RangeError'], [NaN, 'RangeError'], [Infinity, 'RangeError'], [-0.5, 'RangeError'],
  ['1', 'TypeError'], [undefined, 'TypeError'], [null, 'TypeError'], [1n, 'TypeError'], [{}, 'TypeError'],
];

function expectThrow(fn: () => unknown, kind: 'TypeError' | 'RangeError', code?: string) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${kind}`).toBeInstanceOf(kind === 'TypeError' ? TypeError : RangeError);
  if (code) expect((err as { code?: string }).code).toBe(code);
}

describe('native addon argument checks', () => {
  it('mask: non-byte source/output', () => {
    for (const v of NOT_BYTES) {
      expectThrow(() => addon.mask(v, 1, buf, 0, 0), 'TypeError', 'ERR_INVALID_ARG_TYPE');
      expectThrow(() => addon.mask(buf, 1, v, 0, 0), 'TypeError', 'ERR_INVALID_ARG_TYPE');
    }
  });
  it('mask: key, offset and length must be integers in range', () => {
    for (const [v, kind] of BAD_INTS) {
      expectThrow(() => addon.mask(buf, v, buf, 0, 1), kind);
      expectThrow(() => addon.mask(buf, 1, buf, v, 1), kind);
      expectThrow(() => addon.mask(buf, 1, buf, 0, v), kind);
    }
    expectThrow(() => addon.mask(buf, 2 ** 32, buf, 0, 1), 'RangeError', 'ERR_OUT_OF_RANGE');
    expect(() => addon.mask(buf, 2 ** 32 - 1, buf, 0, 1)).not.toThrow();
  });
  it('mask: offset + length past the output, length past the source', () => {
    const small = Buffer.alloc(4);
    expectThrow(() => addon.mask(buf, 1, small, 0, 5), 'RangeError', 'ERR_OUT_OF_RANGE');
    expectThrow(() => addon.mask(buf, 1, small, 5, 0), 'RangeError');
    expectThrow(() => addon.mask(buf, 1, small, 4, 1), 'RangeError');
    expectThrow(() => addon.mask(small, 1, buf, 0, 5), 'RangeError');
    expectThrow(() => addon.mask(buf, 1, buf, 2 ** 53, 1), 'RangeError');
    expect(() => addon.mask(buf, 1, small, 4, 0)).not.toThrow();
    expect(() => addon.mask(small, 1, buf, 12, 4)).not.toThrow();
  });
  it('unmask, isValidUtf8, utf8Stream: types and ranges', () => {
    for (const v of NOT_BYTES) {
      expectThrow(() => addon.unmask(v, 1), 'TypeError', 'ERR_INVALID_ARG_TYPE');
      expectThrow(() => addon.isValidUtf8(v), 'TypeError', 'ERR_INVALID_ARG_TYPE');
      expectThrow(() => addon.utf8Stream(0, v), 'TypeError', 'ERR_INVALID_ARG_TYPE');
    }
    for (const [v, kind] of BAD_INTS) {
      expectThrow(() => addon.unmask(buf, v), kind);
      expectThrow(() => addon.utf8Stream(v, buf), kind);
    }
    expectThrow(() => addon.utf8Stream(9, buf), 'RangeError', 'ERR_OUT_OF_RANGE');
    expectThrow(() => addon.unmask(), 'TypeError');
    expectThrow(() => addon.isValidUtf8(), 'TypeError');
  });
  it('setPath: unknown names and non-strings', () => {
    expectThrow(() => addon.setPath('nope'), 'TypeError', 'ERR_INVALID_ARG_VALUE');
    expectThrow(() => addon.setPath(3), 'TypeError', 'ERR_INVALID_ARG_TYPE');
    expectThrow(() => addon.setPath('scalar-but-much-longer-than-the-buffer'), 'TypeError');
    expect(addon.paths()).toContain(addon.path());
  });
});

describe('WSFRAME_NATIVE_PATH', () => {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const run = (value: string) =>
    spawnSync(process.execPath, ['-e', `const a = require('node-gyp-build')(${JSON.stringify(root)}); console.log(a.path())`], {
      cwd: root,
      env: { ...process.env, WSFRAME_NATIVE_PATH: value },
      encoding: 'utf8',
    });
  it('forces each available path at load', () => {
    for (const p of addon.paths() as string[]) expect(run(p).stdout.trim()).toBe(p);
  });
  it('an unavailable path makes loading fail with the reason, not a crash', () => {
    const r = run('avx512');
    expect(r.status).toBe(1);
    expect(r.signal).toBeNull();
    expect(r.stderr).toMatch(/WSFRAME_NATIVE_PATH names a path this CPU lacks/);
  });
});
