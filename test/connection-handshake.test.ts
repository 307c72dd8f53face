import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { createAcceptKey, headerHasToken, isValidKey, parseProtocolList } from '../ts/handshake-headers.js';
import { formatOffer, parseExtensionOffers } from '../ts/extension-header.js';
import { checkUpgradeRequest, isRefusal } from '../ts/handshake-server.js';
import { checkProtocols, checkResponse, generateKey, parseWsUrl, requestHeaders } from '../ts/handshake-client.js';
import { ConnectQueue } from '../ts/connect-queue.js';
import { parseProxy } from '../ts/proxy.js';
import type { Extension } from '../ts/extension.js';

describe('accept key', () => {
  it('matches the example of RFC 6455 §1.3', () => {
    expect(createAcceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
  it('keys are base64 of 16 bytes', () => {
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe(true);
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ=')).toBe(false);
    expect(isValidKey(Buffer.alloc(15).toString('base64'))).toBe(false);
    expect(isValidKey(Buffer.alloc(17).toString('base64'))).toBe(false);
    expect(isValidKey(undefined)).toBe(false);
    for (let i = 0; i < 20; i++) expect(isValidKey(generateKey())).toBe(true);
    expect(Buffer.from(generateKey(), 'base64').length).toBe(16);
  });
});

describe('header lists', () => {
  it('finds tokens case-insensitively in comma lists', () => {
    expect(headerHasToken('keep-alive, Upgrade', 'upgrade')).toBe(true);
    expect(headerHasToken('keep-alive,upgrade ', 'upgrade')).toBe(true);
    expect(headerHasToken('keep-alive, upgrades', 'upgrade')).toBe(false);
    expect(headerHasToken(undefined, 'upgrade')).toBe(false);
    expect(headerHasToken(['foo', 'WebSocket'], 'websocket')).toBe(true);
  });
  it('parses subprotocol lists and rejects bad ones', () => {
    expect(parseProtocolList('chat, superchat')).toEqual(['chat', 'superchat']);
    expect(parseProtocolList('chat,,x')).toBeUndefined();
    expect(parseProtocolList('chat, chat')).toBeUndefined();
    expect(parseProtocolList('a b')).toBeUndefined();
  });
  // The grammar itself (quoting, whitespace, every syntax error) is tested with parseExtensions in
  // deflate-negotiation.test.ts; here, the handshake's view of it.
  it('parses extension offers with parameters and quoted values', () => {
    const offers = parseExtensionOffers('permessage-deflate; client_max_window_bits; server_max_window_bits="10", x-foo');
    expect(offers).toEqual([
      { name: 'permessage-deflate', params: { client_max_window_bits: [true], server_max_window_bits: ['10'] } },
      { name: 'x-foo', params: {} },
    ]);
    expect(formatOffer(offers![0])).toBe('permessage-deflate; client_max_window_bits; server_max_window_bits=10');
    expect(parseExtensionOffers('e; p="1\\0"; p=2')).toEqual([{ name: 'e', params: { p: ['10', '2'] } }]);
    expect(parseExtensionOffers(['a; x', 'b'])).toEqual([{ name: 'a', params: { x: [true] } }, { name: 'b', params: {} }]);
    for (const bad of ['', ' ', ',', ' , ,', 'a;', 'a; =1', 'a; b="1', 'a; b="x y"', 'a b']) expect(parseExtensionOffers(bad)).toBeUndefined();
  });
  it('ignores empty list elements around extension offers (RFC 7230 §7)', () => {
    expect(parseExtensionOffers('a,')).toEqual([{ name: 'a', params: {} }]);
    expect(parseExtensionOffers(', a ,, b')).toEqual([{ name: 'a', params: {} }, { name: 'b', params: {} }]);
  });
});

function fakeRequest(over: { method?: string; version?: [number, number]; url?: string; headers?: Record<string, string | undefined> }): IncomingMessage {
  const headers: Record<string, string> = {
    host: 'example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version': '13',
  };
  for (const [k, v] of Object.entries(over.headers ?? {})) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  const rawHeaders = Object.entries(headers).flat();
  return {
    method: over.method ?? 'GET',
    url: over.url ?? '/',
    httpVersionMajor: over.version?.[0] ?? 1,
    httpVersionMinor: over.version?.[1] ?? 1,
    headers,
    rawHeaders,
  } as unknown as IncomingMessage;
}

describe('server request checks', () => {
  it('accepts a valid request and reports protocols and extensions', () => {
    const r = checkUpgradeRequest(fakeRequest({ headers: { 'sec-websocket-protocol': 'chat, superchat', 'sec-websocket-extensions': 'x-a; p=1' } }));
    expect(isRefusal(r)).toBe(false);
    expect(r).toEqual({ key: 'dGhlIHNhbXBsZSBub25jZQ==', protocols: ['chat', 'superchat'], extensions: [{ name: 'x-a', params: { p: ['1'] } }] });
  });
  it('accepts HTTP/2.0-style versions above 1.1 and mixed-case tokens', () => {
    expect(isRefusal(checkUpgradeRequest(fakeRequest({ version: [2, 0], headers: { upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' } })))).toBe(false);
  });
  const cases: Array<[string, Parameters<typeof fakeRequest>[0], number]> = [
    ['POST', { method: 'POST' }, 405],
    ['HTTP/1.0', { version: [1, 0] }, 400],
    ['no Host', { headers: { host: undefined } }, 400],
    ['Upgrade: h2c', { headers: { upgrade: 'h2c' } }, 400],
    ['no Connection: Upgrade', { headers: { connection: 'keep-alive' } }, 400],
    ['version 8', { headers: { 'sec-websocket-version': '8' } }, 426],
    ['no version', { headers: { 'sec-websocket-version': undefined } }, 400],
    ['short key', { headers: { 'sec-websocket-key': 'AAAA' } }, 400],
    ['no key', { headers: { 'sec-websocket-key': undefined } }, 400],
    ['bad protocol list', { headers: { 'sec-websocket-protocol': 'a,,b' } }, 400],
    ['bad extension list', { headers: { 'sec-websocket-extensions': 'a;' } }, 400],
    ['empty extension list', { headers: { 'sec-websocket-extensions': ',' } }, 400],
    ['headers too large', { headers: { 'x-big': 'x'.repeat(20000) } }, 431],
  ];
  for (const [name, req, status] of cases) {
    it(`refuses ${name} with ${status}`, () => {
      const r = checkUpgradeRequest(fakeRequest(req));
      expect(isRefusal(r) && r.status).toBe(status);
    });
  }
  it('426 carries Sec-WebSocket-Version: 13', () => {
    const r = checkUpgradeRequest(fakeRequest({ headers: { 'sec-websocket-version': '7' } }));
    expect(isRefusal(r) && r.headers).toEqual({ 'Sec-WebSocket-Version': '13' });
  });
});

describe('client URL and request', () => {
  it('parses ws and wss URLs', () => {
    expect(parseWsUrl('ws://example.com/chat?x=1')).toMatchObject({ secure: false, hostname: 'example.com', port: 80, path: '/chat?x=1', hostHeader: 'example.com' });
    expect(parseWsUrl('wss://example.com:8443')).toMatchObject({ secure: true, port: 8443, path: '/', hostHeader: 'example.com:8443' });
    expect(parseWsUrl('wss://example.com:443/')).toMatchObject({ port: 443, hostHeader: 'example.com' });
    expect(parseWsUrl('ws://[::1]:9000/')).toMatchObject({ hostname: '::1', hostHeader: '[::1]:9000' });
    expect(parseWsUrl('https://h/')).toMatchObject({ secure: true });
  });
  it('rejects other schemes, fragments and garbage with SyntaxError', () => {
    for (const bad of ['ftp://x/', 'ws://x/#frag', 'ws://x/#', 'not a url', 'ws://']) {
      expect(() => parseWsUrl(bad)).toThrow(SyntaxError);
    }
  });
  it('checks offered subprotocols', () => {
    expect(() => checkProtocols(['a', 'b'])).not.toThrow();
    expect(() => checkProtocols(['a', 'a'])).toThrow(/subprotocol/);
    expect(() => checkProtocols(['a b'])).toThrow(/subprotocol/);
  });
  it('builds the §4.1 headers; extra headers cannot override them', () => {
    const h = requestHeaders(parseWsUrl('ws://h:81/p'), 'k', ['a', 'b'], [], { 'X-A': '1', Upgrade: 'nope' }, 'http://o');
    expect(h).toMatchObject({ Host: 'h:81', Origin: 'http://o', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'k', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Protocol': 'a, b', 'X-A': '1' });
  });
});

describe('client response checks', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const ok = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' };
  const ext = (name: string, accept?: (p: unknown) => void): Extension => ({
    name, rsv1: true, offer: () => [{ name, params: {} }], accepted: accept, decode() {}, encode() {}, cleanup() {},
  });
  it('accepts a correct response', () => {
    expect(checkResponse(ok, key, [], [])).toEqual({ protocol: '', extensions: [], extensionsHeader: '' });
    expect(checkResponse({ ...ok, 'sec-websocket-protocol': 'b' }, key, ['a', 'b'], [])).toMatchObject({ protocol: 'b' });
    expect(checkResponse(ok, key, ['a'], [])).toMatchObject({ protocol: '' });
  });
  it('fails on each broken item', () => {
    const code = (r: unknown) => (r as { code?: string }).code;
    expect(code(checkResponse({ ...ok, upgrade: 'h2c' }, key, [], []))).toBe('WS_ERR_HANDSHAKE_RESPONSE');
    expect(code(checkResponse({ ...ok, connection: 'close' }, key, [], []))).toBe('WS_ERR_HANDSHAKE_RESPONSE');
    expect(code(checkResponse({ ...ok, 'sec-websocket-accept': 'x' }, key, [], []))).toBe('WS_ERR_HANDSHAKE_ACCEPT');
    expect(code(checkResponse({ ...ok, 'sec-websocket-protocol': 'c' }, key, ['a'], []))).toBe('WS_ERR_HANDSHAKE_PROTOCOL');
    expect(code(checkResponse({ ...ok, 'sec-websocket-protocol': 'c' }, key, [], []))).toBe('WS_ERR_HANDSHAKE_PROTOCOL');
    expect(code(checkResponse({ ...ok, 'sec-websocket-extensions': 'x-a' }, key, [], []))).toBe('WS_ERR_HANDSHAKE_EXTENSION');
    const a = ext('x-a');
    for (const bad of ['', 'x-a;', 'x-a; p="1']) expect(code(checkResponse({ ...ok, 'sec-websocket-extensions': bad }, key, [], [a]))).toBe('WS_ERR_HANDSHAKE_EXTENSION');
    expect(code(checkResponse({ ...ok, 'sec-websocket-extensions': 'x-a, x-a' }, key, [], [a]))).toBe('WS_ERR_HANDSHAKE_EXTENSION');
    const picky = ext('x-a', () => { throw new Error('no'); });
    expect(code(checkResponse({ ...ok, 'sec-websocket-extensions': 'x-a; p' }, key, [], [picky]))).toBe('WS_ERR_HANDSHAKE_EXTENSION');
    expect(checkResponse({ ...ok, 'sec-websocket-extensions': 'x-a' }, key, [], [a, ext('x-b')])).toMatchObject({ extensions: [a] });
  });
});

describe('connect queue', () => {
  it('runs one attempt per host at a time, in order', () => {
    const q = new ConnectQueue();
    const log: string[] = [];
    const d1 = q.enqueue('h:1', () => log.push('a'));
    const d2 = q.enqueue('h:1', () => log.push('b'));
    const d3 = q.enqueue('h:1', () => log.push('c'));
    const o = q.enqueue('h:2', () => log.push('other'));
    expect(log).toEqual(['a', 'other']);
    d2(); // cancelled while waiting: never runs
    expect(q.pending('h:1')).toBe(2);
    d1();
    d1(); // idempotent
    expect(log).toEqual(['a', 'other', 'c']);
    d3();
    o();
    expect(q.pending('h:1')).toBe(0);
    expect(q.pending('h:2')).toBe(0);
  });
});

describe('proxy option', () => {
  it('accepts http URLs and rejects others', () => {
    expect(parseProxy('http://u:p@127.0.0.1:3128').url.port).toBe('3128');
    expect(() => parseProxy('socks5://127.0.0.1:1080')).toThrow(SyntaxError);
    expect(() => parseProxy('nope')).toThrow(SyntaxError);
  });
});
