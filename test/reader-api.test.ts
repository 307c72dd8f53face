/**
 * What the reader hands out and who owns it: views into pushed chunks, copies out of the receive
 * buffer, fresh buffers for joined messages; and the socket path (net.Socket onread) over loopback.
 */
import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { buildFrame, concatBytes } from './oracle.js';
import { FrameReader } from '../ts/reader.js';
import type { ReaderHandlers } from '../ts/frame-types.js';

const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

function handlers(out: { data: (string | Uint8Array)[]; pings: Uint8Array[] }): ReaderHandlers {
  return {
    onMessage: (d) => out.data.push(d),
    onPing: (p) => out.pings.push(p),
    onPong() {},
    onClose() {},
    onError: (e) => { throw e; },
  };
}

describe('reader API: views and copies', () => {
  it('push: binary payloads and pings are views into the pushed chunk, unmasked in place', () => {
    const out = { data: [] as (string | Uint8Array)[], pings: [] as Uint8Array[] };
    const r = new FrameReader({ role: 'server' }, handlers(out));
    const chunk = concatBytes([buildFrame({ opcode: 2, payload: Uint8Array.of(1, 2, 3), mask: KEY }), buildFrame({ opcode: 9, payload: enc('hi'), mask: KEY })]);
    r.push(chunk);
    const bin = out.data[0] as Uint8Array;
    expect(Array.from(bin)).toEqual([1, 2, 3]);
    expect(bin.buffer).toBe(chunk.buffer);
    expect(bin.byteOffset).toBe(chunk.byteOffset + 6);
    expect(Array.from(chunk.subarray(6, 9))).toEqual([1, 2, 3]); // unmasked in place
    expect(out.pings[0].buffer).toBe(chunk.buffer);
  });

  it('receiveBuffer: everything handed out is a copy, untouched when the buffer is reused', () => {
    const out = { data: [] as (string | Uint8Array)[], pings: [] as Uint8Array[] };
    const r = new FrameReader({ role: 'client', textAs: 'bytes' }, handlers(out));
    const send = (bytes: Uint8Array) => {
      const into = r.receiveBuffer();
      into.set(bytes);
      r.received(bytes.length);
    };
    send(concatBytes([buildFrame({ opcode: 2, payload: Uint8Array.of(1, 2, 3) }), buildFrame({ opcode: 1, payload: enc('héllo') }), buildFrame({ opcode: 9, payload: enc('p') })]));
    send(new Uint8Array(64).fill(0xee).map((_, i) => (i === 0 ? 0x82 : i === 1 ? 62 : 0xee)));
    const recv = r.receiveBuffer();
    // Copies live outside the receive region (a slab after it, or a buffer of their own)...
    for (const d of [...out.data, ...out.pings] as Uint8Array[]) {
      const outside = d.buffer !== recv.buffer || d.byteOffset >= recv.byteOffset + recv.length || d.byteOffset + d.length <= recv.byteOffset;
      expect(outside).toBe(true);
    }
    // ...so reusing it changes none of them.
    for (let i = 0; i < 5; i++) {
      r.receiveBuffer().fill(0x81);
      r.received(0);
    }
    expect(Array.from(out.data[0] as Uint8Array)).toEqual([1, 2, 3]);
    expect(Buffer.from(out.data[1] as Uint8Array).toString()).toBe('héllo');
    expect(Buffer.from(out.pings[0]).toString()).toBe('p');
    expect((out.data[2] as Uint8Array).length).toBe(62);
  });

  it('a message joined from fragments, or cut by a chunk boundary, is a fresh buffer', () => {
    const out = { data: [] as (string | Uint8Array)[], pings: [] as Uint8Array[] };
    const r = new FrameReader({ role: 'client' }, handlers(out));
    const a = buildFrame({ opcode: 2, fin: false, payload: Uint8Array.of(1) });
    const b = buildFrame({ opcode: 0, payload: Uint8Array.of(2) });
    const chunk = concatBytes([a, b]);
    r.push(chunk);
    const cut = buildFrame({ opcode: 2, payload: new Uint8Array(300).fill(5) });
    const c1 = cut.slice(0, 100), c2 = cut.slice(100);
    r.push(c1);
    r.push(c2);
    expect(Array.from(out.data[0] as Uint8Array)).toEqual([1, 2]);
    expect((out.data[0] as Uint8Array).buffer).not.toBe(chunk.buffer);
    expect((out.data[1] as Uint8Array).every((x) => x === 5)).toBe(true);
    expect([c1.buffer, c2.buffer]).not.toContain((out.data[1] as Uint8Array).buffer);
  });

  it('reports its backend and stops after an error', () => {
    const errors: Error[] = [];
    const r = new FrameReader({ role: 'server', backend: 'js' }, { onMessage() {}, onPing() {}, onPong() {}, onClose() {}, onError: (e) => errors.push(e) });
    expect(r.backend).toBe('js');
    r.push(Uint8Array.of(0x83, 0x80, 0, 0, 0, 0));
    r.push(Uint8Array.of(0x83, 0x80, 0, 0, 0, 0));
    expect(errors.length).toBe(1);
    expect(errors[0].message).toMatch(/opcode 3/);
    expect(r.closed).toBe(true);
  });
});

