/**
 * WebSocket: one connection, client or server role, with ws's surface (send / ping / pong / close
 * / terminate, readyState, bufferedAmount, protocol, the open / message / ping / pong / close /
 * error events) and the browser-style addEventListener / on<event> attributes.
 *
 * Data path: socket 'data' → FrameReader.push → handlers → 'message'. Outgoing frames from the
 * FrameWriter are queued and written once per turn: a burst of sends (an echo of every message in
 * a received chunk, a loop of sends) becomes one socket write (small batches joined into one
 * buffer, large ones written corked).
 */
import { EventEmitter } from 'node:events';
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { isValidCloseCode } from './close-codes.js';
import { connectClient } from './client-connect.js';
import type { ClientAttempt } from './client-connect.js';
import { ConnectQueue, defaultConnectQueue } from './connect-queue.js';
import { outOfRange, wsError } from './errors.js';
import type { WsFrameError } from './errors.js';
import { addEventListener, getAttribute, removeEventListener, setAttribute } from './event-target.js';
import type { WsEventListener, WsEventType } from './event-target.js';
import type { Extension, ExtensionFactory } from './extension.js';
import { extensionFactories } from './deflate-extension.js';
import type { PerMessageDeflateOptions } from './deflate-negotiation.js';
import type { EncodedFrames, ReaderHandlers, Role } from './frame-types.js';
import { checkProtocols, generateKey, parseWsUrl } from './handshake-client.js';
import { parseProxy } from './proxy.js';
import type { ProxyOptions } from './proxy.js';
import { FrameReader } from './reader.js';
import { FrameWriter, bytesOf } from './writer.js';
import { OutBatch } from './out-batch.js';
import type { Broadcaster, FrameSink, PublishOptions } from './broadcast.js';
import { PreparedFrame } from './prepare.js';
import type { MessageData } from './writer.js';
import {
  isSubscribedRouted, orderedSink, subscribeRouted, topicsOfRouted, unsubscribeAllRouted, unsubscribeRouted,
} from './deflate-broadcast.js';
import type { PendingSlot } from './deflate-broadcast.js';
import type { SendCallback } from './out-batch.js';

export type { SendCallback };

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;
const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

