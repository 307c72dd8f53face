/**
 * The plug for WebSocket extensions (RFC 6455 §9): negotiation in the opening handshake, then
 * per-message transforms. The connection layer knows nothing about any particular extension;
 * permessage-deflate (RFC 7692) is built on this interface.
 *
 * Contract with the codec: when a negotiated extension has `rsv1`, the connection creates its
 * FrameReader with `allowRsv1: true` and hands every message whose first frame had RSV1 to
 * `decode` (the reader's `onCompressedMessage`); outgoing messages go through `encode`, and a
 * `compressed: true` result is written with the writer's `compressed` send option (RSV1 set).
 */
import type { WsFrameError } from './errors.js';
import type { ExtensionOffer } from './handshake-headers.js';
import type { Role } from './frame-types.js';

export type { ExtensionOffer };

/** What an extension is told about the connection it is created for. */
export interface ExtensionContext {
  /** Largest message accepted, after decoding (bytes); bigger ones must fail with 1009. */
  maxPayload?: number;
  /** How text is delivered: a string (default) or the validated UTF-8 bytes. */
  textAs?: 'string' | 'buffer';
}

/** One negotiated extension on one connection. */
export interface Extension {
  /** The registered extension token, e.g. `permessage-deflate`. */
  readonly name: string;
  /** The extension gives RSV1 a meaning (the reader then accepts it on first frames). */
  readonly rsv1: boolean;
  /**
   * Server role: the client's offers for this extension, in the client's order. Returns the
   * parameters to answer with (the extension is then in use), or undefined to decline. Throwing
   * rejects the handshake with 400 (a malformed offer).
   */
  accept?(offers: ExtensionOffer[]): ExtensionOffer | undefined;
  /** Client role: the offers to send, in order of preference. */
  offer?(): ExtensionOffer[];
  /** Client role: the server's answer. Throwing fails the connection (unacceptable parameters). */
  accepted?(response: ExtensionOffer): void;
  /**
   * A received message whose first frame had RSV1. Must call `done` exactly once, and in call
   * order across messages; text must be validated (deliver a string, or bytes when asked).
   */
  decode(data: Uint8Array, isBinary: boolean, done: (err: WsFrameError | null, data?: string | Uint8Array) => void): void;
  /**
   * An outgoing message (`compress` is the per-message send option, undefined when not given).
   * Must call `done` exactly once, in call order; `compressed` says whether to set RSV1. `fin` is
   * false for a part of a message streamed with `send(data, { fin: false })`: the parts of one
   * message must all be compressed or all not (RSV1 goes on the first frame only).
   */
  encode(
    data: Uint8Array,
    isBinary: boolean,
    compress: boolean | undefined,
    done: (err: Error | null, payload?: Uint8Array, compressed?: boolean) => void,
    fin: boolean,
  ): void;
  /** The connection is gone: release buffers, streams and timers. */
  cleanup(): void;
}

/** Creates a fresh Extension per connection; passed as `extensions: [...]` to both roles. */
export interface ExtensionFactory {
  readonly name: string;
  create(role: Role, context?: ExtensionContext): Extension;
}
