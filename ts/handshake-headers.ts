/**
 * Header grammar shared by both ends of the opening handshake (RFC 6455 §4, §9.1, §11.3; token and
 * list rules of RFC 7230 §3.2.6 / §7): the accept key, comma-separated token lists, subprotocol
 * lists. `Sec-WebSocket-Extensions` has its own module, ./extension-header.ts. Everything here is
 * pure: strings in, values or `undefined` out.
 */
import { createHash } from 'node:crypto';

/** The GUID every server appends to the client's key (RFC 6455 §1.3). */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)). */
export function createAcceptKey(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

// RFC 7230 tchar: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** Whether the UTF-16 code unit `c` is an RFC 7230 tchar. */
export function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

/** True when the comma-separated list `value` contains `token` (case-insensitive). */
export function headerHasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  const joined = Array.isArray(value) ? value.join(',') : value;
  const want = token.toLowerCase();
  for (const part of joined.split(',')) {
    if (part.trim().toLowerCase() === want) return true;
  }
  return false;
}

/** A `Sec-WebSocket-Key`: base64 of exactly 16 bytes (24 characters ending in "=="). */
export function isValidKey(key: string | undefined): key is string {
  return key !== undefined && /^[A-Za-z0-9+/]{22}==$/.test(key);
}

/**
 * Parses `Sec-WebSocket-Protocol` (a list of distinct tokens, RFC 6455 §4.1 item 10). Returns
 * undefined when the header is malformed: an empty element, a non-token or a duplicate.
 */
export function parseProtocolList(value: string): string[] | undefined {
  const out: string[] = [];
  for (const raw of value.split(',')) {
    const p = raw.trim();
    if (!isToken(p) || out.includes(p)) return undefined;
    out.push(p);
  }
  return out;
}