/** Options of a connection in either role. */
export interface ConnectionOptions {
  /** Largest message accepted (bytes, after inflation); bigger ones close with 1009. Default 100 MiB (ws's maxPayload). */
  maxPayload?: number;
  /** Most frames per message. Default 65536. */
  maxFragments?: number;
  /** Most bytes held for an incomplete frame or message. Default maxPayload + 14. */
  maxBufferedBytes?: number;
  /** How long to wait for the peer's close frame / TCP close after ours, ms. Default 30000. */
  closeTimeout?: number;
  /** Send a ping every this many ms (0: never). Default 0. */
  pingInterval?: number;
  /** Terminate when a heartbeat ping gets no pong within this many ms. Default pingInterval. */
  pongTimeout?: number;
  /** Close with 1001 after this many ms without any traffic in either direction (0: never). Default 0. */
  idleTimeout?: number;
  /** Text messages as JS strings (default) or as Buffers of their (validated) UTF-8 bytes, as ws delivers them. */
  textAs?: 'string' | 'buffer';
  /** Stop reading from the socket while more than this many bytes wait to be written (backpressure). Default 16 MiB. */
  readPauseThreshold?: number;
  /**
   * permessage-deflate (RFC 7692): `true` or options (ws's names) to offer (client) or accept
   * (server) it; see docs/deflate.md. Default false on both sides (ws's client offers it by default).
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/** Options of a client connection (`new WebSocket(url, protocols, options)`). */
export interface ClientOptions extends ConnectionOptions, Omit<TlsConnectionOptions, 'timeout'> {
  /** Bound on the whole opening handshake (queue wait, proxy, TCP, TLS, HTTP), ms. Default 30000. */
  handshakeTimeout?: number;
  /** Extra request headers (cannot replace the WebSocket ones). */
  headers?: Record<string, string>;
  /** The Origin header. */
  origin?: string;
  /** Only 13 is supported (RFC 6455). */
  protocolVersion?: number;
  /** An http.Agent / https.Agent for the upgrade request (e.g. a proxy agent), as in ws. */
  agent?: Agent;
  /** Tunnel through this HTTP proxy with CONNECT (`http://[user:pass@]host:port`). */
  proxy?: string | URL | ProxyOptions;
  /** Extensions to offer (e.g. permessage-deflate), in order of preference. */
  extensions?: ExtensionFactory[];
  /** The per-host CONNECTING queue of RFC 6455 §4.1 (default: one shared by the process); false to connect at once. */
  connectQueue?: ConnectQueue | false;
  family?: number;
  localAddress?: string;
}

/** Per-message options of `send`. */
export interface WsSendOptions {
  /** Binary frame (default: true unless `data` is a string). */
  binary?: boolean;
  /** Last part of a message sent in parts (default true). */
  fin?: boolean;
  /** Ask the negotiated compression extension to compress (default: its own choice). */
  compress?: boolean;
  /** Accepted for ws compatibility and ignored: clients always mask, servers never do (RFC 6455 §5.1). */
  mask?: boolean;
}

export type BinaryType = 'nodebuffer' | 'arraybuffer';
type Data = string | Buffer | ArrayBuffer | ArrayBufferView | number;

const DEFAULT_CLOSE_TIMEOUT = 30_000;
const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;
const DEFAULT_READ_PAUSE = 16 * 1024 * 1024;
/** Batches up to this size are joined into one buffer when not contiguous; larger ones are written corked. */
const JOIN_MAX = 64 * 1024;
const EMPTY = Buffer.alloc(0);

function toBytes(data: Data): Uint8Array | string {
  if (typeof data === 'string') return data;
  if (typeof data === 'number') return String(data); // as ws does
  return bytesOf(data, 'data');
}

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Control payloads (ping, pong, close reason) must fit in 125 bytes (RFC 6455 §5.5). */
function controlPayload(data: Data | undefined): Uint8Array {
  if (data === undefined) return EMPTY;
  const v = toBytes(data);
  const bytes = typeof v === 'string' ? Buffer.from(v) : v;
  if (bytes.length > 125) throw outOfRange('data.length', '<= 125 bytes for a control frame', bytes.length);
  return bytes;
}

export class WebSocket extends EventEmitter {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;

  /** 'nodebuffer' (default): binary messages are Buffers; 'arraybuffer': ArrayBuffers. */
  binaryType: BinaryType = 'nodebuffer';

  private _state = CONNECTING;
  private _role: Role = 'client';
  private _url = '';
  private _protocol = '';
  private _extensionsHeader = '';
  private _socket: Duplex | null = null;
  private _reader: FrameReader | null = null;
  private _writer: FrameWriter | null = null;
  private _attempt: ClientAttempt | null = null;
  private _head: Buffer = EMPTY;
  private _opts: ConnectionOptions = {};

  private _closeCode = 1006;
  private _closeReason = '';
  private _closeSent = false;
  private _closeReceived = false;
  private _closeTimer: NodeJS.Timeout | undefined;
  private _closeEmitted = false;

  // Outgoing batch (see writeFrames / flush).
  private _out = new OutBatch();
  private _flushQueued = false;
  /** Inside a 'data' handler: the handler flushes at its end, no tick needed. */
  private _inData = false;
  private _userPaused = false;
  private _writePaused = false;
  private _readPause = DEFAULT_READ_PAUSE;

  // Heartbeat.
  private _pingTimer: NodeJS.Timeout | undefined;
  private _pongTimer: NodeJS.Timeout | undefined;

  // Extensions (negotiated); messages pass through them in order.
  private _extensions: Extension[] = [];
  private _codec: Extension | undefined;
  private _inQueue: Array<{ ready: boolean; data?: string | Uint8Array; isBinary: boolean; close?: () => void }> = [];
  private _outQueue: Array<{ ready: boolean; frames?: EncodedFrames; cb?: SendCallback; err?: Error | null; then?: () => void }> = [];

  /** Set by WebSocketServer: its publish/subscribe hub (server role only). */
  _broadcaster: Broadcaster | null = null;
  private _subscribed = false;
  private _sink: FrameSink | undefined;

  /** Set by WebSocketServer: called once when this connection closes. */
  _onServerClose: ((ws: WebSocket) => void) | undefined;

