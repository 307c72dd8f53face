/**
 * FrameWriter: messages in, bytes out (RFC 6455 §5), with no I/O of its own. A server writes
 * unmasked frames, a client masked ones with keys from a pooled CSPRNG (or `maskKey`).
 *
 * Every result is freshly written memory the writer never touches again, so it can sit in a socket
 * queue for as long as it needs. Small frames come back as one Buffer carved from a slab (one
 * write); a large unmasked payload comes back as [header, payload] without copying the payload
 * (write both with writev, or cork/uncork), and the caller must not modify it until it is written.
 */
import type { EncodedFrames, Role, SendOptions, WriterOptions } from './frame-types.js';
import { OPCODE, checkRole } from './frame-types.js';
import { invalidArgType, outOfRange, wsError } from './errors.js';
import { isValidCloseCode } from './close-codes.js';
import { pooledMaskKey } from './mask-keys.js';
import { LITTLE_ENDIAN, Slab, bufferView } from './frame-slab.js';
import {
  FIN, RSV1, SLAB_BYTES_MAX, SLAB_SIZE, SLAB_TEXT_MAX_UNITS,
  appendServerBytes, lengthFieldSize, putHeader, putKey,
} from './frame-encode.js';
import { bytesOf as viewOf } from './bytes.js';
import { maskBytes, xorWords } from './backend-js.js';
import { active } from './select.js';
import { isValidUtf8 } from './kernels.js';

/** Data a message can carry: text, or bytes from any view or buffer. */
export type MessageData = string | ArrayBufferView | ArrayBuffer;

/** Below this payload size the writer masks with JS words over the slab; above, the active kernel. */
const WORD_MASK_MAX = 512;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Message data as bytes (no copy), or a TypeError that says strings are accepted too. */
export function bytesOf(data: unknown, name: string): Uint8Array {
  return viewOf(data, name, 'a string, Buffer, TypedArray, DataView or ArrayBuffer');
}

// One slab and one scratch for every writer in the process. A writer runs synchronously and calls
// no user code (mask keys are drawn first) between reserving slab bytes and handing out their view,
// so sharing them is as safe as owning them, and a connection no longer costs ~79 KiB of its own:
// that mattered for servers with thousands of subscribers (89 KiB vs ws's 17 KiB per connection).
const SHARED_SLAB = new Slab(SLAB_SIZE);
const SHARED_SCRATCH_U8 = new Uint8Array(SLAB_TEXT_MAX_UNITS * 3 + 8);
const SHARED_SCRATCH_I32 = new Int32Array(SHARED_SCRATCH_U8.buffer);

export class FrameWriter {
  readonly role: Role;
  private readonly masked: boolean;
  private readonly nextKey: () => number;
  private readonly slab = SHARED_SLAB;
  /** UTF-8 of a masked text frame goes here first, then is masked word by word into the slab. */
  private readonly scratchU8 = SHARED_SCRATCH_U8;
  private readonly scratchI32 = SHARED_SCRATCH_I32;
  /** True between a frame sent with `fin: false` and the frame that ends its message. */
  private continuing = false;
  /** Where the frame being written starts in the slab (set by openFrame). */
  private frameStart = 0;

