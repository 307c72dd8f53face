/**
 * Opens a client connection up to the end of the opening handshake: waits its turn in the
 * per-host CONNECTING queue, tunnels through a proxy when asked, sends the upgrade request over
 * node:http / node:https (so the `agent` option works as in ws) and checks the 101 response.
 * One timeout bounds the whole attempt, queue wait included.
 */
import { request as httpRequest } from 'node:http';
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { wsError } from './errors.js';
import type { WsFrameError } from './errors.js';
import { checkResponse, requestHeaders } from './handshake-client.js';
import type { HandshakeResult, WsTarget } from './handshake-client.js';
import type { ConnectQueue } from './connect-queue.js';
import type { Extension } from './extension.js';
import { openTunnel } from './proxy.js';
import type { Proxy } from './proxy.js';

export interface ClientConnectOptions {
  target: WsTarget;
  key: string;
  protocols: string[];
  extensions: Extension[];
  headers: Record<string, string> | undefined;
  origin: string | undefined;
  /** Bound on the whole attempt (queue wait, proxy, TCP, TLS, HTTP), ms; 0 for none. */
  handshakeTimeout: number;
  agent: Agent | undefined;
  proxy: Proxy | undefined;
  /** Passed to tls.connect / https.request (ca, cert, key, rejectUnauthorized, servername, …) and net.connect (family, localAddress, lookup). */
  transport: ConnectionOptions & RequestOptions;
  /** Per-host CONNECTING queue, or null to connect at once. */
  queue: ConnectQueue | null;
}

export interface ClientConnectHandlers {
  /** The 101 response checked out: the socket and the bytes that came with the response (the first frames). */
  upgraded(socket: Duplex, head: Buffer, result: HandshakeResult, res: IncomingMessage): void;
  /** The attempt failed; nothing is left open. */
  failed(err: WsFrameError): void;
  /**
   * The server answered with something other than 101. Return true to take over `res` (ws's
   * `unexpected-response`); the attempt is then over without an error.
   */
  unexpectedResponse(req: ClientRequest, res: IncomingMessage): boolean;
}

/** A running attempt; `abort` ends it (queue slot, tunnel, request) and reports `err`. */
export interface ClientAttempt {
  abort(err: WsFrameError): void;
}

export function connectClient(opts: ClientConnectOptions, handlers: ClientConnectHandlers): ClientAttempt {
  const { target } = opts;
  let finished = false;
  let req: ClientRequest | undefined;
  let tunnel: ClientRequest | undefined;
  let tunnelSocket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let leaveQueue: () => void = () => {};

  const finish = (): boolean => {
    if (finished) return false;
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    leaveQueue();
    return true;
  };
  const fail = (err: WsFrameError): void => {
    if (!finish()) return;
    req?.destroy();
    tunnel?.destroy();
    tunnelSocket?.destroy();
    handlers.failed(err);
  };

  const sendRequest = (createConnection?: () => Duplex): void => {
    const options: RequestOptions = {
      ...opts.transport,
      host: target.hostname,
      port: target.port,
      path: target.path,
      method: 'GET',
      headers: requestHeaders(target, opts.key, opts.protocols, opts.extensions, opts.headers, opts.origin),
    };
    if (createConnection !== undefined) {
      (options as { createConnection?: unknown }).createConnection = createConnection;
    } else if (opts.agent !== undefined) {
      options.agent = opts.agent;
    } else {
      // A fresh socket, never a pooled keep-alive one: it becomes the WebSocket's.
      options.agent = false;
    }
    const r = (target.secure && createConnection === undefined ? httpsRequest : httpRequest)(options);
    req = r;
    r.once('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (finished) {
        socket.destroy();
        return;
      }
      const result = res.statusCode === 101
        ? checkResponse(res.headers, opts.key, opts.protocols, opts.extensions)
        : wsError('WS_ERR_HANDSHAKE_STATUS', `Unexpected server response: ${res.statusCode}`);
      if (result instanceof Error) {
        socket.destroy();
        fail(result);
        return;
      }
      finish();
      handlers.upgraded(socket, head, result, res);
    });
    r.once('response', (res: IncomingMessage) => {
      if (finished) return;
      if (handlers.unexpectedResponse(r, res)) {
        finish();
        return;
      }
      res.resume();
      fail(wsError('WS_ERR_HANDSHAKE_STATUS', `Unexpected server response: ${res.statusCode}`));
    });
    r.once('error', (err: Error) => {
      const code = (err as { code?: string }).code;
      fail(Object.assign(wsError('WS_ERR_HANDSHAKE_REQUEST', `Connecting to ${target.href} failed: ${err.message}`), { cause: err, errno: code }));
    });
    r.end();
  };

  const start = (): void => {
    if (finished) return;
    if (opts.proxy === undefined) {
      sendRequest();
      return;
    }
    tunnel = openTunnel(opts.proxy, target.hostname, target.port, (err, socket) => {
      tunnel = undefined;
      if (err !== null || socket === undefined) {
        fail(err ?? wsError('WS_ERR_PROXY', 'Proxy tunnel failed'));
        return;
      }
      if (finished) {
        socket.destroy();
        return;
      }
      tunnelSocket = socket;
      if (!target.secure) {
        sendRequest(() => socket);
        return;
      }
      const tlsSocket = tlsConnect({
        ...opts.transport,
        socket,
        servername: opts.transport.servername ?? (isIp(target.hostname) ? undefined : target.hostname),
      });
      sendRequest(() => tlsSocket);
    });
  };

  if (opts.handshakeTimeout > 0) {
    timer = setTimeout(() => fail(wsError('WS_ERR_HANDSHAKE_TIMEOUT', `Opening handshake with ${target.href} timed out after ${opts.handshakeTimeout} ms`)), opts.handshakeTimeout);
  }
  if (opts.queue !== null) {
    leaveQueue = opts.queue.enqueue(`${target.hostname}:${target.port}`, start);
    if (finished) leaveQueue();
  } else {
    start();
  }
  return { abort: fail };
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
