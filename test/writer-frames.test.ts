import { describe, expect, it } from 'vitest';
import { FrameWriter } from '../ts/writer.js';
import { OPCODE } from '../ts/frame-types.js';
import { isValidCloseCode } from '../ts/close-codes.js';
import { parseFrames, wire, wsReceive } from './frame-parse.js';
import { prng, randomBytes } from './reference.js';

const ROLES = ['server', 'client'] as const;
/** Payload sizes at and around every length-class boundary, plus slab and copy thresholds. */
const SIZES = [0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 125, 126, 127, 511, 512, 513, 4096, 16383, 16384, 16385, 65535, 65536, 70000];

function lengthClass(n: number): number {
  return n < 126 ? 1 : n < 65536 ? 3 : 9;
}

describe('FrameWriter: data frames', () => {
  for (const role of ROLES) {
    const masked = role === 'client';
    it(`${role}: binary of every length class parses back identically (own parser and ws Receiver)`, () => {
      const rand = prng(1);
      const w = new FrameWriter({ role });
      for (const n of SIZES) {
        const data = randomBytes(rand, n);
        const copy = Buffer.from(data);
        const out = w.binary(data);
        expect(Buffer.from(data).equals(copy)).toBe(true); // the caller's bytes are never masked in place
        const frames = parseFrames(wire(out));
        expect(frames).toHaveLength(1);
        const f = frames[0];
        expect([f.fin, f.rsv1, f.rsv2, f.rsv3, f.opcode, f.masked, f.lengthBytes]).toEqual([true, false, false, false, OPCODE.BINARY, masked, lengthClass(n)]);
        expect(f.payload.equals(copy)).toBe(true);
        const ev = wsReceive(wire(out), masked);
        expect(ev).toHaveLength(1);
        expect(ev[0].type).toBe('message');
        expect(ev[0].isBinary).toBe(true);
        expect(ev[0].data!.equals(copy)).toBe(true);
      }
    });

    it(`${role}: text from strings of every length class, ASCII and multi-byte, parses back identically`, () => {
      const w = new FrameWriter({ role });
      const pieces = ['a', 'é', '€', '😀', 'ab', 'Zürich €5 '];
      const rand = prng(2);
      // Lengths around 41/42 and 125/126 units decide the header size before encoding.
      const unitCounts = [0, 1, 40, 41, 42, 43, 100, 124, 125, 126, 127, 4999, 5000, 5001, 21845, 21846, 30000];
      for (const units of unitCounts) {
        for (const mix of [0, 1]) {
          let s = '';
          while (s.length < units) s += mix === 0 ? 'x' : pieces[(rand() * pieces.length) | 0];
          s = s.slice(0, units);
          if (/[\ud800-\udbff]$/.test(s)) s = s.slice(0, -1) + 'q'; // no lone surrogate at the cut
          const expected = Buffer.from(s, 'utf8');
          const out = w.text(s);
          const frames = parseFrames(wire(out));
          expect(frames).toHaveLength(1);
          expect(frames[0].opcode).toBe(OPCODE.TEXT);
          expect(frames[0].masked).toBe(masked);
          expect(frames[0].lengthBytes).toBe(lengthClass(expected.length));
          expect(frames[0].payload.equals(expected)).toBe(true);
          const ev = wsReceive(wire(out), masked);
          expect(ev).toEqual([{ type: 'message', data: expected, isBinary: false }]);
        }
      }
    });

    it(`${role}: message() picks text for strings and binary for any ArrayBufferView or ArrayBuffer`, () => {
      const w = new FrameWriter({ role });
      const bytes = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
      const inputs: [unknown, number, Buffer][] = [
        ['hi', OPCODE.TEXT, Buffer.from('hi')],
        [bytes, OPCODE.BINARY, Buffer.from(bytes)],
        [bytes.buffer, OPCODE.BINARY, Buffer.from(bytes)],
        [new Uint16Array(bytes.buffer, 2, 2), OPCODE.BINARY, Buffer.from(bytes.subarray(2, 6))],
        [new DataView(bytes.buffer, 1, 3), OPCODE.BINARY, Buffer.from(bytes.subarray(1, 4))],
        [new Float64Array(bytes.buffer), OPCODE.BINARY, Buffer.from(bytes)],
      ];
      for (const [data, opcode, payload] of inputs) {
        const [f] = parseFrames(wire(w.message(data as string)));
        expect(f.opcode).toBe(opcode);
        expect(f.payload.equals(payload)).toBe(true);
      }
      expect(parseFrames(wire(w.message('hi', { binary: true })))[0].opcode).toBe(OPCODE.BINARY);
      expect(parseFrames(wire(w.message(Buffer.from('hi'), { binary: false })))[0].opcode).toBe(OPCODE.TEXT);
      expect(() => w.message(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }));
      expect(() => w.text(Buffer.from('x') as unknown as string)).toThrow(TypeError);
    });

    it(`${role}: fragments a message into frames of the chosen size`, () => {
      const w = new FrameWriter({ role });
      const rand = prng(3);
      for (const [n, size] of [[10, 3], [300, 125], [70000, 65535], [1, 1], [5, 5], [6, 5], [200000, 70000]]) {
        const data = randomBytes(rand, n);
        const frames = parseFrames(wire(w.binary(data, { fragmentSize: size })));
        expect(frames).toHaveLength(Math.ceil(n / size));
        frames.forEach((f, i) => {
          expect(f.opcode).toBe(i === 0 ? OPCODE.BINARY : OPCODE.CONTINUATION);
          expect(f.fin).toBe(i === frames.length - 1);
          expect(f.masked).toBe(masked);
          expect(f.payload.length).toBe(Math.min(size, n - i * size));
        });
        expect(Buffer.concat(frames.map((f) => f.payload)).equals(Buffer.from(data))).toBe(true);
        const ev = wsReceive(wire(w.binary(data, { fragmentSize: size })), masked, 1000);
        expect(ev).toHaveLength(1);
        expect(ev[0].data!.equals(Buffer.from(data))).toBe(true);
      }
      // Text fragments split the UTF-8 anywhere (even inside a character); the message is whole.
      const s = '😀é€a'.repeat(50);
      const frames = parseFrames(wire(w.text(s, { fragmentSize: 7 })));
      expect(frames[0].opcode).toBe(OPCODE.TEXT);
      expect(Buffer.concat(frames.map((f) => f.payload)).toString()).toBe(s);
      expect(wsReceive(wire(w.text(s, { fragmentSize: 7 })), masked)).toEqual([{ type: 'message', data: Buffer.from(s), isBinary: false }]);
      expect(() => w.binary(Buffer.alloc(3), { fragmentSize: 0 })).toThrow(RangeError);
      expect(() => w.binary(Buffer.alloc(3), { fragmentSize: 1.5 })).toThrow(RangeError);
    });

    it(`${role}: streams a message in parts with fin: false, control frames interleaved`, () => {
      const w = new FrameWriter({ role });
      const parts = [
        w.text('hel', { fin: false }),
        w.ping('p'),
        w.text('lo ', { fin: false }),
        w.binary(Buffer.from('wor'), { fin: false }), // a continuation keeps the message's type
        w.text('ld'),
        w.binary(Buffer.from([9])),
      ];
      expect(w.inMessage).toBe(false);
      const frames = parseFrames(wire(parts));
      expect(frames.map((f) => [f.opcode, f.fin])).toEqual([
        [OPCODE.TEXT, false], [OPCODE.PING, true], [OPCODE.CONTINUATION, false], [OPCODE.CONTINUATION, false],
        [OPCODE.CONTINUATION, true], [OPCODE.BINARY, true],
      ]);
      expect(wsReceive(wire(parts), masked)).toEqual([
        { type: 'ping', data: Buffer.from('p') },
        { type: 'message', data: Buffer.from('hello world'), isBinary: false },
        { type: 'message', data: Buffer.from([9]), isBinary: true },
      ]);
    });

    it(`${role}: compressed sets RSV1 on the first frame only`, () => {
      const w = new FrameWriter({ role });
      const frames = parseFrames(wire(w.binary(Buffer.alloc(10, 7), { compressed: true, fragmentSize: 4 })));
      expect(frames.map((f) => f.rsv1)).toEqual([true, false, false]);
      const parts = parseFrames(wire([w.text('a', { compressed: true, fin: false }), w.text('b', { compressed: true })]));
      expect(parts.map((f) => [f.rsv1, f.opcode])).toEqual([[true, OPCODE.TEXT], [false, OPCODE.CONTINUATION]]);
    });
  }
});

