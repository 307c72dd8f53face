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
