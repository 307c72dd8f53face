/**
 * FrameReader: a streaming RFC 6455 frame parser. Bytes go in (chunks of any size, split anywhere),
 * events come out through the handlers, synchronously and in stream order.
 *
 * Hot path: one pass over each chunk. A frame that lies wholly inside the chunk is parsed from the
 * chunk itself (no bookkeeping copies); its payload is unmasked in place and, for small payloads,
 * checked for ASCII in the same loop, then handed out as a view or decoded straight from the chunk
 * (runs of small ASCII texts with one decode for the run, see wholeMessages). A frame cut by a
 * chunk boundary is buffered: its header in a 14-byte array, its payload copied-and-unmasked into a
 * buffer sized from the header (one pass for both), or on the socket path read straight into it.
 * The frames of a fragmented message are kept (binary) or gathered in a reused scratch (text) and
 * joined once. Measurements behind these choices: docs/design/reader.md.
 *
 * Ownership (see docs/reader.md):
 * - `push(chunk)` takes the chunk over: the reader unmasks it IN PLACE and hands out binary payloads
 *   (and pings/pongs) as VIEWS into it, as ws does. Do not reuse or modify a pushed chunk.
 * - `receiveBuffer()` / `received(n)`: the reader owns and reuses its receive buffer, so everything
 *   it hands out from there is COPIED first (strings are always fresh copies anyway).
 * - A message joined from several frames, or a frame cut by a chunk boundary, is delivered in a
 *   buffer of its own, never reused by the reader.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import type { Backend } from './backend.js';
import { UTF8_ACCEPT, UTF8_REJECT } from './backend.js';
import { nodeIsAscii as isAscii, rotateKey, xorRange } from './backend-js.js';
import { isValidCloseCode } from './close-codes.js';
import { invalidArgType, wsError } from './errors.js';
import type { ErrorCode } from './errors.js';
import type { ReaderHandlers, ReaderOptions } from './frame-types.js';
import { unmaskRange, utf8Range } from './reader-bytes.js';
import { resolveReaderOptions } from './reader-options.js';
import { active, getBackend } from './select.js';

/** Payloads up to this size are unmasked and validated by inline JS loops (no view, no call). */
const INLINE_MAX = 512;
/** Pieces below this are copied and unmasked by a byte loop rather than a kernel call. */
const COPY_INLINE_MAX = 64;
/**
 * A frame cut by a chunk boundary gets its whole payload buffer at once up to this size; beyond it
 * the buffer starts here and doubles as bytes arrive, so a 14-byte header claiming 100 MiB cannot
 * make the reader commit 100 MiB before the peer sends it.
 */
const PREALLOC_MAX = 256 * 1024;
/**
 * Most bytes of a chunk decoded at once for a run of ASCII texts, and most messages per run. A
 * message string is a substring of that decode, so it keeps at most this many bytes' worth of
 * characters alive (like a Buffer view keeps its pool slab).
 */
const BATCH_SPAN = 4096;
const BATCH_MAX = 256;
/** The text scratch is dropped after a message that grew it beyond this. */
const TEXT_SCRATCH_KEEP = 1024 * 1024;
/** Size of the buffer `receiveBuffer()` hands to the socket. */
const RECEIVE_SIZE = 64 * 1024;
/**
 * Payloads copied out of the receive buffer go to a slab that follows it in the same ArrayBuffer,
 * so the copy is one `copyWithin` (no view, no pool bookkeeping) and the handed-out view is the only
 * object made. A handed-out view keeps its whole arena (receive buffer + slab) alive, as a Buffer
 * view keeps Node's pool slab alive. A new arena is taken when less than one read's worth is left.
 */
const SLAB_SIZE = 192 * 1024;
/** A payload still lacking at least this much is read by the socket straight into its own buffer. */
const DIRECT_MIN = 16 * 1024;

/** Node's Buffer methods that decode a range without creating a view (present since Node 0.x). */
interface SliceBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const EMPTY = Buffer.alloc(0) as SliceBuffer;

/**
 * Decodes validated UTF-8 `buf[s, e)`; `view` is the same bytes as a view, when one exists.
 * Pure-ASCII text (simdutf's isAscii, Node >= 18.15) decodes with latin1Slice, about twice as fast
 * as utf8Slice on large payloads, for far less than the difference.
 */
function decodeText(buf: SliceBuffer, s: number, e: number, view: Uint8Array): string {
  return isAscii !== undefined && isAscii(view) ? buf.latin1Slice(s, e) : buf.utf8Slice(s, e);
}
const NO_WORDS = new Int32Array(0);

