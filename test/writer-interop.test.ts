/**
 * Loopback interop with ws (the incumbent), both directions: wsframe's client frames to a ws server
 * and back, and wsframe's server frames (FrameWriter, prepare, Broadcaster) to a ws client and back.
 * The HTTP upgrade is done by hand in the test; everything after it is wsframe's codec.
 */
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import { FrameWriter } from '../ts/writer.js';
import { FrameReader } from '../ts/reader.js';
import { prepare } from '../ts/prepare.js';
import { Broadcaster } from '../ts/broadcast.js';
import { prng, randomBytes } from './reference.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
type Event = [string, ...unknown[]];

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function reader(role: 'client' | 'server', events: Event[]): FrameReader {
  return new FrameReader({ role }, {
    onMessage: (d, isBinary) => events.push(isBinary ? ['binary', Buffer.from(d as Uint8Array).toString('hex')] : ['text', d]),
    onPing: (p) => events.push(['ping', Buffer.from(p).toString()]),
    onPong: (p) => events.push(['pong', Buffer.from(p).toString()]),
    onClose: (code, reason) => events.push(['close', code, reason]),
    onError: (err) => events.push(['error', err.code]),
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('interop with ws over loopback', () => {
  it('wsframe client frames -> ws server, and ws server frames -> wsframe reader', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    cleanups.push(() => new Promise((r) => wss.close(() => r())));
    const serverSaw: Event[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        serverSaw.push([isBinary ? 'binary' : 'text', isBinary ? data.toString('hex') : data.toString()]);
        ws.send(data, { binary: isBinary }); // echo
      });
      ws.on('ping', (p: Buffer) => serverSaw.push(['ping', p.toString()]));
    });
    const port = (wss.address() as net.AddressInfo).port;
    const sock = net.connect(port, '127.0.0.1');
    cleanups.push(() => void sock.destroy());
    await once(sock, 'connect');
    const key = Buffer.from('0123456789abcdef').toString('base64');
    sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const got: Event[] = [];
    const r = reader('client', got);
    let head = Buffer.alloc(0);
    let upgraded = false;
    sock.on('data', (d: Buffer) => {
      if (upgraded) return r.push(d);
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      expect(head.toString('latin1', 0, end)).toContain(createHash('sha1').update(key + GUID).digest('base64'));
      upgraded = true;
      if (head.length > end + 4) r.push(head.subarray(end + 4));
    });
    await until(() => upgraded, 'the upgrade');

    const w = new FrameWriter({ role: 'client' });
    const rand = prng(21);
    const expected: Event[] = [];
    for (const n of [0, 5, 125, 126, 70000]) {
      const bytes = randomBytes(rand, n);
      const text = 'wsframe ✓ '.repeat(Math.ceil(n / 12)).slice(0, n);
      for (const c of [w.binary(bytes), w.text(text), w.binary(bytes, { fragmentSize: 1000 })]) {
        if (Array.isArray(c)) for (const p of c) sock.write(p);
        else sock.write(c);
      }
      const hex = Buffer.from(bytes).toString('hex');
      expected.push(['binary', hex], ['text', text], ['binary', hex]);
    }
    sock.write(w.ping('are you there'));
    await until(() => got.length >= expected.length + 1, 'the echoes');
    expect(serverSaw).toEqual([...expected, ['ping', 'are you there']]);
    expect(got).toEqual([...expected, ['pong', 'are you there']]);
    sock.write(w.close(1000, 'bye'));
    await until(() => got.length === expected.length + 2, 'the close reply');
    expect(got[got.length - 1]).toEqual(['close', 1000, 'bye']);
  });

  it('wsframe server frames (writer, prepare, Broadcaster) -> ws client, and ws client frames -> wsframe reader', async () => {
    const serverSaw: Event[] = [];
    const sockets: net.Socket[] = [];
    const b = new Broadcaster();
    const w = new FrameWriter({ role: 'server' });
    const server = net.createServer((sock) => {
      sockets.push(sock);
      const r = reader('server', serverSaw);
      let head = '';
      const onData = (d: Buffer) => {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        sock.off('data', onData);
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head)![1];
        sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${createHash('sha1').update(key + GUID).digest('base64')}\r\n\r\n`);
        sock.on('data', (chunk: Buffer) => r.push(chunk));
        b.subscribe('news', sock);
      };
      sock.on('data', onData);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }));
    const port = (server.address() as net.AddressInfo).port;
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    cleanups.push(() => void client.terminate());
    const clientSaw: Event[] = [];
    client.on('message', (data: Buffer, isBinary: boolean) => clientSaw.push([isBinary ? 'binary' : 'text', isBinary ? data.toString('hex') : data.toString()]));
    client.on('ping', (p: Buffer) => clientSaw.push(['ping', p.toString()]));
    client.on('close', (code: number, reason: Buffer) => clientSaw.push(['close', code, reason.toString()]));
    await once(client, 'open');
    await until(() => b.subscriberCount('news') === 1, 'the subscription');

    const sock = sockets[0];
    const rand = prng(22);
    const expected: Event[] = [];
    for (const n of [0, 125, 126, 65536, 100000]) {
      const bytes = randomBytes(rand, n);
      const hex = Buffer.from(bytes).toString('hex');
      const text = 'é'.repeat(n >> 1);
      for (const c of [w.binary(bytes), w.text(text, { fragmentSize: 333 })]) {
        if (Array.isArray(c)) for (const p of c) sock.write(p);
        else sock.write(c);
      }
      sock.write(prepare(bytes).bytes);
      b.flush(); // nothing pending yet; a direct send after a flush keeps order
      b.publish('news', text);
      b.publish('news', prepare(bytes));
      b.flush();
      expected.push(['binary', hex], ['text', text], ['binary', hex], ['text', text], ['binary', hex]);
    }
    sock.write(w.ping('hello?'));
    expected.push(['ping', 'hello?']);
    await until(() => clientSaw.length >= expected.length, 'the messages');
    expect(clientSaw).toEqual(expected);

    client.send('from ws');
    client.send(Buffer.from([1, 2, 3]));
    await until(() => serverSaw.length >= 3, "ws client's frames");
    expect(serverSaw).toEqual([['pong', 'hello?'], ['text', 'from ws'], ['binary', '010203']]);
    sock.write(w.close(4001, 'closing'));
    await until(() => clientSaw.length === expected.length + 1, 'the close');
    expect(clientSaw[clientSaw.length - 1]).toEqual(['close', 4001, 'closing']);
  });
});

describe('prepared compressed frames and permessage-deflate', () => {
  it('one deflated frame is shared by every ws client when the server has no context takeover', async () => {
    const zlib = await import('node:zlib');
    const sockets: net.Socket[] = [];
    const b = new Broadcaster();
    const server = net.createServer((sock) => {
      sockets.push(sock);
      let head = '';
      const onData = (d: Buffer) => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        sock.off('data', onData);
        expect(head).toMatch(/sec-websocket-extensions:\s*permessage-deflate/i);
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head)![1];
        // Accept the client's offer, and tell it every server message starts a fresh context.
        sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${createHash('sha1').update(key + GUID).digest('base64')}\r\n` +
          'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n');
        b.subscribe('z', sock);
      };
      sock.on('data', onData);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }));
    const port = (server.address() as net.AddressInfo).port;
    const received: string[][] = [[], [], []];
    const clients = received.map((got) => {
      const c = new WebSocket(`ws://127.0.0.1:${port}`); // ws clients offer permessage-deflate by default
      c.on('message', (data: Buffer) => got.push(data.toString()));
      cleanups.push(() => void c.terminate());
      return c;
    });
    await Promise.all(clients.map((c) => once(c, 'open')));
    await until(() => b.subscriberCount('z') === 3, 'the subscriptions');
    const messages = ['{"s":"AAPL","p":189.91}'.repeat(20), 'second message, same dictionary words: AAPL AAPL'];
    for (const m of messages) {
      // RFC 7692 §7.2.1: deflate with a sync flush, then drop the trailing 00 00 ff ff.
      const deflated = zlib.deflateRawSync(Buffer.from(m), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      expect([...deflated.subarray(-4)]).toEqual([0, 0, 0xff, 0xff]);
      const frame = prepare(deflated.subarray(0, -4), { binary: false, compressed: true });
      expect(frame.bytes[0]).toBe(0x80 | 0x40 | 0x1);
      b.publish('z', frame);
    }
    await until(() => received.every((g) => g.length === messages.length), 'the inflated messages');
    for (const got of received) expect(got).toEqual(messages);
  });
});
