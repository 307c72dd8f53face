/**
 * Every RFC 6455 §5 rule the reader enforces, in both roles, each stream fed whole, one byte at a
 * time and cut at every point, through push and through the receive buffer: the events must be the
 * same every time, and equal to the expected events written here by hand from the RFC.
 */
import { describe, expect, it } from 'vitest';
import { buildFrame, concatBytes, type OracleEvent } from './oracle.js';
import { bytewise, feed, twoPieceSplits, type Path } from './reader-helpers.js';
import type { ReaderOptions, Role } from '../ts/frame-types.js';

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

interface F {
  op: number;
  payload?: Uint8Array;
  fin?: boolean;
  rsv?: number;
  lengthBits?: 7 | 16 | 64;
  /** Mask the other way round than the role expects. */
  wrongMask?: boolean;
}

/** The frames as the peer of a reader in `role` sends them (a client masks, a server does not). */
function stream(role: Role, frames: F[]): Uint8Array {
  return concatBytes(frames.map((f) => {
    const masked = (role === 'server') !== (f.wrongMask === true);
    return buildFrame({ opcode: f.op, payload: f.payload ?? new Uint8Array(0), fin: f.fin, rsv: f.rsv, lengthBits: f.lengthBits, mask: masked ? KEY : undefined });
  }));
}

const closePayload = (code: number, reason: Uint8Array = new Uint8Array(0)) => concatBytes([Uint8Array.of(code >> 8, code & 0xff), reason]);
const err = (close: number, code: string): OracleEvent => ['error', close, code];

/** Expects identical events for every way of feeding the stream. */
function check(bytes: Uint8Array, opts: ReaderOptions, expected: OracleEvent[]): void {
  for (const path of ['push', 'receive'] as Path[]) {
    for (const cuts of [[bytes.length], bytewise(bytes.length), ...(bytes.length <= 400 ? twoPieceSplits(bytes.length) : [])]) {
      const got = feed(bytes, opts, cuts, path);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        expect({ path, cuts: cuts.length === 1 ? 'whole' : cuts.length === bytes.length ? 'bytewise' : `at ${cuts[0]}`, got }).toEqual({ path, cuts: '', got: expected });
      }
    }
  }
}

const u8 = (...b: number[]) => Uint8Array.from(b);

