/**
 * Pool hygiene: no frame ever carries bytes from uninitialised or reused memory (ws 8.20.1 sent
 * uninitialised pool memory in close reasons). Every pool is poisoned with 0xAA before use:
 * Buffer.allocUnsafe / allocUnsafeSlow (and so Buffer.concat and the reader's partial-frame and
 * receive buffers), the rest of Node's shared 8 KiB Buffer pool, the writer's slabs (all bytes not
 * yet handed out) and its reused text scratch. Payloads never contain 0xAA, so any 0xAA in an
 * unmasked frame is a leak; masked frames are decoded by the oracle and must give back the payload.
 * On the reading side, payloads handed out must not change when the reader's buffers are reused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { FrameWriter } from '../ts/writer.js';
import { FrameReader } from '../ts/reader.js';
import { Slab } from '../ts/frame-slab.js';
import { WebSocketServer } from '../ts/server.js';
import type { WebSocket } from '../ts/websocket.js';
import { oracle } from './oracle.js';
import type { OracleEvent } from './oracle.js';
import { clientFrame, once, UPGRADE_REQUEST } from './connection-helpers.js';
import { prng } from './reference.js';

const POISON = 0xaa;
const original = { allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow, reserve: Slab.prototype.reserve };

beforeAll(() => {
  Buffer.allocUnsafe = (n: number) => original.allocUnsafe(n).fill(POISON);
  Buffer.allocUnsafeSlow = (n: number) => original.allocUnsafeSlow(n).fill(POISON);
  Slab.prototype.reserve = function (this: Slab, bytes: number) {
    original.reserve.call(this, bytes);
    this.u8.fill(POISON, this.pos);
  };
});
afterAll(() => {
  Buffer.allocUnsafe = original.allocUnsafe;
  Buffer.allocUnsafeSlow = original.allocUnsafeSlow;
  Slab.prototype.reserve = original.reserve;
});

/** Poisons what is left of Node's shared Buffer pool (Buffer.from(string) and small allocUnsafe slices come from it). */
function poisonNodePool(): void {
  const b = original.allocUnsafe(1);
  new Uint8Array(b.buffer).fill(POISON, b.byteOffset + 1);
}

function poisonWriter(w: FrameWriter): void {
  const inner = w as unknown as { slab: Slab; scratchU8: Uint8Array };
  inner.slab.u8.fill(POISON, inner.slab.pos);
  inner.scratchU8.fill(POISON);
}

/** Random bytes without 0xAA. */
function bytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    const v = (rand() * 256) | 0;
    b[i] = v === POISON ? 0x55 : v;
  }
  return b;
}

/** Text whose UTF-8 has no 0xAA byte, mixing 1- to 4-byte characters. */
function text(rand: () => number, n: number): string {
  const chars = ['a', 'Z', '0', ' ', 'é', 'ß', '€', 'ह', '😀', '中'];
  const out: string[] = [];
  for (let len = 0; len < n;) {
    const c = chars[(rand() * chars.length) | 0];
    out.push(c);
    len += Buffer.byteLength(c);
  }
  return out.join('');
}

const flat = (f: Uint8Array | Uint8Array[]): Buffer => Buffer.concat(Array.isArray(f) ? f : [f]);

type Op = ['message', Buffer | string, number?] | ['ping', Buffer] | ['pong', Buffer] | ['close', number?, string?];

/** A sequence mixing long and short frames so short ones land on space long ones used (scratch, slabs, pools). */
function ops(rand: () => number): { ops: Op[]; expected: OracleEvent[] } {
  const list: Op[] = [];
  const expected: OracleEvent[] = [];
  const sizes = [70_000, 3, 16_000, 0, 125, 1, 65_536, 7, 200, 2, 4096, 5];
  for (const n of sizes) {
    const kind = rand();
    if (kind < 0.35) {
      const b = bytes(rand, n);
      list.push(['message', b, rand() < 0.3 ? 1 + ((rand() * 1000) | 0) : undefined]);
      expected.push(['binary', b.toString('hex')]);
    } else if (kind < 0.7) {
      const s = text(rand, n);
      list.push(['message', s, rand() < 0.3 ? 1 + ((rand() * 1000) | 0) : undefined]);
      expected.push(['text', s]);
    } else {
      const b = bytes(rand, Math.min(n, 125));
      const op = rand() < 0.5 ? 'ping' : 'pong';
      list.push([op, b]);
      expected.push([op, b.toString('hex')]);
    }
  }
  const reason = text(rand, 40).slice(0, 30);
  list.push(['close', 4000, reason]);
  expected.push(['close', 4000, reason]);
  return { ops: list, expected };
}

function run(w: FrameWriter, list: Op[]): Buffer {
  const out: Buffer[] = [];
  for (const op of list) {
    poisonNodePool();
    poisonWriter(w);
    if (op[0] === 'message') out.push(flat(w.message(op[1], op[2] === undefined ? undefined : { fragmentSize: op[2] })));
    else if (op[0] === 'ping') out.push(flat(w.ping(op[1])));
    else if (op[0] === 'pong') out.push(flat(w.pong(op[1])));
    else out.push(flat(w.close(op[1], op[2])));
  }
  return Buffer.concat(out);
}

