/**
 * Limits: checked from the header, before the payload arrives and before anything is allocated for
 * it; and fed both whole and split (the buffered-bytes limit only applies to what must be held).
 */
import { describe, expect, it } from 'vitest';
import { buildFrame, concatBytes } from './oracle.js';
import { bytewise, feed, recorder, whole } from './reader-helpers.js';

const KEY = Uint8Array.of(1, 2, 3, 4);
const masked = (opcode: number, payload: Uint8Array, fin = true) => buildFrame({ opcode, payload, fin, mask: KEY });
const u8 = (...b: number[]) => Uint8Array.from(b);

describe('reader limits', () => {
  it('rejects a 2^63 - 1 length before allocating anything', () => {
    const head = u8(0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4);
    const before = process.memoryUsage().arrayBuffers;
    for (const cuts of [whole(head.length), bytewise(head.length)]) {
      expect(feed(head, { role: 'server' }, cuts)).toEqual([['error', 1009, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH']]);
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('a header announcing a large allowed frame commits at most 256 KiB until the bytes arrive', () => {
    const n = 100 * 1024 * 1024 - 1; // within the 100 MiB default
    const head = u8(0x82, 0xff, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, 1, 2, 3, 4);
    const { reader, events } = recorder({ role: 'server' });
    const before = process.memoryUsage().arrayBuffers;
    reader.push(concatBytes([head, new Uint8Array(1000)]));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
    expect(events).toEqual([]);
  });

  it('maxMessageSize: one frame, and fragments adding up, rejected at the header that crosses it (1009)', () => {
    const opts = { role: 'server' as const, maxMessageSize: 1000 };
    const big = masked(2, new Uint8Array(1001));
    for (const cuts of [whole(big.length), [8]]) {
      expect(feed(big.subarray(0, cuts[0]), opts, [cuts[0]])).toEqual([['error', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']]);
    }
    expect(feed(masked(2, new Uint8Array(1000)), opts, [1008])).toEqual([['binary', '00'.repeat(1000)]]);
    const frags = concatBytes([masked(1, new Uint8Array(600).fill(0x61), false), masked(0, new Uint8Array(401).fill(0x61))]);
    expect(feed(frags, opts, [frags.length])).toEqual([['error', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']]);
    // Control frames do not count towards the message.
    const withPing = concatBytes([masked(1, new Uint8Array(600).fill(0x61), false), masked(9, new Uint8Array(100)), masked(0, new Uint8Array(400).fill(0x61))]);
    expect(feed(withPing, opts, [withPing.length])).toEqual([['ping', '00'.repeat(100)], ['text', 'a'.repeat(1000)]]);
  });

  it('maxFragments: many tiny fragments are refused at the first frame too many (1009)', () => {
    const frames = (count: number) => concatBytes([masked(2, u8(0), false), ...Array.from({ length: count - 2 }, () => masked(0, u8(), false)), masked(0, u8(1))]);
    expect(feed(frames(100), { role: 'server', maxFragments: 100 }, [frames(100).length])).toEqual([['binary', '0001']]);
    const over = frames(101);
    expect(feed(over, { role: 'server', maxFragments: 100 }, [over.length])).toEqual([['error', 1009, 'WS_ERR_TOO_MANY_FRAGMENTS']]);
    // The default (65536) holds too: 65537 empty fragments fail, in bounded time and memory.
    const flood = frames(65537);
    const { reader, events } = recorder({ role: 'server' });
    for (let p = 0; p < flood.length; p += 65536) reader.push(flood.slice(p, p + 65536));
    expect(events).toEqual([['error', 1009, 'WS_ERR_TOO_MANY_FRAGMENTS']]);
  });

  it('maxBufferedBytes: only bytes that must be held count; checked before allocating', () => {
    const opts = { role: 'server' as const, maxBufferedBytes: 1000 };
    const frame = masked(2, new Uint8Array(2000).fill(7));
    // Whole in one chunk: nothing is held, so the frame is delivered.
    expect(feed(frame, opts, [frame.length])).toEqual([['binary', '07'.repeat(2000)]]);
    // Cut: the reader would have to hold 2000 bytes; refused as soon as the header is complete.
    expect(feed(frame, opts, [10, frame.length])).toEqual([['error', 1009, 'WS_ERR_BUFFERED_LIMIT']]);
    expect(feed(frame.subarray(0, 8), opts, [8])).toEqual([['error', 1009, 'WS_ERR_BUFFERED_LIMIT']]);
    // An unfinished fragmented message holding more than the limit, text and binary.
    for (const op of [1, 2]) {
      const frags = concatBytes([masked(op, new Uint8Array(400).fill(0x61), false), masked(0, new Uint8Array(400).fill(0x61), false),
        masked(0, new Uint8Array(400).fill(0x61), false), masked(0, u8(0x61))]);
      expect(feed(frags, opts, [frags.length])).toEqual([['error', 1009, 'WS_ERR_BUFFERED_LIMIT']]);
    }
  });

  it('rejects bad options with clear errors', () => {
    const h = { onMessage() {}, onPing() {}, onPong() {}, onClose() {}, onError() {} };
    expect(() => recorder({ role: 'peer' as never })).toThrow(/role/);
    expect(() => recorder({ role: 'server', maxMessageSize: 0 })).toThrow(/maxMessageSize/);
    expect(() => recorder({ role: 'server', maxFragments: 1.5 })).toThrow(/maxFragments/);
    expect(() => recorder({ role: 'server', maxBufferedBytes: -1 })).toThrow(/maxBufferedBytes/);
    expect(() => recorder({ role: 'server', textAs: 'utf16' as never })).toThrow(/textAs/);
    return import('../ts/reader.js').then(({ FrameReader }) => {
      expect(() => new FrameReader({ role: 'server', allowRsv1: true }, h)).toThrow(/onCompressedMessage/);
      expect(() => new FrameReader({ role: 'server' }, { ...h, onError: undefined as never })).toThrow(/onError/);
      expect(() => new FrameReader({ role: 'server' }, h).push('text' as never)).toThrow(TypeError);
    });
  });
});
