/**
 * The WebAssembly backend: AssemblyScript kernels (assembly/index.ts) compiled with v128 SIMD and
 * embedded in this package as base64 (ts/generated/wasm-binary.ts, made by scripts/embed-wasm.mjs).
 *
 * Memory model (read this before touching views):
 * - Every instance has its own `WasmMemory`. Its first part is static: a 256 KiB scratch
 *   region (exports `scratch()`, `scratchSize()`) and the lookup tables; `heapBase()` is the first
 *   free byte after them. The kernels never allocate and never grow memory.
 * - A `Uint8Array` whose `.buffer` is `memory.buffer` is a VIEW INTO WASM MEMORY: the kernels can
 *   work on it in place, by pointer (`byteOffset`), with no copy. Everything else is copied into the
 *   scratch region, processed there, and copied back.
 * - `memory.grow()` DETACHES every view over the old `memory.buffer` (their length becomes 0 and
 *   `.buffer` is a dead ArrayBuffer). Whoever grows a memory must drop their old views and make new
 *   ones from the new `memory.buffer`. The code here compares `memory.buffer` with the buffer its
 *   cached views were made from and rebuilds them when it changed.
 * - The backend returned by `load()` uses a private instance whose memory is never grown. A frame
 *   reader that wants to receive straight into WASM memory uses `createWasmArena()`, a separate
 *   instance it owns (and may grow).
 */
import type { Backend } from './backend.js';
import { UTF8_ACCEPT, UTF8_REJECT } from './backend.js';
import { wsError } from './errors.js';
import { WASM_BASE64 } from './generated/wasm-binary.js';

// The compiler settings (lib ES2022, Node types) carry no WebAssembly declarations, so the small part
// of the JS API used here is declared locally instead of adding a global lib for every file.

