import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PerMessageDeflate, drainZlibPool, pooledZlibStreams } from '../ts/permessage-deflate.js';
import { setZlibConcurrency, zlibLoad } from '../ts/zlib-limiter.js';
import { setSyncAvailable, syncAvailable } from '../ts/zlib-sync.js';
import { prng, randomBytes } from './reference.js';
import { jsonMessage, params, wsCodec, wsCompress, wsDecompress } from './deflate-helpers.js';
import type { DeflateParams } from '../ts/deflate-negotiation.js';

const zlib = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');

const open: PerMessageDeflate[] = [];
function codec(role: 'server' | 'client', p: DeflateParams, opts: ConstructorParameters<typeof PerMessageDeflate>[2] = {}): PerMessageDeflate {
  const c = new PerMessageDeflate(role, p, opts);
  open.push(c);
  return c;
}
afterEach(() => {
  for (const c of open.splice(0)) c.close();
  setZlibConcurrency(10);
});
afterAll(() => {
  drainZlibPool();
  setSyncAvailable(undefined);
});

it('synchronous zlib steps pass their self-test on this Node', () => {
  expect(syncAvailable()).toBe(true);
});

// Every behaviour twice: small jobs inline (the default) and every job through the thread pool (the
// fallback, and the path of large messages).
describe.each([
  ['inline small jobs', undefined],
  ['thread pool only', false],
] as const)('%s', (_path, sync) => {
beforeEach(() => setSyncAvailable(sync));

const MODES = [
  ['context takeover', params()],
  ['no context takeover', params({ serverNoContextTakeover: true, clientNoContextTakeover: true })],
] as const;

describe('round trips between wsframe ends', () => {
  it.each(MODES)('%s: every message comes back identical', async (_name, p) => {
    const server = codec('server', p);
    const client = codec('client', p);
    const rand = prng(7);
    for (let i = 0; i < 40; i++) {
      const msg = i % 3 === 0 ? Buffer.from(randomBytes(rand, (rand() * 5000) | 0)) : Buffer.from(jsonMessage(i, 200 + i * 50));
      const wire = await server.compress(msg);
      expect((await client.decompress(wire)).equals(msg)).toBe(true);
      const back = await client.compress(msg);
      expect((await server.decompress(back)).equals(msg)).toBe(true);
    }
  });

  it('context takeover shrinks repeated messages; without it every copy costs the same', async () => {
    const msg = jsonMessage(1);
    const keep = codec('server', params());
    const reset = codec('server', params({ serverNoContextTakeover: true }));
    const keepSizes = [(await keep.compress(msg)).length, (await keep.compress(msg)).length];
    const resetSizes = [(await reset.compress(msg)).length, (await reset.compress(msg)).length];
    expect(keepSizes[1]).toBeLessThan(keepSizes[0] / 4);
    expect(resetSizes[1]).toBe(resetSizes[0]);
    // And the reset stream really starts from scratch: the second copy inflates on a fresh inflater.
    const fresh = codec('client', params({ serverNoContextTakeover: true }));
    expect((await fresh.decompress(await reset.compress(msg))).toString()).toBe(msg);
  });

  it('compressSync (compress-once broadcast) gives bytes any fresh inflater reads, in both paths', async () => {
    const p = params({ serverNoContextTakeover: true });
    const shared = codec('server', p);
    for (const size of [10, 2000, 100_000]) {
      const msg = jsonMessage(size, size);
      const packed = shared.compressSync(msg);
      for (let i = 0; i < 2; i++) expect((await codec('client', p).decompress(packed)).toString()).toBe(msg);
      const theirs = wsCodec('client', p);
      expect((await wsDecompress(theirs, packed)).toString()).toBe(msg);
      theirs.cleanup();
    }
  });

  it('empty messages and strings', async () => {
    const s = codec('server', params());
    const c = codec('client', params());
    expect((await c.decompress(await s.compress(''))).length).toBe(0);
    expect((await c.decompress(await s.compress('héllo ✓'))).toString()).toBe('héllo ✓');
    expect((await c.decompress(await s.compress(new Uint8Array(0)))).length).toBe(0);
  });

  it('a message compressed in fragments inflates as one, and inflates fragment by fragment', async () => {
    const s = codec('server', params());
    const c = codec('client', params());
    const msg = Buffer.from(jsonMessage(3, 4000));
    const parts = [await s.compress(msg.subarray(0, 1000), false), await s.compress(msg.subarray(1000, 3000), false), await s.compress(msg.subarray(3000), true)];
    expect(await c.decompress(Buffer.concat(parts))).toEqual(msg);
    const again = Buffer.concat([await s.compress(msg)]);
    const out = [await c.decompress(again.subarray(0, 7), false), await c.decompress(again.subarray(7, 20), false), await c.decompress(again.subarray(20), true)];
    expect(Buffer.concat(out)).toEqual(msg);
  });

  it('threshold and the 8-bit window decide what is compressed', async () => {
    const s = codec('server', params(), { threshold: 100 });
    expect(s.shouldCompress(99)).toBe(false);
    expect(s.shouldCompress(100)).toBe(true);
    const eight = codec('server', params({ serverMaxWindowBits: 8 }));
    expect(eight.canCompress).toBe(false);
    expect(eight.shouldCompress(1 << 20)).toBe(false);
    await expect(eight.compress('x')).rejects.toThrow(/window of 8/);
  });
});

describe('byte-level interop with ws/lib/permessage-deflate.js', () => {
  const windows = [8, 9, 10, 11, 12, 13, 14, 15];
  for (const [name, base] of MODES) {
    it.each(windows)(`${name}, window bits %i: ws → wsframe and wsframe → ws, identical bytes`, async (bits) => {
      const p = { ...base, serverMaxWindowBits: bits, clientMaxWindowBits: bits };
      const ours = codec('client', p);
      const theirs = wsCodec('server', p);
      const rand = prng(bits);
      try {
        for (let i = 0; i < 6; i++) {
          const msg = i % 4 === 3 ? Buffer.from(randomBytes(rand, 3000)) : Buffer.from(jsonMessage(i, 600 + 300 * i));
          // Server (ws) to client (wsframe).
          const fromWs = await wsCompress(theirs, msg);
          expect(await ours.decompress(fromWs)).toEqual(msg);
          // Client (wsframe) to server (ws); zlib cannot compress with an 8-bit window, so ours does not.
          if (bits === 8) continue;
          const fromUs = await ours.compress(msg);
          expect(await wsDecompress(theirs, fromUs)).toEqual(msg);
        }
      } finally {
        theirs.cleanup();
      }
    });
  }

  it('produces exactly the bytes ws produces for the same message sequence', async () => {
    for (const [, p] of MODES) {
      const ours = codec('server', p);
      const theirs = wsCodec('server', p);
      for (let i = 0; i < 10; i++) {
        const msg = jsonMessage(i, 1024);
        expect(await ours.compress(msg)).toEqual(await wsCompress(theirs, msg));
      }
      theirs.cleanup();
    }
  });

  it('fragments compressed by ws inflate in wsframe and vice versa', async () => {
    const p = params();
    const ours = codec('server', p);
    const theirs = wsCodec('client', p);
    const msg = Buffer.from(jsonMessage(9, 5000));
    const wsParts = [await wsCompress(theirs, msg.subarray(0, 2500), false), await wsCompress(theirs, msg.subarray(2500), true)];
    const inflated = [await ours.decompress(wsParts[0], false), await ours.decompress(wsParts[1], true)];
    expect(Buffer.concat(inflated)).toEqual(msg);
    const ourParts = [await ours.compress(msg.subarray(0, 100), false), await ours.compress(msg.subarray(100), true)];
    expect(Buffer.concat([await wsDecompress(theirs, ourParts[0], false), await wsDecompress(theirs, ourParts[1], true)])).toEqual(msg);
    theirs.cleanup();
  });
});

describe('limits and bad input', () => {
  // Counts every byte zlib hands to JS, across all InflateRaw streams, to see how far inflation went.
  function countInflated(): { bytes: number; restore(): void } {
    const proto = zlib.InflateRaw.prototype as unknown as { push(chunk: Buffer | null): boolean };
    const original = proto.push;
    const counter = {
      bytes: 0,
      restore: () => {
        proto.push = original;
      },
    };
    proto.push = function (this: unknown, chunk: Buffer | null) {
      if (chunk) counter.bytes += chunk.length;
      return original.call(this, chunk);
    };
    return counter;
  }

  it('a bomb (10 MB of zeros in ~10 KB) stops at the 1 MiB limit with 1009, inflating little more than the limit', async () => {
    const bomb = zlib.deflateRawSync(Buffer.alloc(10 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(16 * 1024);
    const c = codec('client', params(), { maxMessageSize: 1 << 20 });
    const counter = countInflated();
    try {
      await expect(c.decompress(bomb)).rejects.toMatchObject({ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', closeCode: 1009 });
    } finally {
      counter.restore();
    }
    // zlib emits 16 KiB chunks: the limit plus at most one chunk was ever produced.
    expect(counter.bytes).toBeGreaterThan(1 << 20);
    expect(counter.bytes).toBeLessThanOrEqual((1 << 20) + 16 * 1024);
    // The inbound direction is dead after that: the connection must close.
    await expect(c.decompress(await codec('server', params()).compress('x'))).rejects.toMatchObject({ closeCode: 1009 });
  });

  it('a small bomb inflated inline stops at the limit too', async () => {
    const bomb = zlib.deflateRawSync(Buffer.alloc(3 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(4096);
    const c = codec('client', params(), { maxMessageSize: 256 * 1024 });
    await expect(c.decompress(bomb)).rejects.toMatchObject({ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', closeCode: 1009 });
    const d = codec('client', params(), { maxMessageSize: 256 * 1024 });
    expect(() => d.decompressNow(bomb) ?? (() => { throw new Error('went async'); })()).toThrow(sync === false ? 'went async' : /exceeds the limit/);
  });

  it('the limit counts a fragmented message as a whole', async () => {
    const s = codec('server', params());
    const c = codec('client', params(), { maxMessageSize: 5000 });
    const wire = await s.compress(Buffer.alloc(6000, 7));
    await expect(c.decompress(wire.subarray(0, 3), false).then(() => c.decompress(wire.subarray(3), true))).rejects.toMatchObject({ closeCode: 1009 });
    // A message of exactly the limit passes.
    const ok = codec('client', params(), { maxMessageSize: 5000 });
    expect((await ok.decompress(await s.compress(Buffer.alloc(5000, 1)))).length).toBe(5000);
  });

  it('invalid deflate data fails with 1007 and every later message fails too', async () => {
    const c = codec('client', params());
    await expect(c.decompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]))).rejects.toMatchObject({ code: 'WS_ERR_INFLATE', closeCode: 1007 });
    await expect(c.decompress(Buffer.from([0x4a, 0x04, 0x00]))).rejects.toMatchObject({ code: 'WS_ERR_INFLATE' });
  });

  it('close() fails queued work and releases the streams', async () => {
    const s = codec('server', params());
    // Large enough for the thread pool, so they are still queued when close() comes.
    const jobs = [s.compress(jsonMessage(1, 40000)), s.compress(jsonMessage(2, 40000)), s.compress(jsonMessage(3, 40000))];
    s.close();
    const settled = await Promise.allSettled(jobs);
    for (const r of settled) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'WSFRAME_ERR_DEFLATE_CLOSED' } });
    await expect(s.compress('late')).rejects.toMatchObject({ code: 'WSFRAME_ERR_DEFLATE_CLOSED' });
  });
});

describe('order and bounded concurrency under load', () => {
  it('100 connections × 20 messages submitted at once: each completes in submission order, all intact', async () => {
    setZlibConcurrency(4);
    const rand = prng(42);
    let maxRunning = 0;
    const conns = Array.from({ length: 100 }, (_, i) => ({
      tx: codec('server', i % 2 ? params() : params({ serverNoContextTakeover: true, clientNoContextTakeover: true })),
      rx: codec('client', i % 2 ? params() : params({ serverNoContextTakeover: true, clientNoContextTakeover: true })),
      done: [] as number[],
    }));
    const all: Promise<void>[] = [];
    for (const [ci, conn] of conns.entries()) {
      for (let m = 0; m < 20; m++) {
        // Mostly small messages (inline) with large ones (thread pool) among them: order must hold across both.
        const size = m % 5 === 4 ? 17000 + ((rand() * 8000) | 0) : 100 + ((rand() * 3000) | 0);
        const msg = Buffer.from(jsonMessage(ci * 100 + m, size));
        // Submitted back to back without awaiting: zlib runs asynchronously, completion must still be ordered.
        all.push(conn.tx.compress(msg).then((wire) => {
          maxRunning = Math.max(maxRunning, zlibLoad().running);
          return conn.rx.decompress(wire);
        }).then((out) => {
          // Buffer#equals: vitest's deep equality walks bytes one by one and would dominate the run.
          if (!out.equals(msg)) throw new Error(`connection ${ci} message ${m} corrupted`);
          conn.done.push(m);
        }));
      }
    }
    await Promise.all(all);
    for (const conn of conns) expect(conn.done).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(maxRunning).toBeLessThanOrEqual(4);
    expect(zlibLoad()).toMatchObject({ running: 0, queued: 0 });
  });

  it('without context takeover, idle connections hold no zlib stream: the pool stays bounded', async () => {
    drainZlibPool();
    const p = params({ serverNoContextTakeover: true, clientNoContextTakeover: true });
    const conns = Array.from({ length: 300 }, () => [codec('server', p), codec('client', p)] as const);
    await Promise.all(conns.map(async ([s, c]) => {
      const msg = jsonMessage(5, 2000);
      expect((await c.decompress(await s.compress(msg))).toString()).toBe(msg);
    }));
    // 600 codecs, one message each way: only the pool (≤ 16 idle per kind) holds streams now.
    expect(pooledZlibStreams()).toBeGreaterThan(0);
    expect(pooledZlibStreams()).toBeLessThanOrEqual(32);
  });
});
});
