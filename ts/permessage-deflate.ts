/**
 * The permessage-deflate codec of one connection (RFC 7692 §7.2): compresses outgoing messages and
 * inflates incoming ones with node:zlib, I/O-agnostic (bytes in, bytes out, asynchronously).
 *
 * - Order: jobs of one direction run one after another, so results come back in submission order.
 * - Memory: a direction with context takeover keeps its own zlib stream for the connection's life
 *   (the LZ77 window is the context). A direction without it borrows a reset stream from a
 *   process-wide pool for one message, so idle connections hold no zlib memory for it. Every job
 *   also waits for a slot under the process-wide limit of ./zlib-limiter.ts.
 * - Limits: inflated output is counted chunk by chunk (zlib emits at most `chunkSize`, 16 KiB, at a
 *   time) and the stream is destroyed as soon as the message exceeds maxMessageSize, so a
 *   decompression bomb costs at most the limit plus one chunk.
 */
import * as zlib from 'node:zlib';
import { wsError } from './errors.js';
import type { WsFrameError } from './errors.js';
import type { Role } from './frame-types.js';
import type { DeflateParams, PerMessageDeflateOptions } from './deflate-negotiation.js';
import { runLimited, setZlibConcurrency } from './zlib-limiter.js';
import { stepSync, syncAvailable } from './zlib-sync.js';
import type { SyncResult } from './zlib-sync.js';

/** The empty stored block a sync flush ends with; removed from messages, restored before inflating (§7.2.1-2). */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY = Buffer.alloc(0);
const DEFAULT_MAX_MESSAGE = 100 * 1024 * 1024;
/** Largest input compressed inline (≈ 0.2 ms of zlib here); larger jobs go to the thread pool. */
const SYNC_DEFLATE_MAX = 16 * 1024;
/** Largest compressed input inflated inline: deflate expands at most ~1032×, so ≤ ~4 MiB of output. */
const SYNC_INFLATE_MAX = 4 * 1024;

/** A zlib stream and the output of the job it is running. */
interface Pipe {
  readonly z: zlib.DeflateRaw | zlib.InflateRaw;
  readonly key: string;
  chunks: Buffer[];
  total: number;
  /** Output bytes allowed for this job; past it the job fails with 1009. */
  limit: number;
  failure: WsFrameError | null;
  /** Completes the running job once (flush done, limit hit or zlib error). */
  finish: (() => void) | null;
}

/** One direction of a connection: compress (ours) or inflate (the peer's). */
interface Side {
  readonly inflate: boolean;
  readonly windowBits: number;
  readonly noContextTakeover: boolean;
  readonly zlibOptions: zlib.ZlibOptions;
  readonly key: string;
  /** The stream in use: kept for the connection with context takeover, or until the message ends without. */
  held: Pipe | null;
  /** An asynchronous job is running on `held`. */
  busy: boolean;
  /** Asynchronous jobs submitted and not yet settled: while any, nothing may run synchronously. */
  pending: number;
  /** Completion of the last job submitted: the next job starts after it. */
  tail: Promise<unknown>;
}

// Idle, reset streams for directions without context takeover, by kind + window + zlib options.
// At most `POOL_CAP` idle per key: in-use streams are bounded by the concurrency limit anyway.
const pool = new Map<string, Pipe[]>();
const POOL_CAP = 16;

function openPipe(side: Side): Pipe {
  const opts = { ...side.zlibOptions, windowBits: side.windowBits };
  const z = side.inflate ? zlib.createInflateRaw(opts) : zlib.createDeflateRaw(opts);
  const pipe: Pipe = { z, key: side.key, chunks: [], total: 0, limit: Infinity, failure: null, finish: null };
  z.on('data', (chunk: Buffer) => {
    pipe.total += chunk.length;
    if (pipe.total <= pipe.limit) {
      pipe.chunks.push(chunk);
      return;
    }
    if (pipe.failure === null) {
      pipe.failure = tooBig(pipe.limit);
      // Destroying stops zlib before the next chunk: the rest of the bomb is never inflated.
      z.destroy();
      pipe.finish?.();
    }
  });
  z.on('error', (err: Error) => {
    pipe.failure ??= inflateError(err.message);
    pipe.finish?.();
  });
  return pipe;
}

