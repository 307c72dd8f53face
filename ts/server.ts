/**
 * WebSocketServer: accepts WebSocket connections, standalone (`port`), on an existing http(s)
 * server (`server`), or from the application's own 'upgrade' handler (`noServer` + handleUpgrade),
 * with ws's hooks (verifyClient, handleProtocols) and events (connection, headers, wsClientError).
 */
import { EventEmitter } from 'node:events';
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { invalidArgType, wsError } from './errors.js';
import type { WsFrameError } from './errors.js';
import type { Extension, ExtensionFactory } from './extension.js';
import { extensionFactories } from './deflate-extension.js';
import { publishRouted } from './deflate-broadcast.js';
import { createAcceptKey, formatExtension } from './handshake-headers.js';
import { acceptResponseLines, checkUpgradeRequest, DEFAULT_MAX_HEADER_SIZE, isRefusal, refuseHandshake } from './handshake-server.js';
import { WebSocket } from './websocket.js';
import { Broadcaster } from './broadcast.js';
import type { BroadcasterOptions, PublishOptions } from './broadcast.js';
import type { MessageData } from './writer.js';
import type { PreparedFrame } from './prepare.js';
import type { ConnectionOptions } from './websocket.js';

/** What verifyClient sees (ws's shape). */
export interface VerifyClientInfo {
  origin: string | undefined;
  secure: boolean;
  req: IncomingMessage;
}

export type VerifyClientSync = (info: VerifyClientInfo) => boolean;
export type VerifyClientAsync = (
  info: VerifyClientInfo,
  callback: (result: boolean, code?: number, message?: string, headers?: Record<string, string>) => void,
) => void;

export interface ServerOptions extends ConnectionOptions {
  /** Standalone: listen on this port (0: any free port). */
  port?: number;
  host?: string;
  backlog?: number;
  /** Attach to this existing http/https server's 'upgrade' event. */
  server?: HttpServer | HttpsServer;
  /** Neither: the application calls handleUpgrade from its own 'upgrade' handler. */
  noServer?: boolean;
  /** Accept only this request path (pathname); others are refused with 400. */
  path?: string;
  /** Decide whether to accept (false: 401, or the code given to the callback). */
  verifyClient?: VerifyClientSync | VerifyClientAsync;
  /** Allowed origins (exact `Origin` values) or a predicate; others are refused with 403. */
  allowOrigin?: string[] | ((origin: string | undefined, req: IncomingMessage) => boolean);
  /** Pick a subprotocol from those offered (false: none). Default: the first offered, as ws. */
  handleProtocols?: (protocols: Set<string>, req: IncomingMessage) => string | false;
  /** Keep the `clients` set (default true). */
  clientTracking?: boolean;
  /** Limit on the request line plus headers, bytes (431 beyond). Default 16 KiB. */
  maxHeaderSize?: number;
  /** Bound on the handshake from the first request byte (standalone) or from handleUpgrade to the 101, ms. Default 10000. */
  handshakeTimeout?: number;
  /** Extensions the server may accept, in order of preference (e.g. permessage-deflate). */
  extensions?: ExtensionFactory[];
  /** Options of the publish/subscribe hub (slow-subscriber policy, buffer limits, flush timing). */
  broadcast?: BroadcasterOptions;
}

const DEFAULT_SERVER_HANDSHAKE_TIMEOUT = 10_000;

export class WebSocketServer extends EventEmitter {
  /** Open connections (when clientTracking is on). */
  readonly clients: Set<WebSocket> = new Set();
  readonly options: ServerOptions;
  private _server: HttpServer | HttpsServer | null = null;
  private _ownServer = false;
  private _closed = false;
  private _broadcaster: Broadcaster | null = null;
  private _upgradeListener: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | null = null;

