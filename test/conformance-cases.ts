/**
 * The conformance corpus as data, grouped like the Autobahn test suite's sections and written from
 * RFC 6455 (and RFC 7692 for sections 12-13). Each case lists the frames the peer sends (the peer
 * masks them in the server role and not in the client role, unless `badMask`), how the bytes are
 * chopped into writes, and what wsframe must do on the wire: the frames it echoes (messages, pongs)
 * and the close code it sends, after which it must close TCP.
 *
 * Unless a case sends a close frame itself or expects a failure, the peer ends with a close 1000
 * and wsframe must answer it with 1000.
 */
import { INVALID_SEQUENCES, VALID_BOUNDARIES, prng, randomBytes, randomUtf8, refUtf8State } from './reference.js';

export type Role = 'server' | 'client';

export interface Frame {
  op: number;
  data?: Uint8Array | string;
  fin?: boolean;
  /** RSV1 = 4, RSV2 = 2, RSV3 = 1. */
  rsv?: number;
  lengthBits?: 7 | 16 | 64;
  /** Mask in the client role / don't mask in the server role: a framing error. */
  badMask?: boolean;
  /** Send only this many payload bytes of the frame (the rest never comes). */
  truncate?: number;
  /** Section 12/13: the peer compresses this message (ws's permessage-deflate, context kept) into `split` frames. */
  compress?: boolean;
  split?: number;
  /** A raw header without mask bit or key (e.g. a length field no builder makes); the peer adds its mask. */
  raw?: Uint8Array;
}

/** What wsframe sends back: echoed messages and pongs (binary payloads as hex). */
export type Echo = ['text', string] | ['binary', string] | ['pong', string];

export interface Case {
  id: string;
  title: string;
  frames: Frame[];
  /** 'frames': one write per frame (default); 'whole': one write; N: writes of N bytes; [offsets]. */
  chop?: 'frames' | 'whole' | number | number[];
  expect: Echo[];
  /**
   * The close code wsframe must send: 1000 (default, answering the peer's close), a failure code,
   * 1005 for an empty close, or 0 for none (the connection is dropped, e.g. a failed handshake).
   */
  close?: number;
  /** The peer does not append its close 1000 (the case sends a close, or must fail before one). */
  noPeerClose?: boolean;
  roles?: Role[];
  /** wsframe's options for this case. */
  options?: { maxPayload?: number; perMessageDeflate?: boolean | Record<string, unknown> };
  /**
   * Sections 12-13: the extension offer the peer sends (server role) / the answer it sends (client
   * role); `response` is what RFC 7692 requires of wsframe's answer to the offer (server role).
   */
  deflate?: { offer: string; answer: string; response?: RegExp };
}

export interface Section {
  id: string;
  title: string;
  cases: Case[];
}

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const hex = (b: Uint8Array | string) => Buffer.from(typeof b === 'string' ? enc(b) : b).toString('hex');
const memo = <T>(make: (n: number, seed: number) => T) => {
  const cache = new Map<string, T>();
  return (n: number, seed: number): T => {
    const k = `${n}/${seed}`;
    if (!cache.has(k)) cache.set(k, make(n, seed));
    return cache.get(k)!;
  };
};
const bytes = memo((n, seed) => randomBytes(prng(seed), n));
/** Random valid UTF-8 of about n bytes; large sizes repeat a random 4 KiB block (fast to build). */
const text = memo((n, seed): string => {
  const block = Buffer.from(randomUtf8(prng(seed), Math.min(n, 4096))).toString('utf8');
  return n <= 4096 ? block : block.repeat(Math.ceil(n / Buffer.byteLength(block)));
});
const ascii = (n: number) => 'x'.repeat(n);
const closePayload = (code: number, reason: Uint8Array | string = '') => {
  const r = typeof reason === 'string' ? enc(reason) : reason;
  const p = new Uint8Array(2 + r.length);
  p[0] = code >> 8;
  p[1] = code & 0xff;
  p.set(r, 2);
  return p;
};
const T = (data: string, more: Partial<Frame> = {}): Frame => ({ op: 1, data, ...more });
const B = (data: Uint8Array, more: Partial<Frame> = {}): Frame => ({ op: 2, data, ...more });
const PING = (data: Uint8Array | string = '', more: Partial<Frame> = {}): Frame => ({ op: 9, data, ...more });
const PONG = (data: Uint8Array | string = '', more: Partial<Frame> = {}): Frame => ({ op: 10, data, ...more });
const CLOSE = (data: Uint8Array = new Uint8Array(0)): Frame => ({ op: 8, data });
const echoT = (s: string): Echo => ['text', s];
const echoB = (b: Uint8Array): Echo => ['binary', hex(b)];
const pongOf = (b: Uint8Array | string): Echo => ['pong', hex(b)];
const fail = (code: number, more: Partial<Case> = {}) => ({ close: code, noPeerClose: true, expect: [] as Echo[], ...more });

