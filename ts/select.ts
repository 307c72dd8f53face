/**
 * Load-time backend selection. Every backend that loads must pass a known-answer self-test before
 * it may be used (a wrong-arch or wrong-libc binary, or a miscompiled module, is skipped with its
 * reason kept for `backendStatus()`). The fastest one that passes is active: native > wasm > js,
 * unless `WSFRAME_BACKEND` or `useBackend()` says otherwise. Size thresholds below which the public
 * functions stay in JavaScript are per backend (`Tuning`), set from bench/kernels.mjs.
 */
import type { Backend, BackendName } from './backend.js';
import { UTF8_ACCEPT, UTF8_REJECT } from './backend.js';
import { load as loadJs } from './backend-js.js';
import { load as loadWasm } from './backend-wasm.js';
import { load as loadNative } from './backend-native.js';
import { wsError } from './errors.js';

export const BACKEND_NAMES: readonly BackendName[] = ['native', 'wasm', 'js'];

const LOADERS: Record<BackendName, () => Backend> = { native: loadNative, wasm: loadWasm, js: loadJs };

export interface BackendStatus {
  name: BackendName;
  /** Loaded and passed its self-test. */
  available: boolean;
  /** Currently used by the public functions. */
  active: boolean;
  /** The code path inside the backend (e.g. 'avx2', 'simd128', 'swar32'), when available. */
  variant?: string;
  /** Why it is not available, when it is not. */
  reason?: string;
}

/**
 * Sizes (bytes) below which the public functions run the JS loops instead of calling the backend:
 * crossing into WASM costs a copy (~50 ns) and into N-API ~40-50 ns, which tiny inputs cannot repay.
 */
export interface Tuning {
  maskJsBelow: number;
  unmaskJsBelow: number;
  utf8JsBelow: number;
  /** Use Node's `buffer.isUtf8` (simdutf) for one-shot validation from this size on (Infinity: never). */
  utf8NodeFrom: number;
}

// One table for the kernels API and the drop-in modules (ts/dropin/). Masking: below 64 B the JS
// byte loop beats an N-API or WASM call in every measurement made here; between 64 and ~160 B they
// disagree (bench/dropin-kernels.mjs, one process per column: the loop wins up to ~150 B;
// bench/kernels.mjs --cpu, one process: native is 2.6x the loop at 125 B), so the cut is where all
// agree. UTF-8: Node's buffer.isUtf8 (simdutf) beats every one-shot validator of ours from ~32 B
// on mixed text, and below that kernels.ts scans ASCII in JS first. The backends' UTF-8 kernels
// remain the engines of streaming validation (Utf8Validator, reader).
export const TUNING: Readonly<Record<BackendName, Readonly<Tuning>>> = {
  native: { maskJsBelow: 64, unmaskJsBelow: 64, utf8JsBelow: 32, utf8NodeFrom: 32 },
  wasm: { maskJsBelow: 64, unmaskJsBelow: 64, utf8JsBelow: 32, utf8NodeFrom: 32 },
  // The JS backend's own mask/unmask choose between the byte and the word loop by size.
  js: { maskJsBelow: 0, unmaskJsBelow: 0, utf8JsBelow: 32, utf8NodeFrom: 32 },
};

const loaded = new Map<BackendName, Backend>();
const failures = new Map<BackendName, string>();

/** The backend the public functions use, and its size thresholds. Read through live bindings. */
export let active: Backend;
export let tuning: Tuning;
/** Why the active backend was chosen: 'auto', 'env' (WSFRAME_BACKEND) or 'api' (useBackend). */
export let chosenBy: 'auto' | 'env' | 'api' = 'auto';

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`self-test failed: ${what}`);
}