  constructor(options: ServerOptions, callback?: () => void) {
    super();
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    const modes = Number(options.port !== undefined) + Number(options.server !== undefined) + Number(options.noServer === true);
    if (modes !== 1) {
      throw wsError('ERR_INVALID_ARG_VALUE', 'Exactly one of the "port", "server" or "noServer" options must be specified');
    }
    this.options = options;
    extensionFactories(options); // validates perMessageDeflate options now rather than at the first handshake
    if (options.port !== undefined) {
      const timeout = options.handshakeTimeout ?? DEFAULT_SERVER_HANDSHAKE_TIMEOUT;
      const server = createServer({
        maxHeaderSize: options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE,
        // Node checks headersTimeout on this period (30 s by default): check often enough to honour it.
        connectionsCheckingInterval: Math.min(1000, timeout),
      }, (req, res) => {
        const body = STATUS_CODES[426]!;
        res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain', Upgrade: 'websocket', Connection: 'close' });
        res.end(body);
      });
      server.headersTimeout = timeout;
      server.requestTimeout = timeout;
      this._server = server;
      this._ownServer = true;
      server.listen(options.port, options.host, options.backlog, callback);
    } else if (options.server !== undefined) {
      this._server = options.server;
    }
    const server = this._server;
    if (server !== null) {
      server.on('listening', (this._onListening = () => this.emit('listening')));
      server.on('error', (this._onError = (err: Error) => this.emit('error', err)));
      this._upgradeListener = (req, socket, head) => {
        if (!this.shouldHandle(req)) {
          // Another WebSocketServer on the same http server may take it (a different path).
          if (server.listenerCount('upgrade') === 1) refuseHandshake(socket, 400, 'Unexpected path');
          return;
        }
        this.handleUpgrade(req, socket, head, (ws) => this.emit('connection', ws, req));
      };
      server.on('upgrade', this._upgradeListener);
    }
  }

  private _onListening: (() => void) | null = null;
  private _onError: ((err: Error) => void) | null = null;

  /** The publish/subscribe hub its connections subscribe to (created on first use). */
  get broadcaster(): Broadcaster {
    return (this._broadcaster ??= new Broadcaster(this.options.broadcast));
  }

  /**
   * Sends `data` to every connection subscribed to `topic` (ws.subscribe), encoded once and written
   * in one batch per subscriber per event-loop turn. Returns the number of subscribers.
   */
  publish(topic: string, data: MessageData | PreparedFrame, options?: PublishOptions): number {
    // Routed by each subscriber's permessage-deflate parameters (see deflate-broadcast.ts).
    return publishRouted(this.broadcaster, topic, data, options);
  }

  /** The standalone or attached server's address. */
  address(): AddressInfo | string | null {
    if (this._server === null) throw wsError('ERR_INVALID_ARG_VALUE', 'The server is operating in "noServer" mode');
    return this._server.address();
  }

  /** True when `req` is for this server (its `path`, when set). */
  shouldHandle(req: IncomingMessage): boolean {
    const path = this.options.path;
    if (path === undefined) return true;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    return (q < 0 ? url : url.slice(0, q)) === path;
  }