// -------------------------------------------------------------------------------------------------
// 1 Framing: every length class and boundary, as one write, frame by frame and chopped small.

const LENGTHS = [0, 1, 125, 126, 127, 128, 65535, 65536, 100_000];
const framing: Case[] = [];
for (const n of LENGTHS) {
  const t = n < 70_000 ? text(n, n).slice(0, n) : ascii(n);
  framing.push({ id: `1.1.${n}`, title: `text, ${n} chars`, frames: [T(t)], expect: [echoT(t)] });
  const b = bytes(n, n + 1);
  framing.push({ id: `1.2.${n}`, title: `binary, ${n} bytes`, frames: [B(b)], expect: [echoB(b)] });
  const size = n <= 130 ? 1 : 997;
  framing.push({ id: `1.3.${n}`, title: `binary, ${n} bytes, written in ${size}-byte pieces`, frames: [B(b)], chop: size, expect: [echoB(b)] });
}
for (const bits of [16, 64] as const) {
  framing.push({ id: `1.4.${bits}`, title: `non-minimal ${bits}-bit length of a 5-byte text (legal)`, frames: [T('Hello', { lengthBits: bits })], chop: 1, expect: [echoT('Hello')] });
}
framing.push({
  id: '1.5.1', title: 'several messages in one write', chop: 'whole',
  frames: [T('a'), B(bytes(200, 5)), T(''), B(new Uint8Array(0))],
  expect: [echoT('a'), echoB(bytes(200, 5)), echoT(''), echoB(new Uint8Array(0))],
});
framing.push({
  id: '1.6.1', title: '64-bit length with the most significant bit set', ...fail(1002),
  frames: [{ op: 2, raw: new Uint8Array([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1]) }],
});
framing.push({ id: '1.6.2', title: 'unmasked frame (server role) / masked frame (client role)', ...fail(1002), frames: [T('Hello', { badMask: true })] });

// -------------------------------------------------------------------------------------------------
// 2 Ping/pong (§5.5.2, §5.5.3): pong with the ping's payload, control frames at most 125 bytes.

const pingPong: Case[] = [
  { id: '2.1', title: 'ping without payload', frames: [PING()], expect: [pongOf('')] },
  { id: '2.2', title: 'ping with text payload', frames: [PING('Hello, world!')], expect: [pongOf('Hello, world!')] },
  { id: '2.3', title: 'ping with binary payload', frames: [PING(new Uint8Array([0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff]))], expect: [pongOf(new Uint8Array([0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff]))] },
  { id: '2.4', title: 'ping with 125-byte payload', frames: [PING(bytes(125, 24))], expect: [pongOf(bytes(125, 24))] },
  { id: '2.5', title: 'ping with 126-byte payload', ...fail(1002), frames: [PING(bytes(126, 25))] },
  { id: '2.6', title: 'ping with 125-byte payload, written byte by byte', frames: [PING(bytes(125, 26))], chop: 1, expect: [pongOf(bytes(125, 26))] },
  { id: '2.7', title: 'unsolicited pong without payload', frames: [PONG()], expect: [] },
  { id: '2.8', title: 'unsolicited pong with payload', frames: [PONG('unsolicited')], expect: [] },
  { id: '2.9', title: 'unsolicited pong, then ping', frames: [PONG('u'), PING('p')], expect: [pongOf('p')] },
  { id: '2.10', title: '10 pings in one write', frames: Array.from({ length: 10 }, (_, i) => PING(`ping ${i}`)), chop: 'whole', expect: Array.from({ length: 10 }, (_, i) => pongOf(`ping ${i}`)) },
  { id: '2.11', title: '10 pings, each written byte by byte', frames: Array.from({ length: 10 }, (_, i) => PING(`ping ${i}`)), chop: 1, expect: Array.from({ length: 10 }, (_, i) => pongOf(`ping ${i}`)) },
  { id: '2.12', title: 'ping with 126-byte payload in 16-bit length form', ...fail(1002), frames: [PING(bytes(126, 27), { lengthBits: 16 })] },
  { id: '2.13', title: 'fragmented ping (FIN clear)', ...fail(1002), frames: [PING('a', { fin: false })] },
];