describe('FrameWriter: masking', () => {
  it('server frames are never masked; client frames always are, with keys from the pool', () => {
    const server = new FrameWriter({ role: 'server' });
    const client = new FrameWriter({ role: 'client' });
    const keys = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      expect(parseFrames(server.text('tick'))[0].masked).toBe(false);
      const f = parseFrames(client.text('tick') as Buffer)[0];
      expect(f.masked).toBe(true);
      keys.add(f.key!.join());
    }
    // 2000 keys from a CSPRNG collide with probability ~5e-4; a constant or counter key would not pass.
    expect(keys.size).toBeGreaterThan(1990);
  });

  it('uses a supplied key generator, with the key bytes little-endian', () => {
    const w = new FrameWriter({ role: 'client', maskKey: () => 0x3d21fa37 });
    // RFC 6455 §5.7: a single-frame masked text message "Hello".
    expect(Buffer.from(w.text('Hello') as Buffer).toString('hex')).toBe('818537fa213d7f9f4d5158');
    expect(Buffer.from(w.binary(Buffer.from('Hello')) as Buffer).toString('hex')).toBe('828537fa213d7f9f4d5158');
  });

  it('a zero key sends the payload as it is (and a large one without copying it)', () => {
    const w = new FrameWriter({ role: 'client', maskKey: () => 0 });
    const big = Buffer.alloc(100000, 0x61);
    const out = w.binary(big);
    expect(Array.isArray(out)).toBe(true);
    expect((out as Uint8Array[])[1].buffer).toBe(big.buffer);
    const [f] = parseFrames(wire(out));
    expect(f.key).toEqual([0, 0, 0, 0]);
    expect(f.payload.equals(big)).toBe(true);
    expect(wsReceive(wire(w.text('zero')), true)).toEqual([{ type: 'message', data: Buffer.from('zero'), isBinary: false }]);
  });

  it('masks every payload length and alignment correctly (random keys, own parser)', () => {
    const rand = prng(4);
    for (let n = 0; n < 700; n += (n < 80 ? 1 : 37)) {
      const key = (rand() * 2 ** 32) >>> 0;
      const w = new FrameWriter({ role: 'client', maskKey: () => key });
      for (const offset of [0, 1, 2, 3]) {
        const backing = randomBytes(rand, n + offset);
        const data = backing.subarray(offset);
        const [f] = parseFrames(wire(w.binary(data)));
        expect(f.key).toEqual([key & 255, (key >>> 8) & 255, (key >>> 16) & 255, key >>> 24]);
        expect(f.payload.equals(Buffer.from(data))).toBe(true);
      }
      const s = Buffer.from(randomBytes(rand, n)).toString('latin1');
      expect(parseFrames(wire(w.text(s)))[0].payload.toString('utf8')).toBe(s);
    }
  });
});

