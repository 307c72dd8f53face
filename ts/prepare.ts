/**
 * prepare(): a message encoded once as a complete, unmasked (server) frame, to be written to any
 * number of sockets. Servers never mask (RFC 6455 §5.1), so every client receives the same bytes;
 * encoding per recipient is wasted work.
 */
import { OPCODE } from './frame-types.js';
import { invalidArgType } from './errors.js';
import { Slab } from './frame-slab.js';
import {
  FIN, RSV1, SLAB_BYTES_MAX, SLAB_SIZE, SLAB_TEXT_MAX_UNITS,
  appendServerBytes, appendServerText, lengthFieldSize, putHeader,
} from './frame-encode.js';
import { bytesOf } from './writer.js';
import type { MessageData } from './writer.js';

export interface PrepareOptions {
  /** Binary frame (default for bytes) or text (default for strings). */
  binary?: boolean;
  /**
   * Set RSV1: the payload is already deflated by permessage-deflate. Only valid to share between
   * connections that negotiated no context takeover in the server-to-client direction: with
   * context takeover each connection's inflater expects its own history.
   */
  compressed?: boolean;
}

/**
 * An encoded frame (header + payload, FIN set, unmasked). Frozen; its bytes are its own copy,
 * written once and never reused by wsframe. Do not modify `bytes`: every socket it is written to
 * would see the change.
 */
export class PreparedFrame {
  /** The whole frame as it goes on the wire. */
  readonly bytes: Buffer;
  readonly opcode: number;
  readonly payloadLength: number;
  readonly compressed: boolean;

  /** @internal Use `prepare()`. */
  constructor(bytes: Buffer, opcode: number, payloadLength: number, compressed: boolean) {
    this.bytes = bytes;
    this.opcode = opcode;
    this.payloadLength = payloadLength;
    this.compressed = compressed;
    Object.freeze(this);
  }

  /** True for a binary frame. */
  get binary(): boolean {
    return this.opcode === OPCODE.BINARY;
  }
}

const slab = new Slab(SLAB_SIZE);

/** Encodes `data` once as a server frame (text for strings, binary for bytes, unless `opts.binary`). */
export function prepare(data: MessageData, opts?: PrepareOptions): PreparedFrame {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw invalidArgType('opts', 'an object', opts);
  const isString = typeof data === 'string';
  const binary = opts?.binary !== undefined ? !!opts.binary : !isString;
  const compressed = !!opts?.compressed;
  const opcode = binary ? OPCODE.BINARY : OPCODE.TEXT;
  const b0 = FIN | (compressed ? RSV1 : 0) | opcode;
  if (isString && (data as string).length <= SLAB_TEXT_MAX_UNITS) {
    slab.reserve((data as string).length * 3 + 4);
    const start = slab.pos;
    appendServerText(slab, b0, data as string);
    const bytes = slab.view(start, slab.pos);
    // A slab text frame has a 7-bit or 16-bit length field; read back the length it got.
    const len7 = bytes[1] & 0x7f;
    return new PreparedFrame(bytes, opcode, len7 < 126 ? len7 : (bytes[2] << 8) | bytes[3], compressed);
  }
  const payload = isString ? Buffer.from(data as string, 'utf8') : bytesOf(data, 'data');
  const len = payload.length;
  if (len <= SLAB_BYTES_MAX) {
    slab.reserve(len + 4);
    const start = slab.pos;
    appendServerBytes(slab, b0, payload);
    return new PreparedFrame(slab.view(start, slab.pos), opcode, len, compressed);
  }
  // Large: its own allocation, so a long-lived frame does not pin a shared slab.
  const h = lengthFieldSize(len);
  const bytes = Buffer.allocUnsafeSlow(h + len);
  putHeader(bytes, 0, b0, false, len);
  bytes.set(payload, h);
  return new PreparedFrame(bytes, opcode, len, compressed);
}