function tooBig(limit: number): WsFrameError {
  return wsError('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', `Inflated message exceeds the limit of ${limit} bytes`);
}

function inflateError(why: string): WsFrameError {
  return wsError('WS_ERR_INFLATE', `Invalid compressed data: ${why}`);
}

function closedError(): WsFrameError {
  return wsError('WSFRAME_ERR_DEFLATE_CLOSED', 'permessage-deflate was closed');
}

function takePooled(key: string): Pipe | undefined {
  return pool.get(key)?.pop();
}

function recycle(pipe: Pipe): void {
  let idle = pool.get(pipe.key);
  if (idle === undefined) pool.set(pipe.key, (idle = []));
  if (idle.length >= POOL_CAP) {
    pipe.z.close();
    return;
  }
  pipe.z.reset();
  idle.push(pipe);
}

/** Idle pooled zlib streams in this process (for tests and memory diagnostics). */
export function pooledZlibStreams(): number {
  let n = 0;
  for (const idle of pool.values()) n += idle.length;
  return n;
}

/** Closes the idle pooled streams (they are recreated on demand). */
export function drainZlibPool(): void {
  for (const idle of pool.values()) for (const p of idle) p.z.close();
  pool.clear();
}

function optionsKey(o: zlib.ZlibOptions): string {
  return `${o.level ?? ''},${o.memLevel ?? ''},${o.strategy ?? ''},${o.chunkSize ?? ''}`;
}

function makeSide(inflate: boolean, windowBits: number, noContextTakeover: boolean, zlibOptions: zlib.ZlibOptions = {}): Side {
  const key = `${inflate ? 'i' : 'd'}${windowBits}:${optionsKey(zlibOptions)}`;
  return { inflate, windowBits, noContextTakeover, zlibOptions, key, held: null, busy: false, pending: 0, tail: Promise.resolve() };
}

function concat(chunks: Buffer[], total: number): Buffer {
  if (chunks.length === 1) return chunks[0];
  if (chunks.length === 0) return EMPTY;
  return Buffer.concat(chunks, total);
}

export interface PerMessageDeflateCodecOptions extends PerMessageDeflateOptions {
  /** Largest inflated message, enforced while inflating (1009 past it). Default 100 MiB. */
  maxMessageSize?: number;
}

export class PerMessageDeflate {
  readonly role: Role;
  readonly params: DeflateParams;
  /**
   * False when the agreed window of our compressor is 8 bits: zlib always compresses with at least 9,
   * which the peer may not inflate, so every message goes out uncompressed (RFC 7692 lets a sender
   * choose per message).
   */
  readonly canCompress: boolean;
  private readonly threshold: number;
  private readonly maxMessageSize: number;
  private readonly out: Side;
  private readonly in: Side;
  /** Inflated bytes of the incoming message so far (fragments before fin). */
  private inflated = 0;
  /** Set when inflating failed: the inbound stream is unusable and the connection must close. */
  private inboundFailure: WsFrameError | null = null;
  private closed = false;

  constructor(role: Role, params: DeflateParams, options: PerMessageDeflateCodecOptions = {}) {
    this.role = role;
    this.params = params;
    this.threshold = options.threshold ?? 1024;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE;
    if (options.concurrencyLimit !== undefined) setZlibConcurrency(options.concurrencyLimit);
    const server = role === 'server';
    const ourBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    const peerBits = server ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    this.canCompress = ourBits >= 9;
    this.out = makeSide(false, ourBits, server ? params.serverNoContextTakeover : params.clientNoContextTakeover, options.zlibDeflateOptions);
    // A larger inflate window is always correct; 9 also reads peers whose zlib turned 8 into 9.
    this.in = makeSide(true, Math.max(9, peerBits), server ? params.clientNoContextTakeover : params.serverNoContextTakeover, options.zlibInflateOptions);
  }