describe('FrameWriter: results stay valid', () => {
  it('earlier frames are never overwritten by later ones (slab memory is not reused)', () => {
    for (const role of ROLES) {
      const w = new FrameWriter({ role });
      const rand = prng(5);
      const kept: [Uint8Array | Uint8Array[], Buffer][] = [];
      for (let i = 0; i < 5000; i++) {
        const n = (rand() * 3000) | 0;
        const out = i % 2 ? w.text('x'.repeat(n)) : w.binary(randomBytes(rand, n));
        kept.push([out, wire(out)]);
      }
      for (const [out, bytes] of kept) expect(wire(out).equals(bytes)).toBe(true);
    }
  });

  it('small frames come back as one Buffer; large unmasked payloads as [header, payload] without a copy', () => {
    const w = new FrameWriter({ role: 'server' });
    const small = w.binary(Buffer.alloc(100));
    expect(Buffer.isBuffer(small)).toBe(true);
    const big = Buffer.alloc(1 << 20, 1);
    const out = w.binary(big) as Uint8Array[];
    expect(out).toHaveLength(2);
    expect(out[0].length).toBe(10);
    expect(out[1].buffer).toBe(big.buffer);
    expect(Buffer.isBuffer(out[0]) && Buffer.isBuffer(out[1])).toBe(true);
  });
});

