/**
 * The `wsframe/ws` entry: shaped like the ws package, so that moving an application from ws is a
 * change of import. `require('wsframe/ws')` is the WebSocket class with `WebSocket`,
 * `WebSocketServer` and `Server` attached, as `require('ws')` is; `import WebSocket, { WebSocketServer }
 * from 'wsframe/ws'` works as it does with ws.
 */
import { WebSocket } from './websocket.js';
import { WebSocketServer } from './server.js';

const ws = Object.assign(WebSocket, { WebSocket, WebSocketServer, Server: WebSocketServer });
export = ws;
