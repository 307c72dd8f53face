/**
 * The raw peers of the conformance corpus. wsframe runs an echo endpoint; the peer is a plain
 * `net` socket that does its side of the HTTP upgrade by hand, writes the case's bytes exactly as
 * chopped, and records every byte wsframe sends back plus whether wsframe closed TCP.
 *
 * - server role: the peer is a client connecting to wsframe's WebSocketServer (echo).
 * - client role: the peer is a `net` server answering the handshake; wsframe's WebSocket client
 *   connects to it and echoes.
 *
 * The peer never answers wsframe's close frame with one of its own unless the case's bytes contain
 * it, so a failed connection must be closed by wsframe itself (RFC 6455 §7.1.7).
 */
import { createHash } from 'node:crypto';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from '../ts/server.js';
import { WebSocket } from '../ts/websocket.js';
import type { PerMessageDeflateOptions } from '../ts/deflate-negotiation.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'; // RFC 6455 §1.3

/** What the peer saw: wsframe's bytes after the handshake, the handshake response, TCP close. */
export interface Observed {
  bytes: Buffer;
  /** The 101 response (server role) or the upgrade request (client role), headers lower-cased. */
  headers: Record<string, string>;
  /** wsframe closed (or reset) TCP before the peer gave up waiting. */
  tcpClosed: boolean;
}

/** How the peer waits: no close from wsframe within `ms` ends the exchange with tcpClosed false. */
export interface PeerTiming {
  /** Gap between two writes, in ms (0: the next event-loop turn). */
  gapMs: number;
  /** Longest wait for wsframe to close TCP after the last write. */
  closeWaitMs: number;
}

export const DEFAULT_TIMING: PeerTiming = { gapMs: 0, closeWaitMs: 5000 };

const sleep = (ms: number) => new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));

/** Writes chunks one by one with a gap so they reach wsframe in separate reads (as far as TCP allows). */
async function writeChunks(socket: Socket, chunks: Uint8Array[], gapMs: number, stop: () => boolean): Promise<void> {
  for (let i = 0; i < chunks.length; i++) {
    if (stop()) return;
    socket.write(chunks[i]);
    if (i < chunks.length - 1) await sleep(gapMs);
  }
}

