/**
 * Differential: seeded random valid streams, and the same streams mutated (bit flips, truncation,
 * inserted length fields...), fed in random pieces through push and through the receive buffer on
 * every available backend. Each event log must equal the oracle's (test/oracle.ts, a whole-stream
 * reference parser written independently from the RFC), so all backends and paths agree.
 */
import { describe, expect, it } from 'vitest';
import { mutate, oracle, randomSplits, randomValidStream } from './oracle.js';
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
        let events = 0;
        let errors = 0;
        for (let r = 0; r < rounds; r++) {
          let stream = randomValidStream(rand, { role, messages: 1 + ((rand() * 12) | 0), maxLength: rand() < 0.1 ? 70000 : 3000 }, (n) => randomUtf8(rand, n, 0.8));
          const limits: Partial<ReaderOptions> = {};
          if (kind === 'mutated') {
            const moves = 1 + ((rand() * 3) | 0);
            for (let m = 0; m < moves; m++) stream = mutate(rand, stream);
            if (rand() < 0.2) limits.maxMessageSize = 1 + ((rand() * 4000) | 0);
            if (rand() < 0.2) limits.maxFragments = 1 + ((rand() * 3) | 0);
            if (rand() < 0.2) limits.allowRsv1 = true;
          }
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
});
