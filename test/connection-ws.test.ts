/**
 * Loopback interop with ws, in both directions (wsframe server + ws client, ws server + wsframe
 * client), over ws:// and wss:// (a self-signed certificate made for the test): messages of every
 * kind, ping/pong, every close path and subprotocols.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import WS, { WebSocketServer as WSServer } from 'ws';
import { WebSocketServer } from '../ts/server.js';
import { WebSocket } from '../ts/websocket.js';
import { once, selfSignedCert } from './connection-helpers.js';
import { prng, randomBytes as refRandomBytes } from './reference.js';

type Kind = 'wsframe' | 'ws';
// Both libraries expose the same EventEmitter surface; the tests drive them through it.
type AnySocket = WebSocket & WS;
interface AnyServer {
  url: string;
  connection(): Promise<AnySocket>;
  close(): Promise<void>;
}

let tls: { key: string; cert: string };
beforeAll(() => {
  tls = selfSignedCert();
});

async function startServer(kind: Kind, secure: boolean, options: Record<string, unknown> = {}): Promise<AnyServer> {
  let https: HttpsServer | undefined;
  let server: WebSocketServer | WSServer;
  const Ctor = kind === 'wsframe' ? WebSocketServer : WSServer;
  if (secure) {
    https = createHttpsServer({ key: tls.key, cert: tls.cert });
    server = new Ctor({ server: https, ...options } as never);
    await new Promise<void>((r) => https!.listen(0, '127.0.0.1', () => r()));
  } else {
    server = new Ctor({ port: 0, host: '127.0.0.1', ...options } as never);
    await once(server, 'listening');
  }
  const port = ((https ?? server).address() as AddressInfo).port;
  const pending: AnySocket[] = [];
  const waiters: Array<(s: AnySocket) => void> = [];
  server.on('connection', (s: AnySocket) => {
    const w = waiters.shift();
    if (w) w(s);
    else pending.push(s);
  });
  return {
    url: `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    connection: () => {
      const s = pending.shift();
      return s ? Promise.resolve(s) : new Promise((r) => waiters.push(r));
    },
    close: async () => {
      for (const c of server.clients) (c as AnySocket).terminate();
      await new Promise<void>((r) => server.close(() => r()));
      if (https) {
        https.closeAllConnections();
        await new Promise<void>((r) => https!.close(() => r()));
      }
    },
  };
}

function openClient(kind: Kind, url: string, protocols?: string[]): AnySocket {
  const opts = { rejectUnauthorized: false };
  return (kind === 'wsframe' ? new WebSocket(url, protocols, opts) : new WS(url, protocols, opts)) as AnySocket;
}

const text = (d: unknown): string => (typeof d === 'string' ? d : Buffer.from(d as Buffer).toString('utf8'));

function randomBytes(n: number, seed: number): Buffer {
  return Buffer.from(refRandomBytes(prng(seed), n));
}

const combos: Array<[Kind, Kind, boolean]> = [
  ['wsframe', 'ws', false],
  ['wsframe', 'ws', true],
  ['ws', 'wsframe', false],
  ['ws', 'wsframe', true],
  ['wsframe', 'wsframe', false],
];

describe.each(combos)('%s server, %s client, tls=%s', (serverKind, clientKind, secure) => {
  let server: AnyServer;
  beforeAll(async () => {
    server = await startServer(serverKind, secure, { handleProtocols: (p: Set<string>) => (p.has('b') ? 'b' : false) });
  });
  afterAll(async () => server.close());

  async function pair(protocols?: string[]): Promise<{ client: AnySocket; peer: AnySocket }> {
    const client = openClient(clientKind, server.url, protocols);
    const [peer] = await Promise.all([server.connection(), once(client, 'open')]);
    return { client, peer };
  }

  async function closed(s: AnySocket): Promise<[number, string]> {
    if (s.readyState === 3) throw new Error('already closed');
    const [code, reason] = await once<[number, Buffer]>(s, 'close');
    return [code, text(reason)];
  }

  it('text, binary, large and fragmented messages both ways', async () => {
    const { client, peer } = await pair();
    peer.on('message', (d: unknown, isBinary: boolean) => peer.send(d as Buffer, { binary: isBinary }));
    const got: Array<[unknown, boolean]> = [];
    client.on('message', (d: unknown, isBinary: boolean) => got.push([d, isBinary]));
    const bin = randomBytes(1000, 1);
    const big = randomBytes(3 * 1024 * 1024 + 7, 2);
    const bigText = 'héllo wörld ✓ '.repeat(40_000);
    client.send('hello ✓');
    client.send(bin);
    client.send(big);
    client.send(bigText);
    client.send('frag-', { fin: false });
    client.send('ment-', { fin: false });
    client.send('ed', { fin: true });
    client.send(Buffer.alloc(0));
    client.send('');
    const deadline = Date.now() + 10_000;
    while (got.length < 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got.length).toBe(7);
    expect([text(got[0][0]), got[0][1]]).toEqual(['hello ✓', false]);
    expect(Buffer.compare(Buffer.from(got[1][0] as Buffer), bin)).toBe(0);
    expect(got[1][1]).toBe(true);
    expect(Buffer.compare(Buffer.from(got[2][0] as Buffer), big)).toBe(0);
    expect(text(got[3][0]) === bigText).toBe(true);
    expect([text(got[4][0]), got[4][1]]).toEqual(['frag-ment-ed', false]);
    expect([Buffer.from(got[5][0] as Buffer).length, got[5][1]]).toEqual([0, true]);
    expect([text(got[6][0]), got[6][1]]).toEqual(['', false]);
    // The server side sends a fragmented message too.
    peer.removeAllListeners('message');
    peer.send(Buffer.from('ab'), { binary: true, fin: false });
    peer.send(Buffer.from('cd'), { binary: true, fin: true });
    const [m, isBinary] = await once<[Buffer, boolean]>(client, 'message');
    expect([Buffer.from(m).toString(), isBinary]).toEqual(['abcd', true]);
    client.close();
    await closed(client);
  });

  it('ping and pong with payloads, both directions', async () => {
    const { client, peer } = await pair();
    client.ping(Buffer.from('c-ping'));
    const [pong] = await once<[Buffer]>(client, 'pong');
    expect(pong.toString()).toBe('c-ping');
    const pinged = once<[Buffer]>(client, 'ping');
    peer.ping('s-ping');
    const [[spong], [cping]] = await Promise.all([once<[Buffer]>(peer, 'pong'), pinged]);
    expect(spong.toString()).toBe('s-ping');
    expect(cping.toString()).toBe('s-ping');
    client.terminate();
    await closed(peer);
  });

  it('client closes with a code and reason', async () => {
    const { client, peer } = await pair();
    const p = closed(peer);
    client.close(4001, 'client done');
    expect(client.readyState).toBe(2);
    const [[cc, cr], [pc, pr]] = await Promise.all([closed(client), p]);
    expect([cc, cr]).toEqual([4001, 'client done']);
    expect([pc, pr]).toEqual([4001, 'client done']);
  });

  it('server closes; a close without a code is reported as 1005', async () => {
    const { client, peer } = await pair();
    const c = closed(client);
    peer.close(1001, 'going');
    const [[cc, cr], [pc]] = await Promise.all([c, closed(peer)]);
    expect([cc, cr]).toEqual([1001, 'going']);
    expect(pc).toBe(1001);
    const second = await pair();
    const c2 = closed(second.client);
    second.peer.close();
    expect((await c2)[0]).toBe(1005);
  });

  it('no data after close: send calls back with an error', async () => {
    const { client, peer } = await pair();
    const got: unknown[] = [];
    peer.on('message', (d: unknown) => got.push(d));
    client.close(1000);
    const err = await new Promise<Error | undefined>((r) => client.send('late', (e?: Error | null) => r(e ?? undefined)));
    expect(err).toBeInstanceOf(Error);
    await closed(client);
    expect(got).toEqual([]);
  });

  it('terminate on either side is 1006 on the other', async () => {
    const a = await pair();
    const p = closed(a.peer);
    a.client.terminate();
    expect((await p)[0]).toBe(1006);
    const b = await pair();
    const c = closed(b.client);
    b.peer.terminate();
    expect((await c)[0]).toBe(1006);
  });

  it('subprotocol: the server picks one the client offered, or none', async () => {
    const a = await pair(['a', 'b']);
    expect(a.client.protocol).toBe('b');
    expect(a.peer.protocol).toBe('b');
    a.client.terminate();
    if (clientKind === 'ws') return; // ws fails a connection whose server picked none; RFC 6455 allows it
    const b = await pair(['x']);
    expect(b.client.protocol).toBe('');
    b.client.terminate();
  });
});
