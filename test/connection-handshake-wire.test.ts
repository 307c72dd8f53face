/**
 * The opening handshake over real loopback sockets: refusals with their HTTP status, hooks
 * (verifyClient, allowOrigin, handleProtocols, headers), timeouts, the CONNECT proxy, the per-host
 * CONNECTING queue and bytes that arrive together with the 101 response.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent as HttpAgent, createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import WS, { WebSocketServer as WSServer } from 'ws';
import { WebSocketServer } from '../ts/server.js';
import { WebSocket } from '../ts/websocket.js';
import { ConnectQueue } from '../ts/connect-queue.js';
import { createAcceptKey } from '../ts/handshake-headers.js';
import { closeServer, listen, once, portOf, rawExchange, rawServer, selfSignedCert, serverFrame, startProxy, UPGRADE_REQUEST } from './connection-helpers.js';

function status(resp: Buffer): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(resp.toString('latin1'));
  return m ? Number(m[1]) : -1;
}

describe('server refusals over the wire', () => {
  let wss: WebSocketServer;
  let port: number;
  beforeAll(async () => {
    wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      path: '/ws',
      allowOrigin: (origin) => origin !== 'http://evil.example',
      verifyClient: (info) => info.req.headers['x-deny'] === undefined,
      maxHeaderSize: 4096,
    });
    await once(wss, 'listening');
    port = (wss.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => wss.close(() => r()));
  });

  const cases: Array<[string, string, number]> = [
    ['a valid request', UPGRADE_REQUEST('', '/ws'), 101],
    ['POST', UPGRADE_REQUEST('', '/ws').replace('GET', 'POST'), 405],
    ['version 8', UPGRADE_REQUEST('', '/ws').replace('Version: 13', 'Version: 8'), 426],
    ['a bad key', UPGRADE_REQUEST('', '/ws').replace('dGhlIHNhbXBsZSBub25jZQ==', 'short'), 400],
    // Not an upgrade at the HTTP level (Node only upgrades with Connection: Upgrade): a plain request.
    ['no Connection: Upgrade', UPGRADE_REQUEST('', '/ws').replace('Connection: Upgrade', 'Connection: keep-alive'), 426],
    ['Upgrade: foo', UPGRADE_REQUEST('', '/ws').replace('Upgrade: websocket', 'Upgrade: foo'), 400],
    ['another path', UPGRADE_REQUEST('', '/other'), 400],
    ['a refused origin', UPGRADE_REQUEST('Origin: http://evil.example\r\n', '/ws'), 403],
    ['verifyClient saying no', UPGRADE_REQUEST('X-Deny: 1\r\n', '/ws'), 401],
    ['huge headers', UPGRADE_REQUEST(`X-Big: ${'x'.repeat(8000)}\r\n`, '/ws'), 431],
    ['a plain GET', 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 426],
  ];
  for (const [name, req, want] of cases) {
    it(`answers ${name} with ${want} and closes the socket`, async () => {
      if (want === 101) {
        const got: Promise<[WebSocket]> = once(wss, 'connection');
        const resp = rawExchangeUntil(port, req, '\r\n\r\n');
        const [ws] = await got;
        const text = (await resp).toString('latin1');
        expect(status(Buffer.from(text, 'latin1'))).toBe(101);
        expect(text).toContain(`Sec-WebSocket-Accept: ${createAcceptKey('dGhlIHNhbXBsZSBub25jZQ==')}`);
        ws.terminate();
        return;
      }
      const resp = await rawExchange(port, req);
      expect(status(resp)).toBe(want);
      if (want === 426) expect(resp.toString('latin1')).toMatch(want === 426 && req.includes('Version: 8') ? /Sec-WebSocket-Version: 13/ : /Upgrade: websocket/i);
    });
  }

  it('an async verifyClient refusal sends its own status and headers', async () => {
    const s = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (_info, cb) => setTimeout(() => cb(false, 429, 'Slow down', { 'Retry-After': '5' }), 5),
    });
    await once(s, 'listening');
    const resp = (await rawExchange((s.address() as AddressInfo).port, UPGRADE_REQUEST())).toString('latin1');
    expect(resp).toMatch(/^HTTP\/1\.1 429/);
    expect(resp).toContain('Retry-After: 5');
    expect(resp).toContain('Slow down');
    await new Promise<void>((r) => s.close(() => r()));
  });

  it('a client that stalls mid-request is cut off after handshakeTimeout', async () => {
    const s = new WebSocketServer({ port: 0, host: '127.0.0.1', handshakeTimeout: 300 });
    await once(s, 'listening');
    const t0 = Date.now();
    const resp = await rawExchange((s.address() as AddressInfo).port, 'GET / HTTP/1.1\r\nHost: x\r\n', 5000);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(resp.length === 0 || status(resp) === 408).toBe(true);
    await new Promise<void>((r) => s.close(() => r()));
  });
});

/** Like rawExchange but resolves as soon as `marker` arrived (the socket is then destroyed). */
function rawExchangeUntil(port: number, data: string, marker: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    import('node:net').then(({ connect }) => {
      const chunks: Buffer[] = [];
      const socket = connect(port, '127.0.0.1', () => socket.write(data));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('timeout'));
      }, 3000);
      socket.on('data', (c) => {
        chunks.push(c);
        if (Buffer.concat(chunks).includes(marker)) {
          clearTimeout(timer);
          socket.destroy();
          resolve(Buffer.concat(chunks));
        }
      });
      socket.on('error', () => {});
    });
  });
}