/** A `WasmMemory` (only what is used here). */
export interface WasmMemory {
  /** The current ArrayBuffer; replaced (and the old one detached) by `grow`. */
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` 64 KiB pages; returns the previous size in pages. */
  grow(pages: number): number;
}
interface WasmModuleObject {
  readonly __wasmModule?: never;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModuleObject;
  Instance: new (module: WasmModuleObject, imports: object) => { readonly exports: object };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The raw exports of the kernel module: plain functions over (pointer, length) in its memory. */
export interface WasmKernelExports {
  readonly memory: WasmMemory;
  /** Byte offset of the static scratch region. */
  scratch(): number;
  /** Size of the scratch region in bytes (a multiple of 64). */
  scratchSize(): number;
  /** First byte after the module's static data: free for the host to use. */
  heapBase(): number;
  /** `dst[i] = src[i] ^ keyByte(i & 3)`; src == dst is allowed. Nonzero: a byte written has bit 7 set. */
  mask(src: number, dst: number, len: number, key: number): number;
  /** 1 when the bytes are complete, valid UTF-8, else 0. */
  utf8Validate(ptr: number, len: number): number;
  /** The DFA state (numbering of ts/backend.ts) after consuming the bytes from `state`. */
  utf8Stream(state: number, ptr: number, len: number): number;
}

// (module (func (result v128) (v128.const i32x4 0 0 0 0))): validates only where the engine
// supports fixed-width SIMD (V8 refuses it on CPUs without SSE4.1, or when disabled by flag).
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code section: one body, no locals, v128.const
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0x0b, // end
]);

let compiled: WasmModuleObject | undefined;

function unavailable(reason: string): Error {
  return wsError('WSFRAME_ERR_BACKEND_UNAVAILABLE', `wsframe: the WebAssembly backend is unavailable: ${reason}`);
}

/** Compiles the embedded module once, after checking the engine can run it. Throws with a reason. */
function kernelModule(): WasmModuleObject {
  if (compiled !== undefined) return compiled;
  if (typeof wasmApi !== 'object' || wasmApi === null || typeof wasmApi.validate !== 'function') {
    throw unavailable('this runtime has no WebAssembly');
  }
  let simd: boolean;
  try {
    simd = wasmApi.validate(SIMD_PROBE);
  } catch {
    simd = false;
  }
  if (!simd) {
    throw unavailable('this engine does not support WebAssembly SIMD (v128), e.g. a CPU without SSE4.1 or SIMD disabled by a flag');
  }
  const bytes = Buffer.from(WASM_BASE64, 'base64');
  try {
    compiled = new wasmApi.Module(bytes);
  } catch (err) {
    throw unavailable(`the embedded module failed to compile (${(err as Error).message})`);
  }
  return compiled;
}

function instantiate(): WasmKernelExports {
  const module = kernelModule();
  let instance: { readonly exports: object };
  try {
    instance = new wasmApi!.Instance(module, {});
  } catch (err) {
    throw unavailable(`the embedded module failed to instantiate (${(err as Error).message})`);
  }
  return instance.exports as unknown as WasmKernelExports;
}

/** Lengths up to this get cached scratch views, so copying out does not create a view per call. */
const VIEW_CACHE_MAX = 2048;

/**
 * A Backend over one kernel instance. When the instance's memory is shared with the caller (an
 * arena), inputs that are views into it are processed in place; anything else goes through the
 * scratch region in chunks of `scratchSize` bytes (a multiple of 4, so the masking key phase
 * carries over; UTF-8 state is chained). The backend of `load()` owns a private memory no caller
 * can have a view into, so it skips the residency test: `.buffer` costs ~45 ns per read on Node 20.
 */
class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly variant = 'simd128';
  private readonly ex: WasmKernelExports;
  private readonly memory: WasmMemory;
  private readonly scratchPtr: number;
  private readonly scratchLen: number;
  /** Whether callers can hold views into this memory (arena), so residency must be tested. */
  private readonly shared: boolean;
  /** The ArrayBuffer the cached views below were made from. */
  private buf: ArrayBuffer;
  /** A view over the whole memory (a view into WASM memory: detached by growth). */
  private u8: Uint8Array;
  /** scratchViews[n] = view of the first n scratch bytes, made on first use (also detached by growth). */
  private scratchViews: (Uint8Array | undefined)[] = [];

  constructor(ex: WasmKernelExports, shared: boolean) {
    this.ex = ex;
    this.shared = shared;
    this.memory = ex.memory;
    this.scratchPtr = ex.scratch();
    this.scratchLen = ex.scratchSize();
    this.buf = ex.memory.buffer;
    this.u8 = new Uint8Array(this.buf);
  }

  /**
   * The current memory buffer, with the cached views rebuilt if growth replaced it. Reading
   * `memory.buffer` is an API call that costs tens of ns, so detachment is detected through the
   * cached view instead: growth detaches it and its length drops to 0 (memory is never empty).
   */
  private current(): ArrayBuffer {
    if (this.u8.length === 0) {
      const b = this.memory.buffer;
      this.buf = b;
      this.u8 = new Uint8Array(b);
      this.scratchViews = [];
    }
    return this.buf;
  }

  private scratchView(n: number): Uint8Array {
    if (n > VIEW_CACHE_MAX) return new Uint8Array(this.buf, this.scratchPtr, n);
    let v = this.scratchViews[n];
    if (v === undefined) v = this.scratchViews[n] = new Uint8Array(this.buf, this.scratchPtr, n);
    return v;
  }

  /** Copies source[start, start + n) into the scratch region. */
  private copyIn(source: Uint8Array, start: number, n: number): void {
    this.u8.set(start === 0 && n === source.length ? source : source.subarray(start, start + n), this.scratchPtr);
  }

  mask(source: Uint8Array, key: number, output: Uint8Array, offset: number, length: number): void {
    const buf = this.current();
    const ex = this.ex;
    const srcIn = this.shared && source.buffer === buf;
    const dstIn = this.shared && output.buffer === buf;
    if (srcIn && dstIn) {
      ex.mask(source.byteOffset, output.byteOffset + offset, length, key);
      return;
    }
    const s = this.scratchPtr;
    for (let start = 0; start < length; start += this.scratchLen) {
      const n = Math.min(this.scratchLen, length - start);
      let src: number;
      if (srcIn) {
        src = source.byteOffset + start;
      } else {
        this.copyIn(source, start, n);
        src = s;
      }
      if (dstIn) {
        ex.mask(src, output.byteOffset + offset + start, n, key);
      } else {
        ex.mask(src, s, n, key);
        output.set(this.scratchView(n), offset + start);
      }
    }
  }

  unmask(buffer: Uint8Array, key: number): void {
    this.unmaskAscii(buffer, key);
  }

  unmaskAscii(buffer: Uint8Array, key: number): boolean {
    const buf = this.current();
    const length = buffer.length;
    if (this.shared && buffer.buffer === buf) {
      const ptr = buffer.byteOffset;
      return this.ex.mask(ptr, ptr, length, key) === 0;
    }
    const s = this.scratchPtr;
    let high = 0;
    for (let start = 0; start < length; start += this.scratchLen) {
      const n = Math.min(this.scratchLen, length - start);
      this.copyIn(buffer, start, n);
      high |= this.ex.mask(s, s, n, key);
      buffer.set(this.scratchView(n), start);
    }
    return high === 0;
  }

  isValidUtf8(buffer: Uint8Array): boolean {
    const buf = this.current();
    const length = buffer.length;
    if (this.shared && buffer.buffer === buf) return this.ex.utf8Validate(buffer.byteOffset, length) === 1;
    if (length <= this.scratchLen) {
      this.copyIn(buffer, 0, length);
      return this.ex.utf8Validate(this.scratchPtr, length) === 1;
    }
    return this.streamCopied(UTF8_ACCEPT, buffer) === UTF8_ACCEPT;
  }

  utf8Stream(state: number, chunk: Uint8Array): number {
    if (state === UTF8_REJECT) return UTF8_REJECT;
    const buf = this.current();
    if (this.shared && chunk.buffer === buf) return this.ex.utf8Stream(state, chunk.byteOffset, chunk.length);
    return this.streamCopied(state, chunk);
  }

  private streamCopied(state: number, chunk: Uint8Array): number {
    const length = chunk.length;
    for (let start = 0; start < length && state !== UTF8_REJECT; start += this.scratchLen) {
      const n = Math.min(this.scratchLen, length - start);
      this.copyIn(chunk, start, n);
      state = this.ex.utf8Stream(state, this.scratchPtr, n);
    }
    return state;
  }
}

let loaded: Backend | undefined;

/**
 * Loads the WebAssembly backend (name 'wasm', variant 'simd128'). Throws an Error with code
 * WSFRAME_ERR_BACKEND_UNAVAILABLE and a human-readable reason when this runtime cannot run it.
 * The backend is stateless, so every call returns the same one (one 2 MiB instance per process).
 */
export function load(): Backend {
  if (loaded === undefined) loaded = new WasmBackend(instantiate(), false);
  return loaded;
}

const PAGE = 65536;

/** A buffer owned by the caller inside a private WebAssembly instance's memory. */
export interface WasmArena {
  /** The instance's memory. Growing it (here or through `grow`) detaches all views over it. */
  readonly memory: WasmMemory;
  /** The raw kernels of this instance; pointers are byte offsets into `memory`. */
  readonly exports: WasmKernelExports;
  /** Byte offset in `memory` where the arena starts (64-byte aligned, after scratch and tables). */
  readonly base: number;
  /** Bytes available from `base` (at least what was asked for). */
  readonly size: number;
  /**
   * A view of [base, base + size) over the CURRENT `memory.buffer`: a view into WASM memory. It is
   * cached and rebuilt after growth; do not keep it across a `grow` (the old one is detached).
   */
  view(): Uint8Array;
  /** Makes at least `bytes` available from `base`, growing memory if needed (detaches views). */
  grow(bytes: number): void;
  /** A Backend bound to this instance: views from `view()` are processed in place, no copy. */
  readonly backend: Backend;
}

/**
 * Instantiates a SEPARATE kernel instance with its own memory, grown so that `bytes` bytes are free
 * after its scratch region and tables. A frame reader can receive socket data straight into
 * `view()` and then call `exports.mask(ptr, ptr, len, key)` / `exports.utf8Stream(state, ptr, len)`
 * on it, or use `backend` with subarrays of `view()`, and never copy.
 */
export function createWasmArena(bytes: number): WasmArena {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw wsError('ERR_OUT_OF_RANGE', `The value of "bytes" is out of range. It must be a non-negative integer. Received ${String(bytes)}`);
  }
  const ex = instantiate();
  const memory = ex.memory;
  const base = (ex.heapBase() + 63) & ~63;
  const ensure = (n: number): void => {
    const need = base + n - memory.buffer.byteLength;
    if (need <= 0) return;
    try {
      memory.grow(Math.ceil(need / PAGE));
    } catch (err) {
      throw wsError('ERR_OUT_OF_RANGE', `wsframe: cannot grow the WebAssembly arena to ${n} bytes (${(err as Error).message})`);
    }
  };
  ensure(bytes);
  let cachedBuf: ArrayBuffer | undefined;
  let cachedView: Uint8Array | undefined;
  const arena: WasmArena = {
    memory,
    exports: ex,
    base,
    get size(): number {
      return memory.buffer.byteLength - base;
    },
    view(): Uint8Array {
      const b = memory.buffer;
      if (b !== cachedBuf || cachedView === undefined) {
        cachedBuf = b;
        cachedView = new Uint8Array(b, base, b.byteLength - base);
      }
      return cachedView;
    },
    grow(n: number): void {
      if (!Number.isSafeInteger(n) || n < 0) {
        throw wsError('ERR_OUT_OF_RANGE', `The value of "bytes" is out of range. It must be a non-negative integer. Received ${String(n)}`);
      }
      ensure(n);
    },
    backend: new WasmBackend(ex, true),
  };
  return arena;
}
