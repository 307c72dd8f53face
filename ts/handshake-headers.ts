/**
 * Header grammar shared by both ends of the opening handshake (RFC 6455 §4, §9.1, §11.3; token and
 * list rules of RFC 7230 §3.2.6 / §7): the accept key, comma-separated token lists, subprotocol
 * lists and extension offers. Everything here is pure: strings in, values or `undefined` out.
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

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
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

/** One element of `Sec-WebSocket-Extensions`: the extension's name and its parameters. */
export interface ExtensionOffer {
  name: string;
  /** Parameter name → value (`true` for a parameter without a value). Repeated names keep every value. */
  params: Record<string, Array<string | true>>;
}

/**
 * Parses `Sec-WebSocket-Extensions` (RFC 6455 §9.1): `name *(";" param)` elements separated by
 * commas, parameter values as tokens or quoted strings (whose content must itself be a token).
 * Returns undefined when the header is malformed.
 */
export function parseExtensions(value: string): ExtensionOffer[] | undefined {
  const out: ExtensionOffer[] = [];
  let i = 0;
  const n = value.length;
  const ws = (): void => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && value.charCodeAt(i) < 128 && TCHAR[value.charCodeAt(i)] === 1) i++;
    return value.slice(start, i);
  };
  for (;;) {
    ws();
    const name = token();
    if (name.length === 0) return undefined;
    const offer: ExtensionOffer = { name, params: Object.create(null) };
    ws();
    while (value[i] === ';') {
      i++;
      ws();
      const key = token();
      if (key.length === 0) return undefined;
      ws();
      let val: string | true = true;
      if (value[i] === '=') {
        i++;
        ws();
        if (value[i] === '"') {
          const end = value.indexOf('"', i + 1);
          if (end < 0) return undefined;
          val = value.slice(i + 1, end);
          i = end + 1;
          if (!isToken(val)) return undefined;
        } else {
          val = token();
          if (val.length === 0) return undefined;
        }
        ws();
      }
      (offer.params[key] ??= []).push(val);
    }
    out.push(offer);
    if (i === n) return out;
    if (value[i] !== ',') return undefined;
    i++;
  }
}

/** Formats one extension element, the inverse of parseExtensions for one offer. */
export function formatExtension(offer: ExtensionOffer): string {
  let s = offer.name;
  for (const key of Object.keys(offer.params)) {
    for (const v of offer.params[key]) s += v === true ? `; ${key}` : `; ${key}=${v}`;
  }
  return s;
}
