/**
 * Differential: seeded random valid streams, and the same streams mutated (bit flips, truncation,
 * inserted length fields...), fed in random pieces through push and through the receive buffer on
 * every available backend. Each event log must equal the oracle's (test/oracle.ts, a whole-stream
 * reference parser written independently from the RFC), so all backends and paths agree.
 */
import { describe, expect, it } from 'vitest';
import { buildFrame, concatBytes, mutate, oracle, randomSplits, randomValidStream } from './oracle.js';
import { prng, randomUtf8 } from './reference.js';
import { feed, type Path } from './reader-helpers.js';
import { backendStatus } from '../ts/select.js';
import type { BackendName } from '../ts/backend.js';
import type { ReaderOptions, Role } from '../ts/frame-types.js';

const backends = backendStatus().filter((b) => b.available).map((b) => b.name as BackendName);

describe('reader differential', () => {
  it(`runs on every available backend: ${backends.join(', ')}`, () => {
    expect(backends).toContain('js');
  });

  for (const role of ['server', 'client'] as Role[]) {
    for (const kind of ['valid', 'mutated'] as const) {
      it(`${kind} random streams, ${role} role: same events as the oracle on every backend and path`, () => {
        const rand = prng(kind === 'valid' ? (role === 'server' ? 101 : 202) : role === 'server' ? 303 : 404);
        const rounds = kind === 'valid' ? 20 : 120;
        // Pure ASCII takes the batched-decode and isAscii paths; mixed text the validators.
        const textOf = (n: number) => (rand() < 0.4 ? new Uint8Array(n).map(() => 0x20 + ((rand() * 95) | 0)) : randomUtf8(rand, n, 0.8));
        let events = 0;
        let errors = 0;
        for (let r = 0; r < rounds; r++) {
          let stream = randomValidStream(rand, { role, messages: 1 + ((rand() * 12) | 0), maxLength: rand() < 0.1 ? 70000 : 3000 }, textOf);
          const limits: Partial<ReaderOptions> = {};
          if (kind === 'mutated') {
            const moves = 1 + ((rand() * 3) | 0);
            for (let m = 0; m < moves; m++) stream = mutate(rand, stream);
            if (rand() < 0.2) limits.maxMessageSize = 1 + ((rand() * 4000) | 0);
            if (rand() < 0.2) limits.maxFragments = 1 + ((rand() * 3) | 0);
            if (rand() < 0.2) limits.allowRsv1 = true;
          }
          // Text as validated bytes takes the other assembly path (pieces joined, not the scratch).
          if (rand() < 0.25) limits.textAs = 'bytes';
          const opts: ReaderOptions = { role, ...limits };
          const expected = oracle(stream, opts);
          events += expected.length;
          if (expected.length && expected[expected.length - 1][0] === 'error') errors++;
          let cuts = randomSplits(rand, stream.length);
          // Byte-at-a-time over a long stream only costs time: the rules tests cover it on short ones.
          if (cuts.length > 4000) cuts = cuts.filter((_, i) => i % 16 === 15 || i === cuts.length - 1);
          for (const backend of backends) {
            for (const path of ['push', 'receive'] as Path[]) {
              const got = feed(stream, { ...opts, backend }, cuts, path);
              if (JSON.stringify(got) !== JSON.stringify(expected)) {
                expect({ round: r, backend, path, got }).toEqual({ round: r, backend, path, got: expected });
              }
            }
          }
        }
        // The generator must exercise the reader: many events, and errors in the mutated runs.
        expect(events).toBeGreaterThan(rounds);
        if (kind === 'mutated') expect(errors).toBeGreaterThan(rounds / 4);
      });
    }
  }

  // Market-data shape: long runs of small whole messages, mostly ASCII text (the batched path),
  // broken by non-ASCII text, binary, pings and 16-bit lengths, then checked message by message.
  for (const role of ['server', 'client'] as Role[]) {
    it(`bursts of small messages, ${role} role: every message exact on every backend and path`, () => {
      const rand = prng(role === 'server' ? 505 : 606);
      for (let round = 0; round < 6; round++) {
        const frames: Uint8Array[] = [];
        const expected: unknown[] = [];
        const key = () => (role === 'server' ? Uint8Array.of(rand() * 256, rand() * 256, rand() * 256, rand() * 256) : undefined);
        for (let m = 0; m < 600; m++) {
          const r = rand();
          if (r < 0.75) {
            const n = rand() < 0.1 ? 126 + ((rand() * 500) | 0) : (rand() * 100) | 0;
            const text = Array.from({ length: n }, () => String.fromCharCode(0x20 + ((rand() * 95) | 0))).join('');
            frames.push(buildFrame({ opcode: 1, payload: new Uint8Array(Buffer.from(text)), mask: key() }));
            expected.push(['text', text]);
          } else if (r < 0.85) {
            const text = `é${m}€`;
            frames.push(buildFrame({ opcode: 1, payload: new Uint8Array(Buffer.from(text)), mask: key() }));
            expected.push(['text', text]);
          } else if (r < 0.95) {
            const bin = new Uint8Array((rand() * 300) | 0).map(() => (rand() * 256) | 0);
            frames.push(buildFrame({ opcode: 2, payload: bin, mask: key() }));
            expected.push(['binary', Buffer.from(bin).toString('hex')]);
          } else {
            frames.push(buildFrame({ opcode: 9, payload: Uint8Array.of(m & 0xff), mask: key() }));
            expected.push(['ping', Buffer.from([m & 0xff]).toString('hex')]);
          }
        }
        const stream = concatBytes(frames);
        expect(oracle(stream, { role })).toEqual(expected);
        const cuts = round === 0 ? [stream.length] : randomSplits(rand, stream.length);
        for (const backend of backends) {
          for (const path of ['push', 'receive'] as Path[]) {
            const got = feed(stream, { role, backend }, cuts, path);
            if (JSON.stringify(got) !== JSON.stringify(expected)) {
              expect({ round, backend, path, got }).toEqual({ round, backend, path, got: expected });
            }
          }
        }
      }
    });
  }
});
