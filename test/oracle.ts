/**
 * A slow, simple reference parser of RFC 6455 byte streams, written from the RFC (§5.2-§5.7, §7.4)
 * independently of ts/reader.ts, used as the oracle of differential and fuzz tests. It sees the whole
 * stream at once and reports what a fail-fast streaming reader must report after receiving exactly
 * these bytes: every complete frame's events, and an error as soon as the bytes received prove one
 * (a bad header before its payload arrives, invalid UTF-8 in the part of a text payload received).
 *
 * When one frame breaks several rules the first check in this order wins (ws's order, so the drop-in
 * mode reports what ws reports): RSV2/RSV3, RSV1, opcode sequencing, control-frame rules, mask bit,
 * length (2^63 bit, > 2^53 - 1, message size), fragment count, then the payload.
 */
import { refUtf8State } from './reference.js';

export type OracleEvent =
  | ['text', string]
  | ['binary', string] // hex
  | ['compressed', boolean, string] // isBinary, hex
  | ['ping', string]
  | ['pong', string]
  | ['close', number, string]
  | ['error', number, string]; // close code to send, error code

export interface OracleOptions {
  role: 'server' | 'client';
  maxMessageSize?: number;
  maxFragments?: number;
  allowRsv1?: boolean;
}

export function isValidCloseCodeRef(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function oracle(stream: Uint8Array, opts: OracleOptions): OracleEvent[] {
  const maxMessageSize = opts.maxMessageSize ?? 100 * 1024 * 1024;
  const maxFragments = opts.maxFragments ?? 65536;
  const events: OracleEvent[] = [];
  const fail = (close: number, code: string) => {
    events.push(['error', close, code]);
    return events;
  };
  let pos = 0;
  let msgOpcode = 0; // opcode of the message being assembled (0: none)
  let msgCompressed = false;
  let msgParts: Uint8Array[] = [];
  let msgLength = 0;
  let msgFrames = 0;

  for (;;) {
    const left = stream.length - pos;
    if (left < 2) return events;
    const b0 = stream[pos], b1 = stream[pos + 1];
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const len7 = b1 & 0x7f;

    if ((b0 & 0x30) !== 0) return fail(1002, 'WS_ERR_UNEXPECTED_RSV_2_3');
    if (rsv1 && !opts.allowRsv1) return fail(1002, 'WS_ERR_UNEXPECTED_RSV_1');
    if (opcode === 0) {
      if (rsv1) return fail(1002, 'WS_ERR_UNEXPECTED_RSV_1');
      if (msgOpcode === 0) return fail(1002, 'WS_ERR_UNEXPECTED_CONTINUATION');
    } else if (opcode === 1 || opcode === 2) {
      if (msgOpcode !== 0) return fail(1002, 'WS_ERR_EXPECTED_CONTINUATION');
    } else if (opcode >= 8 && opcode <= 10) {
      if (!fin) return fail(1002, 'WS_ERR_EXPECTED_FIN');
      if (rsv1) return fail(1002, 'WS_ERR_UNEXPECTED_RSV_1');
      if (len7 > 125 || (opcode === 8 && len7 === 1)) return fail(1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH');
    } else {
      return fail(1002, 'WS_ERR_INVALID_OPCODE');
    }
    if (opts.role === 'server' && !masked) return fail(1002, 'WS_ERR_EXPECTED_MASK');
    if (opts.role === 'client' && masked) return fail(1002, 'WS_ERR_UNEXPECTED_MASK');

    let hdr = 2;
    let len = len7;
    if (len7 === 126) {
      if (left < 4) return events;
      len = (stream[pos + 2] << 8) | stream[pos + 3];
      hdr = 4;
    } else if (len7 === 127) {
      if (left < 10) return events;
      const hi = ((stream[pos + 2] << 24) | (stream[pos + 3] << 16) | (stream[pos + 4] << 8) | stream[pos + 5]) >>> 0;
      const lo = ((stream[pos + 6] << 24) | (stream[pos + 7] << 16) | (stream[pos + 8] << 8) | stream[pos + 9]) >>> 0;
      if (hi & 0x80000000) return fail(1002, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH');
      if (hi > 0x1fffff) return fail(1009, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH');
      len = hi * 4294967296 + lo;
      hdr = 10;
    }
    const isData = opcode < 8;
    if (isData) {
      if (msgLength + len > maxMessageSize) return fail(1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
      if (msgFrames + 1 > maxFragments) return fail(1009, 'WS_ERR_TOO_MANY_FRAGMENTS');
    }
    if (masked) hdr += 4;
    if (left < hdr) return events;

    const avail = Math.min(len, left - hdr);
    const payload = stream.slice(pos + hdr, pos + hdr + avail);
    if (masked) {
      for (let i = 0; i < avail; i++) payload[i] ^= stream[pos + hdr - 4 + (i & 3)];
    }
    const startsMessage = opcode === 1 || opcode === 2;
    const textMessage = startsMessage ? opcode === 1 : msgOpcode === 1;
    const compressed = startsMessage ? rsv1 : msgCompressed;
    if (isData && textMessage && !compressed) {
      // Fail fast: the message so far plus the part of this payload received.
      const soFar = concat(startsMessage ? [payload] : [...msgParts, payload]);
      if (refUtf8State(soFar) === 1) return fail(1007, 'WS_ERR_INVALID_UTF8');
    }
    if (avail < len) return events; // frame incomplete
    pos += hdr + len;

    if (!isData) {
      if (opcode === 9) events.push(['ping', hex(payload)]);
      else if (opcode === 10) events.push(['pong', hex(payload)]);
      else {
        if (len === 0) {
          events.push(['close', 1005, '']);
          return events;
        }
        const code = (payload[0] << 8) | payload[1];
        if (!isValidCloseCodeRef(code)) return fail(1002, 'WS_ERR_INVALID_CLOSE_CODE');
        const reason = payload.subarray(2);
        if (refUtf8State(reason) !== 0) return fail(1007, 'WS_ERR_INVALID_UTF8');
        events.push(['close', code, Buffer.from(reason).toString('utf8')]);
        return events; // nothing after a close frame is processed (§5.5.1)
      }
      continue;
    }
    if (startsMessage) {
      msgOpcode = opcode;
      msgCompressed = rsv1;
      msgParts = [];
      msgLength = 0;
      msgFrames = 0;
    }
    msgParts.push(payload);
    msgLength += len;
    msgFrames++;
    if (!fin) continue;
    const data = concat(msgParts);
    if (msgCompressed) events.push(['compressed', msgOpcode === 2, hex(data)]);
    else if (msgOpcode === 2) events.push(['binary', hex(data)]);
    else {
      if (refUtf8State(data) !== 0) return fail(1007, 'WS_ERR_INVALID_UTF8');
      events.push(['text', Buffer.from(data).toString('utf8')]);
    }
    msgOpcode = 0;
    msgParts = [];
    msgLength = 0;
    msgFrames = 0;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Frame building and stream generation for tests (independent of ts/writer.ts).

export interface RawFrame {
  fin?: boolean;
  rsv?: number; // 3 bits: RSV1 = 4, RSV2 = 2, RSV3 = 1
  opcode: number;
  payload: Uint8Array;
  /** Mask key bytes, or undefined for an unmasked frame. */
  mask?: Uint8Array;
  /** Force a length encoding: 7, 16 or 64 bits (non-minimal encodings are legal). */
  lengthBits?: 7 | 16 | 64;
}

export function buildFrame(f: RawFrame): Uint8Array {
  const n = f.payload.length;
  const bits = f.lengthBits ?? (n < 126 ? 7 : n < 65536 ? 16 : 64);
  const extra = bits === 7 ? 0 : bits === 16 ? 2 : 8;
  const out = new Uint8Array(2 + extra + (f.mask ? 4 : 0) + n);
  out[0] = ((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | f.opcode;
  out[1] = (f.mask ? 0x80 : 0) | (bits === 7 ? n : bits === 16 ? 126 : 127);
  let o = 2;
  if (bits === 16) {
    out[2] = n >>> 8;
    out[3] = n & 0xff;
    o = 4;
  } else if (bits === 64) {
    const hi = Math.floor(n / 4294967296);
    out[2] = hi >>> 24; out[3] = (hi >>> 16) & 0xff; out[4] = (hi >>> 8) & 0xff; out[5] = hi & 0xff;
    out[6] = n >>> 24; out[7] = (n >>> 16) & 0xff; out[8] = (n >>> 8) & 0xff; out[9] = n & 0xff;
    o = 10;
  }
  if (f.mask) {
    out.set(f.mask.subarray(0, 4), o);
    o += 4;
    for (let i = 0; i < n; i++) out[o + i] = f.payload[i] ^ f.mask[i & 3];
  } else {
    out.set(f.payload, o);
  }
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  return concat(parts);
}

/** Payload lengths that exercise every length class and boundary. */
export const BOUNDARY_LENGTHS = [0, 1, 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 124, 125, 126, 127, 128, 255, 256, 1000, 4096, 65535, 65536, 65537];

export interface StreamSpec {
  role: 'server' | 'client'; // the role of the READER
  messages: number;
  maxLength?: number;
}

/**
 * A random valid stream as a peer of `role` would receive it: text and binary messages of random
 * (often boundary) lengths, some fragmented with pings and pongs between fragments, non-minimal
 * length encodings now and then, and sometimes a final close frame.
 */
export function randomValidStream(rand: () => number, spec: StreamSpec, textOf: (n: number) => Uint8Array): Uint8Array {
  const frames: Uint8Array[] = [];
  const maskIt = spec.role === 'server';
  const key = () => new Uint8Array([(rand() * 256) | 0, (rand() * 256) | 0, (rand() * 256) | 0, (rand() * 256) | 0]);
  const maxLen = spec.maxLength ?? 70000;
  const pickLen = () => {
    const r = rand();
    const n = r < 0.3 ? BOUNDARY_LENGTHS[(rand() * BOUNDARY_LENGTHS.length) | 0] : r < 0.9 ? (rand() * 200) | 0 : (rand() * maxLen) | 0;
    return Math.min(n, maxLen);
  };
  const bits = (n: number): 7 | 16 | 64 | undefined => {
    if (rand() > 0.1) return undefined;
    if (n < 126) return rand() < 0.5 ? 16 : 64;
    return n < 65536 ? 64 : undefined;
  };
  const control = () => {
    const op = rand() < 0.5 ? 9 : 10;
    const payload = new Uint8Array((rand() * 126) | 0).map(() => (rand() * 256) | 0);
    return buildFrame({ opcode: op, payload, mask: maskIt ? key() : undefined });
  };
  for (let m = 0; m < spec.messages; m++) {
    if (rand() < 0.15) frames.push(control());
    const text = rand() < 0.5;
    const total = pickLen();
    const data = text ? textOf(total) : new Uint8Array(total).map(() => (rand() * 256) | 0);
    const pieces = rand() < 0.3 ? 1 + ((rand() * 5) | 0) : 1;
    // Split points may fall inside a multi-byte character: the text is only valid as a whole.
    const cuts = [0];
    for (let i = 1; i < pieces; i++) cuts.push((rand() * data.length) | 0);
    cuts.sort((a, b) => a - b);
    cuts.push(data.length);
    for (let i = 0; i < pieces; i++) {
      const part = data.subarray(cuts[i], cuts[i + 1]);
      frames.push(buildFrame({
        fin: i === pieces - 1, opcode: i === 0 ? (text ? 1 : 2) : 0, payload: part,
        mask: maskIt ? key() : undefined, lengthBits: bits(part.length),
      }));
      if (i < pieces - 1 && rand() < 0.3) frames.push(control());
    }
  }
  if (rand() < 0.3) {
    const reason = textOf((rand() * 40) | 0);
    const payload = new Uint8Array(2 + reason.length);
    payload[0] = 0x03; payload[1] = 0xe8; // 1000
    payload.set(reason, 2);
    frames.push(buildFrame({ opcode: 8, payload: payload.subarray(0, Math.min(payload.length, 125)), mask: maskIt ? key() : undefined }));
  }
  return concat(frames);
}

/** One random mutation of a stream: the fuzzer's moves. */
export function mutate(rand: () => number, input: Uint8Array): Uint8Array {
  const out = input.slice();
  const at = () => (rand() * Math.max(1, out.length)) | 0;
  switch ((rand() * 7) | 0) {
    case 0: // flip a bit
      if (out.length) out[at()] ^= 1 << ((rand() * 8) | 0);
      return out;
    case 1: // overwrite a byte
      if (out.length) out[at()] = (rand() * 256) | 0;
      return out;
    case 2: // truncate
      return out.subarray(0, at());
    case 3: { // delete a range
      const a = at();
      const b = Math.min(out.length, a + 1 + ((rand() * 8) | 0));
      return concat([out.subarray(0, a), out.subarray(b)]);
    }
    case 4: { // insert random bytes
      const a = at();
      const ins = new Uint8Array(1 + ((rand() * 8) | 0)).map(() => (rand() * 256) | 0);
      return concat([out.subarray(0, a), ins, out.subarray(a)]);
    }
    case 5: { // a length field near a limit: 126/127 forms with extreme values
      const a = at();
      const ext = rand() < 0.5
        ? new Uint8Array([0x81, 0xfe, 0xff, 0xff])
        : new Uint8Array([0x82, 0xff, rand() < 0.5 ? 0x7f : 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      return concat([out.subarray(0, a), ext, out.subarray(a)]);
    }
    default: { // duplicate a slice (repeated frames / headers)
      const a = at();
      const b = Math.min(out.length, a + ((rand() * 32) | 0));
      return concat([out.subarray(0, b), out.subarray(a, b), out.subarray(b)]);
    }
  }
}

/** Random chunk boundaries for feeding a stream: 1-byte pieces up to whole. */
export function randomSplits(rand: () => number, n: number): number[] {
  const mode = rand();
  const cuts: number[] = [];
  let p = 0;
  while (p < n) {
    const step = mode < 0.2 ? 1 : mode < 0.6 ? 1 + ((rand() * 16) | 0) : 1 + ((rand() * 4096) | 0);
    p = Math.min(n, p + step);
    cuts.push(p);
  }
  return cuts;
}
