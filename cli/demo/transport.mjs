/**
 * The demo's two ends over a WebSocket implementation: wsframe (the default) or ws (to compare
 * with the incumbent). Both listen and connect on loopback only, and expose the same small
 * surface, so the feed and the subscribers do not care which one runs.
 */
import { createRequire } from 'node:module';
import { loadWsframe } from '../lib.mjs';

const require = createRequire(import.meta.url);

/**
 * wsframe's connection classes. The public entry exports them once the connection layer is
 * wired into it; until then they are read from their compiled modules in dist/.
 */
export function wsframeConnections() {
  const w = loadWsframe();
  if (typeof w.WebSocketServer === 'function' && typeof w.WebSocket === 'function') return w;
  try {
    const { WebSocketServer } = require('../../dist/cjs/server.js');
    const { WebSocket } = require('../../dist/cjs/websocket.js');
    return { ...w, WebSocketServer, WebSocket };
  } catch {
    return undefined;
  }
}

/** The classes of an implementation: { WebSocketServer, WebSocket, deflate(): server/client options }. */
function implementation(impl) {
  if (impl === 'ws') {
    const { WebSocketServer, WebSocket } = require('ws');
    return { WebSocketServer, WebSocket, deflateOptions: (on) => ({ perMessageDeflate: on }) };
  }
  if (impl === 'wsframe') {
    const w = wsframeConnections();
    if (w === undefined) throw new Error("wsframe's connection layer (WebSocket, WebSocketServer) is not in this build");
    return {
      WebSocketServer: w.WebSocketServer,
      WebSocket: w.WebSocket,
      deflateOptions(on) {
        if (!on) return {};
        if (typeof w.perMessageDeflate !== 'function') throw new Error('permessage-deflate is not in this build of wsframe');
        return { extensions: [w.perMessageDeflate()] };
      },
    };
  }
  throw new Error(`unknown implementation '${impl}'`);
}

/**
 * A feed server on 127.0.0.1 (ephemeral port).
 * @returns {Promise<{ url: string, broadcast: string, clients(): number, publish(text: string): void,
 *   queuedBytes(): number, close(): Promise<void> }>}
 */
export async function startFeedServer({ impl, deflate }) {
  const { WebSocketServer } = implementation(impl);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...implementation(impl).deflateOptions(deflate) });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address();
  // A pre-framed broadcast frames the message once for all clients; without one, the way ws
  // documents broadcasting is a send per client, each framing the message again.
  const prepared = typeof wss.broadcast === 'function';
  return {
    url: `ws://127.0.0.1:${port}`,
    broadcast: prepared ? 'pre-framed broadcast' : 'a send per client',
    clients: () => wss.clients.size,
    publish: prepared
      ? (text) => wss.broadcast(text)
      : (text) => {
          for (const client of wss.clients) client.send(text);
        },
    queuedBytes() {
      let n = 0;
      for (const client of wss.clients) n += client.bufferedAmount;
      return n;
    },
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
