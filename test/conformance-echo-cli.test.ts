/**
 * The echo commands as a harness drives them: `wsframe echo-server` and `wsframe echo-client` run
 * as child processes (against the built package in dist/), with ws as the other end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import WsWebSocket, { WebSocketServer as WsServer } from 'ws';
import { once } from './connection-helpers.js';

const CLI = fileURLToPath(new URL('../bin/wsframe.mjs', import.meta.url));
const children: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function cli(args: string[]): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stderr: () => err, exit };
}

/** Starts `echo-server --port 0 --verbose` and reads the port it printed. */
async function echoServer(extra: string[] = []) {
  const run = cli(['echo-server', '--port', '0', '--verbose', ...extra]);
  const deadline = Date.now() + 15_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(run.stderr())) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!m) throw new Error(`echo-server did not start: ${run.stderr()}`);
  return { ...run, url: `ws://127.0.0.1:${m[1]}/` };
}

/** A message as [binary?, length, sha1]: quick to compare, short to print. */
const digest = ([data, binary]: [string | Buffer, boolean]) => [binary, data.length, createHash('sha1').update(data).digest('hex')];

const MESSAGES: Array<[string | Buffer, boolean]> = [
  ['', false], ['Hello ☺', false], ['x'.repeat(70_000), false],
  [Buffer.alloc(0), true], [Buffer.from([0, 1, 254, 255]), true], [Buffer.alloc(200_000, 7), true],
];

describe('wsframe echo-server', () => {
  for (const deflate of [false, true]) {
    it(`echoes text and binary with their type${deflate ? ', permessage-deflate' : ''}; SIGTERM exits 0`, async () => {
      const server = await echoServer(deflate ? ['--deflate'] : []);
      const ws = new WsWebSocket(server.url, { perMessageDeflate: deflate });
      cleanups.push(() => ws.terminate());
      await once(ws, 'open', 10_000);
      expect(ws.extensions).toBe(deflate ? 'permessage-deflate' : '');
      const got: Array<[string | Buffer, boolean]> = [];
      ws.on('message', (d: Buffer, isBinary) => got.push([isBinary ? d : d.toString(), isBinary]));
      for (const [data, binary] of MESSAGES) ws.send(data, { binary });
      const pong = once<[Buffer]>(ws, 'pong');
      ws.ping('are you there');
      expect(String((await pong)[0])).toBe('are you there');
      const deadline = Date.now() + 10_000;
      while (got.length < MESSAGES.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(got.map(digest)).toEqual(MESSAGES.map(digest));
      const closed = once<[number]>(ws, 'close', 10_000);
      server.child.kill('SIGTERM');
      expect((await closed)[0]).toBe(1001);
      expect(await server.exit).toBe(0);
    }, 30_000);
  }

  it('answers invalid UTF-8 with 1007 and keeps serving', async () => {
    const server = await echoServer();
    const ws = new WsWebSocket(server.url, { skipUTF8Validation: true });
    cleanups.push(() => ws.terminate());
    await once(ws, 'open', 10_000);
    ws.send(Buffer.from([0x48, 0xc0, 0x80]), { binary: false });
    expect((await once<[number]>(ws, 'close', 10_000))[0]).toBe(1007);
    const again = new WsWebSocket(server.url);
    cleanups.push(() => again.terminate());
    await once(again, 'open', 10_000);
    again.send('still here');
    expect(String((await once<[Buffer]>(again, 'message', 10_000))[0])).toBe('still here');
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  }, 30_000);

  it('refuses to start without --port (exit 2)', async () => {
    const run = cli(['echo-server']);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain('--port');
  });
});

describe('wsframe echo-client', () => {
  async function wsServer(onConnection: (ws: WsWebSocket) => void, perMessageDeflate = false) {
    const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
    cleanups.push(() => new Promise((r) => wss.close(r)));
    wss.on('connection', onConnection);
    await once(wss, 'listening');
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  }

  for (const deflate of [false, true]) {
    it(`echoes what the server sends, then exits 0 on a clean close${deflate ? ' (permessage-deflate)' : ''}`, async () => {
      const got: Array<[string | Buffer, boolean]> = [];
      let extensions = '';
      const url = await wsServer((ws) => {
        extensions = ws.extensions;
        ws.on('message', (d: Buffer, isBinary) => {
          got.push([isBinary ? d : d.toString(), isBinary]);
          if (got.length === MESSAGES.length) ws.close(1000, 'done');
        });
        for (const [data, binary] of MESSAGES) ws.send(data, { binary });
      }, deflate);
      const run = cli(['echo-client', url, ...(deflate ? ['--deflate'] : [])]);
      expect(await run.exit).toBe(0);
      expect(got.map(digest)).toEqual(MESSAGES.map(digest));
      expect(extensions).toBe(deflate ? 'permessage-deflate' : '');
    }, 30_000);
  }

  it('exits 1 when the server closes with an error code', async () => {
    const url = await wsServer((ws) => ws.close(1011, 'broken'));
    const run = cli(['echo-client', url]);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toContain('1011');
  }, 30_000);

  it('exits 1 when the connection drops without a close frame', async () => {
    const url = await wsServer((ws) => ws.terminate());
    const run = cli(['echo-client', url]);
    expect(await run.exit).toBe(1);
  }, 30_000);

  it('exits 1 when nothing listens', async () => {
    const wss = new WsServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    await new Promise((r) => wss.close(r));
    const run = cli(['echo-client', `ws://127.0.0.1:${port}/`]);
    expect(await run.exit).toBe(1);
  }, 30_000);
});