  constructor(options: WriterOptions) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    this.role = checkRole(options.role);
    this.masked = this.role === 'client';
    if (options.maskKey !== undefined && typeof options.maskKey !== 'function') {
      throw invalidArgType('options.maskKey', 'a function returning a 32-bit key', options.maskKey);
    }
    this.nextKey = options.maskKey ?? pooledMaskKey;
  }

  /** True while a message started with `fin: false` has not been finished. */
  get inMessage(): boolean {
    return this.continuing;
  }

  /** A text message (or its next part, see `SendOptions.fin`). `opts.binary` sends the UTF-8 as binary. */
  text(str: string, opts?: SendOptions): EncodedFrames {
    if (typeof str !== 'string') throw invalidArgType('str', 'a string', str);
    if (opts === undefined && !this.continuing && str.length <= SLAB_TEXT_MAX_UNITS) {
      // The hot path: one whole text message from a short string.
      return this.shortText(FIN | OPCODE.TEXT, str);
    }
    return this.data(str, opts, false);
  }

  /** A binary message (or its next part). `opts.binary: false` sends the bytes as text (they must be UTF-8). */
  binary(data: ArrayBufferView | ArrayBuffer, opts?: SendOptions): EncodedFrames {
    return this.data(bytesOf(data, 'data'), opts, true);
  }

  /** A message of either kind: text for a string, binary for bytes, unless `opts.binary` says otherwise. */
  message(data: MessageData, opts?: SendOptions): EncodedFrames {
    if (typeof data === 'string') return this.text(data, opts);
    return this.data(bytesOf(data, 'data'), opts, true);
  }

  /** A ping with up to 125 bytes of payload. */
  ping(payload?: MessageData): Buffer {
    return this.control(OPCODE.PING, payload);
  }

  /** A pong with up to 125 bytes of payload (usually the ping's). */
  pong(payload?: MessageData): Buffer {
    return this.control(OPCODE.PONG, payload);
  }

  /**
   * A close frame. Without a code the payload is empty; with one, the code must be sendable
   * (`isValidCloseCode`: 1000-1003, 1007-1014, 3000-4999) and the reason at most 123 bytes of UTF-8.
   */
  close(code?: number, reason?: string | Uint8Array): Buffer {
    if (code === undefined) {
      if (reason !== undefined && reason.length !== 0) {
        throw wsError('WS_ERR_INVALID_CLOSE_REASON', 'A close reason can only be sent with a close code');
      }
      return this.frameFromBytes(FIN | OPCODE.CLOSE, EMPTY);
    }
    if (typeof code !== 'number') throw invalidArgType('code', 'a number', code);
    if (!Number.isInteger(code) || !isValidCloseCode(code)) {
      throw wsError(
        'WS_ERR_INVALID_SEND_CLOSE_CODE',
        `Close code ${code} cannot be sent: it must be 1000-1003, 1007-1014 or 3000-4999 (RFC 6455 §7.4)`,
      );
    }
    let why: Uint8Array = EMPTY;
    if (typeof reason === 'string') why = Buffer.from(reason, 'utf8');
    else if (reason instanceof Uint8Array) {
      if (!isValidUtf8(reason)) throw wsError('WS_ERR_INVALID_CLOSE_REASON', 'The close reason must be valid UTF-8');
      why = reason;
    } else if (reason !== undefined) throw invalidArgType('reason', 'a string or Uint8Array', reason);
    if (why.length > 123) {
      throw wsError('WS_ERR_INVALID_CLOSE_REASON', `The close reason is ${why.length} bytes of UTF-8; at most 123 fit in a close frame`);
    }
    const payload = new Uint8Array(2 + why.length);
    payload[0] = code >>> 8;
    payload[1] = code & 0xff;
    payload.set(why, 2);
    return this.frameFromBytes(FIN | OPCODE.CLOSE, payload);
  }

  private control(opcode: number, payload: MessageData | undefined): Buffer {
    let bytes: Uint8Array;
    if (payload === undefined) bytes = EMPTY;
    else if (typeof payload === 'string') bytes = Buffer.from(payload, 'utf8');
    else bytes = bytesOf(payload, 'payload');
    if (bytes.length > 125) {
      throw wsError('WS_ERR_CONTROL_TOO_LONG', `A control frame carries at most 125 bytes of payload; this one has ${bytes.length}`);
    }
    return this.frameFromBytes(FIN | opcode, bytes);
  }

  /** Everything but the hot path: options, fragments, streamed parts, large payloads. */
  private data(input: string | Uint8Array, opts: SendOptions | undefined, defaultBinary: boolean): EncodedFrames {
    let binary = defaultBinary, compressed = false, fin = true, fragmentSize = 0;
    if (opts !== undefined) {
      if (opts === null || typeof opts !== 'object') throw invalidArgType('opts', 'an object', opts);
      if (opts.binary !== undefined) binary = !!opts.binary;
      if (opts.compressed !== undefined) compressed = !!opts.compressed;
      if (opts.fin !== undefined) fin = !!opts.fin;
      if (opts.fragmentSize !== undefined) {
        fragmentSize = opts.fragmentSize;
        if (!Number.isSafeInteger(fragmentSize) || fragmentSize < 1) {
          throw outOfRange('opts.fragmentSize', 'a positive integer', opts.fragmentSize);
        }
      }
    }
    const first = this.continuing ? OPCODE.CONTINUATION : (binary ? OPCODE.BINARY : OPCODE.TEXT) | (compressed ? RSV1 : 0);
    this.continuing = !fin;
    const bytes = typeof input === 'string'
      ? (fragmentSize === 0 && input.length <= SLAB_TEXT_MAX_UNITS ? undefined : Buffer.from(input, 'utf8'))
      : input;
    if (bytes === undefined) {
      const s = input as string;
      const b0 = (fin ? FIN : 0) | first;
      return this.shortText(b0, s);
    }
    if (fragmentSize === 0 || bytes.length <= fragmentSize) return this.frame((fin ? FIN : 0) | first, bytes);
    const out: Uint8Array[] = [];
    let b0 = first;
    for (let at = 0; at < bytes.length; at += fragmentSize) {
      const end = Math.min(at + fragmentSize, bytes.length);
      if (end === bytes.length && fin) b0 |= FIN;
      const f = this.frame(b0, bytes.subarray(at, end));
      if (Array.isArray(f)) out.push(...f);
      else out.push(f);
      b0 = OPCODE.CONTINUATION;
    }
    return out;
  }

  /** One frame of any size from bytes. */
  private frame(b0: number, src: Uint8Array): EncodedFrames {
    const len = src.length;
    if (len <= SLAB_BYTES_MAX) return this.frameFromBytes(b0, src);
    const key = this.masked ? this.nextKey() : 0;
    const h = lengthFieldSize(len) + (this.masked ? 4 : 0);
    if (!this.masked || key === 0) {
      // Nothing to do to the payload: send the caller's bytes as they are, after a header.
      const head = this.headerOnly(b0, len, key);
      return [head, bufferView(src.buffer, src.byteOffset, len)];
    }
    const out = Buffer.allocUnsafe(h + len);
    putHeader(out, 0, b0, true, len);
    putKey(out, h - 4, key);
    active.mask(src, key >>> 0, out, h, len);
    return out;
  }

  private headerOnly(b0: number, len: number, key: number): Buffer {
    const slab = this.slab;
    slab.reserve(14);
    const start = slab.pos;
    let p = putHeader(slab.u8, start, b0, this.masked, len);
    if (this.masked) {
      putKey(slab.u8, p, key);
      p += 4;
    }
    slab.pos = p;
    return slab.view(start, p);
  }

  /** A frame whose payload (at most SLAB_BYTES_MAX) is copied into the slab, masked for a client. */
  private frameFromBytes(b0: number, src: Uint8Array): Buffer {
    const slab = this.slab;
    const len = src.length;
    if (!this.masked) {
      appendServerBytes(slab, b0, src);
      // appendServerBytes may have moved to a fresh slab; the frame then starts at 0.
      const end = slab.pos;
      return slab.view(end - len - lengthFieldSize(len), end);
    }
    const key = this.nextKey();
    const payload = this.openFrame(b0, len, key);
    const u8 = slab.u8;
    if (len !== 0) {
      if (key === 0) u8.set(src, payload);
      else if (len < 16 || !LITTLE_ENDIAN) maskBytes(src, key, u8, payload, len);
      else if (len <= WORD_MASK_MAX || active.name === 'js') {
        u8.set(src, payload);
        const w = payload >>> 2;
        xorWords(slab.i32, w, slab.i32, w, (len + 3) >>> 2, key | 0);
      } else active.mask(src, key >>> 0, u8, payload, len);
    }
    slab.pos = payload + len;
    return slab.view(this.frameStart, payload + len);
  }

  /**
   * Reserves slab room for a frame and writes its header (and key, for a client) so that the
   * payload starts on a 4-byte boundary, where words of the slab's own Int32Array can copy or mask
   * it (no per-frame typed-array view). Returns the payload's offset; the frame starts at `frameStart`.
   */
  private openFrame(b0: number, len: number, key: number): number {
    const slab = this.slab;
    const masked = this.masked;
    const h = lengthFieldSize(len) + (masked ? 4 : 0);
    // Room for the alignment gap and for word copies' up to 3 bytes past the payload.
    slab.reserve(h + len + 6);
    const payload = (slab.pos + h + 3) & ~3;
    this.frameStart = payload - h;
    const p = putHeader(slab.u8, this.frameStart, b0, masked, len);
    if (masked) putKey(slab.u8, p, key);
    return payload;
  }

  /**
   * A text frame from a short string, either role: UTF-8 into a fixed scratch buffer (the cheapest
   * encoder here: no view to create), then copied word by word into the slab, XORed with the key
   * on the way for a client (a key of 0 for a server is a plain copy).
   */
  private shortText(b0: number, str: string): Buffer {
    const masked = this.masked;
    // The key first: a user's key generator may write frames itself, through the shared scratch.
    const key = masked ? this.nextKey() : 0;
    const len = encoder.encodeInto(str, this.scratchU8).written;
    const payload = this.openFrame(b0, len, key);
    const slab = this.slab;
    if (len !== 0) {
      if (!LITTLE_ENDIAN) maskBytes(this.scratchU8, key, slab.u8, payload, len);
      else if (len <= WORD_MASK_MAX || active.name === 'js' || !masked) xorWords(this.scratchI32, 0, slab.i32, payload >>> 2, (len + 3) >>> 2, key | 0);
      else active.mask(this.scratchU8, key >>> 0, slab.u8, payload, len);
    }
    slab.pos = payload + len;
    return slab.view(this.frameStart, payload + len);
  }
}
