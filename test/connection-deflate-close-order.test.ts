/**
 * A message that arrives just before a close frame must be delivered, and a message sent before
 * close() must go out before the close frame, even while permessage-deflate works on them in the
 * thread pool (large messages are inflated and deflated asynchronously). ws is the peer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import WsWebSocket, { WebSocketServer as WsServer } from 'ws';
import { WebSocketServer } from '../ts/server.js';
import { WebSocket } from '../ts/websocket.js';
import { once } from './connection-helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const BIG = 'squeeze me '.repeat(20_000); // 220 KB: past the inline limits, so zlib runs in the pool

describe('permessage-deflate: messages around a close frame keep their place', () => {
  it('server role: the echo of a message sent right before close arrives before the close', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const got: string[] = [];
    wss.on('connection', (ws) => ws.on('message', (d: unknown, isBinary: boolean) => {
      got.push(`server got ${String(d).length}`);
      ws.send(d as string, { binary: isBinary });
    }));
    await once(wss, 'listening');
    const client = new WsWebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate: true });
    cleanups.push(() => client.terminate());
    await once(client, 'open');
    client.on('message', (d) => got.push(`client got ${String(d).length}`));
    client.send(BIG);
    client.close(1000, 'done');
    const [code] = await once<[number]>(client, 'close');
    expect(code).toBe(1000);
    expect(got).toEqual([`server got ${BIG.length}`, `client got ${BIG.length}`]);
  });

  it('client role: same, with ws as the server sending a message then close', async () => {
    const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const got: string[] = [];
    let closed!: Promise<unknown[]>;
    wss.on('connection', (ws) => {
      ws.on('message', (d) => got.push(`server got ${String(d).length}`));
      closed = once(ws, 'close');
      ws.send(BIG);
      ws.close(1000, 'done');
    });
    await once(wss, 'listening');
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate: true });
    cleanups.push(() => client.terminate());
    client.on('message', (d, isBinary) => {
      got.push(`client got ${String(d).length}`);
      client.send(d as string, { binary: isBinary });
    });
    const [code] = await once<[number]>(client, 'close');
    expect(code).toBe(1000);
    await closed;
    expect(got).toEqual([`client got ${BIG.length}`, `server got ${BIG.length}`]);
  });
});