  /**
   * Completes (or refuses) the handshake of an upgrade request and calls `callback` with the open
   * connection. Refusals answer with an HTTP status (400, 403, 405, 426, 431, 401 from verifyClient)
   * and close the socket.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, callback: (ws: WebSocket, req: IncomingMessage) => void): void {
    const opts = this.options;
    const onSocketError = (): void => {
      socket.destroy();
    };
    socket.on('error', onSocketError);
    let settled = false;
    const timer = setTimeout(() => refuse(408, 'Opening handshake timed out'), opts.handshakeTimeout ?? DEFAULT_SERVER_HANDSHAKE_TIMEOUT);
    timer.unref?.();
    const refuse = (status: number, message: string, headers?: Record<string, string>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const err: WsFrameError = wsError('WS_ERR_HANDSHAKE_REQUEST', message);
      if (this.listenerCount('wsClientError') > 0) {
        // As in ws: the application answers and closes the socket itself.
        this.emit('wsClientError', err, socket, req);
        return;
      }
      refuseHandshake(socket, status, message, headers);
    };

    if (this._closed) return refuse(503, 'The server is closing');
    const check = checkUpgradeRequest(req, opts.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE);
    if (isRefusal(check)) return refuse(check.status, check.message, check.headers);
    if (!this.shouldHandle(req)) return refuse(400, 'Unexpected path');

    const origin = (req.headers.origin ?? req.headers['sec-websocket-origin']) as string | undefined;
    const allow = opts.allowOrigin;
    if (allow !== undefined && !(Array.isArray(allow) ? origin !== undefined && allow.includes(origin) : allow(origin, req))) {
      return refuse(403, 'Origin not allowed');
    }

    // Subprotocol: the hook's choice among those offered, or the first offered.
    let protocol: string | undefined;
    if (check.protocols.length > 0) {
      if (opts.handleProtocols !== undefined) {
        const picked = opts.handleProtocols(new Set(check.protocols), req);
        if (picked !== false && picked !== undefined) {
          if (!check.protocols.includes(picked)) return refuse(500, 'handleProtocols returned a subprotocol the client did not offer');
          protocol = picked;
        }
      } else {
        protocol = check.protocols[0];
      }
    }

    // Extensions: each known one gets the client's offers for it and answers (or declines).
    const accepted: Extension[] = [];
    const answers: string[] = [];
    for (const factory of extensionFactories(opts)) {
      const offers = check.extensions.filter((o) => o.name === factory.name);
      if (offers.length === 0) continue;
      const ext = factory.create('server', opts);
      let answer;
      try {
        answer = ext.accept?.(offers);
      } catch (e) {
        for (const a of accepted) a.cleanup();
        ext.cleanup();
        return refuse(400, `Invalid ${factory.name} offer: ${(e as Error).message}`);
      }
      if (answer === undefined) {
        ext.cleanup();
        continue;
      }
      accepted.push(ext);
      answers.push(formatExtension(answer));
    }

    const complete = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!socket.readable || !socket.writable || socket.destroyed) {
        for (const a of accepted) a.cleanup();
        socket.destroy();
        return;
      }
      const lines = acceptResponseLines(createAcceptKey(check.key), protocol, answers.length > 0 ? answers.join(', ') : undefined);
      this.emit('headers', lines, req);
      socket.write(lines.join('\r\n') + '\r\n\r\n');
      socket.removeListener('error', onSocketError);
      const ws = new WebSocket(null);
      (ws as unknown as { _protocol: string })._protocol = protocol ?? '';
      (ws as unknown as { _extensionsHeader: string })._extensionsHeader = answers.join(', ');
      (ws as unknown as { _url: string })._url = req.url ?? '/';
      ws._attach(socket, head, 'server', accepted, opts);
      ws._broadcaster = this.broadcaster;
      if (opts.clientTracking !== false) {
        this.clients.add(ws);
        ws._onServerClose = (w) => this.clients.delete(w);
      }
      callback(ws, req);
      ws._open();
    };

    const verify = opts.verifyClient;
    if (verify === undefined) return complete();
    const info: VerifyClientInfo = { origin, secure: Boolean((req.socket as { encrypted?: boolean }).encrypted), req };
    if (verify.length >= 2) {
      (verify as VerifyClientAsync)(info, (ok, code = 401, message, headers) => {
        if (ok) complete();
        else {
          for (const a of accepted) a.cleanup();
          refuse(code, message ?? STATUS_CODES[code] ?? 'Unauthorized', headers);
        }
      });
      return;
    }
    if ((verify as VerifyClientSync)(info)) return complete();
    for (const a of accepted) a.cleanup();
    refuse(401, 'Unauthorized');
  }

  /**
   * Stops accepting connections: detaches from the http server (and closes it when standalone).
   * Open connections are not closed (as in ws 8): close or terminate them, e.g. over `clients`.
   * `callback` and the 'close' event come once the standalone server has closed.
   */
  close(callback?: (err?: Error) => void): void {
    if (callback !== undefined) this.once('close', callback);
    if (this._closed) {
      if (this._server === null || !this._ownServer || !this._server.listening) process.nextTick(() => this.emit('close'));
      return;
    }
    this._closed = true;
    const server = this._server;
    if (server !== null) {
      if (this._upgradeListener !== null) server.removeListener('upgrade', this._upgradeListener);
      if (this._onListening !== null) server.removeListener('listening', this._onListening);
      if (this._onError !== null) server.removeListener('error', this._onError);
    }
    if (server !== null && this._ownServer) {
      server.close(() => this.emit('close'));
      return;
    }
    process.nextTick(() => this.emit('close'));
  }
}