function parseHeaders(head: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = head.split('\r\n');
  out[':start'] = lines[0];
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/**
 * Collects what arrives after the HTTP head; `onFrames` lets the client-role peer notice wsframe's
 * close frame. Resolves when the socket closes or `closeWaitMs` after `armed()` is called.
 */
function recorder(socket: Socket, timing: PeerTiming) {
  let head: Buffer | null = Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let headers: Record<string, string> = {};
  let onHead: () => void = () => {};
  let closed = false;
  let settle: (tcpClosed: boolean) => void = () => {};
  const done = new Promise<boolean>((r) => (settle = r));
  socket.on('data', (c: Buffer) => {
    if (head === null) {
      chunks.push(c);
      return;
    }
    head = Buffer.concat([head, c]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headers = parseHeaders(head.subarray(0, end).toString('latin1'));
    const rest = head.subarray(end + 4);
    head = null;
    if (rest.length > 0) chunks.push(rest);
    onHead();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    settle(true);
  });
  return {
    headReady: new Promise<void>((r) => (onHead = r)),
    get headers() {
      return headers;
    },
    get closed() {
      return closed;
    },
    bytes: () => Buffer.concat(chunks),
    /** Waits for TCP close, at most closeWaitMs from now. */
    async finish(): Promise<Observed> {
      const timer = setTimeout(() => settle(false), timing.closeWaitMs);
      const tcpClosed = await done;
      clearTimeout(timer);
      socket.destroy();
      return { bytes: Buffer.concat(chunks), headers, tcpClosed };
    },
  };
}

/** The bytes to send, made once the handshake is known (permessage-deflate parameters). */
export type ChunksFor = (headers: Record<string, string>) => Uint8Array[] | Promise<Uint8Array[]>;

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

/** wsframe's WebSocketServer echoing every message with its type, on 127.0.0.1. */
export async function startEchoServer(opts: { perMessageDeflate?: boolean | PerMessageDeflateOptions; maxPayload?: number } = {}): Promise<EchoServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', closeTimeout: 1000, ...opts });
  wss.on('connection', (ws) => {
    ws.on('error', () => {}); // protocol errors are observed on the wire, not here
    ws.on('message', (data: unknown, isBinary: boolean) => ws.send(data as never, { binary: isBinary }));
  });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  return {
    port: (wss.address() as AddressInfo).port,
    close: () => {
      for (const c of wss.clients) c.terminate();
      return new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

/** Server role: a raw client upgrades, writes `chunks`, and records wsframe's answer. */
export async function asClientPeer(port: number, chunksFor: ChunksFor, extraHeaders = '', timing = DEFAULT_TIMING): Promise<Observed> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const rec = recorder(socket, timing);
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`,
  );
  await Promise.race([rec.headReady, sleep(timing.closeWaitMs)]);
  // The RFC's own example key and accept value (§1.3).
  if (!rec.headers[':start']?.startsWith('HTTP/1.1 101') || rec.headers['sec-websocket-accept'] !== 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=') return rec.finish();
  await writeChunks(socket, await chunksFor(rec.headers), timing.gapMs, () => rec.closed);
  return rec.finish();
}

/**
 * Client role: a raw server answers wsframe's upgrade (with `extensionsHeader` if given), writes
 * `chunks`, and closes TCP once wsframe's close frame (or a protocol error it reports) has arrived,
 * as a server does (RFC 6455 §7.1.1). wsframe's client echoes every message.
 */
export async function asServerPeer(
  chunksFor: ChunksFor,
  opts: { perMessageDeflate?: boolean | PerMessageDeflateOptions; extensionsHeader?: string; maxPayload?: number } = {},
  timing = DEFAULT_TIMING,
): Promise<Observed> {
  let serverSocket!: Socket;
  const accepted = new Promise<Socket>((r) => {
    const server = createServer((s) => {
      server.close();
      r(s);
    });
    server.listen(0, '127.0.0.1', () => startClient((server.address() as AddressInfo).port));
  });
  let client!: WebSocket;
  const startClient = (port: number) => {
    client = new WebSocket(`ws://127.0.0.1:${port}/`, { closeTimeout: 1000, perMessageDeflate: opts.perMessageDeflate ?? false, maxPayload: opts.maxPayload });
    client.on('error', (e) => process.env.CONFORMANCE_DEBUG && console.log('client error', e));
    client.on('message', (data, isBinary) => client.send(data as never, { binary: isBinary }));
  };
  serverSocket = await accepted;
  serverSocket.setNoDelay(true);
  const rec = recorder(serverSocket, timing);
  await rec.headReady;
  const key = rec.headers['sec-websocket-key'] ?? '';
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  const ext = opts.extensionsHeader ? `Sec-WebSocket-Extensions: ${opts.extensionsHeader}\r\n` : '';
  serverSocket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${ext}\r\n`);
  // A server closes TCP once the client's close frame is in (RFC 6455 §7.1.1).
  const scan = closeScanner();
  serverSocket.on('data', (c: Buffer) => {
    if (scan(c)) serverSocket.end();
  });
  await sleep(5); // let the client see the 101 alone first, so the frames are parsed as a stream
  const chunks = await chunksFor(rec.headers);
  await writeChunks(serverSocket, chunks, timing.gapMs, () => rec.closed);
  const observed = await rec.finish();
  client.terminate();
  return observed;
}

/**
 * Walks frame headers as bytes arrive (linear in the stream) and says when a complete close frame
 * has been seen. The payloads themselves are checked afterwards by the oracle.
 */
function closeScanner(): (chunk: Buffer) => boolean {
  let buf = Buffer.alloc(0);
  let skip = 0; // payload bytes of the current frame still to pass over
  let seen = false;
  return (chunk) => {
    if (seen) return true;
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        buf = buf.subarray(n);
        skip -= n;
        if (skip > 0) return false;
      }
      if (buf.length < 2) return false;
      const op = buf[0] & 0x0f;
      const len7 = buf[1] & 0x7f;
      const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      const hdr = 2 + ext + (buf[1] & 0x80 ? 4 : 0);
      if (buf.length < hdr) return false;
      const len = len7 === 126 ? buf.readUInt16BE(2) : len7 === 127 ? Number(buf.readBigUInt64BE(2)) : len7;
      if (op === 8) {
        if (buf.length < hdr + len) return false;
        seen = true;
        return true;
      }
      buf = buf.subarray(hdr);
      skip = len;
      if (skip === 0 && buf.length === 0) return false;
    }
  };
}

/** Splits `data` into pieces of `size` bytes, or at the given offsets. */
export function chop(data: Uint8Array, how: number | number[]): Uint8Array[] {
  const cuts = typeof how === 'number' ? [] : how;
  if (typeof how === 'number') for (let p = how; p < data.length; p += how) cuts.push(p);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of cuts) {
    if (c <= prev || c >= data.length) continue;
    out.push(data.subarray(prev, c));
    prev = c;
  }
  out.push(data.subarray(prev));
  return out;
}
