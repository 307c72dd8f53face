/**
 * The codec mode of the register entry: ws's Receiver and Sender, subclassed so that their hot
 * paths run on wsframe's FrameReader and FrameWriter while everything ws can observe stays ws's:
 * the same events with the same arguments, the same error objects (class, `code`, message, close
 * code under ws's own kStatusCode symbol), the same limits, and ws's own classes for anything the
 * fast path does not cover.
 *
 * Built per copy of ws (its lib directory), because the subclasses extend that copy's classes and
 * use its private symbols. What falls back to ws's own code, and why:
 * - per connection, the whole receiver: permessage-deflate negotiated (ws inflates asynchronously,
 *   frame by frame), `allowSynchronousEvents: false` (ws defers events with setImmediate),
 *   `skipUTF8Validation: true` (the reader always validates), `binaryType: 'fragments'` at open;
 * - per call, the sender: compression, Blob data, fragmented sends (`fin: false`), messages over
 *   FAST_SEND_MAX (framed by ws, but still written with the tick's other frames), and whatever ws
 *   has queued (its send queue is busy while it deflates or reads a Blob); ping, pong and close
 *   always use ws's own code (rare, and they carry ws's argument checks).
 */
import { Buffer } from 'node:buffer';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { FrameReader } from '../reader.js';
import { FrameWriter } from '../writer.js';
import type { WsFrameError } from '../errors.js';
import type { EncodedFrames } from '../frame-types.js';

/** Counters of connections on the fast path and on ws's own classes (what the tests and bench check). */
export interface CodecStats {
  /** Receivers running on FrameReader. */
  fast: number;
  /** Receivers left to ws's own parser, by reason. */
  fallback: number;
  fallbackReasons: Record<string, number>;
  /** Messages sent by FrameWriter / by ws's own Sender code. */
  fastSends: number;
  wsSends: number;
}

export const stats: CodecStats = { fast: 0, fallback: 0, fallbackReasons: {}, fastSends: 0, wsSends: 0 };

// The parts of ws's internals the subclasses touch (ws 8.x lib/*.js).
interface WsReceiverOptions {
  allowSynchronousEvents?: boolean;
  binaryType?: string;
  extensions?: Record<string, unknown>;
  isServer?: boolean;
  maxBufferedChunks?: number;
  maxFragments?: number;
  maxPayload?: number;
  skipUTF8Validation?: boolean;
}
interface WsReceiver extends NodeJS.WritableStream {
  _binaryType: string;
  _write(chunk: Buffer, encoding: string, cb: (err?: Error) => void): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  end(): this;
}
type WsReceiverClass = new (options?: WsReceiverOptions) => WsReceiver;
interface WsSender {
  _state: number;
  _firstFragment: boolean;
  _extensions: Record<string, unknown>;
  _socket: Duplex;
  send(data: unknown, options: { binary?: boolean; compress?: boolean; fin?: boolean; mask?: boolean }, cb?: (err?: Error | null) => void): void;
}
type WsSenderClass = new (socket: Duplex, extensions?: Record<string, unknown>, generateMask?: (mask: Buffer) => void) => WsSender;

export interface WsCodec {
  Receiver: WsReceiverClass;
  Sender: WsSenderClass;
}

const EXTENSION = 'permessage-deflate';
/**
 * Largest message (bytes, or UTF-16 units of a string) the sender frames with FrameWriter. Larger
 * ones go to ws's own code, which writes the header and the caller's payload without copying: the
 * writer copies payloads up to 16 KiB into its slabs, and at 16 KiB echo that copy and the fresh
 * 64 KiB slab every four frames cost more than ws's cork + writev (bench/dropin.mjs).
 */
const FAST_SEND_MAX = 4096;
/** ws's `maxPayload: 0` and `maxFragments: 0` mean no limit. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

function fallbackReason(o: WsReceiverOptions): string | undefined {
  if (o.extensions !== undefined && o.extensions[EXTENSION] !== undefined) return 'permessage-deflate';
  if (o.allowSynchronousEvents === false) return 'allowSynchronousEvents: false';
  if (o.skipUTF8Validation === true) return 'skipUTF8Validation';
  if (o.binaryType === 'fragments') return "binaryType 'fragments'";
  return undefined;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** ws's error for a reader error: [constructor, message, ws code, close code]. */
