/**
 * Publish/subscribe with permessage-deflate over loopback: compress-once for subscribers that
 * negotiated server_no_context_takeover, per-connection compression for the others, plain frames
 * for connections without the extension, and message order through all three routes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AddressInfo } from 'node:net';
import WsWebSocket from 'ws';
import { WebSocketServer } from '../ts/server.js';
import { WebSocket } from '../ts/websocket.js';
import { PerMessageDeflate } from '../ts/permessage-deflate.js';
import type { PerMessageDeflateOptions } from '../ts/deflate-negotiation.js';
import { once } from './connection-helpers.js';
import { jsonMessage } from './deflate-helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(perMessageDeflate: PerMessageDeflateOptions): Promise<{ wss: WebSocketServer; url: string }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
  await once(wss, 'listening');
  cleanups.push(() => {
    for (const c of wss.clients) c.terminate();
    return new Promise<void>((r) => wss.close(() => r()));
  });
  wss.on('connection', (c: WebSocket) => c.subscribe('news'));
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/` };
}

type Client = { on: Function; terminate(): void; extensions: string };

/** Opens a client and resolves once the server has subscribed it. */
async function join(wss: WebSocketServer, make: () => Client): Promise<{ client: Client; got: Array<string | Buffer>; socket: () => { bytesRead: number } }> {
  const subscribed = once(wss, 'connection');
  const client = make();
  cleanups.push(() => client.terminate());
  const got: Array<string | Buffer> = [];
  client.on('message', (d: unknown, isBinary: boolean) => got.push(isBinary ? Buffer.from(d as Buffer) : String(d)));
  await once(client as never, 'open');
  await subscribed;
  const socket = () => ((client as { socket?: { bytesRead: number } }).socket ?? (client as unknown as { _socket: { bytesRead: number } })._socket);
  return { client, got, socket };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

const PUBLISHED: Array<string | Buffer> = [jsonMessage(1, 2000), 'short', Buffer.from(jsonMessage(2, 3000)), jsonMessage(3, 40_000), jsonMessage(4, 1500)];
const PAYLOAD = PUBLISHED.reduce((n, m) => n + Buffer.byteLength(m), 0);

describe('publish with permessage-deflate', () => {
  it('server_no_context_takeover: each message is compressed once for all deflate subscribers', async () => {
    const { wss, url } = await server({ serverNoContextTakeover: true });
    const subs = [
      await join(wss, () => new WebSocket(url, { perMessageDeflate: true })),
      await join(wss, () => new WebSocket(url, { perMessageDeflate: { serverMaxWindowBits: 10 } })), // a second group: window 10
      await join(wss, () => new WsWebSocket(url, { perMessageDeflate: true }) as unknown as Client),
      await join(wss, () => new WsWebSocket(url, { perMessageDeflate: true }) as unknown as Client),
      await join(wss, () => new WebSocket(url)), // no extension: the plain shared frame
    ];
    const compressSync = vi.spyOn(PerMessageDeflate.prototype, 'compressSync');
    for (const m of PUBLISHED) expect(wss.publish('news', m)).toBe(subs.length);
    await until(() => subs.every((s) => s.got.length === PUBLISHED.length));
    for (const s of subs) expect(s.got).toEqual(PUBLISHED);
    // 4 messages over the 1024-byte threshold × 2 groups (windows 15 and 10), whatever the subscriber count.
    expect(compressSync).toHaveBeenCalledTimes(8);
    for (const s of subs.slice(0, 4)) expect(s.socket().bytesRead).toBeLessThan(PAYLOAD / 3);
    expect(subs[4].socket().bytesRead).toBeGreaterThan(PAYLOAD);
  });

  it('context takeover: each subscriber is compressed by its own compressor, in order with direct sends', async () => {
    const { wss, url } = await server({});
    const a = await join(wss, () => new WebSocket(url, { perMessageDeflate: true }));
    const b = await join(wss, () => new WsWebSocket(url, { perMessageDeflate: true }) as unknown as Client);
    const plain = await join(wss, () => new WebSocket(url));
    const compressSync = vi.spyOn(PerMessageDeflate.prototype, 'compressSync');
    const [conn] = [...wss.clients];
    wss.publish('news', PUBLISHED[0]);
    conn.send('direct'); // to the first connection only, between two publishes
    for (const m of PUBLISHED.slice(1)) wss.publish('news', m);
    await until(() => a.got.length === PUBLISHED.length + 1 && b.got.length === PUBLISHED.length && plain.got.length === PUBLISHED.length);
    expect(a.got).toEqual([PUBLISHED[0], 'direct', ...PUBLISHED.slice(1)]);
    expect(b.got).toEqual(PUBLISHED);
    expect(plain.got).toEqual(PUBLISHED);
    expect(compressSync).not.toHaveBeenCalled();
    // Context takeover makes the repeated JSON structure cheap: far below a third of the payload.
    expect(a.socket().bytesRead).toBeLessThan(PAYLOAD / 3);
    expect(b.socket().bytesRead).toBeLessThan(PAYLOAD / 3);
  });

  it('a large direct send still being compressed is not overtaken by a later publish', async () => {
    const { wss, url } = await server({ serverNoContextTakeover: true });
    const shared = await join(wss, () => new WebSocket(url, { perMessageDeflate: true }));
    const plainServer = await server({});
    const own = await join(plainServer.wss, () => new WebSocket(plainServer.url, { perMessageDeflate: true }));
    const big = jsonMessage(11, 200_000); // compressed on the thread pool, so it completes after the publish flush
    for (const [w, sub] of [[wss, shared], [plainServer.wss, own]] as const) {
      const [conn] = [...w.clients];
      conn.send(big);
      w.publish('news', 'after');
      await until(() => sub.got.length === 2);
      expect(sub.got.map((m) => (m === big ? 'big' : m))).toEqual(['big', 'after']);
    }
  });

  it('subscriptions answer by topic whatever the route; unsubscribe and close stop delivery', async () => {
    const { wss, url } = await server({ serverNoContextTakeover: true });
    const shared = await join(wss, () => new WebSocket(url, { perMessageDeflate: true }));
    const { wss: wss2, url: url2 } = await server({});
    const own = await join(wss2, () => new WebSocket(url2, { perMessageDeflate: true }));
    for (const w of [wss, wss2]) {
      const [conn] = [...w.clients];
      expect(conn.isSubscribed('news')).toBe(true);
      expect(conn.topics).toEqual(['news']);
      expect(conn.subscribe('news')).toBe(false);
      expect(conn.subscribe('sport')).toBe(true);
      expect(conn.topics.sort()).toEqual(['news', 'sport']);
      expect(conn.unsubscribe('news')).toBe(true);
      expect(conn.unsubscribe('news')).toBe(false);
      expect(w.publish('news', jsonMessage(9))).toBe(0);
      expect(w.publish('sport', jsonMessage(10))).toBe(1);
    }
    await until(() => shared.got.length === 1 && own.got.length === 1);
    expect(shared.got).toEqual([jsonMessage(10)]);
    expect(own.got).toEqual([jsonMessage(10)]);
    own.client.terminate();
    const [conn2] = [...wss2.clients];
    await once(conn2, 'close');
    expect(wss2.publish('sport', 'x')).toBe(0);
  });
});
