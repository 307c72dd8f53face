/**
 * Defines the vitest cases of the conformance corpus (test/conformance-cases.ts) for one role of
 * wsframe on every available backend, over real loopback sockets. One test file per role, so the
 * two roles run in parallel workers. Set CONFORMANCE_REPORT=<prefix> to also write the results
 * (<prefix>-<role>.json: passed/total per section and backend).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { backendStatus, useBackend } from '../ts/select.js';
import type { BackendName } from '../ts/backend.js';
import { SECTIONS } from './conformance-cases.js';
import type { Role } from './conformance-cases.js';
import { expected, runCase } from './conformance-run.js';

export function defineCorpus(role: Role): void {
  const backends = backendStatus().filter((b) => b.available).map((b) => b.name as BackendName);
  const initial = backendStatus().find((b) => b.active)!.name as BackendName;
  const tally = new Map<string, { pass: number; total: number }>();

  afterAll(() => {
    useBackend(initial);
    const prefix = process.env.CONFORMANCE_REPORT;
    if (prefix) writeFileSync(`${prefix}-${role}.json`, JSON.stringify(Object.fromEntries(tally), null, 1));
  });

  it('has backends to test', () => {
    expect(backends).toContain('js');
  });

  for (const backend of backends) {
    // Backends are switched per describe; the cases inside run concurrently on that backend.
    describe(`backend ${backend}`, () => {
      beforeAll(() => {
        useBackend(backend);
      });
      for (const section of SECTIONS) {
        describe(`${section.id} ${section.title}`, () => {
          for (const c of section.cases) {
            if (c.roles && !c.roles.includes(role)) continue;
            it.concurrent(`${c.id} [${role}] ${c.title}`, async () => {
              const key = `${section.id}|${backend}`;
              const t = tally.get(key) ?? { pass: 0, total: 0 };
              tally.set(key, t);
              t.total++;
              expect(await runCase(c, role)).toEqual(expected(c));
              t.pass++;
            }, 15_000);
          }
        });
      }
    });
  }
}
