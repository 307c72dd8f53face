/**
 * permessage-deflate over loopback sockets: wsframe on both ends, and wsframe against ws's own
 * permessage-deflate in both directions. Every server and socket is closed at the end of its test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WsWebSocket, { WebSocketServer as WsServer } from 'ws';
import { WebSocketServer } from '../ts/server.js';
import { WebSocket } from '../ts/websocket.js';
import type { PerMessageDeflateOptions } from '../ts/deflate-negotiation.js';
import { closeServer, listen, once, portOf } from './connection-helpers.js';
import { jsonMessage } from './deflate-helpers.js';

type Closer = () => Promise<void> | void;
const cleanups: Closer[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A listening server (wsframe's or ws's class) on loopback, closed with its clients after the test. */
async function startServer<S extends { clients: Set<{ terminate(): void }>; close(cb: () => void): void; address(): unknown; on: Function }>(
  Server: new (opts: never) => S,
  perMessageDeflate: unknown,
  extra: Record<string, unknown> = {},
): Promise<{ wss: S; url: string }> {
  const wss = new Server({ port: 0, host: '127.0.0.1', perMessageDeflate, ...extra } as never);
  await once(wss as never, 'listening');
  cleanups.push(() => {
    for (const c of wss.clients) c.terminate();
    return new Promise<void>((r) => wss.close(() => r()));
  });
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/` };
}

const wsframeServer = (pmd: boolean | PerMessageDeflateOptions, extra?: Record<string, unknown>) =>
  startServer(WebSocketServer as never, pmd, extra) as Promise<{ wss: WebSocketServer; url: string }>;
const wsServer = (pmd: boolean | Record<string, unknown>, extra?: Record<string, unknown>) =>
  startServer(WsServer as never, pmd, extra) as Promise<{ wss: WsServer; url: string }>;

function track<T extends { terminate(): void }>(c: T): T {
  cleanups.push(() => c.terminate());
  return c;
}

/** Echo every message back as it came (text as text, binary as binary). */
function echo(server: { on(e: 'connection', f: (c: { on: Function; send: Function }) => void): unknown }): void {
  server.on('connection', (c) => c.on('message', (d: unknown, isBinary: boolean) => c.send(d, { binary: isBinary })));
}

/** Collects `n` messages (as strings or Buffers) with a bounded wait. */
async function collect(client: { on: Function }, n: number, ms = 10_000): Promise<Array<string | Buffer>> {
  const got: Array<string | Buffer> = [];
  client.on('message', (d: unknown, isBinary: boolean) => got.push(isBinary ? Buffer.from(d as Buffer) : String(d)));
  const deadline = Date.now() + ms;
  while (got.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return got;
}

const BIG = jsonMessage(1, 64 * 1024); // above the inline limit: goes through the thread pool
const MESSAGES: Array<string | Buffer> = [jsonMessage(1), 'tiny', Buffer.from(jsonMessage(2, 3000)), BIG, jsonMessage(3, 2000), '', Buffer.alloc(5000, 7)];

describe('wsframe ↔ wsframe', () => {
  it.each([
    ['context takeover', {}],
    ['no context takeover', { serverNoContextTakeover: true, clientNoContextTakeover: true }],
    ['small windows', { serverMaxWindowBits: 9, clientMaxWindowBits: 10 }],
  ] as const)('%s: negotiates, compresses on the wire, echoes in order', async (_n, opts) => {
    const { wss, url } = await wsframeServer(opts);
    echo(wss as never);
    const client = track(new WebSocket(url, { perMessageDeflate: opts }));
    await once(client, 'open');
    expect(client.extensions).toMatch(/^permessage-deflate/);
    const got = collect(client, MESSAGES.length);
    for (const m of MESSAGES) client.send(m);
    expect(await got).toEqual(MESSAGES);
    // The JSON compresses ~5-10×: far fewer bytes crossed the socket than were sent.
    const payload = MESSAGES.reduce((n, m) => n + Buffer.byteLength(m), 0);
    expect(client.socket!.bytesWritten).toBeLessThan(payload / 3);
  });

  it("inflated text follows the connection's textAs ('buffer': validated bytes, as ws delivers)", async () => {
    const { wss, url } = await wsframeServer(true, { textAs: 'buffer' });
    const received = new Promise<[unknown, boolean]>((resolve) => wss.on('connection', (c: WebSocket) => c.on('message', (d: unknown, b: boolean) => resolve([d, b]))));
    const client = track(new WebSocket(url, { perMessageDeflate: true }));
    await once(client, 'open');
    client.send(jsonMessage(8, 3000));
    const [data, isBinary] = await received;
    expect(isBinary).toBe(false);
    expect(Buffer.isBuffer(data)).toBe(true);
    expect((data as Buffer).toString()).toBe(jsonMessage(8, 3000));
  });

  it('a client without the option gets no extension and plain frames', async () => {
    const { wss, url } = await wsframeServer(true);
    echo(wss as never);
    const client = track(new WebSocket(url));
    await once(client, 'open');
    expect(client.extensions).toBe('');
    const got = collect(client, 1);
    client.send(jsonMessage(1));
    expect(await got).toEqual([jsonMessage(1)]);
  });

  it('send(data, { compress: false }) and messages under the threshold go out uncompressed, in order', async () => {
    const { wss, url } = await wsframeServer({ threshold: 100 });
    echo(wss as never);
    const client = track(new WebSocket(url, { perMessageDeflate: { threshold: 100 } }));
    await once(client, 'open');
    const got = collect(client, 4);
    client.send(BIG); // asynchronous compression...
    client.send('short'); // ...then an uncompressed one that must not overtake it
    client.send(jsonMessage(4), { compress: false });
    client.send(jsonMessage(5));
    expect(await got).toEqual([BIG, 'short', jsonMessage(4), jsonMessage(5)]);
  });

  it('a message streamed in parts (fin: false) is compressed as one message', async () => {
    const { wss, url } = await wsframeServer(true);
    echo(wss as never);
    const client = track(new WebSocket(url, { perMessageDeflate: true }));
    await once(client, 'open');
    const got = collect(client, 2);
    const text = jsonMessage(6, 6000);
    client.send(text.slice(0, 2000), { fin: false });
    client.send(text.slice(2000, 4000), { fin: false });
    client.send(text.slice(4000), { fin: true });
    client.send('after');
    expect(await got).toEqual([text, 'after']);
  });

  it('order under load: 600 mixed messages (inline, thread pool, uncompressed) echo in order', async () => {
    const { wss, url } = await wsframeServer(true);
    echo(wss as never);
    const client = track(new WebSocket(url, { perMessageDeflate: true }));
    await once(client, 'open');
    const sent: string[] = [];
    for (let i = 0; i < 600; i++) sent.push(i % 50 === 7 ? jsonMessage(i, 40_000) : i % 3 === 0 ? `m${i}` : jsonMessage(i, 1500));
    const got = collect(client, sent.length, 15_000);
    for (const m of sent) client.send(m);
    const received = await got;
    expect(received.length).toBe(sent.length);
    expect(received.every((m, i) => m === sent[i])).toBe(true);
  });
});

describe('interop with ws (permessage-deflate in both directions)', () => {
  const CASES: Array<[string, Record<string, unknown>]> = [
    ['defaults', {}],
    ['no context takeover', { serverNoContextTakeover: true, clientNoContextTakeover: true }],
    ['window bits 10/11', { serverMaxWindowBits: 10, clientMaxWindowBits: 11 }],
    ['client window 8 (zlib uses 9)', { clientMaxWindowBits: 8 }],
  ];

  it.each(CASES)('ws server, wsframe client: %s', async (_n, opts) => {
    const { wss, url } = await wsServer({ threshold: 0, ...opts });
    echo(wss as never);
    const client = track(new WebSocket(url, { perMessageDeflate: opts as PerMessageDeflateOptions }));
    await once(client, 'open');
    expect(client.extensions).toMatch(/^permessage-deflate/);
    const got = collect(client, MESSAGES.length);
    for (const m of MESSAGES) client.send(m);
    expect(await got).toEqual(MESSAGES);
    const [peer] = [...wss.clients];
    // ws received our frames compressed (what it read is far less than what was sent), except with
    // an 8-bit client window, which zlib cannot honour: then wsframe sends uncompressed, by design.
    const payload = MESSAGES.reduce((n, m) => n + Buffer.byteLength(m), 0);
    const bytesRead = (peer as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;
    if (opts.clientMaxWindowBits === 8) expect(bytesRead).toBeGreaterThan(payload);
    else expect(bytesRead).toBeLessThan(payload / 3);
  });

  it.each(CASES)('wsframe server, ws client: %s', async (_n, opts) => {
    const { wss, url } = await wsframeServer(opts as PerMessageDeflateOptions);
    echo(wss as never);
    const client = track(new WsWebSocket(url, { perMessageDeflate: { threshold: 0, ...opts } }));
    await once(client, 'open');
    expect(client.extensions).toMatch(/^permessage-deflate/);
    const got = collect(client, MESSAGES.length);
    for (const m of MESSAGES) client.send(m);
    const received = await got;
    expect(received.map((m) => (typeof m === 'string' ? m : Buffer.from(m)))).toEqual(MESSAGES.map((m) => (typeof m === 'string' ? m : m)));
    expect((client as unknown as { _socket: { bytesRead: number } })._socket.bytesRead).toBeLessThan(
      MESSAGES.reduce((n, m) => n + Buffer.byteLength(m), 0) / 3,
    );
  });
});

describe('bad input over the wire', () => {
  it('a compressed bomb (10 MB in ~10 KB) closes with 1009 at maxPayload 1 MiB', async () => {
    const { wss, url } = await wsframeServer(true, { maxPayload: 1 << 20 });
    const serverErr = new Promise<unknown>((resolve) => wss.on('connection', (c: WebSocket) => c.on('error', resolve)));
    // ws as the attacker: it compresses whatever it is given; its own maxPayload does not limit sending.
    const client = track(new WsWebSocket(url, { perMessageDeflate: { threshold: 0 } }));
    await once(client, 'open');
    const closed = once<[number, Buffer]>(client, 'close', 10_000);
    client.send(Buffer.alloc(10 * 1024 * 1024));
    const [code] = await closed;
    expect(code).toBe(1009);
    expect(await serverErr).toMatchObject({ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' });
  });

  it('compressed text that inflates to invalid UTF-8 closes with 1007', async () => {
    const { wss, url } = await wsframeServer(true);
    const serverErr = new Promise<unknown>((resolve) => wss.on('connection', (c: WebSocket) => c.on('error', resolve)));
    const client = track(new WsWebSocket(url, { perMessageDeflate: { threshold: 0 } }));
    await once(client, 'open');
    const closed = once<[number, Buffer]>(client, 'close', 5000);
    // ws sends a Buffer as text without validating it.
    client.send(Buffer.concat([Buffer.from(jsonMessage(1)), Buffer.from([0xc3, 0x28])]), { binary: false });
    const [code] = await closed;
    expect(code).toBe(1007);
    expect(await serverErr).toMatchObject({ code: 'WS_ERR_INVALID_UTF8' });
  });

  it('a client fails the handshake on a response it did not offer (client_max_window_bits)', async () => {
    // A raw server answering with a parameter the client did not offer.
    const http = await listen(createServer());
    cleanups.push(() => closeServer(http));
    http.on('upgrade', (req, socket) => {
      const { createHash } = require('node:crypto') as typeof import('node:crypto');
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n\r\n`);
    });
    const client = new WebSocket(`ws://127.0.0.1:${portOf(http)}/`, { perMessageDeflate: { clientMaxWindowBits: false } });
    const closed = once(client, 'close');
    const [err] = await once<[Error & { code: string }]>(client, 'error');
    expect(err.code).toBe('WS_ERR_HANDSHAKE_EXTENSION');
    expect(err.message).toMatch(/client_max_window_bits was not offered/);
    await closed;
  });

  it('invalid perMessageDeflate options throw at construction', () => {
    expect(() => new WebSocketServer({ noServer: true, perMessageDeflate: { serverMaxWindowBits: 8 } })).toThrow(RangeError);
    expect(() => new WebSocket('ws://127.0.0.1:1/', { perMessageDeflate: { threshold: -1 } })).toThrow(RangeError);
  });
});