  /**
   * Opens a client connection to `address` (ws:// or wss://), offering `protocols`. The URL and the
   * subprotocols are checked at once (a SyntaxError / TypeError is thrown); connection failures are
   * reported by an 'error' event followed by 'close' (1006).
   */
  constructor(address: string | URL | null, protocols?: string | string[] | ClientOptions, options?: ClientOptions) {
    super();
    if (address === null) return; // server role: WebSocketServer attaches the socket
    if (protocols !== undefined && typeof protocols === 'object' && !Array.isArray(protocols)) {
      options = protocols;
      protocols = undefined;
    }
    const opts: ClientOptions = options ?? {};
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : protocols;
    checkProtocols(list);
    if (opts.protocolVersion !== undefined && opts.protocolVersion !== 13) {
      throw wsError('ERR_INVALID_ARG_VALUE', `Unsupported protocol version: ${opts.protocolVersion} (only 13 is supported)`);
    }
    const target = parseWsUrl(address);
    const proxy = opts.proxy === undefined ? undefined : parseProxy(opts.proxy);
    this._url = target.href;
    this._opts = opts;
    const extensions = extensionFactories(opts).map((f) => f.create('client', opts));
    const transport: Record<string, unknown> = {};
    for (const k of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername', 'checkServerIdentity', 'ciphers', 'minVersion', 'maxVersion', 'ALPNProtocols', 'family', 'localAddress', 'lookup'] as const) {
      if ((opts as Record<string, unknown>)[k] !== undefined) transport[k] = (opts as Record<string, unknown>)[k];
    }
    const key = generateKey();
    this._attempt = connectClient(
      {
        target,
        key,
        protocols: list,
        extensions,
        headers: opts.headers,
        origin: opts.origin,
        handshakeTimeout: opts.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
        agent: opts.agent,
        proxy,
        transport,
        queue: opts.connectQueue === false ? null : (opts.connectQueue ?? defaultConnectQueue),
      },
      {
        upgraded: (socket, head, result, res) => {
          this._attempt = null;
          for (const ext of extensions) if (!result.extensions.includes(ext)) ext.cleanup();
          this._protocol = result.protocol;
          this._extensionsHeader = result.extensionsHeader;
          this.emit('upgrade', res);
          this._attach(socket, head, 'client', result.extensions, opts);
          this._open();
        },
        failed: (err) => {
          this._attempt = null;
          for (const ext of extensions) ext.cleanup();
          this._failBeforeOpen(err);
        },
        unexpectedResponse: (req: ClientRequest, res: IncomingMessage) => {
          if (this.listenerCount('unexpected-response') === 0) return false;
          this._attempt = null;
          for (const ext of extensions) ext.cleanup();
          this.emit('unexpected-response', req, res);
          this._state = CLOSED;
          this._emitClose();
          return true;
        },
      },
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Public state.

  get readyState(): number {
    return this._state;
  }
  get url(): string {
    return this._url;
  }
  /** The subprotocol the server selected ('' when none). */
  get protocol(): string {
    return this._protocol;
  }
  /** The negotiated `Sec-WebSocket-Extensions` value ('' when none). */
  get extensions(): string {
    return this._extensionsHeader;
  }
  /** Bytes accepted by send/ping/pong/close and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this._out.bytes + (this._socket?.writableLength ?? 0);
  }
  get isPaused(): boolean {
    return this._userPaused;
  }
  /** The underlying socket (net.Socket or tls.TLSSocket) once open. */
  get socket(): Duplex | null {
    return this._socket;
  }

  // ---------------------------------------------------------------------------------------------
  // Publish/subscribe (server role): messages published with WebSocketServer#publish are encoded
  // once and written to every subscriber in one batch per event-loop turn.

  /** Subscribes this connection to `topic`; false if it already was. */
  subscribe(topic: string): boolean {
    const b = this._broadcaster;
    if (b === null) throw wsError('ERR_INVALID_ARG_VALUE', 'Only connections accepted by a WebSocketServer can subscribe');
    if (this._state !== OPEN || this._closeSent) return false;
    this._subscribed = true;
    // Routed by what permessage-deflate negotiated: shared plain frame, shared compressed frame, or own compressor.
    return subscribeRouted(b, topic, this._subscriptionSink(), this._codec, (data, opts) => this._sendPublished(data, opts));
  }

  /** Unsubscribes from `topic`; false if it was not subscribed. */
  unsubscribe(topic: string): boolean {
    const b = this._broadcaster;
    if (b === null || this._socket === null) return false;
    return unsubscribeRouted(b, topic, this._subscriptionSink());
  }

  isSubscribed(topic: string): boolean {
    return this._broadcaster !== null && this._socket !== null && isSubscribedRouted(this._broadcaster, topic, this._subscriptionSink());
  }

  /** The topics this connection is subscribed to. */
  get topics(): string[] {
    return this._broadcaster === null || this._socket === null ? [] : topicsOfRouted(this._broadcaster, this._subscriptionSink());
  }

  /**
   * A published message for a subscriber with server context takeover: compressed by this
   * connection's own compressor (its history), in order with its other messages.
   */
  private _sendPublished(data: MessageData | PreparedFrame, opts: PublishOptions | undefined): void {
    if (this._state !== OPEN || this._closeSent) return;
    if (data instanceof PreparedFrame) {
      if (this._outQueue.length === 0) this._queue(data.bytes, undefined);
      else this._outQueue.push({ ready: true, frames: data.bytes });
      return;
    }
    const payload = toBytes(data as Data);
    this._sendThroughExtension(payload, opts?.binary ?? typeof payload !== 'string', true, undefined, undefined);
  }

  /**
   * What this connection subscribes with: its socket, or with a compressing extension a sink that
   * holds published frames behind a message still being compressed (see deflate-broadcast.ts).
   */
  private _subscriptionSink(): Socket {
    if (this._codec === undefined) return this._socket as unknown as Socket;
    return (this._sink ??= orderedSink(this._socket as unknown as Socket, () => this._outQueue as PendingSlot[])) as unknown as Socket;
  }

  /** Writes what was published before a direct send, so the subscriber sees both in call order. */
  private _flushPublished(): void {
    const b = this._broadcaster!;
    if (b.pending === 0) return;
    this._flush();
    b.flush();
  }

  // ---------------------------------------------------------------------------------------------
  // Browser-style events.

  addEventListener(type: WsEventType, listener: WsEventListener, options?: { once?: boolean }): void {
    addEventListener(this, type, listener, options?.once === true);
  }
  removeEventListener(type: WsEventType, listener: WsEventListener): void {
    removeEventListener(this, type, listener);
  }
  get onopen(): WsEventListener | null {
    return getAttribute(this, 'open');
  }
  set onopen(h: WsEventListener | null) {
    setAttribute(this, 'open', h);
  }
  get onmessage(): WsEventListener | null {
    return getAttribute(this, 'message');
  }
  set onmessage(h: WsEventListener | null) {
    setAttribute(this, 'message', h);
  }
  get onclose(): WsEventListener | null {
    return getAttribute(this, 'close');
  }
  set onclose(h: WsEventListener | null) {
    setAttribute(this, 'close', h);
  }
  get onerror(): WsEventListener | null {
    return getAttribute(this, 'error');
  }
  set onerror(h: WsEventListener | null) {
    setAttribute(this, 'error', h);
  }

  // ---------------------------------------------------------------------------------------------
  // Sending.

  /**
   * Sends a message: text for a string, binary otherwise (or as `options.binary` says). Throws while
   * CONNECTING (as ws does); after close() the callback gets an error (WS_ERR_NOT_OPEN).
   * The callback runs once the frame was handed to the kernel (or failed).
   */
  send(data: Data, options?: WsSendOptions | SendCallback, cb?: SendCallback): void {
    if (typeof options === 'function') {
      cb = options;
      options = undefined;
    }
    if (this._state !== OPEN || this._closeSent) {
      this._notOpen(cb);
      return;
    }
    if (this._subscribed) this._flushPublished();
    if (typeof data === 'string' && this._codec === undefined && (options === undefined || (options.binary !== true && options.fin !== false))) {
      // The common case, a whole text message: the writer's hot path takes no options object.
      this._queue(this._writer!.text(data), cb);
      return;
    }
    const payload = toBytes(data);
    const binary = options?.binary ?? typeof payload !== 'string';
    const fin = options?.fin ?? true;
    if (this._codec !== undefined) {
      this._sendThroughExtension(payload, binary, fin, options?.compress, cb);
      return;
    }
    this._queue(this._writer!.message(payload, { binary, fin }), cb);
  }

  ping(data?: Data, mask?: boolean | SendCallback, cb?: SendCallback): void {
    this._control(true, data, typeof mask === 'function' ? mask : cb);
  }

  pong(data?: Data, mask?: boolean | SendCallback, cb?: SendCallback): void {
    this._control(false, data, typeof mask === 'function' ? mask : cb);
  }

  private _control(ping: boolean, data: Data | undefined, cb: SendCallback | undefined): void {
    if (this._state !== OPEN || this._closeSent) {
      this._notOpen(cb);
      return;
    }
    const payload = controlPayload(data);
    if (this._subscribed) this._flushPublished();
    this._queue(ping ? this._writer!.ping(payload) : this._writer!.pong(payload), cb);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7): sends a close frame with `code` (1000, 1001-1003,
   * 1007-1014 or 3000-4999) and `reason` (at most 123 bytes of UTF-8), then waits for the peer's close
   * frame and TCP close, at most `closeTimeout` ms. While CONNECTING it aborts the attempt.
   */
  close(code?: number, reason?: string | Buffer): void {
    if (this._state === CLOSED) return;
    if (code !== undefined && (typeof code !== 'number' || !isValidCloseCode(code))) {
      throw wsError('ERR_INVALID_ARG_VALUE', `The close code must be 1000-1003, 1007-1014 or 3000-4999. Received ${String(code)}`);
    }
    const reasonBytes = reason === undefined ? EMPTY : typeof reason === 'string' ? Buffer.from(reason) : reason;
    if (reasonBytes.length > 123) throw outOfRange('reason', 'at most 123 bytes', reasonBytes.length);
    if (reasonBytes.length > 0 && code === undefined) {
      throw wsError('ERR_INVALID_ARG_VALUE', 'A close reason needs a close code');
    }
    if (this._state === CONNECTING) {
      this._abortConnecting();
      return;
    }
    if (this._closeSent) {
      if (this._closeReceived && this._role === 'server') this._socket?.end();
      return;
    }
    this._sendClose(code, reasonBytes);
  }

  /** Destroys the socket at once: no closing handshake; the close event reports 1006. */
  terminate(): void {
    if (this._state === CLOSED) return;
    if (this._state === CONNECTING) {
      this._abortConnecting();
      return;
    }
    this._state = CLOSING;
    this._socket?.destroy();
  }

  /** Stops reading from the socket (messages stop arriving) until resume(). */
  pause(): void {
    if (this._state === CONNECTING || this._state === CLOSED) return;
    this._userPaused = true;
    this._socket?.pause();
  }

  resume(): void {
    if (this._state === CONNECTING || this._state === CLOSED) return;
    this._userPaused = false;
    if (!this._writePaused) this._socket?.resume();
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: wiring a socket.

  /** Takes over an upgraded socket (both roles). `head`: bytes that came with the handshake. */
  _attach(socket: Duplex, head: Buffer, role: Role, extensions: Extension[], opts: ConnectionOptions): void {
    this._role = role;
    this._socket = socket;
    this._head = head;
    this._opts = opts;
    this._extensions = extensions;
    this._codec = extensions.find((e) => e.rsv1);
    this._readPause = opts.readPauseThreshold ?? DEFAULT_READ_PAUSE;
    this._reader = new FrameReader(
      {
        role,
        maxMessageSize: opts.maxPayload,
        maxFragments: opts.maxFragments,
        maxBufferedBytes: opts.maxBufferedBytes,
        allowRsv1: this._codec !== undefined,
        textAs: opts.textAs === 'buffer' ? 'bytes' : 'string',
      },
      this._readerHandlers(),
    );
    this._writer = new FrameWriter({ role });
    const s = socket as Duplex & { setNoDelay?(v: boolean): void; setTimeout?(ms: number): void };
    s.setNoDelay?.(true);
    s.setTimeout?.(0);
    socket.on('data', (chunk: Buffer) => this._onData(chunk));
    socket.on('end', () => this._onEnd());
    socket.on('close', () => this._onSocketClose());
    socket.on('error', () => this._onSocketError());
    socket.on('drain', () => this._onDrain());
    if (opts.idleTimeout !== undefined && opts.idleTimeout > 0) {
      s.setTimeout?.(opts.idleTimeout);
      socket.on('timeout', () => {
        if (this._state === OPEN) this.close(1001, 'Idle timeout');
        else socket.destroy();
      });
    }
    this._state = OPEN;
  }

  /** Marks the connection open: emits 'open', then parses the bytes that came with the handshake. */
  _open(): void {
    this._startHeartbeat();
    this.emit('open');
    const head = this._head;
    this._head = EMPTY;
    if (head.length > 0 && this._state !== CLOSED) this._onData(head);
  }

  private _readerHandlers(): ReaderHandlers {
    return {
      onMessage: (data, isBinary) => {
        if (this._codec !== undefined) this._deliverInOrder(data, isBinary);
        else this._deliver(data, isBinary);
      },
      onCompressedMessage: (data, isBinary) => this._decode(data, isBinary),
      onPing: (payload) => {
        if (this._state === OPEN && !this._closeSent) this._queue(this._writer!.pong(payload), undefined);
        if (this.listenerCount('ping') > 0) this.emit('ping', asBuffer(payload));
      },
      onPong: (payload) => {
        if (this._pongTimer !== undefined) {
          clearTimeout(this._pongTimer);
          this._pongTimer = undefined;
        }
        if (this.listenerCount('pong') > 0) this.emit('pong', asBuffer(payload));
      },
      onClose: (code, reason) => this._onCloseFrame(code, reason),
      onError: (err) => this._failProtocol(err),
    };
  }

  private _deliver(data: string | Uint8Array, isBinary: boolean): void {
    if (this._closeReceived) return;
    if (typeof data === 'string') {
      this.emit('message', data, false);
    } else if (isBinary && this.binaryType === 'arraybuffer') {
      this.emit('message', data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), true);
    } else {
      this.emit('message', asBuffer(data), isBinary);
    }
  }

  private _onData(chunk: Buffer): void {
    this._inData = true;
    try {
      this._reader!.push(chunk);
    } finally {
      this._inData = false;
      if (!this._out.empty) this._flush();
    }
  }

  private _onEnd(): void {
    // The peer closed its side: nothing more will arrive. Close ours too (RFC 6455 §7.1.1).
    if (this._state === OPEN) this._state = CLOSING;
    this._flush();
    this._socket?.end();
    this._armCloseTimer();
  }

  private _onSocketError(): void {
    // ws reports socket errors (ECONNRESET, …) through the close event (1006), not 'error'.
    if (this._state === OPEN) this._state = CLOSING;
    this._socket?.destroy();
  }

  private _onDrain(): void {
    if (this._writePaused && this._socket!.writableLength <= this._readPause) {
      this._writePaused = false;
      if (!this._userPaused) this._socket!.resume();
    }
    if (this.listenerCount('drain') > 0) this.emit('drain');
  }

  private _onSocketClose(): void {
    this._state = CLOSED;
    if (this._subscribed) {
      unsubscribeAllRouted(this._broadcaster!, this._subscriptionSink());
      this._subscribed = false;
    }
    this._clearTimers();
    const callbacks = this._out.callbacks;
    this._out = new OutBatch();
    if (callbacks.length > 0) {
      const err = wsError('WS_ERR_NOT_OPEN', 'The connection closed before the data was sent');
      for (const cb of callbacks) cb(err);
    }
    for (const ext of this._extensions) ext.cleanup();
    this._emitClose();
  }

  private _emitClose(): void {
    if (this._closeEmitted) return;
    this._closeEmitted = true;
    this._onServerClose?.(this);
    this.emit('close', this._closeCode, Buffer.from(this._closeReason));
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: writing. Frames are queued and written once per turn (or at the end of a 'data' handler).

  private _queue(frames: EncodedFrames, cb: SendCallback | undefined): void {
    const out = this._out;
    if (frames instanceof Uint8Array) {
      out.add(frames);
    } else {
      for (let i = 0; i < frames.length; i++) out.add(frames[i]);
    }
    if (cb !== undefined) out.callbacks.push(cb);
    if (!this._inData && !this._flushQueued) {
      this._flushQueued = true;
      process.nextTick(flushTick, this);
    }
  }

  _flush(): void {
    this._flushQueued = false;
    const out = this._out;
    const socket = this._socket;
    if (out.empty || socket === null) return;
    const bytes = out.bytes;
    const frames = out.take();
    const callbacks = out.callbacks;
    if (callbacks.length > 0) out.callbacks = [];
    const done = callbacks.length === 0
      ? undefined
      : callbacks.length === 1
        ? callbacks[0]
        : (err?: Error | null) => {
            for (const cb of callbacks) cb(err);
          };
    if (socket.destroyed || !socket.writable) {
      // Ended or gone (e.g. the peer's FIN came first): nothing can be written any more.
      if (done !== undefined) done(wsError('WS_ERR_NOT_OPEN', 'The connection closed before the data was sent'));
      return;
    }
    if (frames.length === 1) {
      socket.write(frames[0], done);
    } else if (bytes <= JOIN_MAX) {
      socket.write(Buffer.concat(frames, bytes), done);
    } else {
      socket.cork();
      const last = frames.length - 1;
      for (let i = 0; i < last; i++) socket.write(frames[i]);
      socket.write(frames[last], done);
      socket.uncork();
    }
    if (socket.writableLength > this._readPause && !this._writePaused) {
      // The peer reads slower than it makes us write (e.g. an echo): stop reading until the socket drains.
      this._writePaused = true;
      socket.pause();
    }
  }

  private _notOpen(cb: SendCallback | undefined): void {
    if (this._state === CONNECTING) {
      throw wsError('WS_ERR_NOT_OPEN', 'WebSocket is not open: readyState 0 (CONNECTING)');
    }
    if (cb !== undefined) {
      const err = wsError('WS_ERR_NOT_OPEN', `WebSocket is not open: readyState ${this._state} (${STATE_NAMES[this._state]})`);
      process.nextTick(cb, err);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: closing.

  private _sendClose(code: number | undefined, reason: Uint8Array): void {
    if (this._subscribed) {
      // What was published before the close goes out before it; nothing published after does.
      this._flushPublished();
      unsubscribeAllRouted(this._broadcaster!, this._subscriptionSink());
      this._subscribed = false;
    }
    this._state = CLOSING;
    this._closeSent = true;
    this._stopHeartbeat();
    const frames = this._writer!.close(code, reason);
    if (this._outQueue.length > 0) {
      // Messages sent before close() are still being compressed: the close frame goes after them.
      this._outQueue.push({ ready: true, frames, then: () => this._afterCloseQueued() });
    } else {
      this._queue(frames, undefined);
      this._afterCloseQueued();
    }
    this._armCloseTimer();
  }

  private _afterCloseQueued(): void {
    this._flush();
    if (this._closeReceived) {
      // We answered the peer's close: the server closes the TCP connection first (RFC 6455 §7.1.1).
      if (this._role === 'server') this._socket?.end();
    }
  }

  private _onCloseFrame(code: number, reason: string): void {
    if (this._inQueue.length > 0) {
      // Messages that came before the close frame are still being decompressed: deliver them first.
      this._inQueue.push({ ready: true, isBinary: false, close: () => this._onCloseFrame(code, reason) });
      return;
    }
    this._closeReceived = true;
    this._closeCode = code;
    this._closeReason = reason;
    if (!this._closeSent) {
      // Echo the code and reason, as ws does (an empty close answers one without a code: 1005 is never sent).
      this._sendClose(code === 1005 ? undefined : code, code === 1005 ? EMPTY : Buffer.from(reason));
    } else if (this._role === 'server') {
      this._socket!.end();
    }
  }

  /** A protocol error from the reader: close with its code (§7.1.7), report it, end the connection. */
  private _failProtocol(err: WsFrameError): void {
    this._closeCode = err.closeCode ?? 1002;
    if (!this._closeSent && this._state === OPEN) {
      this._sendClose(err.closeCode ?? 1002, EMPTY);
    }
    this._socket?.end();
    this._armCloseTimer();
    this.emit('error', err);
  }

  private _armCloseTimer(): void {
    if (this._closeTimer !== undefined || this._state === CLOSED) return;
    const ms = this._opts.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this._closeTimer = setTimeout(() => this._socket?.destroy(), ms);
    this._closeTimer.unref?.();
  }

  private _abortConnecting(): void {
    const attempt = this._attempt;
    this._attempt = null;
    const err = wsError('WS_ERR_CLOSED_BEFORE_OPEN', 'WebSocket was closed before the connection was established');
    if (attempt !== null) attempt.abort(err);
    else this._failBeforeOpen(err);
  }

  private _failBeforeOpen(err: WsFrameError): void {
    if (this._state === CLOSED) return;
    this._state = CLOSED;
    this.emit('error', err);
    this._emitClose();
  }

  private _clearTimers(): void {
    if (this._closeTimer !== undefined) clearTimeout(this._closeTimer);
    this._closeTimer = undefined;
    this._stopHeartbeat();
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: heartbeat.

  private _startHeartbeat(): void {
    const interval = this._opts.pingInterval ?? 0;
    if (interval <= 0) return;
    const timeout = this._opts.pongTimeout ?? interval;
    this._pingTimer = setInterval(() => {
      if (this._state !== OPEN || this._closeSent || this._pongTimer !== undefined) return;
      this.ping();
      this._pongTimer = setTimeout(() => {
        this._pongTimer = undefined;
        // No pong in time: the peer or the path is dead (a close handshake would hang too).
        this.terminate();
      }, timeout);
      this._pongTimer.unref?.();
    }, interval);
    this._pingTimer.unref?.();
  }

  private _stopHeartbeat(): void {
    if (this._pingTimer !== undefined) clearInterval(this._pingTimer);
    if (this._pongTimer !== undefined) clearTimeout(this._pongTimer);
    this._pingTimer = undefined;
    this._pongTimer = undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: extensions. Only used when one with RSV1 was negotiated; keeps message order both ways.

  private _deliverInOrder(data: string | Uint8Array, isBinary: boolean): void {
    if (this._inQueue.length === 0) {
      this._deliver(data, isBinary);
      return;
    }
    this._inQueue.push({ ready: true, data, isBinary });
  }

  private _decode(data: Uint8Array, isBinary: boolean): void {
    const slot: { ready: boolean; data?: string | Uint8Array; isBinary: boolean } = { ready: false, isBinary };
    this._inQueue.push(slot);
    this._codec!.decode(data, isBinary, (err, out) => {
      if (err !== null) {
        this._inQueue.length = 0;
        this._failProtocol(err);
        return;
      }
      slot.ready = true;
      slot.data = out;
      while (this._inQueue.length > 0 && this._inQueue[0].ready) {
        const s = this._inQueue.shift()!;
        if (s.close !== undefined) s.close();
        else this._deliver(s.data!, s.isBinary);
      }
    });
  }

  private _sendThroughExtension(payload: Uint8Array | string, binary: boolean, fin: boolean, compress: boolean | undefined, cb: SendCallback | undefined): void {
    const slot: { ready: boolean; frames?: EncodedFrames; cb?: SendCallback; err?: Error | null } = { ready: false, cb };
    this._outQueue.push(slot);
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this._codec!.encode(bytes, binary, compress, (err, out, compressed) => {
      slot.ready = true;
      slot.err = err;
      // Sent before close() (send refuses afterwards): it still goes out, ahead of the close frame.
      if (err === null && this._writer !== null && this._state !== CLOSED) {
        slot.frames = this._writer.message(out!, { binary, fin, compressed: compressed === true });
      }
      while (this._outQueue.length > 0 && this._outQueue[0].ready) {
        const s = this._outQueue.shift()!;
        if (s.frames !== undefined) this._queue(s.frames, s.cb);
        else if (s.cb !== undefined) s.cb(s.err ?? wsError('WS_ERR_NOT_OPEN', 'The connection closed before the data was sent'));
        s.then?.();
      }
    }, fin);
  }
}

function flushTick(ws: WebSocket): void {
  ws._flush();
}
