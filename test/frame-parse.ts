/**
 * An independent frame parser for writer tests, written from RFC 6455 §5.2 field by field (no code
 * shared with the writer): it decodes every frame in a byte sequence and fails loudly on anything
 * malformed, including trailing bytes that are not a whole frame.
 */
import { createRequire } from 'node:module';

// ws exports its Receiver from the package root (not typed by @types/ws).
const Receiver = createRequire(import.meta.url)('ws').Receiver as new (opts: object) => import('node:stream').Writable;

export interface ParsedFrame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  /** The masking key's 4 bytes in wire order, when masked. */
  key: number[] | undefined;
  /** The payload with the mask removed. */
  payload: Buffer;
  /** Bytes the length field used: 1, 3 or 9 (7-bit, 16-bit or 64-bit class). */
  lengthBytes: number;
}

/** Concatenates what a writer returned (one buffer, or a list of chunks in write order). */
export function wire(encoded: Uint8Array | Uint8Array[] | (Uint8Array | Uint8Array[])[]): Buffer {
  const flat: Uint8Array[] = [];
  const walk = (x: Uint8Array | Uint8Array[] | (Uint8Array | Uint8Array[])[]) => {
    if (x instanceof Uint8Array) flat.push(x);
    else for (const y of x) walk(y);
  };
  walk(encoded);
  return Buffer.concat(flat);
}

export function parseFrames(bytes: Uint8Array): ParsedFrame[] {
  const frames: ParsedFrame[] = [];
  let i = 0;
  const need = (n: number) => {
    if (i + n > bytes.length) throw new Error(`truncated frame at byte ${i}: need ${n} more, have ${bytes.length - i}`);
  };
  while (i < bytes.length) {
    need(2);
    const b0 = bytes[i], b1 = bytes[i + 1];
    i += 2;
    const len7 = b1 & 0x7f;
    let length: number;
    let lengthBytes = 1;
    if (len7 === 126) {
      need(2);
      length = bytes[i] * 256 + bytes[i + 1];
      if (length < 126) throw new Error(`non-minimal 16-bit length ${length}`);
      i += 2;
      lengthBytes = 3;
    } else if (len7 === 127) {
      need(8);
      if (bytes[i] & 0x80) throw new Error('64-bit length with the top bit set');
      length = 0;
      for (let k = 0; k < 8; k++) length = length * 256 + bytes[i + k];
      if (length < 65536) throw new Error(`non-minimal 64-bit length ${length}`);
      i += 8;
      lengthBytes = 9;
    } else length = len7;
    const masked = (b1 & 0x80) !== 0;
    let key: number[] | undefined;
    if (masked) {
      need(4);
      key = [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]];
      i += 4;
    }
    need(length);
    const payload = Buffer.alloc(length);
    for (let k = 0; k < length; k++) payload[k] = key ? bytes[i + k] ^ key[k % 4] : bytes[i + k];
    i += length;
    frames.push({
      fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, rsv2: (b0 & 0x20) !== 0, rsv3: (b0 & 0x10) !== 0,
      opcode: b0 & 0x0f, masked, key, payload, lengthBytes,
    });
  }
  return frames;
}

export interface WsEvent {
  type: 'message' | 'ping' | 'pong' | 'close' | 'error';
  data?: Buffer;
  isBinary?: boolean;
  code?: number;
  reason?: string;
  error?: Error;
}

/**
 * Feeds bytes to ws's own Receiver (the incumbent's parser) and collects what it emits. `isServer`
 * means the bytes come from a client (masked frames expected).
 */
export function wsReceive(bytes: Uint8Array, isServer: boolean, chunkSize = bytes.length || 1): WsEvent[] {
  const events: WsEvent[] = [];
  const r = new Receiver({ isServer, binaryType: 'nodebuffer', maxPayload: 0 });
  r.on('message', (data: Buffer, isBinary: boolean) => events.push({ type: 'message', data: Buffer.from(data), isBinary }));
  r.on('ping', (data: Buffer) => events.push({ type: 'ping', data: Buffer.from(data) }));
  r.on('pong', (data: Buffer) => events.push({ type: 'pong', data: Buffer.from(data) }));
  r.on('conclude', (code: number, reason: Buffer) => events.push({ type: 'close', code, reason: reason.toString() }));
  r.on('error', (error: Error) => events.push({ type: 'error', error }));
  for (let at = 0; at < bytes.length; at += chunkSize) {
    r.write(Buffer.from(bytes.subarray(at, Math.min(at + chunkSize, bytes.length))));
  }
  return events;
}