/** Known answers, independent of every backend: RFC 6455 §5.7's example and fixed vectors. */
function selfTest(b: Backend): void {
  // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58.
  const hello = new Uint8Array([0x48, 0x65, 0x6c, 0x6c, 0x6f]);
  const key = 0x3d21fa37;
  const out = new Uint8Array(6);
  b.mask(hello, key, out, 1, 5);
  check(out.join() === '0,127,159,77,81,88', 'mask of the RFC 6455 example');
  b.unmask(out.subarray(1), key);
  check(out.subarray(1).join() === hello.join(), 'unmask of the RFC 6455 example');
  b.mask(hello, key, out, 1, 5);
  check(b.unmaskAscii(out.subarray(1), key) && out.subarray(1).join() === hello.join(), 'unmaskAscii of the RFC 6455 example');
  // A long vector crosses every SIMD width and tail; bytes i*7 masked with key bytes 1,2,3,4.
  const n = 301;
  const src = new Uint8Array(n);
  for (let i = 0; i < n; i++) src[i] = (i * 7) & 0xff;
  const dst = new Uint8Array(n + 3);
  b.mask(src, 0x04030201, dst, 3, n);
  for (let i = 0; i < n; i++) check(dst[3 + i] === (((i * 7) & 0xff) ^ ((i & 3) + 1)), `mask byte ${i}`);
  const copy = src.slice(1);
  b.unmask(copy, 0x04030201);
  for (let i = 0; i < n - 1; i++) check(copy[i] === ((((i + 1) * 7) & 0xff) ^ ((i & 3) + 1)), `unmask byte ${i}`);
  // Bytes i*7 reach 0x80 at i = 19: not ASCII after unmasking either (key bytes are below 0x80).
  check(!b.unmaskAscii(src.slice(1), 0x04030201), 'unmaskAscii called bytes >= 0x80 ASCII');

  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
  const valid = utf8('wsframe: héllo wörld, €100, 日本語, 𝄞 and 😀 '.repeat(4));
  check(b.isValidUtf8(valid), 'valid mixed text rejected');
  check(b.isValidUtf8(new Uint8Array(0)), 'empty input rejected');
  const bad: number[][] = [
    [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5], [0x80], [0xe2, 0x82],
  ];
  for (const seq of bad) {
    const buf = new Uint8Array(valid.length + seq.length);
    buf.set(valid.subarray(0, 70));
    buf.set(seq, 70);
    buf.set(valid.subarray(70, valid.length - seq.length), 70 + seq.length);
    check(!b.isValidUtf8(buf), `invalid sequence ${seq.map((x) => x.toString(16)).join(' ')} accepted`);
  }
  check(b.utf8Stream(UTF8_ACCEPT, new Uint8Array([0x61, 0xe2, 0x82])) === 2, 'stream state after a truncated E2 82');
  check(b.utf8Stream(2, new Uint8Array([0xac, 0x61])) === UTF8_ACCEPT, 'stream resume after E2 82');
  check(b.utf8Stream(UTF8_ACCEPT, new Uint8Array([0x61, 0xe0, 0x80])) === UTF8_REJECT, 'stream fail-fast on E0 80');
}

/** Loads and self-tests a backend once; returns it, or undefined with the reason recorded. */
function tryLoad(name: BackendName): Backend | undefined {
  const done = loaded.get(name);
  if (done !== undefined || failures.has(name)) return done;
  try {
    const b = LOADERS[name]();
    selfTest(b);
    loaded.set(name, b);
    return b;
  } catch (err) {
    failures.set(name, err instanceof Error ? err.message : String(err));
    return undefined;
  }
}

function parseName(value: string, source: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw wsError('ERR_INVALID_ARG_VALUE', `${source} must be one of ${BACKEND_NAMES.join(', ')}. Received '${value}'`);
}

/** Node before 18.14 has no buffer.isUtf8: one-shot validation then stays on the backend. */
const HAVE_NODE_IS_UTF8 = typeof (require('node:buffer') as { isUtf8?: unknown }).isUtf8 === 'function';

function activate(b: Backend, by: typeof chosenBy): void {
  active = b;
  const t = TUNING[b.name];
  tuning = HAVE_NODE_IS_UTF8 ? t : { ...t, utf8NodeFrom: Infinity };
  chosenBy = by;
}

/** A specific backend, loaded and self-tested, or an error saying why it is unavailable. */
export function getBackend(name: BackendName): Backend {
  const b = tryLoad(parseName(name, 'The backend name'));
  if (b === undefined) {
    throw wsError('WSFRAME_ERR_BACKEND_UNAVAILABLE', `wsframe: the ${name} backend is unavailable: ${failures.get(name)}`);
  }
  return b;
}

/** Makes `name` the backend of the public functions; throws if it is unavailable. */
export function useBackend(name: BackendName): Backend {
  const b = getBackend(name);
  activate(b, 'api');
  return b;
}

/** Every backend with whether it loaded, which is active, and why the others are not. */
export function backendStatus(): BackendStatus[] {
  return BACKEND_NAMES.map((name) => {
    const b = tryLoad(name);
    return b !== undefined
      ? { name, available: true, active: active === b, variant: b.variant }
      : { name, available: false, active: false, reason: failures.get(name) };
  });
}

function selectAtLoad(): void {
  const env = process.env.WSFRAME_BACKEND;
  if (env !== undefined && env !== '') {
    activate(getBackend(parseName(env, 'WSFRAME_BACKEND')), 'env');
    return;
  }
  for (const name of BACKEND_NAMES) {
    const b = tryLoad(name);
    if (b !== undefined) {
      activate(b, 'auto');
      return;
    }
  }
  // Unreachable in practice: the JS backend has no dependencies. Fail loudly if it ever is.
  throw new Error(`wsframe: no backend passed its self-test (js: ${failures.get('js')})`);
}

selectAtLoad();
