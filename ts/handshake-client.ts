/**
 * The client side of the opening handshake (RFC 6455 §4.1): the target URI, the request headers
 * and the checks on the server's 101 response. Pure functions; the socket work is in client-connect.ts.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { wsError } from './errors.js';
import type { WsFrameError } from './errors.js';
import { createAcceptKey, headerHasToken, isToken } from './handshake-headers.js';
import { formatOffer, parseExtensionOffers } from './extension-header.js';
import type { Extension } from './extension.js';

/** A validated WebSocket URI (RFC 6455 §3). */
export interface WsTarget {
  secure: boolean;
  /** Host name or address without IPv6 brackets (what sockets connect to). */
  hostname: string;
  port: number;
  /** Resource name: path and query ("/" when empty). */
  path: string;
  /** The `Host` header: host, plus the port when it is not the scheme's default. */
  hostHeader: string;
  /** The URL as given, normalised. */
  href: string;
}

/**
 * Validates a ws:// or wss:// URL (http:// and https:// are accepted as their WebSocket
 * counterparts, as browsers do): a known scheme, a host, no fragment. Throws a SyntaxError
 * (code WS_ERR_INVALID_URL) otherwise.
 */
export function parseWsUrl(address: string | URL): WsTarget {
  let url: URL;
  try {
    url = address instanceof URL ? address : new URL(address);
  } catch {
    throw wsError('WS_ERR_INVALID_URL', `Invalid URL: ${String(address)}`);
  }
  const scheme = url.protocol;
  if (scheme !== 'ws:' && scheme !== 'wss:' && scheme !== 'http:' && scheme !== 'https:') {
    throw wsError('WS_ERR_INVALID_URL', `The URL's protocol must be one of "ws:", "wss:", "http:" or "https:" (got "${scheme}")`);
  }
  if (url.hash !== '' || String(address).includes('#')) {
    throw wsError('WS_ERR_INVALID_URL', 'The URL contains a fragment identifier');
  }
  if (url.hostname === '') throw wsError('WS_ERR_INVALID_URL', `The URL has no host: ${url.href}`);
  const secure = scheme === 'wss:' || scheme === 'https:';
  const defaultPort = secure ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    secure,
    hostname,
    port,
    path: (url.pathname || '/') + url.search,
    hostHeader: port === defaultPort ? url.host.replace(/:\d+$/, '') || url.hostname : url.host,
    href: url.href,
  };
}

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, base64. */
export function generateKey(): string {
  return randomBytes(16).toString('base64');
}

/** Validates the subprotocols a client offers: distinct tokens. */
export function checkProtocols(protocols: string[]): void {
  const seen = new Set<string>();
  for (const p of protocols) {
    if (typeof p !== 'string' || !isToken(p) || seen.has(p)) {
      throw wsError('ERR_INVALID_ARG_VALUE', `An invalid or duplicated subprotocol was specified: ${String(p)}`);
    }
    seen.add(p);
  }
}

/** The request headers of §4.1 (Host comes from the HTTP layer); `extra` cannot override the WebSocket ones. */
export function requestHeaders(
  target: WsTarget,
  key: string,
  protocols: string[],
  extensions: Extension[],
  extra: Record<string, string> | undefined,
  origin: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { ...extra };
  headers['Host'] = target.hostHeader;
  if (origin !== undefined) headers['Origin'] = origin;
  headers['Upgrade'] = 'websocket';
  headers['Connection'] = 'Upgrade';
  headers['Sec-WebSocket-Key'] = key;
  headers['Sec-WebSocket-Version'] = '13';
  if (protocols.length > 0) headers['Sec-WebSocket-Protocol'] = protocols.join(', ');
  const offers: string[] = [];
  for (const ext of extensions) for (const o of ext.offer?.() ?? []) offers.push(formatOffer(o));
  if (offers.length > 0) headers['Sec-WebSocket-Extensions'] = offers.join(', ');
  return headers;
}

/** What the server agreed to. */
export interface HandshakeResult {
  protocol: string;
  /** The offered extensions the server accepted, each with its answer. */
  extensions: Extension[];
  /** The `Sec-WebSocket-Extensions` response value ('' when none). */
  extensionsHeader: string;
}

/**
 * Checks a 101 response (RFC 6455 §4.1, items 1-6 of the client's checks): Upgrade and
 * Connection tokens, the accept key, a subprotocol only from those offered, extensions only from
 * those offered (each once). Returns what was agreed, or the error that fails the connection.
 */
export function checkResponse(
  headers: IncomingHttpHeaders,
  key: string,
  protocols: string[],
  offered: Extension[],
): HandshakeResult | WsFrameError {
  if (!headerHasToken(headers.upgrade, 'websocket')) {
    return wsError('WS_ERR_HANDSHAKE_RESPONSE', 'Invalid Upgrade header in the server response: expected websocket');
  }
  if (!headerHasToken(headers.connection, 'upgrade')) {
    return wsError('WS_ERR_HANDSHAKE_RESPONSE', 'Invalid Connection header in the server response: expected Upgrade');
  }
  if (headers['sec-websocket-accept'] !== createAcceptKey(key)) {
    return wsError('WS_ERR_HANDSHAKE_ACCEPT', 'Invalid Sec-WebSocket-Accept header in the server response');
  }
  const protocol = headers['sec-websocket-protocol'];
  if (protocol !== undefined) {
    if (protocols.length === 0) {
      return wsError('WS_ERR_HANDSHAKE_PROTOCOL', 'Server sent a subprotocol but none was requested');
    }
    if (!protocols.includes(protocol)) {
      return wsError('WS_ERR_HANDSHAKE_PROTOCOL', `Server sent a subprotocol that was not offered: ${protocol}`);
    }
  }
  // A server may also pick none of the offered subprotocols (RFC 6455 §4.2.2): protocol is then ''.
  const extensionsHeader = headers['sec-websocket-extensions'];
  const accepted: Extension[] = [];
  if (extensionsHeader !== undefined) {
    const answers = parseExtensionOffers(extensionsHeader);
    if (answers === undefined) return wsError('WS_ERR_HANDSHAKE_EXTENSION', 'Invalid Sec-WebSocket-Extensions header in the server response');
    for (const answer of answers) {
      const ext = offered.find((e) => e.name === answer.name);
      if (ext === undefined) return wsError('WS_ERR_HANDSHAKE_EXTENSION', `Server accepted an extension that was not offered: ${answer.name}`);
      if (accepted.includes(ext)) return wsError('WS_ERR_HANDSHAKE_EXTENSION', `Server accepted the extension ${answer.name} twice`);
      try {
        ext.accepted?.(answer);
      } catch (err) {
        return wsError('WS_ERR_HANDSHAKE_EXTENSION', `Server's ${answer.name} parameters are not acceptable: ${(err as Error).message}`);
      }
      accepted.push(ext);
    }
  }
  return { protocol: protocol ?? '', extensions: accepted, extensionsHeader: extensionsHeader ?? '' };
}