function asBuffer(chunk: Uint8Array): SliceBuffer {
  return (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)) as SliceBuffer;
}

export class FrameReader {
  private readonly handlers: ReaderHandlers;
  private readonly server: boolean;
  private readonly allowRsv1: boolean;
  private readonly textAsString: boolean;
  private readonly maxMessageSize: number;
  private readonly maxFragments: number;
  private readonly maxBufferedBytes: number;
  private readonly kernels: Backend;
  /** The JS backend's own validator is slower than Node's simdutf for whole payloads. */
  private readonly nodeUtf8: boolean;

  /** Set by an error or a close frame: later input is ignored. */
  private stopped = false;

  /** Int32Array over the whole ArrayBuffer of the chunk being parsed (for unmaskRange). */
  private wordsOf: ArrayBufferLike | null = null;
  private words: Int32Array = NO_WORDS;

  /** A header cut by a chunk boundary: its bytes so far. */
  private readonly head = new Uint8Array(14);
  private headLen = 0;

  // The frame whose header was parsed last.
  private fin = false;
  private opcode = 0;
  private rsv1 = false;
  private key = 0;
  private length = 0;

  // Its payload when cut by a chunk boundary: the buffer being filled and how much has arrived.
  private inPayload = false;
  private partial: SliceBuffer = EMPTY;
  private got = 0;

  // The data message being assembled (msgOpcode 0: none).
  private msgOpcode = 0;
  private msgCompressed = false;
  private msgFrames = 0;
  private msgBytes = 0;
  private pieces: Buffer[] = [];
  private utf8 = UTF8_ACCEPT;

  /** The receive buffer [0, RECEIVE_SIZE) followed by the copy-out slab; see SLAB_SIZE. */
  private arena: SliceBuffer | null = null;
  private recv: SliceBuffer | null = null;
  private slabPos = 0;
  /** What the last receiveBuffer() returned when it was a large payload's own buffer (directTarget). */
  private direct: SliceBuffer | undefined = undefined;

  /**
   * Text messages of several frames are gathered here (reused) and decoded once; so are the
   * fragments of a bytes message that fill little of their chunks (addPiece), then copied out.
   */
  private textBuf: SliceBuffer = EMPTY;
  private textLen = 0;
  /** A fragmented message kept as bytes is being gathered in textBuf, not held as pieces (addPiece). */
  private gatherInScratch = false;
  /** Every piece of the text message so far was seen to be pure ASCII (false: unknown or not). */
  private textAscii = true;

  /** Offsets of the ASCII text payloads batched by wholeMessages (see flushText). */
  private readonly batchStarts = new Int32Array(BATCH_MAX);
  private readonly batchEnds = new Int32Array(BATCH_MAX);

  constructor(options: ReaderOptions, handlers: ReaderHandlers) {
    const o = resolveReaderOptions(options, handlers);
    this.handlers = handlers;
    this.server = o.server;
    this.allowRsv1 = o.allowRsv1;
    this.textAsString = o.textAsString;
    this.maxMessageSize = o.maxMessageSize;
    this.maxFragments = o.maxFragments;
    this.maxBufferedBytes = o.maxBufferedBytes;
    this.kernels = options.backend === undefined ? active : getBackend(options.backend);
    this.nodeUtf8 = this.kernels.name === 'js' && typeof isUtf8 === 'function';
  }

  /** The name of the kernel backend this reader uses. */
  get backend(): string {
    return this.kernels.name;
  }

  /**
   * Bytes the reader holds for input not yet delivered: a header cut by a chunk boundary, the
   * buffer of a payload cut by one, and the fragments of a message being assembled. Bounded by
   * `maxBufferedBytes` plus one control frame (125 bytes) that may arrive between fragments.
   */
  get bufferedBytes(): number {
    let n = this.headLen + this.textLen + (this.inPayload ? this.partial.length : 0);
    const pieces = this.pieces;
    for (let i = 0; i < pieces.length; i++) n += pieces[i].length;
    return n;
  }

  /** True once an error or a close frame stopped the reader. */
  get closed(): boolean {
    return this.stopped;
  }

