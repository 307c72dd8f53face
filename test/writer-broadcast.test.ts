import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { once } from 'node:events';
import { Broadcaster } from '../ts/broadcast.js';
import type { FrameSink } from '../ts/broadcast.js';
import { PreparedFrame, prepare } from '../ts/prepare.js';
import { OPCODE } from '../ts/frame-types.js';
import { parseFrames, wire, wsReceive } from './frame-parse.js';
import { prng, randomBytes } from './reference.js';

/** A sink that records what it is given; its backlog is whatever the test says. */
class FakeSink implements FrameSink {
  chunks: Uint8Array[] = [];
  writableLength = 0;
  destroyed = false;
  error: Error | undefined;
  corks = 0;
  write(chunk: Uint8Array): boolean {
    this.chunks.push(chunk);
    return true;
  }
  cork(): void {
    this.corks++;
  }
  uncork(): void {}
  destroy(err?: Error): void {
    this.destroyed = true;
    this.error = err;
  }
  /** Payloads of every frame received, as strings. */
  texts(): string[] {
    return parseFrames(wire(this.chunks)).map((f) => f.payload.toString());
  }
}

describe('prepare', () => {
  it('encodes once as an unmasked final frame, frozen, with its own copy of the payload', () => {
    const data = Buffer.from('tick');
    const p = prepare(data);
    data[0] = 0x58;
    expect(p).toBeInstanceOf(PreparedFrame);
    expect(Object.isFrozen(p)).toBe(true);
    expect(p.binary).toBe(true);
    expect([p.opcode, p.payloadLength, p.compressed]).toEqual([OPCODE.BINARY, 4, false]);
    const [f] = parseFrames(p.bytes);
    expect([f.fin, f.masked, f.opcode, f.payload.toString()]).toEqual([true, false, OPCODE.BINARY, 'tick']);
    expect(wsReceive(p.bytes, false)).toEqual([{ type: 'message', data: Buffer.from('tick'), isBinary: true }]);
  });

  it('text, binary strings, compressed (RSV1) and every length class', () => {
    for (const n of [0, 41, 42, 125, 126, 5000, 5001, 16384, 16385, 65535, 65536, 100000]) {
      const s = 'é'.repeat(n >> 1) + 'a'.repeat(n & 1);
      const p = prepare(s);
      const [f] = parseFrames(p.bytes);
      expect(f.opcode).toBe(OPCODE.TEXT);
      expect(f.payload.toString()).toBe(s);
      expect(p.payloadLength).toBe(Buffer.byteLength(s));
      const b = prepare(randomBytes(prng(n), n));
      expect(parseFrames(b.bytes)[0].payload.equals(Buffer.from(randomBytes(prng(n), n)))).toBe(true);
    }
    expect(parseFrames(prepare('x', { binary: true }).bytes)[0].opcode).toBe(OPCODE.BINARY);
    expect(parseFrames(prepare(Buffer.from('x'), { binary: false }).bytes)[0].opcode).toBe(OPCODE.TEXT);
    const c = prepare(Buffer.from([1, 2]), { compressed: true });
    expect(parseFrames(c.bytes)[0].rsv1).toBe(true);
    expect(c.compressed).toBe(true);
    expect(() => prepare(5 as unknown as string)).toThrow(TypeError);
  });
});

