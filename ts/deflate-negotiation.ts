/**
 * permessage-deflate negotiation (RFC 7692 §5, §7): the server picks the first acceptable offer and
 * builds its response; the client builds its offer and checks the server's response, failing the
 * connection when the RFC says it must. Pure functions over header strings; no I/O, no zlib.
 */
import type { ZlibOptions } from 'node:zlib';
import { invalidArgType, outOfRange, wsError } from './errors.js';
import { formatExtensions, parseExtensions } from './extension-header.js';
import type { ExtensionElement, ExtensionParam } from './extension-header.js';

export const EXTENSION_NAME = 'permessage-deflate';

/** Options of the extension, on a server or a client. Names follow ws's `perMessageDeflate` option. */
export interface PerMessageDeflateOptions {
  /**
   * Server: always ask the server side to reset its compressor after each message (and accept offers
   * that ask for it; `false` declines offers that require it). Client: offer it.
   * Needed for compress-once broadcast. Default: only when the client offers it.
   */
  serverNoContextTakeover?: boolean;
  /** Server: tell the client to reset (echoed anyway when the client offers it). Client: offer it. */
  clientNoContextTakeover?: boolean;
  /**
   * LZ77 window of the server's compressor, 9-15 (zlib cannot compress with 8). Server: the largest it
   * will use; a smaller value a client asks for is honoured. Client: the value to request.
   */
  serverMaxWindowBits?: number;
  /**
   * Window of the client's compressor, 8-15. Server: a number is requested from clients that offer the
   * parameter (offers without it are declined, as in ws). Client: a number is offered; `true` (default)
   * offers the parameter without a value; `false` does not offer it.
   */
  clientMaxWindowBits?: number | boolean;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024 (ws's default). */
  threshold?: number;
  /** Process-wide number of zlib jobs running at once; the last value given wins. Default 10. */
  concurrencyLimit?: number;
  /** Passed to zlib's DeflateRaw (level, memLevel, strategy, chunkSize); windowBits comes from negotiation. */
  zlibDeflateOptions?: ZlibOptions;
  /** Passed to zlib's InflateRaw (chunkSize); windowBits comes from negotiation. */
  zlibInflateOptions?: ZlibOptions;
}

/**
 * The agreed configuration, seen from the RFC (who resets, which windows), with absent window
 * parameters as 15. The same object on both ends; each end picks its side by role.
 */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** One offer, validated: `undefined` fields were absent; `clientMaxWindowBits: true` was given without a value. */
interface ParsedParams {
  server_no_context_takeover: boolean;
  client_no_context_takeover: boolean;
  server_max_window_bits: number | undefined;
  client_max_window_bits: number | true | undefined;
}

const WINDOW_BITS = /^(?:[89]|1[0-5])$/; // RFC 7692 §7.1.2: 8-15, decimal, no leading zero

/**
 * Validates one element's parameters per RFC 7692 §7: known names only, no duplicates, values of the
 * right form. Returns the reason it is invalid as a string, so a server can decline that offer and try
 * the next while a client turns the reason into an error.
 */
function parseParams(params: readonly ExtensionParam[], inResponse: boolean): ParsedParams | string {
  const out: ParsedParams = {
    server_no_context_takeover: false,
    client_no_context_takeover: false,
    server_max_window_bits: undefined,
    client_max_window_bits: undefined,
  };
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (seen.has(name)) return `duplicate parameter "${name}"`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return `parameter "${name}" takes no value`;
        out[name] = true;
        break;
      case 'server_max_window_bits':
        if (value === true || !WINDOW_BITS.test(value)) return `invalid value for "${name}": ${String(value)}`;
        out.server_max_window_bits = Number(value);
        break;
      case 'client_max_window_bits':
        if (value === true) {
          // Without a value it only says "I support it": meaningful in an offer, not in a response.
          if (inResponse) return `parameter "${name}" needs a value in a response`;
          out.client_max_window_bits = true;
        } else {
          if (!WINDOW_BITS.test(value)) return `invalid value for "${name}": ${value}`;
          out.client_max_window_bits = Number(value);
        }
        break;
      default:
        return `unknown parameter "${name}"`;
    }
  }
  return out;
}