// -------------------------------------------------------------------------------------------------
// 3 Reserved bits (§5.2): no extension negotiated, so any RSV bit fails the connection.

const reserved: Case[] = [];
const rsvFrames: Array<[string, (rsv: number) => Frame]> = [
  ['text', (rsv) => T('Hello', { rsv })],
  ['binary', (rsv) => B(bytes(10, 3), { rsv })],
  ['ping', (rsv) => PING('Hello', { rsv })],
  ['close', (rsv) => ({ op: 8, data: closePayload(1000), rsv })],
  ['continuation', (rsv) => ({ op: 0, data: 'b', rsv })],
];
for (const [kind, make] of rsvFrames) {
  for (let rsv = 1; rsv <= 7; rsv++) {
    const prefix = kind === 'continuation' ? [T('a', { fin: false })] : [];
    reserved.push({ id: `3.${kind}.${rsv}`, title: `${kind} with RSV bits ${rsv.toString(2).padStart(3, '0')}`, ...fail(1002), frames: [...prefix, make(rsv)] });
  }
}
reserved.push({ id: '3.after-echo', title: 'text echoed, then a frame with RSV2, then a ping that must not be answered', ...fail(1002), frames: [T('Hello'), T('Hello', { rsv: 2 }), PING('p')], expect: [echoT('Hello')] });

// -------------------------------------------------------------------------------------------------
// 4 Opcodes (§5.2): 3-7 and 11-15 are reserved.

const opcodes: Case[] = [];
for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
  opcodes.push({ id: `4.${op}.empty`, title: `reserved opcode ${op}`, ...fail(1002), frames: [{ op, data: '' }] });
  opcodes.push({ id: `4.${op}.after`, title: `text echoed, then reserved opcode ${op} with payload, then a ping`, ...fail(1002), frames: [T('Hello'), { op, data: bytes(20, op) }, PING('p')], expect: [echoT('Hello')] });
}

// -------------------------------------------------------------------------------------------------
// 5 Fragmentation (§5.4): control frames may come between fragments; everything else is illegal.