describe('Broadcaster', () => {
  it('writes one batch per subscriber per flush, the same bytes to all, in publish order', () => {
    const b = new Broadcaster({ flush: 'manual' });
    const sinks = [new FakeSink(), new FakeSink(), new FakeSink()];
    for (const s of sinks) expect(b.subscribe('ticks', s)).toBe(true);
    expect(b.subscribe('ticks', sinks[0])).toBe(false);
    const sent: string[] = [];
    for (let i = 0; i < 100; i++) {
      sent.push(`tick ${i}`);
      expect(b.publish('ticks', `tick ${i}`)).toBe(3);
    }
    b.flush();
    for (const s of sinks) {
      expect(s.chunks).toHaveLength(1);
      expect(s.chunks[0]).toBe(sinks[0].chunks[0]); // one shared buffer
      expect(s.texts()).toEqual(sent);
    }
    expect(b.stats).toMatchObject({ published: 100, writes: 3 });
    b.flush(); // nothing pending: nothing written
    expect(sinks[0].chunks).toHaveLength(1);
  });

  it('flushes once per turn of the event loop by default (and at the end of the callback with microtask)', async () => {
    for (const mode of ['immediate', 'microtask'] as const) {
      const b = new Broadcaster({ flush: mode });
      const s = new FakeSink();
      b.subscribe('t', s);
      for (let i = 0; i < 10; i++) b.publish('t', Buffer.from([i]));
      expect(s.chunks).toHaveLength(0);
      await new Promise((r) => setImmediate(r));
      expect(s.chunks).toHaveLength(1);
      expect(parseFrames(s.chunks[0]).map((f) => [f.opcode, f.payload[0]])).toEqual([...Array(10).keys()].map((i) => [OPCODE.BINARY, i]));
    }
  });

  it('encodes nothing for a topic without subscribers, and validates arguments', () => {
    const b = new Broadcaster({ flush: 'manual' });
    expect(b.publish('nobody', 'x')).toBe(0);
    expect(b.pending).toBe(0);
    expect(() => b.publish(5 as unknown as string, 'x')).toThrow(TypeError);
    expect(() => b.publish('nobody', 5 as unknown as string)).toThrow(TypeError);
    expect(() => b.subscribe('t', {} as FrameSink)).toThrow(TypeError);
    expect(() => new Broadcaster({ slowSubscriber: 'wait' as 'skip' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new Broadcaster({ maxBufferedBytes: -1 })).toThrow(RangeError);
  });

  it('keeps publish order across topics for a sink subscribed to several, also across slab changes', () => {
    const b = new Broadcaster({ flush: 'manual', maxPendingBytes: 16 * 1024 * 1024, maxBufferedBytes: 16 * 1024 * 1024 });
    const both = new FakeSink(), onlyA = new FakeSink(), onlyB = new FakeSink();
    b.subscribe('a', both);
    b.subscribe('b', both);
    b.subscribe('a', onlyA);
    b.subscribe('b', onlyB);
    const rand = prng(7);
    const all: string[] = [], as: string[] = [], bs: string[] = [];
    // ~300 KiB in one turn: several slabs, pieces of both topics interleaved, some large frames.
    for (let i = 0; i < 3000; i++) {
      const topic = rand() < 0.5 ? 'a' : 'b';
      const size = rand() < 0.01 ? 20000 : (rand() * 150) | 0;
      const msg = `${topic}${i}:`.padEnd(size, '.');
      all.push(msg);
      (topic === 'a' ? as : bs).push(msg);
      if (i % 3 === 0) b.publish(topic, prepare(msg));
      else if (i % 3 === 1) b.publish(topic, msg);
      else b.publish(topic, Buffer.from(msg), { binary: false });
    }
    b.flush();
    expect(both.destroyed).toBe(false);
    expect(both.texts()).toEqual(all);
    expect(onlyA.texts()).toEqual(as);
    expect(onlyB.texts()).toEqual(bs);
    expect(onlyA.chunks).toHaveLength(1);
    expect(both.corks).toBe(1);
  });

  it('copies published data: the caller may reuse its buffer at once', () => {
    const b = new Broadcaster({ flush: 'manual' });
    const s = new FakeSink();
    b.subscribe('t', s);
    const buf = Buffer.from('first');
    b.publish('t', buf);
    buf.write('XXXXX');
    const big = Buffer.alloc(50000, 0x61);
    b.publish('t', big);
    big.fill(0x62);
    b.flush();
    const frames = parseFrames(wire(s.chunks));
    expect(frames[0].payload.toString()).toBe('first');
    expect(frames[1].payload.equals(Buffer.alloc(50000, 0x61))).toBe(true);
  });

  it("drops a subscriber over maxBufferedBytes ('close'), others unaffected", () => {
    const seen: [string, number][] = [];
    const b = new Broadcaster({ flush: 'manual', maxBufferedBytes: 1000, onSlowSubscriber: (_s, topic, n) => seen.push([topic, n]) });
    const fast = new FakeSink(), slow = new FakeSink();
    b.subscribe('t', fast);
    b.subscribe('t', slow);
    b.subscribe('u', slow);
    slow.writableLength = 990;
    b.publish('t', 'x'.repeat(20));
    b.flush();
    expect(slow.destroyed).toBe(true);
    expect(slow.error).toMatchObject({ code: 'WS_ERR_SLOW_SUBSCRIBER', closeCode: 1008 });
    expect(slow.chunks).toHaveLength(0);
    expect(b.topicsOf(slow)).toEqual([]);
    expect(b.isSubscribed('t', fast)).toBe(true);
    expect(fast.texts()).toEqual(['x'.repeat(20)]);
    expect(seen).toEqual([['t', 990]]);
    expect(b.stats.dropped).toBe(1);
  });

  it("skips whole batches for a slow subscriber ('skip') and resumes when it drains", () => {
    const b = new Broadcaster({ flush: 'manual', slowSubscriber: 'skip', maxBufferedBytes: 100 });
    const s = new FakeSink();
    b.subscribe('t', s);
    s.writableLength = 95;
    b.publish('t', 'lost-1');
    b.publish('t', 'lost-2');
    b.flush();
    s.writableLength = 0;
    b.publish('t', 'kept');
    b.flush();
    expect(s.destroyed).toBe(false);
    expect(s.texts()).toEqual(['kept']);
    expect(b.stats.skipped).toBe(1);
  });

  it('bounds one turn: publishing past maxPendingBytes flushes at once', () => {
    const b = new Broadcaster({ flush: 'manual', maxPendingBytes: 10000 });
    const s = new FakeSink();
    b.subscribe('t', s);
    for (let i = 0; i < 1000; i++) b.publish('t', 'y'.repeat(98));
    expect(s.chunks.length).toBeGreaterThanOrEqual(9);
    expect(b.pending).toBeLessThan(10000);
    b.flush();
    expect(s.texts()).toHaveLength(1000);
  });

  it('a sink that throws does not wedge the broadcaster', () => {
    const b = new Broadcaster({ flush: 'manual' });
    const bad = new FakeSink();
    bad.write = () => {
      throw new Error('boom');
    };
    b.subscribe('t', bad);
    b.publish('t', 'one');
    expect(() => b.flush()).toThrow('boom');
    b.unsubscribeAll(bad);
    const good = new FakeSink();
    b.subscribe('t', good);
    b.publish('t', 'two');
    b.flush();
    expect(good.texts()).toEqual(['two']);
  });

  it('forgets destroyed sinks and supports unsubscribe / unsubscribeAll', () => {
    const b = new Broadcaster({ flush: 'manual' });
    const s1 = new FakeSink(), s2 = new FakeSink();
    b.subscribe('a', s1);
    b.subscribe('b', s1);
    b.subscribe('a', s2);
    expect(b.topicsOf(s1).sort()).toEqual(['a', 'b']);
    expect(b.unsubscribe('a', s1)).toBe(true);
    expect(b.unsubscribe('a', s1)).toBe(false);
    expect(b.subscriberCount('a')).toBe(1);
    b.unsubscribeAll(s1);
    expect(b.subscriberCount('b')).toBe(0);
    s2.destroyed = true;
    b.publish('a', 'x');
    b.flush();
    expect(s2.chunks).toHaveLength(0);
    expect(b.subscriberCount('a')).toBe(0);
  });

  it('over loopback sockets: ws Receivers on the far side get every message', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const b = new Broadcaster();
    const accepted: net.Socket[] = [];
    server.on('connection', (sock) => {
      accepted.push(sock);
      b.subscribe('ticks', sock);
    });
    const N = 20, MSGS = 2000;
    const clients = await Promise.all([...Array(N)].map(async () => {
      const c = net.connect(port, '127.0.0.1');
      await once(c, 'connect');
      return c;
    }));
    while (b.subscriberCount('ticks') < N) await new Promise((r) => setTimeout(r, 5));
    const received = clients.map((c) => {
      const got: Buffer[] = [];
      c.on('data', (d: Buffer) => got.push(d));
      return got;
    });
    for (let i = 0; i < MSGS; i++) {
      b.publish('ticks', `{"seq":${i},"px":101.25}`);
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    let total = 0;
    for (let i = 0; i < MSGS; i++) total += 2 + Buffer.byteLength(`{"seq":${i},"px":101.25}`);
    const deadline = Date.now() + 5000;
    while (received.some((g) => g.reduce((n, d) => n + d.length, 0) < total) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const got of received) {
      const msgs = wsReceive(Buffer.concat(got), false).map((e) => e.data!.toString());
      expect(msgs).toHaveLength(MSGS);
      expect(msgs[MSGS - 1]).toBe(`{"seq":${MSGS - 1},"px":101.25}`);
    }
    for (const c of clients) c.destroy();
    for (const s of accepted) s.destroy();
    server.close();
    await once(server, 'close');
  });
});
