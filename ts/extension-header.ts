/**
 * The `Sec-WebSocket-Extensions` header (RFC 6455 §9.1) parsed into a list of extension elements,
 * and formatted back. Grammar, with RFC 7230's list and quoting rules:
 *
 *   header          = 1#extension          ; comma list, empty elements tolerated (RFC 7230 §7)
 *   extension       = token *( OWS ";" OWS param )
 *   param           = token [ OWS "=" OWS ( token / quoted-string ) ]
 *
 * A quoted value must be a token once unescaped (RFC 6455 §9.1). Elements keep their order and
 * parameters keep duplicates: whether a duplicate is acceptable is the extension's decision (RFC 7692
 * declines such offers), so the parser must not hide it. Several header lines are joined with ", "
 * before parsing, as HTTP allows for list headers.
 */
import { wsError } from './errors.js';
import type { WsFrameError } from './errors.js';

/** A parameter: its name and value, `true` when it was given without one (`; server_no_context_takeover`). */
export type ExtensionParam = readonly [name: string, value: string | true];

/** One element of the header: an extension name with its parameters in header order. */
export interface ExtensionElement {
  readonly name: string;
  readonly params: readonly ExtensionParam[];
}

/** RFC 7230 tchar, as a 128-entry table (1: may appear in a token). */
const TCHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  TCHAR[c] = /[A-Za-z0-9!#$%&'*+\-.^_`|~]/.test(ch) ? 1 : 0;
}

function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

function invalid(header: string, at: number, why: string): WsFrameError {
  return wsError('WSFRAME_ERR_EXTENSIONS_HEADER', `Invalid Sec-WebSocket-Extensions header at index ${at}: ${why} (${JSON.stringify(header.slice(0, 120))})`);
}

/**
 * Parses a `Sec-WebSocket-Extensions` value (or several header lines). An absent or blank header is
 * an empty list. Malformed syntax throws WSFRAME_ERR_EXTENSIONS_HEADER: a server answers it with 400,
 * a client fails the connection.
 */
export function parseExtensions(header: string | readonly string[] | undefined): ExtensionElement[] {
  if (header === undefined) return [];
  const text = typeof header === 'string' ? header : header.join(', ');
  const out: ExtensionElement[] = [];
  const n = text.length;
  let i = 0;

  const skipOws = (): void => {
    while (i < n && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i++;
  };
  const readToken = (what: string): string => {
    const start = i;
    while (i < n && isTchar(text.charCodeAt(i))) i++;
    if (i === start) throw invalid(text, i, `expected ${what}`);
    return text.slice(start, i);
  };
  const readQuoted = (): string => {
    const start = i;
    i++; // opening quote
    let value = '';
    for (;;) {
      if (i >= n) throw invalid(text, start, 'unterminated quoted-string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        i++;
        if (i >= n) throw invalid(text, start, 'unterminated quoted-pair');
      }
      const q = text.charCodeAt(i);
      // qdtext and quoted-pair both exclude controls other than HTAB.
      if ((q < 0x20 && q !== 0x09) || q === 0x7f) throw invalid(text, i, 'control character in quoted-string');
      value += text[i];
      i++;
    }
    i++; // closing quote
    if (!isToken(value)) throw invalid(text, start, 'a quoted value must be a token once unescaped');
    return value;
  };

  for (;;) {
    // Empty list elements (", ,") are allowed by RFC 7230 §7.
    skipOws();
    if (i >= n) break;
    if (text.charCodeAt(i) === 0x2c) {
      i++;
      continue;
    }
    const name = readToken('an extension name');
    const params: ExtensionParam[] = [];
    skipOws();
    while (i < n && text.charCodeAt(i) === 0x3b) {
      i++;
      skipOws();
      const pname = readToken('a parameter name');
      skipOws();
      let value: string | true = true;
      if (i < n && text.charCodeAt(i) === 0x3d) {
        i++;
        skipOws();
        value = i < n && text.charCodeAt(i) === 0x22 ? readQuoted() : readToken('a parameter value');
        skipOws();
      }
      params.push([pname, value]);
    }
    out.push({ name, params });
    if (i >= n) break;
    if (text.charCodeAt(i) !== 0x2c) throw invalid(text, i, `unexpected ${JSON.stringify(text[i])}`);
    i++;
  }
  return out;
}

/** Formats elements as a header value: `name; a; b=10, other`. Values must be tokens. */
export function formatExtensions(elements: readonly ExtensionElement[]): string {
  return elements
    .map((e) => [e.name, ...e.params.map(([k, v]) => (v === true ? k : `${k}=${v}`))].join('; '))
    .join(', ');
}
