/**
 * The demo's two ends over a WebSocket implementation: wsframe (the default) or ws (to compare
 * with the incumbent). Both listen and connect on loopback only, and expose the same small
 * surface, so the feed and the subscribers do not care which one runs.
 */
import { createRequire } from 'node:module';
import { loadWsframe, failure } from '../lib.mjs';

const require = createRequire(import.meta.url);

const TOPIC = 'ticks';
/**
 * How far a subscriber may fall behind before wsframe's publish/subscribe hub drops it (its policy
 * for slow consumers). The demo is about complete delivery, so the bound is generous; a drop shows up as
 * lost ticks and in the summary.
 */
const MAX_BUFFERED = 64 * 1024 * 1024;

/** The classes of an implementation and its permessage-deflate options. */
function implementation(impl) {
  if (impl === 'ws') {
    const { WebSocketServer, WebSocket } = require('ws');
    return { WebSocketServer, WebSocket, deflateOptions: (on) => ({ perMessageDeflate: on }) };
  }
  if (impl === 'wsframe') {
    const w = loadWsframe();
    if (typeof w.WebSocketServer !== 'function' || typeof w.WebSocket !== 'function') {
      throw failure("wsframe's connection layer (WebSocket, WebSocketServer) is not in this build");
    }
    return {
      w,
      WebSocketServer: w.WebSocketServer,
      WebSocket: w.WebSocket,
      deflateOptions: (on) => (on ? { extensions: [deflateFactory(w)] } : {}),
    };
  }
  throw failure(`unknown implementation '${impl}'`);
}

/** wsframe's permessage-deflate extension factory (the `extensions` option of both roles). */
function deflateFactory(w) {
  if (typeof w.perMessageDeflate === 'function') return w.perMessageDeflate();
  const factory = Object.values(w).find((x) => x !== null && typeof x === 'object' && x.name === 'permessage-deflate' && typeof x.create === 'function');
  if (factory === undefined) throw failure('permessage-deflate is not in this build of wsframe (try --impl ws --deflate)');
  return factory;
}

/**
 * wsframe's pre-framed broadcast (WebSocketServer#publish over its Broadcaster): each tick is
 * framed once, and each turn of the event loop's ticks go to every subscriber in one write. With
 * permessage-deflate, subscribers that negotiated the same parameters share one compression.
 */
function publishSubscribe(wss, deflate) {
  wss.on('connection', (ws) => ws.subscribe(TOPIC));
  return {
    name: deflate ? 'pre-framed broadcast, compressed once per parameter group' : 'pre-framed broadcast',
    publish: (text) => wss.publish(TOPIC, text),
    queuedBytes() {
      let n = 0;
      for (const client of wss.clients) n += client.socket?.writableLength ?? 0;
      return n + wss.broadcaster.pending;
    },
    dropped: () => wss.broadcaster.stats.dropped,
  };
}

/** A send per client: how ws documents broadcasting (each send frames the message again). */
function sendLoop(wss) {
  return {
    name: 'a send per client',
    publish(text) {
      for (const client of wss.clients) client.send(text);
    },
    queuedBytes() {
      let n = 0;
      for (const client of wss.clients) n += client.bufferedAmount;
      return n;
    },
    dropped: () => 0,
  };
}

/**
 * A feed server on 127.0.0.1 (ephemeral port).
 * @returns {Promise<{ url: string, broadcast: string, clients(): number, publish(text: string): void,
 *   queuedBytes(): number, dropped(): number, close(): Promise<void> }>}
 */
export async function startFeedServer({ impl, deflate }) {
  const { w, WebSocketServer, deflateOptions } = implementation(impl);
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    ...deflateOptions(deflate),
    // wsframe: the hub's slow-subscriber bound (ws ignores the option).
    broadcast: { maxBufferedBytes: MAX_BUFFERED },
  });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address();
  const path = w !== undefined ? publishSubscribe(wss, deflate) : sendLoop(wss);
  return {
    url: `ws://127.0.0.1:${port}`,
    broadcast: path.name,
    clients: () => wss.clients.size,
    publish: path.publish,
    queuedBytes: path.queuedBytes,
    dropped: path.dropped,
    close() {
      for (const client of wss.clients) client.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}

/** One subscriber connection; callbacks onOpen, onMessage(text), onClose, onError(err). */
export function connectSubscriber({ impl, url, deflate, onOpen, onMessage, onClose, onError }) {
  const { WebSocket, deflateOptions } = implementation(impl);
  const ws = new WebSocket(url, deflateOptions(deflate));
  ws.on('open', onOpen);
  // wsframe delivers text as a string; ws as a Buffer (toString is the decode either way).
  ws.on('message', (data) => onMessage(typeof data === 'string' ? data : data.toString()));
  ws.on('close', onClose);
  ws.on('error', onError);
  return { close: () => ws.close() };
}