const frag: Case[] = [
  { id: '5.1', title: 'text in 2 fragments', frames: [T('frag', { fin: false }), { op: 0, data: 'ment' }], expect: [echoT('fragment')] },
  { id: '5.2', title: 'binary in 3 fragments, one write', chop: 'whole', frames: [B(bytes(3, 1), { fin: false }), { op: 0, data: bytes(0, 1), fin: false }, { op: 0, data: bytes(5, 2) }], expect: [echoB(new Uint8Array([...bytes(3, 1), ...bytes(5, 2)]))] },
  { id: '5.3', title: 'ping between fragments', frames: [T('frag', { fin: false }), PING('p'), { op: 0, data: 'ment' }], expect: [pongOf('p'), echoT('fragment')] },
  { id: '5.4', title: 'ping between fragments, written byte by byte', chop: 1, frames: [T('frag', { fin: false }), PING('p'), { op: 0, data: 'ment' }], expect: [pongOf('p'), echoT('fragment')] },
  { id: '5.5', title: 'pong between fragments', frames: [T('frag', { fin: false }), PONG('u'), { op: 0, data: 'ment' }], expect: [echoT('fragment')] },
  { id: '5.6', title: 'ping and pong between every fragment', frames: [T('a', { fin: false }), PING('1'), { op: 0, data: 'b', fin: false }, PONG('x'), PING('2'), { op: 0, data: 'c' }], expect: [pongOf('1'), pongOf('2'), echoT('abc')] },
  { id: '5.7', title: 'empty fragments', frames: [T('', { fin: false }), { op: 0, data: '', fin: false }, { op: 0, data: '' }], expect: [echoT('')] },
  { id: '5.8', title: '1000 one-byte fragments', chop: 'whole', frames: Array.from({ length: 1000 }, (_, i) => ({ op: i === 0 ? 1 : 0, data: String.fromCharCode(97 + (i % 26)), fin: i === 999 })), expect: [echoT(Array.from({ length: 1000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''))] },
  { id: '5.9', title: 'two fragmented messages back to back', frames: [T('a', { fin: false }), { op: 0, data: 'b' }, B(bytes(2, 9), { fin: false }), { op: 0, data: bytes(2, 10) }], expect: [echoT('ab'), echoB(new Uint8Array([...bytes(2, 9), ...bytes(2, 10)]))] },
  { id: '5.10', title: 'continuation with no message started', ...fail(1002), frames: [{ op: 0, data: 'x' }] },
  { id: '5.11', title: 'continuation with FIN clear, no message started', ...fail(1002), frames: [{ op: 0, data: 'x', fin: false }] },
  { id: '5.12', title: 'continuation after a finished message', ...fail(1002), frames: [T('a'), { op: 0, data: 'x' }], expect: [echoT('a')] },
  { id: '5.13', title: 'text frame where a continuation is expected', ...fail(1002), frames: [T('a', { fin: false }), T('b')] },
  { id: '5.14', title: 'binary frame where a continuation is expected', ...fail(1002), frames: [T('a', { fin: false }), B(bytes(1, 1))] },
  { id: '5.15', title: 'fragmented ping', ...fail(1002), frames: [PING('a', { fin: false }), { op: 0, data: 'b' }] },
  { id: '5.16', title: 'fragmented pong', ...fail(1002), frames: [PONG('a', { fin: false }), { op: 0, data: 'b' }] },
  { id: '5.17', title: 'fragmented close', ...fail(1002), frames: [{ op: 8, data: closePayload(1000), fin: false }] },
  { id: '5.18', title: 'fragmented ping inside a fragmented text', ...fail(1002), frames: [T('a', { fin: false }), PING('p', { fin: false }), { op: 0, data: 'b' }] },
  { id: '5.19', title: 'continuations after a message ended, written one byte at a time', ...fail(1002), chop: 1, frames: [T('a', { fin: false }), { op: 0, data: 'b' }, { op: 0, data: 'c' }], expect: [echoT('ab')] },
];

// -------------------------------------------------------------------------------------------------
// 6 UTF-8 (§5.6, §8.1): valid text echoed; invalid text fails with 1007, as soon as the bytes prove it.

const utf8: Case[] = [];
const VALID_TEXTS: Array<[string, string]> = [
  ['ascii', 'Hello-µ@ßöäüàá-UTF-8!!'],
  ['greek', 'κόσμε'],
  ['mixed', 'Hello ☺ 𝄞 ẞ 中文 🎉'],
  ['random', text(1000, 61)],
  ...VALID_BOUNDARIES.map((seq): [string, string] => [`boundary ${hex(new Uint8Array(seq))}`, Buffer.from(seq).toString('utf8')]),
];
for (const [name, t] of VALID_TEXTS) {
  const b = enc(t);
  utf8.push({ id: `6.valid.${name}`, title: `valid text (${name}), one frame`, frames: [T(t)], expect: [echoT(t)] });
  const size = b.length > 200 ? 7 : 1;
  utf8.push({ id: `6.valid.${name}.reads`, title: `valid text (${name}), written in ${size}-byte pieces`, frames: [T(t)], chop: size, expect: [echoT(t)] });
  const pieces = Array.from(b).map((byte, i) => ({ op: i === 0 ? 1 : 0, data: new Uint8Array([byte]), fin: i === b.length - 1 }));
  if (b.length > 1 && b.length < 200) {
    utf8.push({ id: `6.valid.${name}.frags`, title: `valid text (${name}), one fragment per byte`, frames: pieces, expect: [echoT(t)] });
  }
}
INVALID_SEQUENCES.forEach((seq, i) => {
  const bad = new Uint8Array([...enc('ab'), ...seq, ...enc('cd')]);
  const title = hex(new Uint8Array(seq));
  utf8.push({ id: `6.invalid.${i}`, title: `invalid ${title}, one frame`, ...fail(1007), frames: [{ op: 1, data: bad }] });
  utf8.push({ id: `6.invalid.${i}.reads`, title: `invalid ${title}, written byte by byte`, ...fail(1007), chop: 1, frames: [{ op: 1, data: bad }] });
  utf8.push({
    id: `6.invalid.${i}.frags`, title: `invalid ${title}, one fragment per byte`, ...fail(1007),
    frames: Array.from(bad).map((byte, j) => ({ op: j === 0 ? 1 : 0, data: new Uint8Array([byte]), fin: j === bad.length - 1 })),
  });
  // Fail fast: when the bytes so far already prove the text invalid, wsframe must not wait for
  // the rest of the frame or message (which never comes here).
  const prefix = new Uint8Array([...enc('ab'), ...seq]);
  if (refUtf8State(prefix) === 1) {
    utf8.push({ id: `6.fast.${i}.frame`, title: `invalid ${title} in the first fragment, message never finished`, ...fail(1007), frames: [{ op: 1, data: prefix, fin: false }] });
    utf8.push({ id: `6.fast.${i}.payload`, title: `invalid ${title} at the start of a frame whose rest never comes`, ...fail(1007), frames: [{ op: 1, data: new Uint8Array([...prefix, ...new Uint8Array(100)]), truncate: prefix.length }] });
  }
});
utf8.push({ id: '6.split.valid', title: 'a 4-byte character split across two fragments', frames: [{ op: 1, data: new Uint8Array([0xf0, 0x9f]), fin: false }, { op: 0, data: new Uint8Array([0x8e, 0x89]) }], expect: [echoT('🎉')] });
utf8.push({ id: '6.split.invalid', title: 'a truncated character at the end of the last fragment', ...fail(1007), frames: [{ op: 1, data: enc('ok'), fin: false }, { op: 0, data: new Uint8Array([0xf0, 0x9f, 0x8e]) }] });
utf8.push({ id: '6.binary', title: 'binary messages are not validated', frames: [B(new Uint8Array([0xff, 0xfe, 0xc0, 0x80]))], expect: [echoB(new Uint8Array([0xff, 0xfe, 0xc0, 0x80]))] });

// -------------------------------------------------------------------------------------------------
// 7 Close (§5.5.1, §7.4): valid codes echoed, invalid ones 1002, bad reasons 1007, nothing after close.

const close: Case[] = [
  { id: '7.1.1', title: 'close without payload', noPeerClose: true, frames: [CLOSE()], close: 1005, expect: [] },
  { id: '7.1.2', title: 'close, then text (must be ignored)', noPeerClose: true, frames: [CLOSE(closePayload(1000)), T('ignored')], expect: [] },
  { id: '7.1.3', title: 'close, then ping (must not be answered)', noPeerClose: true, frames: [CLOSE(closePayload(1000)), PING('p')], expect: [] },
  { id: '7.1.4', title: 'text, close, text in one write', noPeerClose: true, chop: 'whole', frames: [T('before'), CLOSE(closePayload(1000)), T('after')], expect: [echoT('before')] },
  { id: '7.1.5', title: 'close in the middle of a fragmented message', noPeerClose: true, frames: [T('frag', { fin: false }), CLOSE(closePayload(1000)), { op: 0, data: 'ment' }], expect: [] },
  { id: '7.1.6', title: 'close written byte by byte', noPeerClose: true, chop: 1, frames: [CLOSE(closePayload(1000, 'bye'))], expect: [] },
  { id: '7.2.1', title: 'close with a 1-byte payload', ...fail(1002), frames: [CLOSE(new Uint8Array([0x03]))] },
  { id: '7.3.1', title: 'close 1000 with a 123-byte reason', noPeerClose: true, frames: [CLOSE(closePayload(1000, ascii(123)))], expect: [] },
  { id: '7.3.2', title: 'close 1000 with a 124-byte reason (126-byte control payload)', ...fail(1002), frames: [CLOSE(closePayload(1000, ascii(124)))] },
  { id: '7.3.3', title: 'close 1000 with a valid UTF-8 reason', noPeerClose: true, frames: [CLOSE(closePayload(1000, 'Hello ☺ 𝄞'))], expect: [] },
  { id: '7.3.4', title: 'close 1000 with an invalid UTF-8 reason', ...fail(1007), frames: [CLOSE(closePayload(1000, new Uint8Array([0x48, 0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64])))] },
];
for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
  close.push({ id: `7.7.${code}`, title: `close with valid code ${code}`, noPeerClose: true, frames: [CLOSE(closePayload(code))], close: code, expect: [] });
}
for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
  close.push({ id: `7.9.${code}`, title: `close with invalid code ${code}`, ...fail(1002), frames: [CLOSE(closePayload(code))] });
}