describe('pool hygiene: writer', () => {
  it('the poisoning reaches the pools it claims to', () => {
    expect(Buffer.allocUnsafe(64).every((b) => b === POISON)).toBe(true);
    poisonNodePool();
    expect(original.allocUnsafe(16).every((b) => b === POISON)).toBe(true);
    const w = new FrameWriter({ role: 'server' });
    poisonWriter(w);
    const inner = w as unknown as { slab: Slab };
    expect(inner.slab.u8[inner.slab.pos]).toBe(POISON);
  });

  for (const seed of [1, 2, 3]) {
    it(`server frames (unmasked) contain no poison and decode to the payloads, seed ${seed}`, () => {
      const rand = prng(seed);
      const { ops: list, expected } = ops(rand);
      const w = new FrameWriter({ role: 'server' });
      const wire = run(w, list);
      expect(wire.indexOf(POISON)).toBe(-1);
      expect(oracle(wire, { role: 'client' })).toEqual(expected);
    });

    it(`client frames (masked) decode to exactly the payloads, with key 0 and random keys, seed ${seed}`, () => {
      // No byte scan here: a masked header's length byte (0x80 | 42) or a key byte can be 0xAA.
      const { ops: list, expected } = ops(prng(seed));
      const zero = run(new FrameWriter({ role: 'client', maskKey: () => 0 }), list);
      expect(oracle(zero, { role: 'server' })).toEqual(expected);
      const wire = run(new FrameWriter({ role: 'client' }), list);
      expect(oracle(wire, { role: 'server' })).toEqual(expected);
    });
  }

  it('close frames: with a reason, without one, and a short reason after a long one carry exactly their bytes', () => {
    const w = new FrameWriter({ role: 'server' });
    const frames: Buffer[] = [];
    for (const [code, reason] of [[1000, 'x'.repeat(123)], [1001, 'é'], [undefined, undefined], [1000, ''], [4999, 'bye']] as const) {
      poisonNodePool();
      poisonWriter(w);
      frames.push(flat(w.close(code, reason)));
    }
    expect(frames.map((f) => f.toString('hex'))).toEqual([
      '887d03e8' + Buffer.from('x'.repeat(123)).toString('hex'),
      '880403e9c3a9',
      '8800',
      '880203e8',
      '88051387627965',
    ]);
  });
});

describe('pool hygiene: reader', () => {
  it('payloads delivered from the receive buffer stay intact when the buffer is reused and poisoned', () => {
    const rand = prng(9);
    const kept: Array<{ data: Uint8Array | string; want: string }> = [];
    const wants: string[] = [];
    const r = new FrameReader({ role: 'server', textAs: 'bytes' }, {
      onMessage: (data) => kept.push({ data, want: wants.shift()! }),
      onPing: (p) => kept.push({ data: p, want: wants.shift()! }),
      onPong: (p) => kept.push({ data: p, want: wants.shift()! }),
      onClose: (_c, reason) => kept.push({ data: reason, want: wants.shift()! }),
      onError: (e) => kept.push({ data: e.code, want: 'no error' }),
    });
    const frames: Buffer[] = [];
    for (const n of [3, 70_000, 0, 125, 5, 20_000, 1]) {
      const op = n <= 125 && rand() < 0.5 ? 9 : 2;
      const p = bytes(rand, n);
      frames.push(clientFrame(op, p, true, bytes(rand, 4)));
      wants.push(p.toString('hex'));
    }
    frames.push(clientFrame(8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('done')]), true, bytes(rand, 4)));
    wants.push('done');
    const stream = Buffer.concat(frames);
    // Socket-like reads of random sizes into the reused receive buffer, poisoned before each read.
    for (let p = 0; p < stream.length;) {
      const into = r.receiveBuffer();
      into.fill(POISON);
      const n = Math.min(into.length, stream.length - p, 1 + ((rand() * 9000) | 0));
      into.set(stream.subarray(p, p + n));
      r.received(n);
      p += n;
    }
    r.receiveBuffer().fill(POISON);
    expect(kept.length).toBe(8);
    for (const k of kept) {
      expect(typeof k.data === 'string' ? k.data : Buffer.from(k.data).toString('hex')).toBe(k.want);
    }
  });
});

describe('pool hygiene: over the wire', () => {
  let wss: WebSocketServer;
  let port: number;
  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    port = (wss.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('a server sending long and short messages, pings and a close with reason puts no poison on the wire', async () => {
    const rand = prng(5);
    const { ops: list, expected } = ops(rand);
    const conn: Promise<[WebSocket]> = once(wss, 'connection');
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    await once(socket, 'connect');
    socket.write(UPGRADE_REQUEST());
    const [ws] = await conn;
    for (const op of list) {
      poisonNodePool();
      if (op[0] === 'message') ws.send(op[1]);
      else if (op[0] === 'ping') ws.ping(op[1]);
      else if (op[0] === 'pong') ws.pong(op[1]);
      else ws.close(op[1], op[2]);
      if (rand() < 0.5) await new Promise((r) => setImmediate(r));
    }
    // The raw client answers the close so the server ends the connection.
    await new Promise((r) => setTimeout(r, 50));
    socket.write(clientFrame(8, Buffer.from([0x03, 0xe8])));
    await once(socket, 'close', 3000);
    const all = Buffer.concat(chunks);
    const frames = all.subarray(all.indexOf('\r\n\r\n') + 4);
    expect(frames.indexOf(POISON)).toBe(-1);
    expect(oracle(frames, { role: 'client' })).toEqual(expected);
  });
});
