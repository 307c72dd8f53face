/**
 * The oracle is itself tested: against the examples of RFC 6455 §5.7 (known answers), and against
 * ws's Receiver (an independent implementation) on random valid streams in both roles.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type OracleEvent, buildFrame, oracle, randomValidStream } from './oracle.js';
import { prng, randomUtf8 } from './reference.js';

const require = createRequire(import.meta.url);
// ws's exports map hides lib/: load the file by path.
const Receiver = require(join(dirname(require.resolve('ws')), 'lib', 'receiver.js'));

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('oracle: RFC 6455 §5.7 examples', () => {
  it('single-frame unmasked text (client reads)', () => {
    expect(oracle(h('81 05 48 65 6c 6c 6f'), { role: 'client' })).toEqual([['text', 'Hello']]);
  });
  it('single-frame masked text (server reads)', () => {
    expect(oracle(h('81 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'server' })).toEqual([['text', 'Hello']]);
  });
  it('fragmented unmasked text', () => {
    expect(oracle(h('01 03 48 65 6c 80 02 6c 6f'), { role: 'client' })).toEqual([['text', 'Hello']]);
  });
  it('unmasked ping and masked pong', () => {
    expect(oracle(h('89 05 48 65 6c 6c 6f'), { role: 'client' })).toEqual([['ping', '48656c6c6f']]);
    expect(oracle(h('8a 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'server' })).toEqual([['pong', '48656c6c6f']]);
  });
  it('256 bytes and 64 KiB binary in 16- and 64-bit length forms', () => {
    const small = new Uint8Array(256).fill(7);
    const big = new Uint8Array(65536).fill(9);
    const s = Buffer.concat([h('82 7e 01 00'), small]);
    const b = Buffer.concat([h('82 7f 00 00 00 00 00 01 00 00'), big]);
    expect(oracle(s, { role: 'client' })).toEqual([['binary', Buffer.from(small).toString('hex')]]);
    expect(oracle(b, { role: 'client' })).toEqual([['binary', Buffer.from(big).toString('hex')]]);
  });
  it('rules: a masked frame to a client, an unmasked one to a server, RSV bits, bad opcodes', () => {
    expect(oracle(h('81 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'client' })).toEqual([['error', 1002, 'WS_ERR_UNEXPECTED_MASK']]);
    expect(oracle(h('81 05 48 65 6c 6c 6f'), { role: 'server' })).toEqual([['error', 1002, 'WS_ERR_EXPECTED_MASK']]);
    expect(oracle(h('c1 00'), { role: 'client' })).toEqual([['error', 1002, 'WS_ERR_UNEXPECTED_RSV_1']]);
    expect(oracle(h('a1 00'), { role: 'client' })).toEqual([['error', 1002, 'WS_ERR_UNEXPECTED_RSV_2_3']]);
    for (const op of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
      expect(oracle(Uint8Array.of(0x80 | op, 0), { role: 'client' })).toEqual([['error', 1002, 'WS_ERR_INVALID_OPCODE']]);
    }
    expect(oracle(h('80 00'), { role: 'client' })[0].slice(0, 2)).toEqual(['error', 1002]);
    expect(oracle(h('01 00 01 00'), { role: 'client' })[0].slice(0, 2)).toEqual(['error', 1002]);
    expect(oracle(h('09 00'), { role: 'client' })).toEqual([['error', 1002, 'WS_ERR_EXPECTED_FIN']]);
    expect(oracle(h('89 7e 00 7e'), { role: 'client' })).toEqual([['error', 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH']]);
    expect(oracle(h('88 01 03'), { role: 'client' })).toEqual([['error', 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH']]);
    expect(oracle(h('88 02 03 ed'), { role: 'client' })).toEqual([['error', 1002, 'WS_ERR_INVALID_CLOSE_CODE']]);
    expect(oracle(h('88 02 03 e8 81 00'), { role: 'client' })).toEqual([['close', 1000, '']]);
    expect(oracle(h('88 00'), { role: 'client' })).toEqual([['close', 1005, '']]);
  });
  it('fail-fast: invalid UTF-8 in the received part of an incomplete text frame', () => {
    expect(oracle(h('81 0a 61 62 c0'), { role: 'client' })).toEqual([['error', 1007, 'WS_ERR_INVALID_UTF8']]);
    expect(oracle(h('81 0a 61 62 e2 82'), { role: 'client' })).toEqual([]);
    expect(oracle(h('81 03 61 e2 82'), { role: 'client' })).toEqual([['error', 1007, 'WS_ERR_INVALID_UTF8']]);
  });
});

/** ws's Receiver as a second, independent reading of the same stream. */
function wsEvents(stream: Uint8Array, isServer: boolean): Promise<OracleEvent[]> {
  return new Promise((resolve) => {
    const events: OracleEvent[] = [];
    const r = new Receiver({ isServer, maxPayload: 0, allowSynchronousEvents: true });
    r.on('message', (data: Buffer, isBinary: boolean) =>
      events.push(isBinary ? ['binary', data.toString('hex')] : ['text', data.toString('utf8')]));
    r.on('ping', (d: Buffer) => events.push(['ping', d.toString('hex')]));
    r.on('pong', (d: Buffer) => events.push(['pong', d.toString('hex')]));
    r.on('conclude', (code: number, reason: Buffer) => events.push(['close', code, reason.toString('utf8')]));
    r.on('error', (err: { code: string }) => events.push(['error', 0, err.code]));
    r.write(Buffer.from(stream), () => setImmediate(() => resolve(events)));
  });
}

describe('oracle agrees with ws Receiver on random valid streams', () => {
  for (const role of ['server', 'client'] as const) {
    it(`${role} role`, async () => {
      const rand = prng(role === 'server' ? 101 : 202);
      for (let i = 0; i < 60; i++) {
        const stream = randomValidStream(rand, { role, messages: 1 + ((rand() * 12) | 0), maxLength: 3000 },
          (n) => safeText(rand, n));
        const mine = oracle(stream, { role });
        expect(mine.some((e) => e[0] === 'error')).toBe(false);
        expect(await wsEvents(stream, role === 'server')).toEqual(mine);
      }
    });
  }
});

/** Valid UTF-8 of exactly n bytes (randomUtf8 may overshoot; pad with ASCII after trimming). */
function safeText(rand: () => number, n: number): Uint8Array {
  const t = randomUtf8(rand, n, 0.6);
  let end = Math.min(n, t.length);
  while (end > 0 && (t[end] & 0xc0) === 0x80) end--; // never cut inside a character
  const out = new Uint8Array(n).fill(0x2e);
  out.set(t.subarray(0, end));
  return out;
}