// -------------------------------------------------------------------------------------------------
// 9 Limits and large messages: big messages echo intact; beyond maxPayload the answer is 1009.

const MIB = 1024 * 1024;
const big = (n: number, seed: number) => bytes(n, seed);
const large: Case[] = [
  { id: '9.1', title: '1 MiB text, one frame', frames: [T(ascii(MIB))], chop: 65536, expect: [echoT(ascii(MIB))] },
  { id: '9.2', title: '2 MiB binary, one frame, 64 KiB writes', frames: [B(big(2 * MIB, 92))], chop: 65536, expect: [echoB(big(2 * MIB, 92))] },
  { id: '9.3', title: '1 MiB binary in 64 fragments of 16 KiB', chop: 'whole', frames: Array.from({ length: 64 }, (_, i) => ({ op: i === 0 ? 2 : 0, data: big(MIB, 93).subarray(i * 16384, (i + 1) * 16384), fin: i === 63 })), expect: [echoB(big(MIB, 93))] },
  { id: '9.4', title: '1 MiB of multi-byte text, one frame, 4093-byte writes', frames: [{ op: 1, data: enc(text(MIB, 94)) }], chop: 4093, expect: [echoT(text(MIB, 94))] },
  { id: '9.5', title: 'message of maxPayload bytes (1024)', options: { maxPayload: 1024 }, frames: [B(big(1024, 95))], expect: [echoB(big(1024, 95))] },
  { id: '9.6', title: 'frame of maxPayload + 1 bytes: 1009 from the header alone', options: { maxPayload: 1024 }, ...fail(1009), frames: [{ op: 2, data: big(1025, 96), truncate: 0 }] },
  { id: '9.7', title: 'fragments adding up to maxPayload + 1', options: { maxPayload: 1024 }, ...fail(1009), frames: [B(big(1000, 97), { fin: false }), { op: 0, data: big(25, 98), fin: false }, { op: 0, data: big(1, 99) }] },
  { id: '9.8', title: '64-bit length above 2^53 - 1', ...fail(1009), frames: [{ op: 2, raw: new Uint8Array([0x82, 0x7f, 0x00, 0x20, 0, 0, 0, 0, 0, 0]) }] },
];