function wsErrorFor(err: WsFrameError): [RangeErrorConstructor | ErrorConstructor, string, string, number] {
  const m = err.message;
  const num = (re: RegExp) => re.exec(m)?.[1] ?? '';
  const frame = (text: string) => `Invalid WebSocket frame: ${text}`;
  switch (err.code) {
    case 'WS_ERR_INVALID_UTF8':
      return [Error, frame('invalid UTF-8 sequence'), 'WS_ERR_INVALID_UTF8', 1007];
    case 'WS_ERR_UNEXPECTED_RSV_2_3':
      return [RangeError, frame('RSV2 and RSV3 must be clear'), err.code, 1002];
    case 'WS_ERR_UNEXPECTED_RSV_1':
      return [RangeError, frame('RSV1 must be clear'), err.code, 1002];
    case 'WS_ERR_UNEXPECTED_CONTINUATION':
      return [RangeError, frame('invalid opcode 0'), 'WS_ERR_INVALID_OPCODE', 1002];
    case 'WS_ERR_EXPECTED_CONTINUATION':
      // ws names the new frame's opcode (1 or 2); the reader's error does not carry it.
      return [RangeError, frame('invalid opcode (a data frame inside a fragmented message)'), 'WS_ERR_INVALID_OPCODE', 1002];
    case 'WS_ERR_INVALID_OPCODE':
      return [RangeError, frame(`invalid opcode ${num(/invalid opcode (\d+)/)}`), err.code, 1002];
    case 'WS_ERR_EXPECTED_FIN':
      return [RangeError, frame('FIN must be set'), err.code, 1002];
    case 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH':
      return [RangeError, frame(`invalid payload length ${num(/length code (\d+)/) || '1'}`), err.code, 1002];
    case 'WS_ERR_EXPECTED_MASK':
      return [RangeError, frame('MASK must be set'), err.code, 1002];
    case 'WS_ERR_UNEXPECTED_MASK':
      return [RangeError, frame('MASK must be clear'), err.code, 1002];
    case 'WS_ERR_INVALID_CLOSE_CODE':
      return [RangeError, frame(`invalid status code ${num(/close code (\d+)/)}`), err.code, 1002];
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH':
      // ws reports any length word above 2^53 - 1 (top bit set included) as 1009.
      return [RangeError, 'Unsupported WebSocket frame: payload length > 2^53 - 1', err.code, 1009];
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
    case 'WS_ERR_BUFFERED_LIMIT':
      // maxBufferedBytes is maxPayload + 14 here: holding more means the message is too big.
      return [RangeError, 'Max payload size exceeded', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009];
    case 'WS_ERR_TOO_MANY_FRAGMENTS':
      return [RangeError, 'Too many message fragments', 'WS_ERR_TOO_MANY_BUFFERED_PARTS', 1008];
    default:
      return [err instanceof RangeError ? RangeError : Error, m, err.code, err.closeCode ?? 1002];
  }
}

const codecs = new Map<string, WsCodec>();

/** The codec classes for the ws whose lib directory is `wsLib` (built once per copy of ws). */
export function codecFor(wsLib: string): WsCodec {
  let codec = codecs.get(wsLib);
  if (codec === undefined) {
    codec = build(wsLib);
    codecs.set(wsLib, codec);
  }
  return codec;
}

