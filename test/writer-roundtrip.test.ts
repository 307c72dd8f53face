/**
 * Everything the writer produces, the reader parses back identically: every length class, text
 * and binary, fragments, streamed parts and control frames, both roles (a client's frames read by
 * a server reader and the reverse), with every available kernel backend on both sides, fed to the
 * reader in random cuts through both of its input paths.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FrameWriter } from '../ts/writer.js';
import { prepare } from '../ts/prepare.js';
import { backendStatus, useBackend } from '../ts/select.js';
import { activeBackend } from '../ts/index.js';
import type { BackendName } from '../ts/backend.js';
import type { Role } from '../ts/frame-types.js';
import { feed } from './reader-helpers.js';
import type { OracleEvent } from './oracle.js';
import { wire } from './frame-parse.js';
import { prng, randomBytes } from './reference.js';

const initial = activeBackend().name;
afterAll(() => {
  useBackend(initial);
});

const BACKENDS = backendStatus().filter((b) => b.available).map((b) => b.name as BackendName);
const SIZES = [0, 1, 7, 64, 125, 126, 127, 1000, 16384, 16385, 65535, 65536, 200000];
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** A conversation written by `w`, and the events a reader must report for it. */
function conversation(w: FrameWriter, seed: number): { chunks: Uint8Array[]; expected: OracleEvent[] } {
  const rand = prng(seed);
  const chunks: Uint8Array[] = [];
  const expected: OracleEvent[] = [];
  const out = (x: Uint8Array | Uint8Array[]) => chunks.push(wire(x));
  for (const n of SIZES) {
    const bytes = randomBytes(rand, n);
    out(w.binary(bytes));
    expected.push(['binary', hex(bytes)]);
    const pieces: string[] = [];
    for (let len = 0; len < n;) {
      const piece = ['a', 'é', '€', '😀', 'tick '][(rand() * 5) | 0];
      pieces.push(piece);
      len += Buffer.byteLength(piece);
    }
    const s = pieces.join('');
    out(w.text(s));
    expected.push(['text', s]);
    if (n > 0) {
      const size = Math.max(1, Math.floor(n / 3));
      out(w.binary(bytes, { fragmentSize: size }));
      expected.push(['binary', hex(bytes)]);
      out(w.text(s, { fragmentSize: size }));
      expected.push(['text', s]);
    }
  }
  const ping = randomBytes(rand, 125);
  out(w.text('part one, ', { fin: false }));
  out(w.ping(ping));
  expected.push(['ping', hex(ping)]);
  out(w.text('part two', { fin: false }));
  out(w.pong('pong'));
  expected.push(['pong', hex(Buffer.from('pong'))]);
  out(w.text(''));
  expected.push(['text', 'part one, part two']);
  out(w.close(4000, 'done ✓'));
  expected.push(['close', 4000, 'done ✓']);
  return { chunks, expected };
}

/** Random cut points over the concatenated stream (ascending, last = length). */
function cuts(total: number, rand: () => number): number[] {
  const out: number[] = [];
  let p = 0;
  while (p < total) {
    p = Math.min(total, p + 1 + Math.floor(rand() * (rand() < 0.5 ? 40 : 70000)));
    out.push(p);
  }
  return out;
}

describe('writer -> reader round trip', () => {
  for (const writerBackend of BACKENDS) {
    for (const role of ['client', 'server'] as Role[]) {
      it(`${role} frames (writer on ${writerBackend}) read back identically by a ${role === 'client' ? 'server' : 'client'} reader on every backend`, () => {
        useBackend(writerBackend);
        const w = new FrameWriter({ role });
        const { chunks, expected } = conversation(w, 11);
        // A plain Uint8Array: feed() cuts it with slice(), which copies (Buffer#slice would give
        // views, and the reader unmasks what it is pushed in place).
        const stream = new Uint8Array(Buffer.concat(chunks));
        const readerRole: Role = role === 'client' ? 'server' : 'client';
        for (const readerBackend of BACKENDS) {
          const rand = prng(12);
          expect(feed(stream, { role: readerRole, backend: readerBackend }, [stream.length])).toEqual(expected);
          expect(feed(stream, { role: readerRole, backend: readerBackend }, cuts(stream.length, rand))).toEqual(expected);
          expect(feed(stream, { role: readerRole, backend: readerBackend }, cuts(stream.length, rand), 'receive')).toEqual(expected);
        }
      });
    }
  }

  it('prepared frames read back identically by a client reader', () => {
    const rand = prng(13);
    const chunks: Uint8Array[] = [];
    const expected: OracleEvent[] = [];
    for (const n of SIZES) {
      const bytes = randomBytes(rand, n);
      chunks.push(prepare(bytes).bytes);
      expected.push(['binary', hex(bytes)]);
      const s = 'ü'.repeat(n >> 1);
      chunks.push(prepare(s).bytes);
      expected.push(['text', s]);
    }
    const stream = new Uint8Array(Buffer.concat(chunks));
    expect(feed(stream, { role: 'client' }, cuts(stream.length, rand))).toEqual(expected);
  });
});