// -------------------------------------------------------------------------------------------------
// 12/13 permessage-deflate (RFC 7692): compressed messages both ways under each parameter set;
// RSV1 only on the first frame of a data message; broken compressed data fails the connection.

const DEFLATE_PARAMS: Array<[string, string, string]> = [
  // [name, offer from a client peer, answer from a server peer]
  ['default', 'permessage-deflate', 'permessage-deflate'],
  ['no-context', 'permessage-deflate; server_no_context_takeover; client_no_context_takeover', 'permessage-deflate; server_no_context_takeover; client_no_context_takeover'],
  ['window-9', 'permessage-deflate; server_max_window_bits=9; client_max_window_bits=9', 'permessage-deflate; server_max_window_bits=9; client_max_window_bits=9'],
  ['window-15', 'permessage-deflate; server_max_window_bits=15; client_max_window_bits', 'permessage-deflate; server_max_window_bits=15; client_max_window_bits=15'],
];
const deflate: Case[] = [];
for (const [name, offer, answer] of DEFLATE_PARAMS) {
  const d = { offer, answer };
  const msgs = [text(64, 121), text(2000, 122), text(2000, 122), ascii(70_000)];
  deflate.push({ id: `12.${name}.text`, title: `compressed text messages (${name})`, options: { perMessageDeflate: true }, deflate: d, frames: msgs.map((m) => T(m, { compress: true })), expect: msgs.map(echoT) });
  const bins = [bytes(1000, 123), new Uint8Array(20_000), bytes(70_000, 124)];
  deflate.push({ id: `12.${name}.binary`, title: `compressed binary messages (${name})`, options: { perMessageDeflate: true }, deflate: d, frames: bins.map((m) => B(m, { compress: true })), expect: bins.map(echoB) });
  deflate.push({ id: `12.${name}.fragmented`, title: `compressed text in 5 fragments with a ping between, written in 7-byte pieces (${name})`, options: { perMessageDeflate: true }, deflate: d, chop: 7, frames: [T(ascii(300), { compress: true, split: 5 }), T('tail', { compress: true })], expect: [pongOf('between'), echoT(ascii(300)), echoT('tail')] });
}
const D = { offer: 'permessage-deflate', answer: 'permessage-deflate' };
deflate.push(
  { id: '12.mixed', title: 'compressed and uncompressed messages mixed', options: { perMessageDeflate: true }, deflate: D, frames: [T('plain'), T('squeezed', { compress: true }), B(bytes(10, 5)), T('again', { compress: true })], expect: [echoT('plain'), echoT('squeezed'), echoB(bytes(10, 5)), echoT('again')] },
  { id: '13.rsv1-continuation', title: 'RSV1 on a continuation frame', options: { perMessageDeflate: true }, deflate: D, ...fail(1002), frames: [T('a', { fin: false }), { op: 0, data: 'b', rsv: 4 }] },
  { id: '13.rsv1-ping', title: 'RSV1 on a ping', options: { perMessageDeflate: true }, deflate: D, ...fail(1002), frames: [PING('p', { rsv: 4 })] },
  { id: '13.rsv2', title: 'RSV2 with permessage-deflate on', options: { perMessageDeflate: true }, deflate: D, ...fail(1002), frames: [T('a', { rsv: 2 })] },
  { id: '13.corrupt', title: 'RSV1 text whose payload is not deflate data', options: { perMessageDeflate: true }, deflate: D, ...fail(1007), frames: [{ op: 1, rsv: 4, data: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x00]) }] },
  { id: '13.not-negotiated', title: 'RSV1 text when the extension was not negotiated', options: { perMessageDeflate: false }, ...fail(1002), frames: [T('squeezed', { compress: true })] },
  { id: '13.bomb', title: 'compressed message inflating beyond maxPayload', options: { perMessageDeflate: true, maxPayload: 100_000 }, deflate: D, ...fail(1009), frames: [B(new Uint8Array(200_000), { compress: true })] },
);