describe('server hooks and modes', () => {
  it('a verifyClient that never answers is cut off with 408 after handshakeTimeout', async () => {
    const s = new WebSocketServer({ port: 0, host: '127.0.0.1', handshakeTimeout: 200, verifyClient: (_info, _cb) => {} });
    await once(s, 'listening');
    const t0 = Date.now();
    const resp = await rawExchange((s.address() as AddressInfo).port, UPGRADE_REQUEST(), 3000);
    expect(status(resp)).toBe(408);
    expect(Date.now() - t0).toBeLessThan(2000);
    await new Promise<void>((r) => s.close(() => r()));
  });

  it('works over IPv6 loopback', async () => {
    const wss = new WebSocketServer({ port: 0, host: '::1' });
    const ok = await new Promise<boolean>((resolve) => {
      wss.once('listening', () => resolve(true));
      wss.once('error', () => resolve(false));
    });
    if (!ok) return; // no IPv6 on this host: nothing to test
    wss.on('connection', (c: WebSocket) => c.on('message', (d: string) => c.send(d)));
    const ws = new WebSocket(`ws://[::1]:${(wss.address() as AddressInfo).port}/`);
    await once(ws, 'open');
    ws.send('six');
    expect((await once<[string]>(ws, 'message'))[0]).toBe('six');
    ws.close();
    await once(ws, 'close');
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('uses the agent option for the upgrade request, as ws does', async () => {
    const wss = new WSServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    let created = 0;
    class CountingAgent extends HttpAgent {
      override createConnection(...args: Parameters<HttpAgent['createConnection']>): ReturnType<HttpAgent['createConnection']> {
        created++;
        return super.createConnection(...args);
      }
    }
    const agent = new CountingAgent();
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { agent });
    await once(ws, 'open');
    expect(created).toBe(1);
    ws.terminate();
    agent.destroy();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('noServer + handleUpgrade on an application http server, headers hook, clients set', async () => {
    const wss = new WebSocketServer({ noServer: true });
    const http = createHttpServer();
    http.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    wss.on('headers', (lines: string[]) => lines.push('X-Hello: world'));
    await listen(http);
    const client = new WS(`ws://127.0.0.1:${portOf(http)}/any`);
    const [[ws], [res]] = await Promise.all([once<[WebSocket]>(wss, 'connection'), once<[{ headers: Record<string, string> }]>(client, 'upgrade')]);
    expect(res.headers['x-hello']).toBe('world');
    expect(wss.clients.has(ws)).toBe(true);
    client.close();
    await once(ws, 'close');
    expect(wss.clients.size).toBe(0);
    await new Promise<void>((r) => wss.close(() => r()));
    await closeServer(http);
  });
});

describe('client handshake failures', () => {
  it('fails on a wrong accept key, a non-101 status and an unoffered subprotocol', async () => {
    let mode = '';
    const srv = await rawServer((s) => {
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        if (!buf.includes('\r\n\r\n')) return;
        const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(buf)![1];
        const ok = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${createAcceptKey(key)}\r\n`;
        if (mode === 'accept') s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n');
        else if (mode === 'status') s.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
        else if (mode === 'protocol') s.write(ok + 'Sec-WebSocket-Protocol: zzz\r\n\r\n');
        else if (mode === 'extension') s.write(ok + 'Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n');
      });
    });
    const expectations: Array<[string, string]> = [
      ['accept', 'WS_ERR_HANDSHAKE_ACCEPT'],
      ['status', 'WS_ERR_HANDSHAKE_STATUS'],
      ['protocol', 'WS_ERR_HANDSHAKE_PROTOCOL'],
      ['extension', 'WS_ERR_HANDSHAKE_EXTENSION'],
    ];
    for (const [m, code] of expectations) {
      mode = m;
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`, ['a']);
      const [[err], [closeCode]] = await Promise.all([once<[{ code: string; message: string }]>(ws, 'error'), once<[number]>(ws, 'close')]);
      expect(err.code).toBe(code);
      expect(closeCode).toBe(1006);
      expect(ws.readyState).toBe(WebSocket.CLOSED);
    }
    await srv.close();
  });

  it('times out a server that never answers', async () => {
    const srv = await rawServer(() => {});
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`, { handshakeTimeout: 200 });
    const [err] = await once<[{ code: string }]>(ws, 'error');
    expect(err.code).toBe('WS_ERR_HANDSHAKE_TIMEOUT');
    await srv.close();
  });

  it('reports a refused TCP connection', async () => {
    const srv = await rawServer(() => {});
    const port = srv.port;
    await srv.close();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const [err] = await once<[{ code: string; message: string }]>(ws, 'error');
    expect(err.code).toBe('WS_ERR_HANDSHAKE_REQUEST');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('validates the URL and subprotocols synchronously', () => {
    expect(() => new WebSocket('http2://x')).toThrow(SyntaxError);
    expect(() => new WebSocket('ws://x/#f')).toThrow(/fragment/);
    expect(() => new WebSocket('ws://127.0.0.1:1/', ['a', 'a'])).toThrow(/subprotocol/);
  });

  it('close() while connecting aborts with an error and 1006', async () => {
    const srv = await rawServer(() => {});
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`);
    const errored = once<[{ code: string }]>(ws, 'error');
    const closed = once<[number]>(ws, 'close');
    ws.close();
    expect((await errored)[0].code).toBe('WS_ERR_CLOSED_BEFORE_OPEN');
    expect((await closed)[0]).toBe(1006);
    await srv.close();
  });

  it('unexpected-response hands the response to the application', async () => {
    const http = createHttpServer((_req, res) => {
      res.writeHead(302, { Location: '/elsewhere' });
      res.end();
    });
    await listen(http);
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(http)}/`);
    const [, res] = await once<[unknown, { statusCode: number; headers: Record<string, string> }]>(ws, 'unexpected-response');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/elsewhere');
    await closeServer(http);
  });
});

describe('bytes that arrive with the 101 response', () => {
  it('are the first frames and are not lost', async () => {
    const srv = await rawServer((s) => {
      s.once('data', (d) => {
        const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(d.toString('latin1'))![1];
        // One write: the response and two frames right behind it.
        s.write(Buffer.concat([
          Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${createAcceptKey(key)}\r\n\r\n`),
          serverFrame(1, Buffer.from('first')),
          serverFrame(2, Buffer.from([1, 2, 3])),
        ]));
      });
    });
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`);
    const got: unknown[] = [];
    let openedFirst = false;
    ws.on('open', () => {
      openedFirst = got.length === 0;
    });
    ws.on('message', (d) => got.push(d));
    const deadline = Date.now() + 3000;
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(openedFirst).toBe(true);
    expect(got[0]).toBe('first');
    expect([...(got[1] as Buffer)]).toEqual([1, 2, 3]);
    ws.terminate();
    await srv.close();
  });
});

describe('HTTP CONNECT proxy', () => {
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  beforeAll(async () => {
    proxy = await startProxy();
  });
  afterAll(async () => proxy.close());

  it('tunnels ws:// and wss:// to a ws server, with Basic credentials', async () => {
    const tls = selfSignedCert();
    const https = createHttpsServer({ key: tls.key, cert: tls.cert });
    const secure = new WSServer({ server: https });
    await listen(https);
    const plain = new WSServer({ port: 0, host: '127.0.0.1' });
    await once(plain, 'listening');
    for (const s of [secure, plain]) s.on('connection', (c) => c.on('message', (d, b) => c.send(d, { binary: b })));
    const targets = [`wss://127.0.0.1:${portOf(https)}/`, `ws://127.0.0.1:${(plain.address() as AddressInfo).port}/`];
    for (const url of targets) {
      const ws = new WebSocket(url, { proxy: `http://user:p%40ss@127.0.0.1:${proxy.port}`, rejectUnauthorized: false });
      await once(ws, 'open');
      ws.send('through the tunnel');
      const [m] = await once<[string]>(ws, 'message');
      expect(m).toBe('through the tunnel');
      ws.close();
      await once(ws, 'close');
    }
    expect(proxy.requests).toEqual(targets.map((u) => new URL(u).host));
    expect(proxy.auth[0]).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    await new Promise<void>((r) => secure.close(() => r()));
    https.closeAllConnections();
    await closeServer(https);
    await new Promise<void>((r) => plain.close(() => r()));
  });

  it('reports a proxy that refuses the tunnel', async () => {
    const ws = new WebSocket('ws://localhost:9/', { proxy: `http://127.0.0.1:${proxy.port}` });
    const [err] = await once<[{ code: string; message: string }]>(ws, 'error');
    expect(err.code).toBe('WS_ERR_PROXY');
    expect(err.message).toMatch(/403/);
  });
});

