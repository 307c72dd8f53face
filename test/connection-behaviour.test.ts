/**
 * Connection behaviour beyond plain interop: protocol errors close with their code, the close
 * timeout, heartbeat and idle timeout, backpressure (bufferedAmount, drain, pausing reads), the
 * browser-style event API and message representations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import WS from 'ws';
import { WebSocketServer } from '../ts/server.js';
import type { ServerOptions } from '../ts/server.js';
import { WebSocket } from '../ts/websocket.js';
import { createAcceptKey } from '../ts/handshake-headers.js';
import { clientFrame, once, rawServer, UPGRADE_REQUEST } from './connection-helpers.js';

async function withServer(opts: Partial<ServerOptions>, fn: (port: number, wss: WebSocketServer) => Promise<void>): Promise<void> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...opts });
  await once(wss, 'listening');
  try {
    await fn((wss.address() as AddressInfo).port, wss);
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  }
}

/** A raw client that completed the handshake: returns the socket and everything read after the 101. */
async function rawClient(port: number): Promise<{ socket: Socket; frames: () => Buffer; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let buf = Buffer.alloc(0);
  let upgraded = false;
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no 101')), 3000);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        expect(buf.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
        buf = buf.subarray(end + 4);
        clearTimeout(t);
        resolve();
      }
    });
    socket.write(UPGRADE_REQUEST());
  });
  return { socket, frames: () => buf, closed };
}

