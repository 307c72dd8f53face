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

/** The empty stored block a sync flush ends with; removed from messages, restored before inflating (§7.2.1-2). */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY = Buffer.alloc(0);
const DEFAULT_MAX_MESSAGE = 100 * 1024 * 1024;

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
  busy: boolean;
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
      pipe.failure = wsError('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', `Inflated message exceeds the limit of ${pipe.limit} bytes`);
      // Destroying stops zlib before the next chunk: the rest of the bomb is never inflated.
      z.destroy();
      pipe.finish?.();
    }
  });
  z.on('error', (err: Error) => {
    pipe.failure ??= wsError('WS_ERR_INFLATE', `Invalid compressed data: ${err.message}`);
    pipe.finish?.();
  });
  return pipe;
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
  return { inflate, windowBits, noContextTakeover, zlibOptions, key, held: null, busy: false, tail: Promise.resolve() };
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
    if (!this.canCompress) {
      return Promise.reject(wsError('ERR_INVALID_ARG_VALUE', 'The agreed window of 8 bits cannot be honoured by zlib: send uncompressed (see shouldCompress)'));
    }
    return this.enqueue(this.out, data, fin);
  }

  /**
   * Inflates (part of) an incoming compressed message; `fin` on its last part. Fails with 1009
   * (WS_ERR_UNSUPPORTED_MESSAGE_LENGTH) as soon as the inflated message passes maxMessageSize, and
   * with 1007 (WS_ERR_INFLATE) on invalid data; after a failure every later call fails the same way.
   */
  decompress(payload: Uint8Array, fin = true): Promise<Buffer> {
    return this.enqueue(this.in, payload, fin);
  }

  /** Releases the zlib streams. Queued and later jobs fail with WSFRAME_ERR_DEFLATE_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const side of [this.out, this.in]) if (!side.busy) this.drop(side);
  }

  private enqueue(side: Side, data: Uint8Array | string, fin: boolean): Promise<Buffer> {
    const job = side.tail.then(() => new Promise<Buffer>((resolve, reject) => this.start(side, data, fin, resolve, reject)));
    side.tail = job.catch(() => undefined);
    return job;
  }

  private start(side: Side, data: Uint8Array | string, fin: boolean, resolve: (b: Buffer) => void, reject: (e: Error) => void): void {
    runLimited((release) => {
      if (this.closed) {
        release();
        reject(wsError('WSFRAME_ERR_DEFLATE_CLOSED', 'permessage-deflate was closed'));
        return;
      }
      if (side.inflate && this.inboundFailure !== null) {
        release();
        reject(this.inboundFailure);
        return;
      }
      const pipe = side.held ?? (side.noContextTakeover ? takePooled(side.key) : undefined) ?? openPipe(side);
      side.held = pipe;
      side.busy = true;
      pipe.chunks = [];
      pipe.total = 0;
      pipe.limit = side.inflate ? this.maxMessageSize - this.inflated : Infinity;
      pipe.finish = () => {
        pipe.finish = null;
        side.busy = false;
        release();
        this.complete(side, pipe, fin, resolve, reject);
      };
      pipe.z.write(data);
      if (side.inflate && fin) pipe.z.write(TRAILER);
      pipe.z.flush(zlib.constants.Z_SYNC_FLUSH, () => pipe.finish?.());
    });
  }

  private complete(side: Side, pipe: Pipe, fin: boolean, resolve: (b: Buffer) => void, reject: (e: Error) => void): void {
    const { chunks, total, failure } = pipe;
    pipe.chunks = [];
    if (failure !== null) {
      side.held = null;
      pipe.z.destroy();
      if (side.inflate) this.inboundFailure = failure;
      reject(failure);
      return;
    }
    if (this.closed) {
      this.drop(side);
      reject(wsError('WSFRAME_ERR_DEFLATE_CLOSED', 'permessage-deflate was closed'));
      return;
    }
    let out = concat(chunks, total);
    if (side.inflate) this.inflated = fin ? 0 : this.inflated + total;
    else if (fin) out = out.subarray(0, out.length - 4);
    if (fin && side.noContextTakeover) {
      side.held = null;
      recycle(pipe);
    }
    resolve(out);
  }

  private drop(side: Side): void {
    const pipe = side.held;
    side.held = null;
    if (pipe === null) return;
    // A stream between fragments of a message holds state: never return it to the pool.
    pipe.z.close();
  }
}
