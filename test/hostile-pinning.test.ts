/**
 * Memory a held fragment pins. On the push path (how connections feed the reader) a fragment of an
 * unfinished message could be kept as a view into the pushed chunk: a 1-byte fragment arriving in
 * a 64 KiB read (the rest pings, legal between fragments) would pin the whole 64 KiB while counting
 * 1 byte against maxBufferedBytes, a 65536-fold amplification up to maxFragments. The reader must
 * keep what it holds within twice the bytes it counts.
 */
import { describe, expect, it } from 'vitest';
import { FrameReader } from '../ts/reader.js';
import { buildFrame } from './oracle.js';

const key = () => new Uint8Array([1, 2, 3, 4]);

/** Distinct ArrayBuffers the reader's held pieces keep alive, in bytes. */
function pinned(r: FrameReader): number {
  const pieces = (r as unknown as { pieces: Uint8Array[] }).pieces;
  const seen = new Set<ArrayBufferLike>();
  let n = 0;
  for (const p of pieces) {
    if (!seen.has(p.buffer)) {
      seen.add(p.buffer);
      n += p.buffer.byteLength;
    }
  }
  return n;
}

describe('memory pinned by held fragments', () => {
  for (const [name, op, textAs, path] of [['binary', 2, 'string', 'push'], ['text as bytes', 1, 'bytes', 'push'], ['binary', 2, 'string', 'receive']] as const) {
    it(`${name}, ${path} path: 1-byte fragments each in a 64 KiB chunk of pings pin at most twice the bytes counted`, () => {
      let pings = 0;
      const r = new FrameReader({ role: 'server', textAs }, { onMessage() {}, onPing: () => pings++, onPong() {}, onClose() {}, onError: (e) => { throw e; } });
      const ping = buildFrame({ opcode: 9, payload: new Uint8Array(125), mask: key() });
      const pingRun = Buffer.concat(Array.from({ length: 500 }, () => ping));
      const chunks = 200;
      for (let i = 0; i < chunks; i++) {
        const frag = buildFrame({ fin: false, opcode: i === 0 ? op : 0, payload: new Uint8Array([0x61]), mask: key() });
        const chunk = Buffer.concat([pingRun, frag]); // a fresh 64 KiB chunk each time, as a socket read gives
        if (path === 'push') r.push(chunk);
        else {
          for (let p = 0; p < chunk.length;) {
            const into = r.receiveBuffer();
            const n = Math.min(into.length, chunk.length - p);
            into.set(chunk.subarray(p, p + n));
            r.received(n);
            p += n;
          }
        }
      }
      expect(pings).toBe(500 * chunks);
      expect(r.bufferedBytes).toBe(chunks);
      expect(pinned(r)).toBeLessThanOrEqual(2 * r.bufferedBytes);
    });
  }
});

describe('how the fragments of a bytes message are held', () => {
  /** Pushes `fragments` (payload sizes), each at the end of its own 64 KiB chunk of pings; returns the message. */
  function deliver(sizes: number[], textAs: 'string' | 'bytes', op: 1 | 2): { data: Buffer; chunks: Buffer[]; pieces: Uint8Array[] } {
    const got: Buffer[] = [];
    const r = new FrameReader({ role: 'server', textAs }, { onMessage: (d) => got.push(d as Buffer), onPing() {}, onPong() {}, onClose() {}, onError: (e) => { throw e; } });
    const ping = buildFrame({ opcode: 9, payload: new Uint8Array(125), mask: key() });
    const chunks: Buffer[] = [];
    let pieces: Uint8Array[] = [];
    sizes.forEach((n, i) => {
      const payload = new Uint8Array(n).fill(0x61 + i);
      const frag = buildFrame({ fin: i === sizes.length - 1, opcode: i === 0 ? op : 0, payload, mask: key() });
      const pings = Math.max(0, Math.floor((65536 - frag.length) / ping.length));
      const chunk = Buffer.concat([...Array.from({ length: pings }, () => ping), frag]);
      chunks.push(chunk);
      r.push(chunk);
      if (i === sizes.length - 2) pieces = [...(r as unknown as { pieces: Uint8Array[] }).pieces];
    });
    expect(got.length).toBe(1);
    return { data: got[0], chunks, pieces };
  }
  const expected = (sizes: number[]) => Buffer.concat(sizes.map((n, i) => Buffer.alloc(n, 0x61 + i)));

  it('small fragments (each far less than its chunk) are copied: the message owns exactly its bytes', () => {
    for (const [textAs, op] of [['bytes', 1], ['string', 2]] as const) {
      const sizes = [4096, 4096, 4096, 4096];
      const { data, chunks, pieces } = deliver(sizes, textAs, op);
      expect(Buffer.compare(data, expected(sizes))).toBe(0);
      expect(pieces).toEqual([]); // gathered by copy, not held as views
      expect(chunks.some((c) => c.buffer === data.buffer)).toBe(false);
      expect(data.buffer.byteLength).toBeLessThan(2 * data.length + 8192);
    }
  });

  it('a message whose first fragment fills its chunk keeps views, later small fragments included, and is whole', () => {
    const sizes = [60000, 100, 30000, 5];
    const { data, pieces } = deliver(sizes, 'bytes', 2);
    expect(Buffer.compare(data, expected(sizes))).toBe(0);
    expect(pieces.length).toBe(3);
    expect(pieces[0].length * 2).toBeGreaterThanOrEqual(pieces[0].buffer.byteLength); // a view of its chunk
    expect(pieces[1].buffer.byteLength).toBe(100); // small: copied into memory of its own
  });

  it('a message that starts small and continues large is gathered by copy and whole', () => {
    const sizes = [10, 60000, 3, 50000];
    const { data } = deliver(sizes, 'bytes', 1);
    expect(Buffer.compare(data, expected(sizes))).toBe(0);
  });
});