  /** Whether a message of `byteLength` bytes should be sent compressed (threshold, window 8). */
  shouldCompress(byteLength: number): boolean {
    return this.canCompress && byteLength >= this.threshold;
  }

  /**
   * Compresses (part of) an outgoing message. With `fin` the message ends: the trailing 00 00 ff ff
   * is removed (§7.2.1) and, without context takeover, the compressor is reset. Results arrive in
   * call order. The returned bytes are the caller's.
   */
  compress(data: Uint8Array | string, fin = true): Promise<Buffer> {
    return this.submit(this.out, data, fin);
  }

  /**
   * Inflates (part of) an incoming compressed message; `fin` on its last part. Fails with 1009
   * (WS_ERR_UNSUPPORTED_MESSAGE_LENGTH) as soon as the inflated message passes maxMessageSize, and
   * with 1007 (WS_ERR_INFLATE) on invalid data; after a failure every later call fails the same way.
   */
  decompress(payload: Uint8Array, fin = true): Promise<Buffer> {
    return this.submit(this.in, payload, fin);
  }

  /**
   * `compress` done synchronously when it can be without breaking order or blocking long: nothing
   * queued in this direction, input ≤ 16 KiB, and synchronous zlib steps available. `undefined`
   * means "call compress()". Lets a connection frame and write a small message in the same tick.
   */
  compressNow(data: Uint8Array | string, fin = true): Buffer | undefined {
    this.checkCompressible();
    const size = typeof data === 'string' ? data.length * 3 : data.length;
    if (!this.canRunNow(this.out, size, SYNC_DEFLATE_MAX)) return undefined;
    return this.runNow(this.out, typeof data === 'string' ? Buffer.from(data) : data, fin);
  }

  /**
   * `decompress` done synchronously under the same conditions (compressed input ≤ 4 KiB, so at most
   * ~4 MiB of output even for a bomb, and never more than the limit). Throws the 1007/1009 errors.
   */
  decompressNow(payload: Uint8Array, fin = true): Buffer | undefined {
    if (this.inboundFailure !== null) throw this.inboundFailure;
    if (!this.canRunNow(this.in, payload.length, SYNC_INFLATE_MAX)) return undefined;
    return this.runNow(this.in, payload, fin);
  }