describe('CONNECTING queue (RFC 6455 §4.1)', () => {
  it('opens connections to one host one at a time; other hosts are not blocked', async () => {
    let inHandshake = 0;
    let maxInHandshake = 0;
    const order: number[] = [];
    const wss = new WSServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (info, cb) => {
        inHandshake++;
        maxInHandshake = Math.max(maxInHandshake, inHandshake);
        order.push(Number(new URL(info.req.url!, 'http://x').searchParams.get('n')));
        setTimeout(() => {
          inHandshake--;
          cb(true);
        }, 40);
      },
    });
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    const queue = new ConnectQueue();
    const clients = [0, 1, 2, 3].map((n) => new WebSocket(`ws://127.0.0.1:${port}/?n=${n}`, { connectQueue: queue }));
    expect(queue.pending(`127.0.0.1:${port}`)).toBe(4);
    await Promise.all(clients.map((c) => once(c, 'open')));
    expect(maxInHandshake).toBe(1);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(queue.pending(`127.0.0.1:${port}`)).toBe(0);
    // A failed attempt frees the slot as well.
    const dead = new WebSocket('ws://127.0.0.1:1/', { connectQueue: queue });
    const after = new WebSocket('ws://127.0.0.1:1/', { connectQueue: queue });
    expect(queue.pending('127.0.0.1:1')).toBe(2);
    for (const c of [dead, after]) c.on('error', () => {});
    await Promise.all([once(dead, 'close'), once(after, 'close')]);
    // Without the queue the same clients connect concurrently.
    inHandshake = 0;
    maxInHandshake = 0;
    const free = [0, 1, 2].map((n) => new WebSocket(`ws://127.0.0.1:${port}/?n=${n}`, { connectQueue: false }));
    await Promise.all(free.map((c) => once(c, 'open')));
    expect(maxInHandshake).toBeGreaterThan(1);
    for (const c of [...clients, ...free]) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });
});
