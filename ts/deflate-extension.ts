/**
 * permessage-deflate plugged into connections through the extension interface of ./extension.ts:
 * negotiation (./deflate-negotiation.ts) in the handshake, then the per-connection codec
 * (./permessage-deflate.ts) on messages. Small messages are inflated and compressed inline, so
 * they are delivered and written in the same tick as without compression; larger ones complete
 * asynchronously and the connection keeps them in order.
 */
import { wsError } from './errors.js';
import type { WsFrameError } from './errors.js';
import type { Extension, ExtensionContext, ExtensionFactory, ExtensionOffer } from './extension.js';
import type { ExtensionElement, ExtensionParam } from './extension-header.js';
import type { Role } from './frame-types.js';
import { isValidUtf8 } from './kernels.js';
import {
  EXTENSION_NAME, acceptDeflateElements, acceptDeflateResponseElements, offerElement, validateDeflateOptions,
} from './deflate-negotiation.js';
import type { DeflateParams, PerMessageDeflateOptions } from './deflate-negotiation.js';
import { PerMessageDeflate } from './permessage-deflate.js';
import { parseExtensions } from './extension-header.js';

/** The handshake's parsed form (name → values) as header elements; repeated names stay repeated. */
function toElement(offer: ExtensionOffer): ExtensionElement {
  const params: ExtensionParam[] = [];
  for (const key of Object.keys(offer.params)) for (const v of offer.params[key]) params.push([key, v]);
  return { name: offer.name, params };
}

function toOffer(element: ExtensionElement): ExtensionOffer {
  const params: Record<string, Array<string | true>> = Object.create(null);
  for (const [k, v] of element.params) (params[k] ??= []).push(v);
  return { name: element.name, params };
}

type Done = (err: WsFrameError | null, data?: string | Uint8Array) => void;
type EncodeDone = (err: Error | null, payload?: Uint8Array, compressed?: boolean) => void;

/** One connection's permessage-deflate. */
export class DeflateExtension implements Extension {
  readonly name = EXTENSION_NAME;
  readonly rsv1 = true;
  /** The agreed parameters once negotiated (server: after accept; client: after accepted). */
  params: DeflateParams | null = null;
  private codec: PerMessageDeflate | null = null;
  /** Whether the message being streamed (`send` with fin: false) was started compressed. */
  private streaming: boolean | null = null;

  constructor(
    readonly role: Role,
    private readonly options: PerMessageDeflateOptions,
    private readonly context: ExtensionContext = {},
  ) {}

  accept(offers: ExtensionOffer[]): ExtensionOffer | undefined {
    const accepted = acceptDeflateElements(offers.map(toElement), this.options);
    if (accepted === null) return undefined;
    this.start(accepted.params);
    return toOffer(parseExtensions(accepted.response)[0]);
  }

  offer(): ExtensionOffer[] {
    return [toOffer(offerElement(this.options))];
  }

  accepted(response: ExtensionOffer): void {
    const params = acceptDeflateResponseElements([toElement(response)], this.options);
    if (params === null) throw wsError('WSFRAME_ERR_EXTENSION_NEGOTIATION', 'permessage-deflate response missing');
    this.start(params);
  }

  private start(params: DeflateParams): void {
    this.params = params;
    this.codec = new PerMessageDeflate(this.role, params, { ...this.options, maxMessageSize: this.context.maxPayload });
  }

  decode(data: Uint8Array, isBinary: boolean, done: Done): void {
    const codec = this.codec!;
    let out: Buffer | undefined;
    try {
      out = codec.decompressNow(data);
    } catch (err) {
      done(err as WsFrameError);
      return;
    }
    if (out !== undefined) {
      this.deliver(out, isBinary, done);
      return;
    }
    codec.decompress(data).then((inflated) => this.deliver(inflated, isBinary, done), (err: WsFrameError) => done(err));
  }

  /** Inflated text is validated here: the reader never saw it uncompressed (1007 when invalid). */
  private deliver(out: Buffer, isBinary: boolean, done: Done): void {
    if (isBinary) done(null, out);
    else if (!isValidUtf8(out)) done(wsError('WS_ERR_INVALID_UTF8', 'Invalid UTF-8 sequence in a compressed text message'));
    else done(null, this.context.textAs === 'buffer' ? out : out.toString('utf8'));
  }

  encode(data: Uint8Array, _isBinary: boolean, compress: boolean | undefined, done: EncodeDone, fin = true): void {
    const codec = this.codec!;
    // The first part of a message decides for all its parts (RSV1 is on the first frame only).
    let compressed = this.streaming;
    if (compressed === null) compressed = compress !== false && codec.shouldCompress(data.length);
    this.streaming = fin ? null : compressed;
    if (!compressed) {
      done(null, data, false);
      return;
    }
    let out: Buffer | undefined;
    try {
      out = codec.compressNow(data, fin);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (out !== undefined) done(null, out, true);
    else codec.compress(data, fin).then((packed) => done(null, packed, true), (err: Error) => done(err));
  }

  /**
   * Whether this connection can take a compressed frame shared with other connections: permessage-
   * deflate is in use, our side resets after every message (server_no_context_takeover) and its
   * window can be honoured. Returns the window bits to compress with, or 0.
   */
  get sharedWindowBits(): number {
    const p = this.params;
    if (p === null || this.role !== 'server' || !p.serverNoContextTakeover || !this.codec!.canCompress) return 0;
    return p.serverMaxWindowBits;
  }

  /** The options this extension was created with (broadcast groups share a compressor per options). */
  get deflateOptions(): PerMessageDeflateOptions {
    return this.options;
  }

  /** Whether the peer negotiated permessage-deflate and our side can compress at all. */
  get compressing(): boolean {
    return this.codec !== null && this.codec.canCompress;
  }

  cleanup(): void {
    this.codec?.close();
  }
}

/** A factory for the `extensions` option of WebSocket / WebSocketServer. Throws on invalid options. */
export function perMessageDeflate(options: PerMessageDeflateOptions = {}): ExtensionFactory {
  validateDeflateOptions(options);
  return { name: EXTENSION_NAME, create: (role, context) => new DeflateExtension(role, options, context) };
}

const fromOption = new WeakMap<object, ExtensionFactory[]>();

/**
 * The extension factories of a connection's options: `perMessageDeflate` (true or options) first,
 * then `extensions`. Built once per options object, which also validates them at construction.
 */
export function extensionFactories(opts: { perMessageDeflate?: boolean | PerMessageDeflateOptions; extensions?: ExtensionFactory[] }): ExtensionFactory[] {
  const pmd = opts.perMessageDeflate;
  if (pmd === undefined || pmd === false) return opts.extensions ?? [];
  let list = fromOption.get(opts);
  if (list === undefined) {
    list = [perMessageDeflate(pmd === true ? {} : pmd), ...(opts.extensions ?? [])];
    fromOption.set(opts, list);
  }
  return list;
}