describe('reader: large payloads read straight into their own buffer', () => {
  it('receiveBuffer() becomes the rest of the payload, never past its end; UTF-8 still fails fast', () => {
    const payload = new Uint8Array(100_000).fill(0x61);
    const frame = buildFrame({ opcode: 1, payload, mask: KEY });
    const run = (bytes: Uint8Array) => {
      const events: string[] = [];
      const sizes: number[] = [];
      const r = new FrameReader({ role: 'server', textAs: 'bytes' }, {
        onMessage: (d) => events.push(`msg ${(d as Uint8Array).length}`), onPing() {}, onPong() {}, onClose() {},
        onError: (e) => events.push(e.code),
      });
      for (let p = 0; p < bytes.length && !r.closed;) {
        const into = r.receiveBuffer();
        sizes.push(into.length);
        const n = Math.min(into.length, 10_000, bytes.length - p);
        into.set(bytes.subarray(p, p + n));
        r.received(n);
        p += n;
      }
      return { events, sizes };
    };
    const ok = run(concatBytes([frame, buildFrame({ opcode: 2, payload: Uint8Array.of(9), mask: KEY })]));
    expect(ok.events).toEqual(['msg 100000', 'msg 1']);
    // After the first read the target is the payload's rest, never past its end.
    expect(ok.sizes[1]).toBe(100_000 - (10_000 - 14)); // 14-byte header
    expect(ok.sizes.slice(1, -2).every((n) => n !== 65536)).toBe(true);
    const bad = payload.slice();
    bad[50_000] = 0xff;
    const badRun = run(buildFrame({ opcode: 1, payload: bad, mask: KEY }));
    expect(badRun.events).toEqual(['WS_ERR_INVALID_UTF8']);
    expect(badRun.sizes.length).toBe(6); // stopped by the read holding byte 50,000, not at the end
  });
});

describe('reader on a socket (loopback, onread into receiveBuffer)', () => {
  it('parses what a peer writes, read straight into the reader-owned buffer', async () => {
    const messages = 2000;
    const frames: Uint8Array[] = [];
    for (let i = 0; i < messages; i++) {
      frames.push(i % 100 === 99
        ? buildFrame({ opcode: 2, payload: new Uint8Array(70000).fill(i & 0xff) })
        : buildFrame({ opcode: 1, payload: enc(`{"tick":${i},"px":"héllo"}`) }));
    }
    const server = net.createServer((s) => {
      s.end(Buffer.from(concatBytes(frames)));
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as net.AddressInfo).port;
    const got: (string | Uint8Array)[] = [];
    let failure: Error | undefined;
    const reader = new FrameReader({ role: 'client' }, {
      onMessage: (d) => got.push(d), onPing() {}, onPong() {}, onClose() {}, onError: (e) => { failure = e; },
    });
    await new Promise<void>((res, rej) => {
      const sock = net.connect({
        port, host: '127.0.0.1',
        onread: { buffer: () => reader.receiveBuffer(), callback: (n: number) => { reader.received(n); return true; } },
      });
      sock.on('end', () => res());
      sock.on('error', rej);
      setTimeout(() => { sock.destroy(); rej(new Error('timeout')); }, 10_000).unref();
    });
    await new Promise<void>((res) => server.close(() => res()));
    expect(failure).toBeUndefined();
    expect(got.length).toBe(messages);
    for (let i = 0; i < messages; i++) {
      if (i % 100 === 99) {
        const b = got[i] as Uint8Array;
        expect(b.length).toBe(70000);
        expect(b[0] === (i & 0xff) && b[69999] === (i & 0xff)).toBe(true);
      } else {
        expect(got[i]).toBe(`{"tick":${i},"px":"héllo"}`);
      }
    }
  });
});
