/**
 * Short fuzz run of the FrameReader (the long one is scripts/fuzz.mjs): seeded valid, mutated,
 * random and limit-aimed streams in both roles, each fed in random chunks through push and the
 * receive buffer on every available backend, checked by test/fuzz-lib.ts (no escaped exception,
 * nothing after an error, bufferedBytes bounded, events equal to the oracle and across backends).
 */
import { describe, expect, it } from 'vitest';
import { FrameReader } from '../ts/reader.js';
import { backendStatus } from '../ts/select.js';
import { checkCase, countFrames, makeCase, runReader, CONTROL_SLACK } from './fuzz-lib.js';
import type { FuzzCase, FuzzReaderClass } from './fuzz-lib.js';
import { buildFrame } from './oracle.js';
import { prng } from './reference.js';

const Reader = FrameReader as unknown as FuzzReaderClass;
const backends = backendStatus().filter((b) => b.available).map((b) => b.name);
const CASES = 600;

describe('reader fuzz (short run)', () => {
  it(`covers every available backend: ${backends.join(', ')}`, () => {
    expect(backends).toEqual(expect.arrayContaining(['js', 'wasm', 'native']));
  });

  for (const seed of [1, 2]) {
    it(`seed ${seed}: ${CASES} cases agree with the oracle and across backends, invariants hold`, () => {
      const rand = prng(seed);
      const kinds: Record<string, number> = {};
      let frames = 0;
      let errors = 0;
      for (let i = 0; i < CASES; i++) {
        const c = makeCase(rand);
        kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
        frames += countFrames(c.stream);
        const r = checkCase(Reader, c, backends);
        if (r.failure !== undefined) expect.fail(`case ${i} (${c.kind}, ${JSON.stringify(c.opts)}): ${r.failure}`);
        if (r.expected.at(-1)?.[0] === 'error') errors++;
      }
      // The generator must reach every kind and both outcomes.
      expect(Object.keys(kinds).sort()).toEqual(['limits', 'mutated', 'random', 'valid']);
      expect(errors).toBeGreaterThan(CASES / 5);
      expect(frames).toBeGreaterThan(CASES * 4);
    });
  }

  it('the checker catches what it claims to: a reader that throws, delivers after an error, or holds too much', () => {
    const c: FuzzCase = { kind: 'valid', stream: buildFrame({ opcode: 2, payload: new Uint8Array(10), mask: undefined }), opts: { role: 'client', maxBufferedBytes: 1 }, cuts: [3, 12] };
    class Throws { bufferedBytes = 0; push() { throw new Error('boom'); } receiveBuffer() { return new Uint8Array(1); } received() {} }
    expect(runReader(Throws as unknown as FuzzReaderClass, c, 'js', 'push').violations[0]).toMatch(/exception escaped/);
    class Chatty {
      bufferedBytes = 0;
      constructor(_o: unknown, private h: { onError(e: unknown): void; onPing(p: Uint8Array): void }) {}
      push() { this.h.onError(Object.assign(new Error('x'), { code: 'X', closeCode: 1002 })); this.h.onPing(new Uint8Array(0)); }
      receiveBuffer() { return new Uint8Array(1); }
      received() {}
    }
    expect(runReader(Chatty as unknown as FuzzReaderClass, c, 'js', 'push').violations[0]).toMatch(/after the reader stopped/);
    class Hoards { bufferedBytes = 1 + CONTROL_SLACK + 1; push() {} receiveBuffer() { return new Uint8Array(1); } received() {} }
    expect(runReader(Hoards as unknown as FuzzReaderClass, c, 'js', 'push').violations[0]).toMatch(/bufferedBytes/);
  });

  it('bufferedBytes tracks a cut header, a cut payload and held fragments, and returns to 0', () => {
    const r = new FrameReader({ role: 'client' }, { onMessage() {}, onPing() {}, onPong() {}, onClose() {}, onError() {} });
    const f1 = buildFrame({ fin: false, opcode: 2, payload: new Uint8Array(300) });
    const f2 = buildFrame({ fin: true, opcode: 0, payload: new Uint8Array(5) });
    r.push(f1.slice(0, 3));
    expect(r.bufferedBytes).toBe(3); // header cut after its 126 length code
    r.push(f1.slice(3, 100));
    expect(r.bufferedBytes).toBe(300); // payload buffer sized from the header
    r.push(f1.slice(100));
    expect(r.bufferedBytes).toBe(300); // the held fragment
    r.push(f2);
    expect(r.bufferedBytes).toBe(0);
  });
});
