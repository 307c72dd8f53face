/**
 * The server side of the opening handshake (RFC 6455 §4.2): checks an HTTP upgrade request,
 * builds the 101 response, or refuses with the right status and closes the socket.
 */
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { headerHasToken, isValidKey, parseProtocolList } from './handshake-headers.js';
import { parseExtensionOffers } from './extension-header.js';
import type { ExtensionOffer } from './extension-header.js';

/** What a valid upgrade request asks for. */
export interface UpgradeRequest {
  key: string;
  /** Subprotocols the client offered, in its order (empty when none). */
  protocols: string[];
  /** Extension offers, in the client's order (empty when none). */
  extensions: ExtensionOffer[];
}

/** Why a request was refused: the HTTP status, a message for the body and log, extra headers. */
export interface UpgradeRefusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/** Default limit on the request line plus headers of an upgrade request (bytes), as Node's HTTP parser. */
export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;

/** Bytes the request line and headers took on the wire (what the header limit counts). */
function requestHeadSize(req: IncomingMessage): number {
  let size = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i++) size += raw[i].length + 2;
  return size + 2;
}

/**
 * Checks an upgrade request against RFC 6455 §4.2.1. Returns what it asks for, or the refusal to
 * send: 405 for a method other than GET, 426 (with `Sec-WebSocket-Version: 13`) for another
 * version, 431 beyond `maxHeaderSize`, 400 for anything else malformed.
 */
export function checkUpgradeRequest(req: IncomingMessage, maxHeaderSize = DEFAULT_MAX_HEADER_SIZE): UpgradeRequest | UpgradeRefusal {
  if (requestHeadSize(req) > maxHeaderSize) return { status: 431, message: 'Request header fields too large' };
  if (req.method !== 'GET') return { status: 405, message: 'Invalid HTTP method: expected GET', headers: { Allow: 'GET' } };
  if (req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1)) {
    return { status: 400, message: 'HTTP/1.1 or later is required' };
  }
  const h = req.headers;
  if (h.host === undefined || h.host === '') return { status: 400, message: 'Missing Host header' };
  if (!headerHasToken(h.upgrade, 'websocket')) return { status: 400, message: 'Invalid Upgrade header: expected websocket' };
  if (!headerHasToken(h.connection, 'upgrade')) return { status: 400, message: 'Invalid Connection header: expected Upgrade' };
  const version = h['sec-websocket-version'];
  if (version !== '13') {
    return {
      status: version === undefined ? 400 : 426,
      message: version === undefined ? 'Missing Sec-WebSocket-Version header' : 'Unsupported WebSocket version: expected 13',
      headers: { 'Sec-WebSocket-Version': '13' },
    };
  }
  const key = h['sec-websocket-key'];
  if (!isValidKey(key)) return { status: 400, message: 'Missing or invalid Sec-WebSocket-Key header' };

  let protocols: string[] = [];
  const protocolHeader = h['sec-websocket-protocol'];
  if (protocolHeader !== undefined) {
    const parsed = parseProtocolList(protocolHeader);
    if (parsed === undefined) return { status: 400, message: 'Invalid Sec-WebSocket-Protocol header' };
    protocols = parsed;
  }
  let extensions: ExtensionOffer[] = [];
  const extHeader = h['sec-websocket-extensions'];
  if (extHeader !== undefined) {
    const parsed = parseExtensionOffers(extHeader);
    if (parsed === undefined) return { status: 400, message: 'Invalid Sec-WebSocket-Extensions header' };
    extensions = parsed;
  }
  return { key, protocols, extensions };
}

export function isRefusal(r: UpgradeRequest | UpgradeRefusal): r is UpgradeRefusal {
  return (r as UpgradeRefusal).status !== undefined;
}

/**
 * Answers a refused handshake with a complete HTTP response and closes the socket: it is ended
 * after the response is flushed and destroyed at the latest `graceMs` later, so no refused
 * connection stays half-open.
 */
export function refuseHandshake(socket: Duplex, status: number, message?: string, headers?: Record<string, string>, graceMs = 1000): void {
  if (socket.destroyed) return;
  const body = message ?? STATUS_CODES[status] ?? '';
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  if (headers) for (const name of Object.keys(headers)) head += `${name}: ${headers[name]}\r\n`;
  const timer = setTimeout(() => socket.destroy(), graceMs);
  timer.unref?.();
  socket.once('close', () => clearTimeout(timer));
  socket.once('finish', () => socket.destroy());
  socket.once('error', () => socket.destroy());
  socket.end(head + '\r\n' + body);
}

/** The 101 response lines (without the final empty line), for the `headers` hook to edit. */
export function acceptResponseLines(accept: string, protocol: string | undefined, extensions: string | undefined): string[] {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`];
  if (protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extensions !== undefined) lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  return lines;
}