// 13 permessage-deflate negotiation (RFC 7692 §5, §7.1): what the server answers to each offer, and
// the client failing the connection on an answer it cannot accept. Then a message each way.
const PMD = /^permessage-deflate(;|$)/;
const hello = [T('negotiated ☺', { compress: true }), B(bytes(3000, 131), { compress: true })];
const helloEcho = [echoT('negotiated ☺'), echoB(bytes(3000, 131))];
const plain = [T('plain'), B(bytes(30, 132))];
const plainEcho = [echoT('plain'), echoB(bytes(30, 132))];
const negotiate = (id: string, title: string, offer: string, response: RegExp, accepted = true): Case => ({
  id: `13.${id}`, title, roles: ['server'], options: { perMessageDeflate: true },
  deflate: { offer, answer: '', response }, frames: accepted ? hello : plain, expect: accepted ? helloEcho : plainEcho,
});
const answer = (id: string, title: string, answer: string, ok: boolean): Case => ({
  id: `13.${id}`, title, roles: ['client'], options: { perMessageDeflate: true },
  deflate: { offer: '', answer }, frames: ok ? hello : [], expect: ok ? helloEcho : [],
  ...(ok ? {} : { close: 0, noPeerClose: true }),
});
const negotiation: Case[] = [
  negotiate('offer.plain', 'offer without parameters: accepted', 'permessage-deflate', PMD),
  negotiate('offer.client-bits', 'offer with client_max_window_bits (no value): accepted', 'permessage-deflate; client_max_window_bits', PMD),
  negotiate('offer.server-bits', 'offer with server_max_window_bits=10: the answer keeps the server window at most 10', 'permessage-deflate; server_max_window_bits=10', /^permessage-deflate;.*server_max_window_bits=(8|9|10)(;|$)/),
  negotiate('offer.server-nct', 'offer with server_no_context_takeover: the answer has it', 'permessage-deflate; server_no_context_takeover', /^permessage-deflate;.*server_no_context_takeover/),
  negotiate('offer.client-nct', 'offer with client_no_context_takeover: accepted', 'permessage-deflate; client_no_context_takeover', PMD),
  negotiate('offer.fallback', 'an unacceptable offer, then a plain one: the second is accepted', 'permessage-deflate; server_max_window_bits=7, permessage-deflate', PMD),
  negotiate('offer.bits-7', 'server_max_window_bits=7 (out of range): declined', 'permessage-deflate; server_max_window_bits=7', /^$/, false),
  negotiate('offer.unknown', 'unknown parameter: declined', 'permessage-deflate; foo=1', /^$/, false),
  negotiate('offer.repeated', 'repeated parameter: declined', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover', /^$/, false),
  negotiate('offer.client-bits-value', 'client_max_window_bits=16 (out of range): declined', 'permessage-deflate; client_max_window_bits=16', /^$/, false),
  answer('answer.plain', 'answer without parameters: accepted', 'permessage-deflate', true),
  answer('answer.server-bits', 'answer with server_max_window_bits=10: accepted', 'permessage-deflate; server_max_window_bits=10', true),
  answer('answer.nct', 'answer with both no_context_takeover: accepted', 'permessage-deflate; server_no_context_takeover; client_no_context_takeover', true),
  answer('answer.unknown', 'answer with an unknown parameter: the client fails the connection', 'permessage-deflate; foo', false),
  answer('answer.bits-7', 'answer with server_max_window_bits=7: the client fails the connection', 'permessage-deflate; server_max_window_bits=7', false),
  answer('answer.unoffered', 'answer with an extension that was not offered: the client fails the connection', 'x-webkit-deflate-frame', false),
];

export const SECTIONS: Section[] = [
  { id: '1', title: 'Framing', cases: framing },
  { id: '2', title: 'Ping/pong', cases: pingPong },
  { id: '3', title: 'Reserved bits', cases: reserved },
  { id: '4', title: 'Opcodes', cases: opcodes },
  { id: '5', title: 'Fragmentation', cases: frag },
  { id: '6', title: 'UTF-8', cases: utf8 },
  { id: '7', title: 'Close', cases: close },
  { id: '9', title: 'Limits and large messages', cases: large },
  { id: '12', title: 'permessage-deflate', cases: deflate },
  { id: '13', title: 'permessage-deflate negotiation', cases: negotiation },
];