function build(wsLib: string): WsCodec {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const OrigReceiver = require(join(wsLib, 'receiver.js')) as WsReceiverClass;
  const OrigSender = require(join(wsLib, 'sender.js')) as WsSenderClass;
  const constants = require(join(wsLib, 'constants.js')) as { kStatusCode: symbol; EMPTY_BUFFER: Buffer };
  const { toArrayBuffer } = require(join(wsLib, 'buffer-util.js')) as { toArrayBuffer(b: Buffer): ArrayBuffer };
  const { kStatusCode, EMPTY_BUFFER } = constants;

  class Receiver extends OrigReceiver {
    /** null: this connection uses ws's own parser (see fallbackReason). */
    private readonly _wsf: FrameReader | null;
    private _wsfError: Error | null = null;

    constructor(options: WsReceiverOptions = {}) {
      super(options);
      const reason = fallbackReason(options);
      if (reason !== undefined) {
        this._wsf = null;
        stats.fallback++;
        stats.fallbackReasons[reason] = (stats.fallbackReasons[reason] ?? 0) + 1;
        return;
      }
      stats.fast++;
      const maxPayload = options.maxPayload! | 0;
      const maxFragments = options.maxFragments! | 0;
      this._wsf = new FrameReader(
        {
          role: options.isServer ? 'server' : 'client',
          maxMessageSize: maxPayload > 0 ? maxPayload : UNLIMITED,
          maxFragments: maxFragments > 0 ? maxFragments : UNLIMITED,
          textAs: 'bytes',
        },
        {
          onMessage: (data, isBinary) => this._wsfMessage(data as Uint8Array, isBinary),
          onPing: (p) => this.emit('ping', asBuffer(p)),
          onPong: (p) => this.emit('pong', asBuffer(p)),
          onClose: (code, reason) => {
            // ws: 'conclude' with the reason's bytes, then end the writable side.
            this.emit('conclude', code, reason === '' ? EMPTY_BUFFER : Buffer.from(reason, 'utf8'));
            this.end();
          },
          onError: (err) => {
            const [Ctor, message, code, status] = wsErrorFor(err);
            const e = new Ctor(message) as Error & { code: string; [k: symbol]: number };
            e.code = code;
            e[kStatusCode] = status;
            this._wsfError = e;
          },
        },
      );
    }

    override _write(chunk: Buffer, encoding: string, cb: (err?: Error) => void): void {
      const reader = this._wsf;
      if (reader === null) {
        super._write(chunk, encoding, cb);
        return;
      }
      reader.push(chunk);
      const err = this._wsfError;
      if (err === null) {
        cb();
        return;
      }
      // Reported once, through the write callback as ws does (the stream then emits 'error').
      this._wsfError = null;
      cb(err);
    }

    private _wsfMessage(data: Uint8Array, isBinary: boolean): void {
      const buf = asBuffer(data);
      if (!isBinary) {
        this.emit('message', buf, false);
        return;
      }
      const type = this._binaryType;
      let out: unknown = buf;
      if (type === 'arraybuffer') out = toArrayBuffer(buf);
      else if (type === 'blob') out = new Blob([buf]);
      else if (type === 'fragments') out = [buf];
      this.emit('message', out, true);
    }
  }

  class Sender extends OrigSender {
    private readonly _wsfServer: FrameWriter;
    private _wsfClient: FrameWriter | null = null;
    private readonly _wsfGenerateMask: ((mask: Buffer) => void) | undefined;
    /** The socket is corked until the end of this tick (see send). */
    _wsfCorked = false;

    constructor(socket: Duplex, extensions?: Record<string, unknown>, generateMask?: (mask: Buffer) => void) {
      super(socket, extensions, generateMask);
      this._wsfServer = new FrameWriter({ role: 'server' });
      this._wsfGenerateMask = generateMask;
      // ws.terminate() destroys the socket at once; with ws's own sender, frames sent earlier in
      // the same tick were already handed to the kernel. Flush the tick's cork first to match.
      const sender = this;
      const destroy = socket.destroy;
      socket.destroy = function (this: Duplex, err?: Error) {
        if (sender._wsfCorked) uncork(sender);
        return destroy.call(this, err);
      };
    }

    private _wsfClientWriter(): FrameWriter {
      if (this._wsfClient === null) {
        const gen = this._wsfGenerateMask;
        const keyBuf = Buffer.alloc(4);
        // ws's generateMask fills 4 key bytes; the writer takes them as a little-endian u32.
        this._wsfClient = new FrameWriter(gen === undefined ? { role: 'client' } : { role: 'client', maskKey: () => (gen(keyBuf), keyBuf.readUInt32LE(0)) });
      }
      return this._wsfClient;
    }

    override send(data: unknown, options: { binary?: boolean; compress?: boolean; fin?: boolean; mask?: boolean }, cb?: (err?: Error | null) => void): void {
      const size = typeof data === 'string' ? data.length : ArrayBuffer.isView(data) || data instanceof ArrayBuffer ? data.byteLength : -1;
      if (this._state !== 0 || !options.fin || !this._firstFragment || this._extensions[EXTENSION] !== undefined || size < 0) {
        stats.wsSends++;
        super.send(data, options, cb);
        return;
      }
      const socket = this._socket;
      if (!this._wsfCorked) {
        // Every frame sent in this tick leaves in one writev: an echo or broadcast server answers
        // a whole TCP read's worth of messages synchronously, and a write syscall per message was
        // the largest cost left. end() and destroy() flush or drop a corked socket.
        this._wsfCorked = true;
        socket.cork();
        process.nextTick(uncork, this);
      }
      if (size > FAST_SEND_MAX) {
        // ws frames it (its header, the caller's payload uncopied); its own cork/uncork nests
        // inside this tick's, so the frame still leaves with the others.
        stats.wsSends++;
        super.send(data, options, cb);
        return;
      }
      stats.fastSends++;
      const w = options.mask ? this._wsfClientWriter() : this._wsfServer;
      let frames: EncodedFrames;
      if (typeof data === 'string') frames = options.binary ? w.binary(Buffer.from(data, 'utf8')) : w.text(data);
      else frames = w.binary(data as ArrayBufferView | ArrayBuffer, options.binary ? undefined : { binary: false });
      if (!Array.isArray(frames)) {
        socket.write(frames, cb);
        return;
      }
      for (let i = 0; i < frames.length - 1; i++) socket.write(frames[i]);
      socket.write(frames[frames.length - 1], cb);
    }
  }

  function uncork(sender: Sender): void {
    sender._wsfCorked = false;
    sender._socket.uncork();
  }

  return { Receiver, Sender };
}
