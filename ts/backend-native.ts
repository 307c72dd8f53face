/**
 * The native backend: the N-API C addon built from native/ (see docs/native-backend.md), loaded
 * with node-gyp-build (a local build/Release first, then the prebuild for this platform, arch and
 * libc under prebuilds/). Loading is followed by a known-answer self-test on every code path, so
 * a binary that loads but computes wrong results (wrong libc or arch, a stale build) is refused
 * with the reason rather than trusted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Backend } from './backend';
import { UTF8_ACCEPT, UTF8_REJECT } from './backend';
import { wsError } from './errors';

/** What native/napi.c exports (WSF_ADDON_ABI 2: unmask returns whether the result is ASCII). */
interface Addon {
  readonly abi: number;
  mask(source: Uint8Array, key: number, output: Uint8Array, offset: number, length: number): void;
  unmask(buffer: Uint8Array, key: number): boolean;
  isValidUtf8(buffer: Uint8Array): boolean;
  utf8Stream(state: number, chunk: Uint8Array): number;
  path(): string;
  setPath(name: string): string;
  paths(): string[];
}

const ADDON_ABI = 2;

/** The directory holding wsframe's package.json: `dist/cjs/..` once built, `ts/..` under vitest. */
function packageRoot(): string {
  const start = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'wsframe') return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    if (dirname(dir) === dir) throw new Error(`package root of wsframe not found above ${start}`);
  }
}

function keyByte(key: number, i: number): number {
  return (key >>> (8 * (i & 3))) & 0xff;
}

/** Known answers: a wrong binary fails here. Returns a description of the first mismatch. */
function selfTest(addon: Addon): string | undefined {
  // Masking: lengths around every vector width and tail, unaligned output, and a fixed vector.
  const fixed = Uint8Array.of(0x01, 0x02, 0x03, 0x04, 0x05, 0xff);
  const fixedAscii = addon.unmask(fixed, 0x04030201);
  if (fixed.join() !== '0,0,0,0,4,253') return `unmask of a fixed vector gave [${fixed.join()}]`;
  if (fixedAscii !== false) return `unmask of a fixed vector ending in 0xfd reported ASCII: ${String(fixedAscii)}`;
  const ascii = new Uint8Array(40).fill(0x41);
  if (addon.unmask(ascii, 0x01010101) !== true) return 'unmask of 40 ASCII bytes did not report ASCII';
  const key = 0x9e3779b9;
  const src = new Uint8Array(300);
  for (let i = 0; i < src.length; i++) src[i] = (i * 167 + 13) & 0xff;
  for (const len of [0, 1, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 255, 300]) {
    const out = new Uint8Array(len + 3);
    addon.mask(src, key, out, 3, len);
    for (let i = 0; i < len; i++) {
      if (out[3 + i] !== (src[i] ^ keyByte(key, i))) return `mask of ${len} bytes differs at byte ${i}`;
    }
  }
  // UTF-8: valid text across block boundaries, and one invalid form of each kind.
  const text = Buffer.from('ASCII and accents éèà, CJK 漢字, emoji 😀🎉, end. '.repeat(3));
  if (!addon.isValidUtf8(text)) return 'valid UTF-8 text was rejected';
  const bad = [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0x80], [0xe2, 0x82]];
  for (const seq of bad) {
    const buf = Buffer.concat([text.subarray(0, 70), Buffer.from(seq), text.subarray(0, 10)]);
    if (addon.isValidUtf8(buf)) return `invalid UTF-8 [${seq.map((b) => b.toString(16)).join(' ')}] was accepted`;
  }
  if (addon.utf8Stream(UTF8_ACCEPT, Uint8Array.of(0x41, 0xe2, 0x82)) !== 2) return 'utf8Stream mid-sequence state';
  if (addon.utf8Stream(2, Uint8Array.of(0xac, 0x41)) !== UTF8_ACCEPT) return 'utf8Stream resume state';
  if (addon.utf8Stream(UTF8_ACCEPT, Uint8Array.of(0x41, 0xe0, 0x80)) !== UTF8_REJECT) return 'utf8Stream fail-fast';
  return undefined;
}

let cached: Backend | undefined;
let cachedAddon: Addon | undefined;
let failure: string | undefined;

function loadAddon(): Addon {
  if (cachedAddon) return cachedAddon;
  if (failure !== undefined) throw unavailable(failure);
  let addon: Addon;
  try {
    const root = packageRoot();
    const req = createRequire(join(root, 'package.json'));
    const nodeGypBuild = req('node-gyp-build') as (dir: string) => unknown;
    addon = nodeGypBuild(root) as Addon;
  } catch (err) {
    failure = `the addon did not load: ${(err as Error).message.split('\n')[0]}`;
    throw unavailable(failure);
  }
  if (addon.abi !== ADDON_ABI) {
    failure = `the addon binary has ABI ${String(addon.abi)}, this wsframe expects ${ADDON_ABI} (stale build?)`;
    throw unavailable(failure);
  }
  const initial = addon.path();
  try {
    for (const p of addon.paths()) {
      addon.setPath(p);
      const mismatch = selfTest(addon);
      if (mismatch !== undefined) {
        failure = `self-test failed on the ${p} path: ${mismatch} (wrong binary for this platform?)`;
        throw unavailable(failure);
      }
    }
  } catch (err) {
    failure ??= `self-test threw: ${(err as Error).message}`;
    throw unavailable(failure);
  } finally {
    addon.setPath(initial);
  }
  cachedAddon = addon;
  return addon;
}

function unavailable(reason: string) {
  return wsError('WSFRAME_ERR_BACKEND_UNAVAILABLE', `wsframe: native backend unavailable: ${reason}`);
}

/** Loads the native backend; throws WSFRAME_ERR_BACKEND_UNAVAILABLE with the reason when it can't. */
export function load(): Backend {
  if (cached) return cached;
  const addon = loadAddon();
  cached = {
    name: 'native',
    get variant() {
      return addon.path();
    },
    mask: addon.mask,
    // One entry point: the kernel computes the ASCII flag either way (4-8 ns a call at 1-16 KiB).
    unmask: addon.unmask,
    unmaskAscii: addon.unmask,
    isValidUtf8: addon.isValidUtf8,
    utf8Stream: addon.utf8Stream,
  };
  return cached;
}

/** Why the native backend is unavailable, or undefined when it loads. */
export function nativeUnavailableReason(): string | undefined {
  try {
    loadAddon();
    return undefined;
  } catch {
    return failure;
  }
}

/** The code paths this CPU can run, e.g. ['scalar', 'sse2', 'avx2'] (for tests and benchmarks). */
export function nativePaths(): string[] {
  return loadAddon().paths();
}

/** Switches the native kernels to `name` for the whole process; throws when the CPU lacks it. */
export function setNativePath(name: string): string {
  return loadAddon().setPath(name);
}