  /**
   * Compresses a whole message synchronously whatever its size: for compress-once broadcast, where
   * one job serves many connections and publishing must stay synchronous to keep publish order.
   * Without synchronous steps (or with jobs queued) a direction without context takeover uses
   * zlib's one-shot function (a fresh context is what the peer expects anyway).
   */
  compressSync(data: Uint8Array | string): Buffer {
    this.checkCompressible();
    if (this.closed) throw closedError();
    const input = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.out.pending === 0 && syncAvailable()) return this.runNow(this.out, input, true);
    if (!this.out.noContextTakeover) {
      throw wsError('ERR_INVALID_ARG_VALUE', 'compressSync with context takeover needs synchronous zlib steps and no queued jobs');
    }
    const raw = zlib.deflateRawSync(input, { ...this.out.zlibOptions, windowBits: this.out.windowBits, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return raw.subarray(0, raw.length - 4);
  }

  /** Releases the zlib streams. Queued and later jobs fail with WSFRAME_ERR_DEFLATE_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const side of [this.out, this.in]) if (!side.busy) this.drop(side);
  }

  private checkCompressible(): void {
    if (!this.canCompress) {
      throw wsError('ERR_INVALID_ARG_VALUE', 'The agreed window of 8 bits cannot be honoured by zlib: send uncompressed (see shouldCompress)');
    }
  }

  private canRunNow(side: Side, size: number, max: number): boolean {
    if (this.closed) throw closedError();
    return side.pending === 0 && size <= max && syncAvailable();
  }

  private submit(side: Side, data: Uint8Array | string, fin: boolean): Promise<Buffer> {
    try {
      const now = side.inflate ? this.decompressNow(data as Uint8Array, fin) : this.compressNow(data, fin);
      if (now !== undefined) return Promise.resolve(now);
    } catch (err) {
      return Promise.reject(err);
    }
    side.pending++;
    const job = side.tail.then(() => new Promise<Buffer>((resolve, reject) => {
      this.start(side, data, fin, (err, out) => {
        side.pending--;
        if (err !== null) reject(err);
        else resolve(out!);
      });
    }));
    side.tail = job.catch(() => undefined);
    return job;
  }

  private acquire(side: Side): Pipe {
    const pipe = side.held ?? (side.noContextTakeover ? takePooled(side.key) : undefined) ?? openPipe(side);
    side.held = pipe;
    return pipe;
  }

  private runNow(side: Side, input: Uint8Array, fin: boolean): Buffer {
    const pipe = this.acquire(side);
    const limit = side.inflate ? this.maxMessageSize - this.inflated : Infinity;
    const acc: SyncResult = { parts: [], total: 0, stop: null };
    stepSync(pipe.z, input, limit, acc);
    if (side.inflate && fin && acc.stop === null) stepSync(pipe.z, TRAILER, limit, acc);
    if (acc.stop !== null) {
      const z = pipe.z as unknown as { errored?: Error | null };
      throw this.fail(side, pipe, acc.stop === 'limit' ? tooBig(limit) : inflateError(z.errored?.message ?? 'zlib error'));
    }
    return this.finishStep(side, pipe, concat(acc.parts, acc.total), acc.total, fin);
  }

  private start(side: Side, data: Uint8Array | string, fin: boolean, done: (err: Error | null, out?: Buffer) => void): void {
    runLimited((release) => {
      if (this.closed) {
        release();
        done(closedError());
        return;
      }
      if (side.inflate && this.inboundFailure !== null) {
        release();
        done(this.inboundFailure);
        return;
      }
      const pipe = this.acquire(side);
      side.busy = true;
      pipe.chunks = [];
      pipe.total = 0;
      pipe.limit = side.inflate ? this.maxMessageSize - this.inflated : Infinity;
      pipe.finish = () => {
        pipe.finish = null;
        side.busy = false;
        release();
        const { chunks, total, failure } = pipe;
        pipe.chunks = [];
        if (failure !== null) done(this.fail(side, pipe, failure));
        else if (this.closed) {
          this.drop(side);
          done(closedError());
        } else done(null, this.finishStep(side, pipe, concat(chunks, total), total, fin));
      };
      pipe.z.write(data);
      if (side.inflate && fin) pipe.z.write(TRAILER);
      pipe.z.flush(zlib.constants.Z_SYNC_FLUSH, () => pipe.finish?.());
    });
  }

  /** A step failed: the stream is mid-message and unusable; an inflate failure ends the inbound side. */
  private fail(side: Side, pipe: Pipe, failure: WsFrameError): WsFrameError {
    side.held = null;
    pipe.z.destroy();
    if (side.inflate) this.inboundFailure = failure;
    return failure;
  }

  /** A step succeeded: count the message, strip the trailer, reset or return the stream at its end. */
  private finishStep(side: Side, pipe: Pipe, out: Buffer, total: number, fin: boolean): Buffer {
    if (side.inflate) this.inflated = fin ? 0 : this.inflated + total;
    else if (fin) out = out.subarray(0, out.length - 4);
    if (fin && side.noContextTakeover) {
      side.held = null;
      recycle(pipe);
    }
    return out;
  }

  private drop(side: Side): void {
    const pipe = side.held;
    side.held = null;
    if (pipe === null) return;
    // A stream between fragments of a message holds state: never return it to the pool.
    pipe.z.close();
  }
}
