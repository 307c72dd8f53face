/**
 * The demo's two ends over a WebSocket implementation: wsframe (the default) or ws (to compare
 * with the incumbent). Both sides listen and connect on loopback only.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A feed server on 127.0.0.1 (ephemeral port).
 * @returns {Promise<{ url: string, impl: string, clients(): number, publish(text: string): void,
 *   queuedBytes(): number, close(): Promise<void> }>}
 */
export async function startFeedServer({ impl, deflate }) {
  if (impl === 'ws') return startWsServer(deflate);
  throw new Error(`unknown implementation '${impl}'`);
}

/** One subscriber connection; callbacks onOpen, onMessage(text), onClose, onError(err). */
export function connectSubscriber({ impl, url, deflate, onOpen, onMessage, onClose, onError }) {
  if (impl === 'ws') {
    const { WebSocket } = require('ws');
    const ws = new WebSocket(url, { perMessageDeflate: deflate });
    ws.on('open', onOpen);
    ws.on('message', (data) => onMessage(data.toString()));
    ws.on('close', onClose);
    ws.on('error', onError);
    return { close: () => ws.close() };
  }
  throw new Error(`unknown implementation '${impl}'`);
}

async function startWsServer(deflate) {
  const { WebSocketServer } = require('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address();
  return {
    url: `ws://127.0.0.1:${port}`,
    impl: 'ws',
    clients: () => wss.clients.size,
    // ws has no broadcast: the documented way is a send per client, each framing the message.
    publish(text) {
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
