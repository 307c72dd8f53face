import { expect, it } from 'vitest';
import ws from '../ts/ws.js';
import { WebSocket } from '../ts/websocket.js';
import { WebSocketServer } from '../ts/server.js';

it('the wsframe/ws entry is shaped like ws: the WebSocket class with WebSocket, WebSocketServer and Server attached', () => {
  expect(ws).toBe(WebSocket);
  expect(ws.WebSocket).toBe(WebSocket);
  expect(ws.WebSocketServer).toBe(WebSocketServer);
  expect(ws.Server).toBe(WebSocketServer);
  expect(ws.OPEN).toBe(1);
});