for (const role of ['server', 'client'] as Role[]) {
  const opts: ReaderOptions = { role };
  const run = (frames: F[], expected: OracleEvent[], o: ReaderOptions = opts) => check(stream(role, frames), o, expected);

  describe(`reader rules, ${role} role`, () => {
    it('delivers text, binary, ping, pong and close (RFC 6455 §5.7 payloads)', () => {
      run([{ op: 1, payload: enc('Hello') }], [['text', 'Hello']]);
      run([{ op: 2, payload: u8(0, 1, 2, 0xff) }], [['binary', '000102ff']]);
      run([{ op: 9, payload: enc('Hello') }, { op: 10, payload: enc('Hello') }], [['ping', hex(enc('Hello'))], ['pong', hex(enc('Hello'))]]);
      run([{ op: 9 }, { op: 1 }, { op: 2 }], [['ping', ''], ['text', ''], ['binary', '']]);
      run([{ op: 8, payload: closePayload(1000, enc('bye €')) }], [['close', 1000, 'bye €']]);
      run([{ op: 8 }], [['close', 1005, '']]);
    });

    it('joins fragments, with control frames in between, and characters split across fragments', () => {
      const euro = enc('€'); // e2 82 ac
      run(
        [{ op: 1, fin: false, payload: concatBytes([enc('a'), euro.subarray(0, 1)]) }, { op: 9, payload: enc('p') },
          { op: 0, fin: false, payload: euro.subarray(1, 2) }, { op: 10 }, { op: 0, payload: concatBytes([euro.subarray(2), enc('b')]) }],
        [['ping', '70'], ['pong', ''], ['text', 'a€b']],
      );
      run([{ op: 2, fin: false, payload: u8(1) }, { op: 0, fin: false }, { op: 0, payload: u8(2, 3) }], [['binary', '010203']]);
    });

    it('accepts non-minimal length encodings (RFC 6455 §5.2 does not forbid them on receipt)', () => {
      run([{ op: 1, payload: enc('Hi'), lengthBits: 16 }, { op: 2, payload: u8(7), lengthBits: 64 }, { op: 1, payload: enc('x'.repeat(200)), lengthBits: 64 }],
        [['text', 'Hi'], ['binary', '07'], ['text', 'x'.repeat(200)]]);
    });

    it('rejects reserved bits without a negotiated extension (1002)', () => {
      run([{ op: 1, rsv: 4, payload: enc('a') }], [err(1002, 'WS_ERR_UNEXPECTED_RSV_1')]);
      run([{ op: 1, rsv: 2 }], [err(1002, 'WS_ERR_UNEXPECTED_RSV_2_3')]);
      run([{ op: 2, rsv: 1 }], [err(1002, 'WS_ERR_UNEXPECTED_RSV_2_3')]);
      run([{ op: 9, rsv: 4 }], [err(1002, 'WS_ERR_UNEXPECTED_RSV_1')]);
    });

    it('rejects the reserved opcodes 3-7 and B-F (1002)', () => {
      for (const op of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) run([{ op }], [err(1002, 'WS_ERR_INVALID_OPCODE')]);
    });

    it('rejects fragmented control frames and control payloads over 125 bytes (1002)', () => {
      for (const op of [8, 9, 10]) run([{ op, fin: false }], [err(1002, 'WS_ERR_EXPECTED_FIN')]);
      run([{ op: 9, payload: new Uint8Array(125) }], [['ping', '00'.repeat(125)]]);
      run([{ op: 9, payload: new Uint8Array(126) }], [err(1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH')]);
      // 125 bytes, but in the 16-bit form: the length code 126 itself is illegal for control frames.
      run([{ op: 10, payload: new Uint8Array(5), lengthBits: 16 }], [err(1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH')]);
    });

    it('rejects a close payload of 1 byte, bad close codes and a close reason that is not UTF-8', () => {
      run([{ op: 8, payload: u8(3) }], [err(1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH')]);
      for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
        run([{ op: 8, payload: closePayload(code, enc('r')) }], [['close', code, 'r']]);
      }
      for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
        run([{ op: 8, payload: closePayload(code) }], [err(1002, 'WS_ERR_INVALID_CLOSE_CODE')]);
      }
      run([{ op: 8, payload: closePayload(1000, u8(0x61, 0xc3)) }], [err(1007, 'WS_ERR_INVALID_UTF8')]);
      run([{ op: 8, payload: closePayload(1000, u8(0xed, 0xa0, 0x80)) }], [err(1007, 'WS_ERR_INVALID_UTF8')]);
    });

    it('rejects continuation without a message, and a new data frame inside a fragmented message', () => {
      run([{ op: 0, payload: enc('a') }], [err(1002, 'WS_ERR_UNEXPECTED_CONTINUATION')]);
      run([{ op: 1, payload: enc('a') }, { op: 0, payload: enc('b') }], [['text', 'a'], err(1002, 'WS_ERR_UNEXPECTED_CONTINUATION')]);
      run([{ op: 1, fin: false, payload: enc('a') }, { op: 2, payload: u8(1) }], [err(1002, 'WS_ERR_EXPECTED_CONTINUATION')]);
      run([{ op: 2, fin: false }, { op: 9 }, { op: 1 }], [['ping', ''], err(1002, 'WS_ERR_EXPECTED_CONTINUATION')]);
    });

    it(`rejects ${role === 'server' ? 'unmasked frames from a client' : 'masked frames from a server'} (1002)`, () => {
      const code = role === 'server' ? 'WS_ERR_EXPECTED_MASK' : 'WS_ERR_UNEXPECTED_MASK';
      run([{ op: 1, payload: enc('a'), wrongMask: true }], [err(1002, code)]);
      run([{ op: 1, payload: enc('a') }, { op: 9, wrongMask: true }], [['text', 'a'], err(1002, code)]);
    });

    it('rejects a 64-bit length with the top bit set (1002) or above 2^53 - 1 (1009), before any payload', () => {
      const head = (b2: number) => {
        const h = [0x82, (role === 'server' ? 0x80 : 0) | 127, b2, 0, 0, 0, 0, 0, 0, 5];
        return u8(...h, ...(role === 'server' ? [1, 2, 3, 4] : []));
      };
      check(head(0x80), opts, [err(1002, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH')]);
      check(head(0xff), opts, [err(1002, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH')]);
      check(head(0x00).map((b, i) => (i === 3 ? 0x20 : b)), opts, [err(1009, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH')]);
    });

    it('rejects invalid UTF-8 in text (1007), in the fragment and the read where it appears', () => {
      run([{ op: 1, payload: u8(0x61, 0xff) }], [err(1007, 'WS_ERR_INVALID_UTF8')]);
      run([{ op: 1, payload: u8(0xc0, 0xaf) }], [err(1007, 'WS_ERR_INVALID_UTF8')]);
      run([{ op: 1, payload: u8(0xed, 0xa0, 0x80) }], [err(1007, 'WS_ERR_INVALID_UTF8')]);
      // A message that ends inside a character is invalid even though every byte so far was a valid prefix.
      run([{ op: 1, fin: false, payload: enc('a') }, { op: 0, payload: u8(0xe2, 0x82) }], [err(1007, 'WS_ERR_INVALID_UTF8')]);
      // Fail fast: the bad first fragment is reported although the message never ends.
      run([{ op: 1, fin: false, payload: u8(0x61, 0x80) }], [err(1007, 'WS_ERR_INVALID_UTF8')]);
      // ...and inside one large frame, before the rest of its payload has arrived.
      const big = stream(role, [{ op: 1, payload: concatBytes([enc('x'.repeat(700)), u8(0xff), enc('y'.repeat(2000))]) }]);
      check(big.subarray(0, 4 + (role === 'server' ? 4 : 0) + 701), opts, [err(1007, 'WS_ERR_INVALID_UTF8')]);
      check(big.subarray(0, 4 + (role === 'server' ? 4 : 0) + 700), opts, []);
    });

    it('stops after an error or a close frame: later input is ignored', () => {
      run([{ op: 3 }, { op: 1, payload: enc('a') }], [err(1002, 'WS_ERR_INVALID_OPCODE')]);
      run([{ op: 8, payload: closePayload(1001) }, { op: 1, payload: enc('a') }], [['close', 1001, '']]);
    });

    it('with allowRsv1: compressed messages go to onCompressedMessage unvalidated; RSV1 elsewhere is a 1002', () => {
      const o: ReaderOptions = { role, allowRsv1: true };
      run([{ op: 1, rsv: 4, payload: u8(0xff, 0xfe) }, { op: 1, payload: enc('ok') }], [['compressed', false, 'fffe'], ['text', 'ok']], o);
      run([{ op: 2, rsv: 4, fin: false, payload: u8(1) }, { op: 9 }, { op: 0, payload: u8(2) }], [['ping', ''], ['compressed', true, '0102']], o);
      run([{ op: 1, rsv: 4, fin: false, payload: u8(1) }, { op: 0, rsv: 4, payload: u8(2) }], [err(1002, 'WS_ERR_UNEXPECTED_RSV_1')], o);
      run([{ op: 9, rsv: 4 }], [err(1002, 'WS_ERR_UNEXPECTED_RSV_1')], o);
    });

    it("with textAs 'bytes': text arrives as validated UTF-8 bytes", () => {
      run([{ op: 1, payload: enc('héllo') }, { op: 1, fin: false, payload: enc('a') }, { op: 0, payload: enc('é') }],
        [['text', 'héllo'], ['text', 'aé']], { role, textAs: 'bytes' });
      run([{ op: 1, payload: u8(0xff) }], [err(1007, 'WS_ERR_INVALID_UTF8')], { role, textAs: 'bytes' });
    });
  });
}