function checkBits(name: string, v: unknown, min: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 15) {
    throw outOfRange(`perMessageDeflate.${name}`, `an integer from ${min} to 15`, v);
  }
}

/** Throws a TypeError / RangeError for options that cannot work; called when a server or client is created. */
export function validateDeflateOptions(options: PerMessageDeflateOptions): void {
  if (options === null || typeof options !== 'object') throw invalidArgType('perMessageDeflate', 'an object or a boolean', options);
  // zlib turns a raw deflate window of 8 into 9, which a peer holding us to 8 may fail to inflate.
  checkBits('serverMaxWindowBits', options.serverMaxWindowBits, 9);
  if (typeof options.clientMaxWindowBits !== 'boolean') checkBits('clientMaxWindowBits', options.clientMaxWindowBits, 8);
  const t = options.threshold;
  if (t !== undefined && (typeof t !== 'number' || !(t >= 0))) throw outOfRange('perMessageDeflate.threshold', 'a number >= 0', t);
  const c = options.concurrencyLimit;
  if (c !== undefined && (typeof c !== 'number' || !Number.isInteger(c) || c < 1)) {
    throw outOfRange('perMessageDeflate.concurrencyLimit', 'an integer >= 1', c);
  }
}

/**
 * Server side (RFC 7692 §7.1): the first permessage-deflate offer in `header` that is valid and
 * acceptable under `options`, with the response element to send. Invalid offers (unknown or duplicate
 * parameters, bad values) are declined, not fatal, as §7 requires; `null` when none is acceptable
 * (answer without the extension). Malformed header syntax throws WSFRAME_ERR_EXTENSIONS_HEADER.
 */
export function acceptDeflateOffer(
  header: string | readonly string[] | undefined,
  options: PerMessageDeflateOptions = {},
): { params: DeflateParams; response: string } | null {
  return acceptDeflateElements(parseExtensions(header), options);
}

/** `acceptDeflateOffer` over already parsed elements (other extensions' elements are skipped). */
export function acceptDeflateElements(
  elements: readonly ExtensionElement[],
  options: PerMessageDeflateOptions = {},
): { params: DeflateParams; response: string } | null {
  for (const element of elements) {
    if (element.name !== EXTENSION_NAME) continue;
    const offer = parseParams(element.params, false);
    if (typeof offer === 'string') continue;
    const accepted = acceptOne(offer, options);
    if (accepted !== null) return accepted;
  }
  return null;
}

function acceptOne(offer: ParsedParams, opts: PerMessageDeflateOptions): { params: DeflateParams; response: string } | null {
  if (opts.serverNoContextTakeover === false && offer.server_no_context_takeover) return null;

  // Our compressor's window: the smaller of what the client allows and what we are configured for.
  let serverBits: number | undefined;
  if (offer.server_max_window_bits !== undefined || opts.serverMaxWindowBits !== undefined) {
    serverBits = Math.min(offer.server_max_window_bits ?? 15, opts.serverMaxWindowBits ?? 15);
  }

  // The client's compressor window: only settable when the client offered the parameter (§7.1.2.2).
  let clientBits: number | undefined;
  const offered = offer.client_max_window_bits;
  if (typeof opts.clientMaxWindowBits === 'number') {
    if (offered === undefined) return null;
    clientBits = Math.min(opts.clientMaxWindowBits, offered === true ? 15 : offered);
  } else if (typeof offered === 'number') {
    // The client's own limit: echoing it lets our inflater allocate the smaller window.
    clientBits = offered;
  }

  const params: DeflateParams = {
    serverNoContextTakeover: offer.server_no_context_takeover || opts.serverNoContextTakeover === true,
    // The client only hinted it; agreeing costs the client nothing and lets us pool inflaters.
    clientNoContextTakeover: offer.client_no_context_takeover || opts.clientNoContextTakeover === true,
    serverMaxWindowBits: serverBits ?? 15,
    clientMaxWindowBits: clientBits ?? 15,
  };
  const response: ExtensionParam[] = [];
  if (params.serverNoContextTakeover) response.push(['server_no_context_takeover', true]);
  if (params.clientNoContextTakeover) response.push(['client_no_context_takeover', true]);
  if (serverBits !== undefined) response.push(['server_max_window_bits', String(serverBits)]);
  if (clientBits !== undefined) response.push(['client_max_window_bits', String(clientBits)]);
  return { params, response: formatExtensions([{ name: EXTENSION_NAME, params: response }]) };
}