describe('FrameWriter: control frames', () => {
  for (const role of ROLES) {
    const masked = role === 'client';
    it(`${role}: ping and pong carry up to 125 bytes and refuse more`, () => {
      const w = new FrameWriter({ role });
      expect(wsReceive(wire([w.ping(), w.ping('abc'), w.pong(Buffer.alloc(125, 1)), w.ping(new Uint8Array([1, 2]))]), masked)).toEqual([
        { type: 'ping', data: Buffer.alloc(0) },
        { type: 'ping', data: Buffer.from('abc') },
        { type: 'pong', data: Buffer.alloc(125, 1) },
        { type: 'ping', data: Buffer.from([1, 2]) },
      ]);
      const tooLong = (f: () => unknown) => expect(f).toThrow(expect.objectContaining({ name: 'RangeError', code: 'WS_ERR_CONTROL_TOO_LONG' }));
      tooLong(() => w.ping(Buffer.alloc(126)));
      tooLong(() => w.pong('é'.repeat(63)));
      expect(() => w.ping(5 as unknown as string)).toThrow(TypeError);
    });

    it(`${role}: close carries a valid code and a reason of at most 123 bytes`, () => {
      const w = new FrameWriter({ role });
      expect(wsReceive(w.close(), masked)).toEqual([{ type: 'close', code: 1005, reason: '' }]);
      expect(wsReceive(w.close(1000), masked)).toEqual([{ type: 'close', code: 1000, reason: '' }]);
      expect(wsReceive(w.close(4999, 'bye ✓'), masked)).toEqual([{ type: 'close', code: 4999, reason: 'bye ✓' }]);
      expect(wsReceive(w.close(1001, 'r'.repeat(123)), masked)).toEqual([{ type: 'close', code: 1001, reason: 'r'.repeat(123) }]);
      const [f] = parseFrames(w.close(3000, Buffer.from('ok')));
      expect([...f.payload]).toEqual([0x0b, 0xb8, 0x6f, 0x6b]);
      const bad = (f2: () => unknown, code: string) => expect(f2).toThrow(expect.objectContaining({ code }));
      for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 1000.5, NaN]) bad(() => w.close(code), 'WS_ERR_INVALID_SEND_CLOSE_CODE');
      bad(() => w.close(1000, 'r'.repeat(124)), 'WS_ERR_INVALID_CLOSE_REASON');
      bad(() => w.close(1000, '€'.repeat(42)), 'WS_ERR_INVALID_CLOSE_REASON'); // 126 bytes of UTF-8
      bad(() => w.close(1000, new Uint8Array([0xc0, 0x80])), 'WS_ERR_INVALID_CLOSE_REASON');
      bad(() => w.close(undefined, 'why'), 'WS_ERR_INVALID_CLOSE_REASON');
      bad(() => w.close('1000' as unknown as number), 'ERR_INVALID_ARG_TYPE');
    });
  }

  it('isValidCloseCode matches RFC 6455 §7.4 and the IANA registry', () => {
    const valid = [];
    for (let c = 0; c < 6000; c++) if (isValidCloseCode(c)) valid.push(c);
    const expected = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014];
    for (let c = 3000; c <= 4999; c++) expected.push(c);
    expect(valid).toEqual(expected);
  });
});

describe('FrameWriter: options', () => {
  it('rejects a bad role or key generator', () => {
    expect(() => new FrameWriter({ role: 'peer' as 'server' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new FrameWriter({ role: 'client', maskKey: 5 as unknown as () => number })).toThrow(TypeError);
    expect(() => new FrameWriter(undefined as unknown as { role: 'server' })).toThrow(TypeError);
  });
});