describe('protocol errors close with their code', () => {
  const cases: Array<[string, Buffer, number, string]> = [
    ['invalid UTF-8 text', clientFrame(1, Buffer.from([0x68, 0xc3, 0x28])), 1007, 'WS_ERR_INVALID_UTF8'],
    ['an unmasked frame', Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002, 'WS_ERR_EXPECTED_MASK'],
    ['a reserved opcode', clientFrame(3, Buffer.alloc(0)), 1002, 'WS_ERR_INVALID_OPCODE'],
    ['a message over maxPayload', clientFrame(2, Buffer.alloc(2000)), 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
  ];
  for (const [name, frame, code, errCode] of cases) {
    it(`${name}: close ${code}, error ${errCode}, TCP closed`, async () => {
      await withServer({ maxPayload: 1000 }, async (port, wss) => {
        const conn = once<[WebSocket]>(wss, 'connection');
        const raw = await rawClient(port);
        const [ws] = await conn;
        const errored = once<[{ code: string; closeCode: number }]>(ws, 'error');
        const closedEvt = once<[number]>(ws, 'close');
        raw.socket.write(frame);
        const [err] = await errored;
        await raw.closed;
        expect(err.code === errCode || (errCode === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' && err.closeCode === 1009)).toBe(true);
        const got = raw.frames();
        expect(got[0]).toBe(0x88); // a close frame
        expect(got.readUInt16BE(2)).toBe(code);
        expect((await closedEvt)[0]).toBe(code);
      });
    });
  }

  it('a wsframe client reports a server protocol error with its code too', async () => {
    const srv = await rawServer((s) => {
      s.once('data', (d) => {
        const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(d.toString('latin1'))![1];
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${createAcceptKey(key)}\r\n\r\n`);
        s.write(Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x69, 0x6b])); // masked frame from a server
      });
    });
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`, { closeTimeout: 500 });
    const [[err], [code]] = await Promise.all([once<[{ code: string }]>(ws, 'error'), once<[number]>(ws, 'close')]);
    expect(err.code).toBe('WS_ERR_UNEXPECTED_MASK');
    expect(code).toBe(1002);
    await srv.close();
  });
});

describe('bytes that arrive with the upgrade request', () => {
  it('are parsed as the first frames, after the connection event', async () => {
    await withServer({}, async (port, wss) => {
      const got: unknown[] = [];
      wss.on('connection', (c: WebSocket) => c.on('message', (d: unknown) => got.push(d)));
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write(Buffer.concat([Buffer.from(UPGRADE_REQUEST()), clientFrame(1, Buffer.from('early')), clientFrame(1, Buffer.from('bird'))]));
      const deadline = Date.now() + 3000;
      while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(got).toEqual(['early', 'bird']);
      socket.destroy();
    });
  });
});

describe('closing handshake timing', () => {
  it('gives up on a peer that never answers our close after closeTimeout', async () => {
    const srv = await rawServer((s) => {
      s.once('data', (d) => {
        const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(d.toString('latin1'))![1];
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${createAcceptKey(key)}\r\n\r\n`);
      });
    });
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`, { closeTimeout: 200 });
    await once(ws, 'open');
    const t0 = Date.now();
    ws.close(1000);
    const [code] = await once<[number]>(ws, 'close');
    expect(code).toBe(1006);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    await srv.close();
  });

  it('the server ends TCP first after the close handshake', async () => {
    await withServer({}, async (port, wss) => {
      const conn = once<[WebSocket]>(wss, 'connection');
      const raw = await rawClient(port);
      const [ws] = await conn;
      let ended = false;
      raw.socket.on('end', () => {
        ended = true;
      });
      raw.socket.write(clientFrame(8, Buffer.from([0x03, 0xe8, 0x6f, 0x6b])));
      const [code, reason] = await once<[number, Buffer]>(ws, 'close');
      await raw.closed;
      expect([code, reason.toString()]).toEqual([1000, 'ok']);
      expect(ended).toBe(true); // the server's FIN came while the client had not closed
      expect([...raw.frames()]).toEqual([0x88, 0x04, 0x03, 0xe8, 0x6f, 0x6b]); // echo of code and reason
    });
  });
});

describe('heartbeat and idle timeout', () => {
  it('terminates a peer that does not answer pings; keeps one that does', async () => {
    await withServer({ pingInterval: 60, pongTimeout: 60 }, async (port, wss) => {
      const conns: WebSocket[] = [];
      wss.on('connection', (c: WebSocket) => conns.push(c));
      const raw = await rawClient(port); // never answers
      const good = new WS(`ws://127.0.0.1:${port}/`); // ws answers pings itself
      await once(good, 'open');
      await raw.closed; // the server terminated it
      expect(raw.frames()[0]).toBe(0x89); // it was pinged first
      await new Promise((r) => setTimeout(r, 250));
      expect(good.readyState).toBe(WS.OPEN);
      good.terminate();
    });
  });

  it('client heartbeat terminates a silent server', async () => {
    const srv = await rawServer((s) => {
      s.once('data', (d) => {
        const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(d.toString('latin1'))![1];
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${createAcceptKey(key)}\r\n\r\n`);
      });
    });
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`, { pingInterval: 50, pongTimeout: 50 });
    await once(ws, 'open');
    const [code] = await once<[number]>(ws, 'close', 3000);
    expect(code).toBe(1006);
    await srv.close();
  });

  it('closes an idle connection with 1001', async () => {
    await withServer({ idleTimeout: 100 }, async (port) => {
      const client = new WS(`ws://127.0.0.1:${port}/`);
      const [code, reason] = await once<[number, Buffer]>(client, 'close', 3000);
      expect([code, reason.toString()]).toEqual([1001, 'Idle timeout']);
    });
  });
});

describe('backpressure', () => {
  it('bufferedAmount grows while the peer does not read, and drain comes when it does', async () => {
    await withServer({}, async (port, wss) => {
      const conn = once<[WebSocket]>(wss, 'connection');
      const client = new WebSocket(`ws://127.0.0.1:${port}/`);
      await once(client, 'open');
      const [peer] = await conn;
      client.pause();
      const chunk = Buffer.alloc(1024 * 1024, 1);
      for (let i = 0; i < 16; i++) peer.send(chunk);
      expect(peer.bufferedAmount).toBeGreaterThanOrEqual(16 * 1024 * 1024);
      await new Promise((r) => setTimeout(r, 50));
      expect(peer.bufferedAmount).toBeGreaterThan(0);
      let got = 0;
      client.on('message', (m: Buffer) => {
        got += m.length;
      });
      const drained = once(peer, 'drain');
      client.resume();
      await drained;
      const deadline = Date.now() + 5000;
      while (got < 16 * chunk.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(got).toBe(16 * chunk.length);
      expect(peer.bufferedAmount).toBe(0);
      client.terminate();
    });
  });

  it('an echo server stops reading while its writes pile up, and resumes after', async () => {
    await withServer({ readPauseThreshold: 64 * 1024 }, async (port, wss) => {
      wss.on('connection', (c: WebSocket) => c.on('message', (d: string | Buffer, b: boolean) => c.send(d, { binary: b })));
      const conn = once<[WebSocket]>(wss, 'connection');
      const client = new WebSocket(`ws://127.0.0.1:${port}/`);
      await once(client, 'open');
      const [peer] = await conn;
      client.pause(); // the client does not read the echoes
      const msg = Buffer.alloc(16 * 1024, 7);
      const n = 400; // 6.4 MiB: far more than the socket buffers hold
      for (let i = 0; i < n; i++) client.send(msg);
      const deadline = Date.now() + 3000;
      const sock = peer.socket as Socket;
      while (!sock.isPaused() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(sock.isPaused()).toBe(true);
      let got = 0;
      client.on('message', () => got++);
      client.resume();
      const end = Date.now() + 10_000;
      while (got < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(got).toBe(n);
      expect(sock.isPaused()).toBe(false);
      client.terminate();
    });
  });
});

describe('API surface', () => {
  let wss: WebSocketServer;
  let port: number;
  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    port = (wss.address() as AddressInfo).port;
    wss.on('connection', (c: WebSocket) => c.on('message', (d: string | Buffer, b: boolean) => c.send(d, { binary: b })));
  });
  afterAll(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('onopen / onmessage / onclose / addEventListener with once', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const events: string[] = [];
    ws.onopen = () => {
      events.push('open');
      ws.send('x');
      ws.send(new Uint8Array([1, 2]));
    };
    const messages: unknown[] = [];
    ws.onmessage = (e) => messages.push([e.type, e.data]);
    const onceSeen: unknown[] = [];
    ws.addEventListener('message', (e) => onceSeen.push(e.data), { once: true });
    const closed = new Promise<{ code?: number; wasClean?: boolean }>((r) => {
      ws.onclose = (e) => r(e);
    });
    expect(typeof ws.onmessage).toBe('function');
    while (messages.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual(['open']);
    expect(messages[0]).toEqual(['message', 'x']);
    expect([...((messages[1] as unknown[])[1] as Buffer)]).toEqual([1, 2]);
    expect(onceSeen).toEqual(['x']);
    ws.onmessage = null;
    expect(ws.listenerCount('message')).toBe(0);
    ws.close(1000);
    const e = await closed;
    expect(e.code).toBe(1000);
    expect(e.wasClean).toBe(true);
  });

  it('binaryType arraybuffer, textAs buffer, send callbacks, readyState constants', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { textAs: 'buffer' });
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(() => ws.send('too early')).toThrow(/CONNECTING/);
    await once(ws, 'open');
    expect(ws.readyState).toBe(ws.OPEN);
    ws.binaryType = 'arraybuffer';
    const sent = await new Promise<unknown>((r) => ws.send(new Uint8Array([9, 8]), (err) => r(err)));
    expect(sent).toBeFalsy();
    const [ab, isBinary] = await once<[ArrayBuffer, boolean]>(ws, 'message');
    expect(ab).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(ab), isBinary]).toEqual([9, 8, true]);
    ws.send('txt');
    const [t] = await once<[Buffer]>(ws, 'message');
    expect(Buffer.isBuffer(t) && t.toString()).toBe('txt');
    expect(() => ws.close(1005)).toThrow(/close code/);
    expect(() => ws.close(1000, 'x'.repeat(124))).toThrow(/123/);
    expect(() => ws.ping(Buffer.alloc(126))).toThrow(/125/);
    ws.close();
    await once(ws, 'close');
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });
});

describe('publish / subscribe', () => {
  it('delivers published messages to subscribers only, in order with direct sends, and forgets closed ones', async () => {
    await withServer({}, async (port, wss) => {
      const peers: WebSocket[] = [];
      wss.on('connection', (c: WebSocket) => peers.push(c));
      const clients = [0, 1, 2].map(() => new WS(`ws://127.0.0.1:${port}/`));
      await Promise.all(clients.map((c) => once(c, 'open')));
      while (peers.length < 3) await new Promise((r) => setTimeout(r, 5));
      const got: string[][] = [[], [], []];
      clients.forEach((c, i) => c.on('message', (d: Buffer) => got[i].push(d.toString())));
      expect(peers[0].subscribe('a')).toBe(true);
      expect(peers[0].subscribe('a')).toBe(false);
      peers[1].subscribe('a');
      peers[2].subscribe('b');
      expect(peers[0].topics).toEqual(['a']);
      expect(wss.publish('a', 'one')).toBe(2);
      peers[0].send('direct'); // after 'one', before 'two'
      wss.publish('a', Buffer.from('two'), { binary: false });
      wss.publish('b', 'bee');
      const deadline = Date.now() + 3000;
      while ((got[0].length < 3 || got[1].length < 2 || got[2].length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(got).toEqual([['one', 'direct', 'two'], ['one', 'two'], ['bee']]);
      expect(peers[1].unsubscribe('a')).toBe(true);
      wss.publish('a', 'three');
      clients[0].close();
      await once(peers[0], 'close');
      expect(wss.broadcaster.subscriberCount('a')).toBe(0);
      expect(wss.publish('a', 'nobody')).toBe(0);
      await new Promise((r) => setTimeout(r, 50));
      expect(got[1]).toEqual(['one', 'two']);
      expect(got[0]).toEqual(['one', 'direct', 'two', 'three']);
      for (const c of clients) c.terminate();
    });
  });
});

describe('peer goes away first', () => {
  it('a TCP close without a close frame is 1006; close() afterwards is harmless', async () => {
    await withServer({}, async (port, wss) => {
      const conn = once<[WebSocket]>(wss, 'connection');
      const raw = await rawClient(port);
      const [ws] = await conn;
      const closed = once<[number]>(ws, 'close');
      raw.socket.end(); // FIN, no close frame
      await new Promise((r) => setTimeout(r, 20));
      const err = await new Promise<unknown>((r) => {
        ws.close(1000);
        ws.send('late', (e) => r(e));
      });
      expect(err).toBeInstanceOf(Error);
      expect((await closed)[0]).toBe(1006);
    });
  });
});