/** Client side: the offer element for `options` (RFC 7692 §5.1), as a header value. */
export function buildDeflateOffer(options: PerMessageDeflateOptions = {}): string {
  return formatExtensions([offerElement(options)]);
}

export function offerElement(options: PerMessageDeflateOptions): ExtensionElement {
  const params: ExtensionParam[] = [];
  if (options.serverNoContextTakeover) params.push(['server_no_context_takeover', true]);
  if (options.clientNoContextTakeover) params.push(['client_no_context_takeover', true]);
  if (options.serverMaxWindowBits !== undefined) params.push(['server_max_window_bits', String(options.serverMaxWindowBits)]);
  const cb = options.clientMaxWindowBits;
  if (typeof cb === 'number') params.push(['client_max_window_bits', String(cb)]);
  else if (cb !== false) params.push(['client_max_window_bits', true]);
  return { name: EXTENSION_NAME, params };
}

function negotiationFailure(why: string): Error {
  return wsError('WSFRAME_ERR_EXTENSION_NEGOTIATION', `Invalid permessage-deflate response: ${why}`);
}

/**
 * Client side (RFC 7692 §7.1, §7.2.2): checks the server's `Sec-WebSocket-Extensions` response to the
 * offer built from `options`. Returns the agreed params, or `null` when the server did not accept the
 * extension. Throws WSFRAME_ERR_EXTENSION_NEGOTIATION (or ..._EXTENSIONS_HEADER for bad syntax) when
 * the client must fail the connection: the extension twice, unknown / duplicate / invalid parameters,
 * a window larger than offered, or `client_max_window_bits` that was not offered. Extensions other than
 * permessage-deflate are left to the caller (it offered them, or must fail on them).
 */
export function acceptDeflateResponse(
  header: string | readonly string[] | undefined,
  options: PerMessageDeflateOptions = {},
): DeflateParams | null {
  return acceptDeflateResponseElements(parseExtensions(header), options);
}

/** `acceptDeflateResponse` over already parsed elements. */
export function acceptDeflateResponseElements(all: readonly ExtensionElement[], options: PerMessageDeflateOptions = {}): DeflateParams | null {
  const elements = all.filter((e) => e.name === EXTENSION_NAME);
  if (elements.length === 0) return null;
  if (elements.length > 1) throw negotiationFailure('the extension appears more than once');
  const r = parseParams(elements[0].params, true);
  if (typeof r === 'string') throw negotiationFailure(r);

  if (r.server_max_window_bits !== undefined && typeof options.serverMaxWindowBits === 'number'
    && r.server_max_window_bits > options.serverMaxWindowBits) {
    throw negotiationFailure(`server_max_window_bits=${r.server_max_window_bits} exceeds the offered ${options.serverMaxWindowBits}`);
  }
  const cbOffer = options.clientMaxWindowBits;
  if (r.client_max_window_bits !== undefined) {
    if (cbOffer === false) throw negotiationFailure('client_max_window_bits was not offered');
    if (typeof cbOffer === 'number' && (r.client_max_window_bits as number) > cbOffer) {
      throw negotiationFailure(`client_max_window_bits=${String(r.client_max_window_bits)} exceeds the offered ${cbOffer}`);
    }
  }
  if (options.clientNoContextTakeover === false && r.client_no_context_takeover) {
    throw negotiationFailure('client_no_context_takeover was refused by the clientNoContextTakeover: false option');
  }
  return {
    serverNoContextTakeover: r.server_no_context_takeover,
    clientNoContextTakeover: r.client_no_context_takeover,
    serverMaxWindowBits: r.server_max_window_bits ?? 15,
    // The server may omit it even when it was offered with a value; the client then keeps to its offer.
    clientMaxWindowBits: (r.client_max_window_bits as number | undefined) ?? (typeof cbOffer === 'number' ? cbOffer : 15),
  };
}