  /**
   * Parses the next chunk. The reader takes the chunk over: it unmasks it in place and may hand out
   * views into it (binary messages, pings, pongs) or keep views until a fragmented message is
   * complete. Do not modify or reuse a chunk after pushing it.
   */
  push(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) throw invalidArgType('chunk', 'an instance of Buffer or Uint8Array', chunk);
    if (this.stopped) return;
    const buf = asBuffer(chunk);
    this.consume(buf, 0, buf.length, true);
  }

  /**
   * The buffer the socket should read into next (for `net.Socket`'s `onread.buffer`), then call
   * `received(n)`. Usually the reader's reused receive buffer; while a large payload is incomplete,
   * the rest of that payload's own buffer (so the socket reads straight into the message). Its
   * length varies: read at most its length, and ask again before every read.
   */
  receiveBuffer(): Uint8Array {
    if (!this.stopped) {
      const direct = this.directTarget();
      this.direct = direct;
      if (direct !== undefined) return direct;
    }
    if (this.recv === null || this.arena!.length - this.slabPos < RECEIVE_SIZE) {
      const arena = Buffer.allocUnsafeSlow(RECEIVE_SIZE + SLAB_SIZE) as SliceBuffer;
      this.arena = arena;
      this.recv = arena.subarray(0, RECEIVE_SIZE) as SliceBuffer;
      this.slabPos = RECEIVE_SIZE;
    }
    return this.recv;
  }

  /** Parses the `n` bytes just read into `receiveBuffer()`. Everything handed out is a copy. */
  received(n: number): void {
    const direct = this.direct;
    const max = direct !== undefined ? direct.length : this.arena === null ? 0 : RECEIVE_SIZE;
    if (!Number.isInteger(n) || n < 0 || n > max) {
      throw invalidArgType('n', `an integer in [0, ${max}] (the length of the last receiveBuffer())`, n);
    }
    if (this.stopped) return;
    if (direct !== undefined) {
      this.direct = undefined;
      this.partialArrived(n, true);
      return;
    }
    this.consume(this.arena!, 0, n, false);
  }

  // -------------------------------------------------------------------------------------------
  // The loop over a chunk. `owned`: the bytes are the caller's pushed chunk (views may be handed out).

  private consume(buf: SliceBuffer, pos: number, end: number, owned: boolean): void {
    while (pos < end && !this.stopped) {
      if (this.inPayload) {
        pos = this.payloadPart(buf, pos, end);
        continue;
      }
      let start: number;
      if (this.headLen === 0) {
        if (this.msgOpcode === 0) {
          pos = this.wholeMessages(buf, pos, end, owned);
          if (pos === end || this.stopped) return;
        }
        const hl = this.header(buf, pos, end - pos);
        if (hl < 0) return;
        if (hl === 0) {
          this.head.set(buf.subarray(pos, end));
          this.headLen = end - pos;
          return;
        }
        start = pos + hl;
      } else {
        // A header cut by the previous chunk: top it up and parse it from the small array.
        const had = this.headLen;
        const take = Math.min(14 - had, end - pos);
        for (let i = 0; i < take; i++) this.head[had + i] = buf[pos + i];
        const hl = this.header(this.head, 0, had + take);
        if (hl < 0) return;
        if (hl === 0) {
          this.headLen = had + take;
          return;
        }
        this.headLen = 0;
        start = pos + hl - had;
      }
      const len = this.length;
      if (end - start >= len) {
        pos = start + len;
        this.frame(buf, start, pos, owned);
      } else {
        this.beginPartial();
        pos = start;
      }
    }
  }

  /**
   * Parses and checks the header at `src[p, p + avail)`: its length in bytes, 0 when more bytes are
   * needed, -1 after reporting an error. Rules that need only the first two bytes are checked as
   * soon as they are present, so the error does not wait for the rest of the header.
   */
  private header(src: Uint8Array, p: number, avail: number): number {
    if (avail < 2) return 0;
    const b0 = src[p];
    const b1 = src[p + 1];
    const op = b0 & 0x0f;
    const fin = b0 >= 0x80;
    const rsv1 = (b0 & 0x40) !== 0;
    let len = b1 & 0x7f;
    // The order of the checks decides which error a frame breaking several rules reports: ws's order.
    if ((b0 & 0x30) !== 0) return this.fail('WS_ERR_UNEXPECTED_RSV_2_3', 'RSV2 and RSV3 must be clear (no extension defines them)');
    if (rsv1 && !this.allowRsv1) return this.fail('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear (no extension negotiated)');
    if (op === 0) {
      if (rsv1) return this.fail('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear on a continuation frame');
      if (this.msgOpcode === 0) return this.fail('WS_ERR_UNEXPECTED_CONTINUATION', 'continuation frame without a message to continue');
    } else if (op <= 2) {
      if (this.msgOpcode !== 0) return this.fail('WS_ERR_EXPECTED_CONTINUATION', 'a new data frame inside a fragmented message (expected a continuation frame)');
    } else if (op >= 8 && op <= 10) {
      if (!fin) return this.fail('WS_ERR_EXPECTED_FIN', 'FIN must be set on a control frame (control frames cannot be fragmented)');
      if (rsv1) return this.fail('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear on a control frame');
      if (len > 125) return this.fail('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', `a control frame payload must be at most 125 bytes (length code ${len})`);
      if (op === 8 && len === 1) return this.fail('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 'a close frame payload must be empty or at least 2 bytes (got 1 byte)');
    } else {
      return this.fail('WS_ERR_INVALID_OPCODE', `invalid opcode ${op} (reserved ${op < 8 ? 'data' : 'control'} opcode)`);
    }
    const masked = b1 >= 0x80;
    if (masked !== this.server) {
      return masked
        ? this.fail('WS_ERR_UNEXPECTED_MASK', 'a frame from a server must not be masked')
        : this.fail('WS_ERR_EXPECTED_MASK', 'a frame from a client must be masked');
    }
    let hl = 2;
    if (len === 126) {
      if (avail < 4) return 0;
      len = (src[p + 2] << 8) | src[p + 3];
      hl = 4;
    } else if (len === 127) {
      if (avail < 10) return 0;
      const hi = ((src[p + 2] << 24) | (src[p + 3] << 16) | (src[p + 4] << 8) | src[p + 5]) >>> 0;
      if (hi >= 0x80000000) {
        // RFC 6455 §5.2 requires the bit clear: a protocol error (1002), not a size limit.
        return this.fail('WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 'the most significant bit of a 64-bit payload length must be 0', 1002);
      }
      if (hi > 0x1fffff) return this.fail('WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 'payload length > 2^53 - 1');
      len = hi * 4294967296 + (((src[p + 6] << 24) | (src[p + 7] << 16) | (src[p + 8] << 8) | src[p + 9]) >>> 0);
      hl = 10;
    }
    // Limits are checked from the length alone, before the masking key arrives and before allocating.
    const startsMessage = op === 1 || op === 2;
    if (op < 8) {
      const bytes = startsMessage ? 0 : this.msgBytes;
      if (len > this.maxMessageSize - bytes) {
        return this.fail('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', `message larger than ${this.maxMessageSize} bytes (maxMessageSize)`);
      }
      if ((startsMessage ? 0 : this.msgFrames) >= this.maxFragments) {
        return this.fail('WS_ERR_TOO_MANY_FRAGMENTS', `a message spans more than ${this.maxFragments} frames (maxFragments)`);
      }
    }
    let key = 0;
    if (masked) {
      if (avail < hl + 4) return 0;
      key = (src[p + hl] | (src[p + hl + 1] << 8) | (src[p + hl + 2] << 16) | (src[p + hl + 3] << 24)) >>> 0;
      hl += 4;
    }
    if (op < 8) {
      if (op !== 0) {
        this.msgOpcode = op;
        this.msgCompressed = rsv1;
        this.msgFrames = 0;
        this.msgBytes = 0;
        this.utf8 = UTF8_ACCEPT;
        this.textAscii = true;
      }
      this.msgFrames++;
      this.msgBytes += len;
    }
    this.fin = fin;
    this.opcode = op;
    this.rsv1 = rsv1;
    this.key = key;
    this.length = len;
    return hl;
  }

  /** A frame wholly inside `buf[s, e)`. */
  private frame(buf: SliceBuffer, s: number, e: number, owned: boolean): void {
    const op = this.opcode;
    if (op >= 8) {
      this.controlPayload(this.payloadOf(buf, s, e, this.key, owned));
      return;
    }
    if (!this.fin || op === 0 || this.rsv1) {
      this.fragment(buf, s, e, owned);
      return;
    }
    // A whole message in one frame.
    this.msgOpcode = 0;
    this.message(buf, s, e, op, this.key, owned);
  }

  /**
   * The hot loop: consecutive unfragmented, uncompressed data frames with 7- or 16-bit lengths that
   * lie wholly inside the chunk, parsed with no state kept between them. Returns where it stopped:
   * at anything else (control frame, fragment, bad header, frame cut by the chunk end), which the
   * general path then takes, checks and reports.
   *
   * Pure-ASCII text payloads are not decoded one by one: a run of them (up to BATCH_SPAN bytes of
   * the chunk) is decoded with ONE latin1Slice over the whole range, headers included, and each
   * message is a substring of it (latin1 maps every byte to one character, so byte offsets are
   * string offsets). A native call per message costs far more than a substring.
   */
  private wholeMessages(buf: SliceBuffer, pos: number, end: number, owned: boolean): number {
    const server = this.server;
    const maskBit = server ? 0x80 : 0;
    const keyLen = server ? 4 : 0;
    const batch = this.textAsString;
    const starts = this.batchStarts;
    const ends = this.batchEnds;
    let pending = 0;
    while (end - pos >= 2) {
      const b0 = buf[pos];
      const b1 = buf[pos + 1];
      if ((b0 !== 0x81 && b0 !== 0x82) || (b1 & 0x80) !== maskBit) break;
      let len = b1 & 0x7f;
      let s = pos + 2;
      if (len === 126) {
        if (end - pos < 4) break;
        len = (buf[pos + 2] << 8) | buf[pos + 3];
        s = pos + 4;
      } else if (len === 127) {
        break;
      }
      if (len > this.maxMessageSize) break;
      const e = s + keyLen + len;
      if (e > end) break;
      let key = 0;
      if (server) {
        key = (buf[s] | (buf[s + 1] << 8) | (buf[s + 2] << 16) | (buf[s + 3] << 24)) >>> 0;
        s += 4;
      }
      if (batch && b0 === 0x81 && len <= INLINE_MAX) {
        if (buf.buffer !== this.wordsOf) this.wordsFor(buf);
        if ((unmaskRange(buf, s, e, key, this.words) & 0x80808080) === 0) {
          if (pending === BATCH_MAX || (pending !== 0 && e - starts[0] > BATCH_SPAN)) {
            this.flushText(buf, pending);
            pending = 0;
          }
          starts[pending] = s;
          ends[pending++] = e;
          pos = e;
          continue;
        }
        key = 0; // unmasked already; not ASCII: validated and decoded below
      }
      if (pending !== 0) {
        this.flushText(buf, pending);
        pending = 0;
      }
      pos = e;
      this.message(buf, s, e, b0 & 0x0f, key, owned);
      if (this.stopped) break;
    }
    if (pending !== 0) this.flushText(buf, pending);
    return pos;
  }

  /** Delivers the batched ASCII texts: one decode of their whole span, then substrings. */
  private flushText(buf: SliceBuffer, n: number): void {
    const starts = this.batchStarts;
    const ends = this.batchEnds;
    const base = starts[0];
    const all = buf.latin1Slice(base, ends[n - 1]);
    const onMessage = this.handlers.onMessage;
    for (let i = 0; i < n; i++) onMessage(all.substring(starts[i] - base, ends[i] - base), false);
  }

  /** Delivers the message that is the whole payload `buf[s, e)` of one frame (opcode 1 or 2). */
  private message(buf: SliceBuffer, s: number, e: number, op: number, key: number, owned: boolean): void {
    if (op === 2) {
      this.handlers.onMessage(this.payloadOf(buf, s, e, key, owned), true);
      return;
    }
    let ascii = false;
    if (e - s <= INLINE_MAX) {
      if (buf.buffer !== this.wordsOf) this.wordsFor(buf);
      const acc = unmaskRange(buf, s, e, key, this.words);
      ascii = (acc & 0x80808080) === 0;
      if (!ascii && utf8Range(UTF8_ACCEPT, buf, s, e) !== UTF8_ACCEPT) {
        this.fail('WS_ERR_INVALID_UTF8', 'invalid UTF-8 in a text frame');
        return;
      }
    } else {
      // ASCII first (from the unmask kernel, or simdutf when unmasked): then there is nothing to
      // validate, and the decode below need not ask again.
      const view = buf.subarray(s, e);
      ascii = key !== 0 ? this.kernels.unmaskAscii(view, key) : isAscii !== undefined && isAscii(view);
      if (!ascii && !(this.nodeUtf8 ? isUtf8(view) : this.kernels.isValidUtf8(view))) {
        this.fail('WS_ERR_INVALID_UTF8', 'invalid UTF-8 in a text frame');
        return;
      }
    }
    if (this.textAsString) {
      this.handlers.onMessage(ascii ? buf.latin1Slice(s, e) : buf.utf8Slice(s, e), false);
    } else {
      this.handlers.onMessage(owned ? buf.subarray(s, e) : this.copyOut(buf, s, e), false);
    }
  }

  private wordsFor(buf: Uint8Array): void {
    const ab = buf.buffer;
    this.wordsOf = ab;
    this.words = new Int32Array(ab, 0, ab.byteLength >>> 2);
  }

  /**
   * The unmasked payload `buf[s, e)`, unmasked in place (the reader owns the bytes on both paths):
   * a view into `buf` when `owned` (a pushed chunk), else a copy (the reused receive buffer).
   */
  private payloadOf(buf: SliceBuffer, s: number, e: number, key: number, owned: boolean): Buffer {
    if (key !== 0) {
      if (e - s <= INLINE_MAX) {
        if (buf.buffer !== this.wordsOf) this.wordsFor(buf);
        unmaskRange(buf, s, e, key, this.words);
      } else {
        const view = buf.subarray(s, e);
        this.kernels.unmask(view, key);
        if (owned) return view;
      }
    }
    return owned ? buf.subarray(s, e) : this.copyOut(buf, s, e);
  }

  /** A copy of `buf[s, e)` that the reader never touches again. */
  private copyOut(buf: Buffer, s: number, e: number): Buffer {
    const n = e - s;
    const p = this.slabPos;
    if (buf === this.arena && p + n <= buf.length) {
      buf.copyWithin(p, s, e);
      this.slabPos = p + n;
      return buf.subarray(p, p + n);
    }
    const out = Buffer.allocUnsafe(n);
    buf.copy(out, 0, s, e);
    return out;
  }

  /** `dst[d, d + n) = src[s, s + n)` unmasked with `key` (key byte 0 at `s`): one pass. */
  private copyUnmask(src: Buffer, s: number, dst: Buffer, d: number, n: number, key: number): void {
    if (key === 0) src.copy(dst, d, s, s + n);
    else if (n < COPY_INLINE_MAX) xorRange(src, s, key, dst, d, n);
    else this.kernels.mask(src.subarray(s, s + n), key, dst, d, n);
  }

  /** A frame of a fragmented (or compressed) message, wholly inside `buf[s, e)`. */
  private fragment(buf: SliceBuffer, s: number, e: number, owned: boolean): void {
    if (this.msgOpcode === 1 && !this.msgCompressed && this.textAsString) {
      // Text becomes a string: unmask and validate in place (the reader owns these bytes on both
      // paths), gather in the reader's reused scratch, and decode once after the last frame.
      const n = e - s;
      const key = this.key;
      if (n <= INLINE_MAX) {
        if (buf.buffer !== this.wordsOf) this.wordsFor(buf);
        if ((unmaskRange(buf, s, e, key, this.words) & 0x80808080) !== 0) this.textAscii = false;
        if (!this.validatePiece(buf, s, e)) return;
        this.appendText(buf, s, n, 0);
      } else {
        const view = buf.subarray(s, e);
        if (!this.validateView(view, key !== 0 && this.kernels.unmaskAscii(view, key))) return;
        this.reserveText(n);
        this.textBuf.set(view, this.textLen);
        this.textLen += n;
      }
      this.textFrameDone();
      return;
    }
    const piece = this.payloadOf(buf, s, e, this.key, owned);
    if (this.msgOpcode === 1 && !this.msgCompressed && !this.validatePiece(piece, 0, piece.length)) return;
    this.addPiece(piece);
  }

  /** Feeds `b[s, e)` of a text message to the streaming validator: false (after the error) on invalid bytes. */
  private validatePiece(b: Buffer, s: number, e: number): boolean {
    if (e - s > INLINE_MAX) return this.validateView(b.subarray(s, e));
    const st = utf8Range(this.utf8, b, s, e);
    this.utf8 = st;
    if (st === UTF8_REJECT) {
      this.fail('WS_ERR_INVALID_UTF8', 'invalid UTF-8 in a text message fragment');
      return false;
    }
    return true;
  }

  /**
   * validatePiece over a whole view, with the backend's streaming kernel. `ascii`: the unmask
   * kernel already found every byte below 0x80.
   */
  private validateView(view: Uint8Array, ascii = false): boolean {
    // Pure ASCII at a character boundary is valid and leaves the state as it is: simdutf's isAscii
    // is cheaper than the streaming validator and tells the final decode it may use latin1.
    if (this.utf8 === UTF8_ACCEPT && (ascii || (isAscii !== undefined && isAscii(view)))) return true;
    this.textAscii = false;
    const st = this.kernels.utf8Stream(this.utf8, view);
    this.utf8 = st;
    if (st === UTF8_REJECT) {
      this.fail('WS_ERR_INVALID_UTF8', 'invalid UTF-8 in a text message fragment');
      return false;
    }
    return true;
  }

  /** Appends `src[s, s + n)`, unmasked with `key`, to the text scratch, growing it as needed. */
  private appendText(src: Buffer, s: number, n: number, key: number): void {
    this.reserveText(n);
    this.copyUnmask(src, s, this.textBuf, this.textLen, n, key);
    this.textLen += n;
  }

  /** Makes room for `n` more bytes in the text scratch (doubling, at least 4 KiB). */
  private reserveText(n: number): void {
    const need = this.textLen + n;
    if (need > this.textBuf.length) {
      const next = Buffer.allocUnsafeSlow(Math.max(need, Math.min(this.textBuf.length * 2, this.maxMessageSize), 4096)) as SliceBuffer;
      this.textBuf.copy(next, 0, 0, this.textLen);
      this.textBuf = next;
    }
  }

  /** After a text frame went into the scratch: checks the limit, or delivers the message after the last frame. */
  private textFrameDone(): void {
    if (!this.fin) {
      if (this.msgBytes > this.maxBufferedBytes) {
        this.fail('WS_ERR_BUFFERED_LIMIT', `an incomplete message holds more than ${this.maxBufferedBytes} bytes (maxBufferedBytes)`);
      }
      return;
    }
    const n = this.textLen;
    this.textLen = 0;
    this.msgOpcode = 0;
    const text = this.textAscii ? this.textBuf.latin1Slice(0, n) : decodeText(this.textBuf, 0, n, this.textBuf.subarray(0, n));
    // A scratch grown by one huge message is not kept for the rest of the connection.
    if (this.textBuf.length > TEXT_SCRATCH_KEEP) this.textBuf = EMPTY;
    if (this.utf8 !== UTF8_ACCEPT) {
      this.fail('WS_ERR_INVALID_UTF8', 'a text message ends inside a UTF-8 sequence');
      return;
    }
    this.handlers.onMessage(text, false);
  }

  /** Adds a data frame's complete, unmasked payload to the message; delivers it after the last frame. */
  private addPiece(piece: Buffer): void {
    if (this.msgOpcode === 1 && !this.msgCompressed && this.textAsString) {
      this.appendText(piece, 0, piece.length, 0);
      this.textFrameDone();
      return;
    }
    if (!this.fin) {
      if (this.msgBytes > this.maxBufferedBytes) {
        this.fail('WS_ERR_BUFFERED_LIMIT', `an incomplete message holds more than ${this.maxBufferedBytes} bytes (maxBufferedBytes)`);
        return;
      }
      // The first piece held decides how the message is gathered. Pieces that fill less than half
      // their chunk must not be held as views (see detach): such a message is gathered in the
      // reused scratch and copied out once at the end, which costs one fresh buffer instead of one
      // per fragment plus the join. Large pieces are held as views and joined once, as ws does.
      if (this.pieces.length === 0 && this.textLen === 0) this.gatherInScratch = piece.length * 2 < piece.buffer.byteLength;
      if (this.gatherInScratch) this.appendText(piece, 0, piece.length, 0);
      else this.pieces.push(piece.length * 2 < piece.buffer.byteLength ? this.detach(piece) : piece);
      return;
    }
    const pieces = this.pieces;
    let data: Buffer = piece;
    if (this.textLen !== 0) {
      this.appendText(piece, 0, piece.length, 0);
      const n = this.textLen;
      data = Buffer.allocUnsafe(n);
      this.textBuf.copy(data, 0, 0, n);
      this.textLen = 0;
      if (this.textBuf.length > TEXT_SCRATCH_KEEP) this.textBuf = EMPTY;
    } else if (pieces.length !== 0) {
      pieces.push(piece);
      data = Buffer.concat(pieces, this.msgBytes);
      this.pieces = [];
    }
    const op = this.msgOpcode;
    this.msgOpcode = 0;
    if (this.msgCompressed) {
      this.handlers.onCompressedMessage!(data, op === 2);
    } else if (op === 2) {
      this.handlers.onMessage(data, true);
    } else if (this.utf8 !== UTF8_ACCEPT) {
      this.fail('WS_ERR_INVALID_UTF8', 'a text message ends inside a UTF-8 sequence');
    } else {
      this.handlers.onMessage(this.textAsString ? (data as SliceBuffer).utf8Slice(0, data.length) : data, false);
    }
  }

  /**
   * A copy of a fragment to hold until its message completes. A view into a pushed chunk would keep
   * the whole chunk alive: a 1-byte fragment in a 64 KiB read (the rest pings) would pin 64 KiB
   * while counting 1 byte against maxBufferedBytes. Pieces under half their buffer are copied into
   * memory of their own, so what is held stays within twice what is counted.
   */
  private detach(piece: Buffer): Buffer {
    if (piece.length === 0) return EMPTY;
    const copy = Buffer.allocUnsafeSlow(piece.length);
    piece.copy(copy, 0, 0, piece.length);
    return copy;
  }

  // -------------------------------------------------------------------------------------------
  // Frames cut by a chunk boundary.

  private beginPartial(): void {
    const len = this.length;
    if (this.opcode < 8 && this.msgBytes > this.maxBufferedBytes) {
      this.fail('WS_ERR_BUFFERED_LIMIT', `waiting for a frame would hold more than ${this.maxBufferedBytes} bytes (maxBufferedBytes)`);
      return;
    }
    this.partial = Buffer.allocUnsafe(Math.min(len, PREALLOC_MAX)) as SliceBuffer;
    this.got = 0;
    this.inPayload = true;
  }

  /** Takes the next bytes of a payload cut by a chunk boundary from `buf[pos, end)`. */
  private payloadPart(buf: SliceBuffer, pos: number, end: number): number {
    const got = this.got;
    const len = this.length;
    const n = Math.min(end - pos, len - got);
    if (got + n > this.partial.length) this.grow(got + n);
    this.copyUnmask(buf, pos, this.partial, got, n, this.key === 0 ? 0 : rotateKey(this.key, got));
    this.partialArrived(n, false);
    return this.stopped ? end : pos + n;
  }

  /**
   * `n` more payload bytes are in `partial` at `got` (already unmasked unless `masked`): unmask,
   * validate text, and finish the frame when its payload is complete.
   */
  private partialArrived(n: number, masked: boolean): void {
    const got = this.got;
    const dst = this.partial;
    if (masked && this.key !== 0 && n !== 0) this.kernels.unmask(dst.subarray(got, got + n), rotateKey(this.key, got));
    this.got = got + n;
    if (this.opcode < 8 && this.msgOpcode === 1 && !this.msgCompressed) {
      if (n <= INLINE_MAX) this.textAscii = false; // the small-piece validator does not tell
      if (!this.validatePiece(dst, got, got + n)) return;
    }
    const len = this.length;
    if (this.got === len) {
      this.inPayload = false;
      const payload = dst.length === len ? dst : dst.subarray(0, len);
      this.partial = EMPTY;
      if (this.opcode >= 8) this.controlPayload(payload);
      else this.addPiece(payload);
    }
  }

  /**
   * The rest of a large payload cut by a chunk boundary, as the place the socket reads into next:
   * the bytes land in the message's own buffer, and are unmasked there (no copy out of a receive
   * buffer). Never longer than what the frame still lacks, so the next frame's bytes do not land
   * in it. Undefined when the frame is small or nearly complete.
   */
  private directTarget(): SliceBuffer | undefined {
    const left = this.length - this.got;
    if (!this.inPayload || this.opcode >= 8 || left < DIRECT_MIN) return undefined;
    if (this.partial.length === this.got) this.grow(this.got + Math.min(left, RECEIVE_SIZE));
    return this.partial.subarray(this.got, Math.min(this.length, this.partial.length)) as SliceBuffer;
  }

  /** Doubles the partial payload buffer (capped at the frame length) to hold `need` bytes. */
  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.min(this.length, Math.max(need, this.partial.length * 2))) as SliceBuffer;
    this.partial.copy(next, 0, 0, this.got);
    this.partial = next;
  }

  // -------------------------------------------------------------------------------------------

  private controlPayload(p: Buffer): void {
    const op = this.opcode;
    if (op === 9) {
      this.handlers.onPing(p);
      return;
    }
    if (op === 10) {
      this.handlers.onPong(p);
      return;
    }
    const n = p.length;
    if (n === 0) {
      this.stopped = true;
      this.handlers.onClose(1005, '');
      return;
    }
    const code = (p[0] << 8) | p[1];
    if (!isValidCloseCode(code)) {
      this.fail('WS_ERR_INVALID_CLOSE_CODE', `invalid close code ${code} in a close frame`);
      return;
    }
    if (utf8Range(UTF8_ACCEPT, p, 2, n) !== UTF8_ACCEPT) {
      this.fail('WS_ERR_INVALID_UTF8', 'invalid UTF-8 in a close frame reason');
      return;
    }
    this.stopped = true;
    this.handlers.onClose(code, (p as SliceBuffer).utf8Slice(2, n));
  }

  /** Reports a protocol error, drops everything held and stops. Returns -1 for `header`. */
  private fail(code: ErrorCode, message: string, closeCode?: number): -1 {
    this.stopped = true;
    this.inPayload = false;
    this.partial = EMPTY;
    this.pieces = [];
    this.textLen = 0;
    const err = wsError(code, `Invalid WebSocket frame: ${message}`);
    if (closeCode !== undefined) (err as { closeCode: number | undefined }).closeCode = closeCode;
    this.handlers.onError(err);
    return -1;
  }
}
