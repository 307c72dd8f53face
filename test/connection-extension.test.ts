/**
 * The extension plug, with a toy extension (not a real one): "x-reverse" marks messages with RSV1
 * and reverses their bytes, asynchronously and with uneven delays, so negotiation, RSV1 handling
 * and message order through the extension are all exercised in both directions.
 */
import { describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '../ts/server.js';
import { WebSocket } from '../ts/websocket.js';
import type { Extension, ExtensionFactory, ExtensionOffer } from '../ts/extension.js';
import { once } from './connection-helpers.js';

function reversed(data: Uint8Array): Buffer {
  return Buffer.from(data).reverse();
}

function reverseExtension(log: string[]): ExtensionFactory {
  return {
    name: 'x-reverse',
    create(role): Extension {
      let delay = 0;
      return {
        name: 'x-reverse',
        rsv1: true,
        offer: () => [{ name: 'x-reverse', params: { level: ['2'] } }],
        accept(offers: ExtensionOffer[]) {
          log.push(`${role} accept ${JSON.stringify(offers[0].params)}`);
          return { name: 'x-reverse', params: { level: ['2'] } };
        },
        accepted(answer: ExtensionOffer) {
          log.push(`${role} accepted ${JSON.stringify(answer.params)}`);
        },
        decode(data, isBinary, done) {
          // Alternate slow and fast: a later message may finish first, order must still hold.
          setTimeout(() => {
            const out = reversed(data);
            done(null, isBinary ? out : out.toString('utf8'));
          }, (delay++ % 2) * 15);
        },
        encode(data, _isBinary, compress, done) {
          if (compress === false) return done(null, data, false);
          setTimeout(() => done(null, reversed(data), true), (delay++ % 2) * 15);
        },
        cleanup() {
          log.push(`${role} cleanup`);
        },
      };
    },
  };
}

describe('extension plug', () => {
  it('negotiates, sets RSV1, transforms both ways and keeps message order', async () => {
    const log: string[] = [];
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', extensions: [reverseExtension(log)] });
    await once(wss, 'listening');
    wss.on('connection', (c: WebSocket) => c.on('message', (d: string | Buffer, b: boolean) => c.send(d, { binary: b })));
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { extensions: [reverseExtension(log)] });
    await once(ws, 'open');
    expect(ws.extensions).toBe('x-reverse; level=2');
    const got: unknown[] = [];
    ws.on('message', (d: unknown) => got.push(typeof d === 'string' ? d : [...(d as Buffer)]));
    ws.send('abc');
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('plain', { compress: false }); // no RSV1: passes the extension's decode
    ws.send('xyz');
    const deadline = Date.now() + 3000;
    while (got.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['abc', [1, 2, 3], 'plain', 'xyz']);
    expect(log).toEqual(['server accept {"level":["2"]}', 'client accepted {"level":["2"]}']);
    const [peer] = [...wss.clients];
    const peerClosed = once(peer, 'close');
    ws.close();
    await once(ws, 'close');
    await peerClosed;
    await new Promise<void>((r) => wss.close(() => r()));
    expect(log.filter((l) => l.endsWith('cleanup')).sort()).toEqual(['client cleanup', 'server cleanup']);
  });

  it('a server without the extension declines it and RSV1 stays a protocol error', async () => {
    const log: string[] = [];
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { extensions: [reverseExtension(log)] });
    await once(ws, 'open');
    expect(ws.extensions).toBe('');
    expect(log).toEqual(['client cleanup']); // offered, not accepted: released at once
    ws.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });
});
