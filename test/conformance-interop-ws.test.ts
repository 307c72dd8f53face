/**
 * Interop with ws (npm), an independent implementation, over loopback in both roles, with and
 * without permessage-deflate, on every backend. ws drives: it sends messages of every length class
 * (text and binary, one frame and fragmented), pings, and closes; wsframe echoes. Then wsframe
 * closes with its own code and ws must report it.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WsWebSocket, { WebSocketServer as WsServer } from 'ws';
import { WebSocketServer } from '../ts/server.js';
import { WebSocket } from '../ts/websocket.js';
import { backendStatus, useBackend } from '../ts/select.js';
import type { BackendName } from '../ts/backend.js';
import { once } from './connection-helpers.js';
import { prng, randomBytes, randomUtf8 } from './reference.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const initial = backendStatus().find((b) => b.active)!.name as BackendName;
afterAll(() => {
  useBackend(initial);
});

const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 1024 * 1024];
const rand = prng(6455);
const MESSAGES: Array<{ data: string | Buffer; binary: boolean; parts?: number }> = [
  ...SIZES.map((n) => ({ data: Buffer.from(randomUtf8(rand, n)).toString('utf8'), binary: false })),
  ...SIZES.map((n) => ({ data: Buffer.from(randomBytes(rand, n)), binary: true })),
  { data: 'fragmented ☺ '.repeat(1000), binary: false, parts: 3 },
  { data: Buffer.from(randomBytes(rand, 5000)), binary: true, parts: 4 },
];
const digest = (data: string | Buffer, binary: boolean) => `${binary ? 'binary' : 'text'}:${data.length}:${createHash('sha1').update(data).digest('hex')}`;
const EXPECTED = MESSAGES.map((m) => digest(m.data, m.binary));

type Peer = WsWebSocket;

/** ws's side: send everything, check the echoes and a pong, close with 1000 'bye'. */
async function drive(ws: Peer): Promise<{ echoes: string[]; pong: string; close: [number, string] }> {
  const echoes: string[] = [];
  ws.on('message', (d: Buffer, isBinary) => echoes.push(digest(isBinary ? d : d.toString(), isBinary)));
  for (const m of MESSAGES) {
    if (!m.parts) {
      ws.send(m.data, { binary: m.binary });
      continue;
    }
    const b = Buffer.from(m.data);
    const step = Math.ceil(b.length / m.parts);
    for (let i = 0; i < m.parts; i++) ws.send(b.subarray(i * step, (i + 1) * step), { binary: m.binary, fin: i === m.parts - 1 });
  }
  const pong = once<[Buffer]>(ws, 'pong', 10_000);
  ws.ping(Buffer.from('ping ☺'));
  const pongData = (await pong)[0].toString();
  const deadline = Date.now() + 15_000;
  while (echoes.length < MESSAGES.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const closed = once<[number, Buffer]>(ws, 'close', 10_000);
  ws.close(1000, 'bye');
  const [code, reason] = await closed;
  return { echoes, pong: pongData, close: [code, reason.toString()] };
}

function echo(ws: { on: Function; send: Function }): void {
  ws.on('message', (d: unknown, isBinary: boolean) => ws.send(d, { binary: isBinary }));
}

const backends = backendStatus().filter((b) => b.available).map((b) => b.name as BackendName);

for (const backend of backends) {
  for (const deflate of [false, true]) {
    describe(`ws interop, backend ${backend}${deflate ? ', permessage-deflate' : ''}`, () => {
      it('wsframe server, ws client: echoes, pong, close 1000 echoed', async () => {
        useBackend(backend);
        const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
        cleanups.push(() => new Promise((r) => wss.close(r)));
        const serverClose = new Promise<[number, string]>((resolve) => wss.on('connection', (ws) => {
          echo(ws);
          ws.on('close', (code: number, reason: Buffer) => resolve([code, reason.toString()]));
        }));
        await once(wss, 'listening');
        const ws = new WsWebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate: deflate });
        cleanups.push(() => ws.terminate());
        await once(ws, 'open');
        expect(ws.extensions).toBe(deflate ? 'permessage-deflate' : '');
        const r = await drive(ws);
        expect(r.echoes).toEqual(EXPECTED);
        expect(r.pong).toBe('ping ☺');
        expect(r.close).toEqual([1000, 'bye']);
        expect(await serverClose).toEqual([1000, 'bye']);
      }, 30_000);

      it('ws server, wsframe client: echoes, pong, close 1000 echoed', async () => {
        useBackend(backend);
        const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
        cleanups.push(() => new Promise((r) => wss.close(r)));
        const result = new Promise<Awaited<ReturnType<typeof drive>>>((resolve, reject) => wss.on('connection', (ws) => drive(ws).then(resolve, reject)));
        await once(wss, 'listening');
        const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate: deflate });
        cleanups.push(() => client.terminate());
        echo(client);
        const clientClose = once<[number, Buffer]>(client, 'close', 20_000);
        const r = await result;
        expect(client.extensions).toBe(deflate ? 'permessage-deflate' : '');
        expect(r.echoes).toEqual(EXPECTED);
        expect(r.pong).toBe('ping ☺');
        expect(r.close).toEqual([1000, 'bye']);
        const [code, reason] = await clientClose;
        expect([code, reason.toString()]).toEqual([1000, 'bye']);
      }, 30_000);

      it('wsframe closes with its own code and reason in both roles; ws reports them', async () => {
        useBackend(backend);
        // wsframe server closes.
        const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
        cleanups.push(() => new Promise((r) => wss.close(r)));
        wss.on('connection', (ws) => ws.close(4001, 'server says ☺'));
        await once(wss, 'listening');
        const ws = new WsWebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate: deflate });
        cleanups.push(() => ws.terminate());
        const [code, reason] = await once<[number, Buffer]>(ws, 'close', 10_000);
        expect([code, reason.toString()]).toEqual([4001, 'server says ☺']);
        // wsframe client closes.
        const wsServer = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
        cleanups.push(() => new Promise((r) => wsServer.close(r)));
        const seen = new Promise<[number, string]>((resolve) => wsServer.on('connection', (c) => c.on('close', (cc, rr) => resolve([cc, rr.toString()]))));
        await once(wsServer, 'listening');
        const client = new WebSocket(`ws://127.0.0.1:${(wsServer.address() as AddressInfo).port}/`, { perMessageDeflate: deflate });
        cleanups.push(() => client.terminate());
        client.on('open', () => client.close(3999, 'client says ☺'));
        const clientClose = once<[number]>(client, 'close', 10_000);
        expect(await seen).toEqual([3999, 'client says ☺']);
        expect((await clientClose)[0]).toBe(3999);
      }, 30_000);
    });
  }
}
