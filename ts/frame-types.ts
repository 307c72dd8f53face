/**
 * The contracts between the I/O-agnostic codec (FrameReader: bytes in, events out; FrameWriter:
 * messages in, bytes out) and whatever drives it: the socket layer, benchmarks, fuzzers and the
 * conformance tests. Both sides are written against these types.
 */
import type { WsFrameError } from './errors.js';
import { wsError } from './errors.js';
import type { BackendName } from './backend.js';

/** A server reads masked frames and writes unmasked ones; a client the reverse (RFC 6455 §5.1). */
export type Role = 'server' | 'client';

/** The `role` option of the reader and the writer, checked the same way for both. */
export function checkRole(role: unknown, name = 'role'): Role {
  if (role !== 'server' && role !== 'client') {
    throw wsError('ERR_INVALID_ARG_VALUE', `The "${name}" option must be 'server' or 'client'. Received ${String(role)}`);
  }
  return role;
}

export const OPCODE = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

export interface ReaderLimits {
  /** Largest message (sum of its fragments' payloads, after inflation when compressed). Default 100 MiB, like ws. */
  maxMessageSize?: number;
  /** Most frames one message may span. Default 65536. */
  maxFragments?: number;
  /**
   * Most bytes the reader holds while a frame is incomplete (a partial header or payload waiting for
   * more input, plus a message being assembled from fragments). Default: maxMessageSize + 14.
   */
  maxBufferedBytes?: number;
}

export interface ReaderOptions extends ReaderLimits {
  role: Role;
  /** RSV1 is legal on the first frame of a data message (permessage-deflate was negotiated). */
  allowRsv1?: boolean;
  /** Deliver text as a JS string (default) or as the UTF-8 bytes (validated either way). */
  textAs?: 'string' | 'bytes';
  /**
   * Which kernel backend unmasks and validates (default: the active one). For differential tests
   * and benchmarks; throws WSFRAME_ERR_BACKEND_UNAVAILABLE if that backend cannot load.
   */
  backend?: BackendName;
}

/**
 * The reader's callbacks, called synchronously from `push`/`received`, in stream order. Payloads
 * handed to callbacks are the caller's to keep: they are never overwritten by the reader later
 * (the reader copies out of any buffer it reuses, and documents where it hands out a view).
 */
export interface ReaderHandlers {
  /** A complete data message. `data` is a string for text (unless textAs is 'bytes'). */
  onMessage(data: string | Uint8Array, isBinary: boolean): void;
  /**
   * A complete message whose first frame had RSV1 (permessage-deflate): the still-compressed payload,
   * unvalidated. Only when `allowRsv1`; the extension layer inflates, validates and delivers it.
   */
  onCompressedMessage?(data: Uint8Array, isBinary: boolean): void;
  onPing(payload: Uint8Array): void;
  onPong(payload: Uint8Array): void;
  /** A close frame: its code (1005 when it had no payload) and UTF-8 reason. */
  onClose(code: number, reason: string): void;
  /**
   * A protocol violation or limit: `err.code` is stable (e.g. WS_ERR_INVALID_UTF8) and
   * `err.closeCode` is the close code to send (1002, 1007, 1009). The reader stops: later input is ignored.
   */
  onError(err: WsFrameError): void;
}

export interface WriterOptions {
  role: Role;
  /**
   * Client role: where masking keys come from. Default: a pooled CSPRNG (crypto.randomFillSync over a
   * pool). A function returning a u32 key can be supplied (tests, or a key source of your own).
   */
  maskKey?: () => number;
}

/** Per-message options of the writer. */
export interface SendOptions {
  /** Binary (default for non-string data) or text (default for strings). */
  binary?: boolean;
  /** Set RSV1 on the first frame (the payload is already deflated by the extension layer). */
  compressed?: boolean;
  /** Split into frames of at most this many payload bytes (default: one frame). */
  fragmentSize?: number;
  /** FIN on the last frame (default true). False starts or continues a message streamed in parts. */
  fin?: boolean;
}

/**
 * What the writer produces: small frames as one buffer, large ones as [header, payload] so the
 * payload is not copied (write with writev / cork). Never aliases memory the writer reuses later.
 */
export type EncodedFrames = Uint8Array | Uint8Array[];
