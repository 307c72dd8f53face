/**
 * wsframe: a fast WebSocket (RFC 6455) codec for Node.js.
 *
 * This entry exposes the kernels (masking, UTF-8 validation), backend selection and the error
 * catalog. Each later layer (reader, writer, connections) is exported from here as it lands.
 */
export { mask, unmask, isValidUtf8, Utf8Validator, maskKeyFrom, rotateKey } from './kernels.js';
export type { MaskKey } from './kernels.js';
export { backendStatus, getBackend, useBackend, BACKEND_NAMES } from './select.js';
export type { BackendStatus, Tuning } from './select.js';
export type { Backend, BackendName } from './backend.js';
export { UTF8_ACCEPT, UTF8_REJECT } from './backend.js';
export { CloseCode, closeCodeFor, isWsFrameError, wsError } from './errors.js';
export type { ErrorCode, WsFrameError } from './errors.js';

import { active, chosenBy } from './select.js';

/** The backend the public functions use now: its name, inner code path and how it was chosen. */
export function activeBackend(): { name: 'native' | 'wasm' | 'js'; variant: string; chosenBy: 'auto' | 'env' | 'api' } {
  return { name: active.name, variant: active.variant, chosenBy };
}
export { FrameReader } from './reader.js';
export { isValidCloseCode } from './close-codes.js';
export { WebSocket, CONNECTING, OPEN, CLOSING, CLOSED } from './websocket.js';
export type { ClientOptions, ConnectionOptions, WsSendOptions, SendCallback, BinaryType } from './websocket.js';
export { WebSocketServer } from './server.js';
export type { ServerOptions, VerifyClientInfo, VerifyClientSync, VerifyClientAsync } from './server.js';
export { createAcceptKey } from './handshake-headers.js';
export type { ExtensionOffer } from './handshake-headers.js';
export type { Extension, ExtensionContext, ExtensionFactory } from './extension.js';
export { ConnectQueue } from './connect-queue.js';
export type { ProxyOptions } from './proxy.js';
export { FrameWriter } from './writer.js';
export type { MessageData } from './writer.js';
export { OPCODE } from './frame-types.js';
export type { Role, WriterOptions, SendOptions, EncodedFrames } from './frame-types.js';
export { prepare, PreparedFrame } from './prepare.js';
export type { PrepareOptions } from './prepare.js';
export { Broadcaster } from './broadcast.js';
export type { FrameSink, BroadcasterOptions, PublishOptions, BroadcastStats, SlowSubscriberPolicy } from './broadcast.js';
export { perMessageDeflate, DeflateExtension } from './deflate-extension.js';
export { PerMessageDeflate } from './permessage-deflate.js';
export type { PerMessageDeflateCodecOptions } from './permessage-deflate.js';
export { acceptDeflateOffer, acceptDeflateResponse, buildDeflateOffer, validateDeflateOptions } from './deflate-negotiation.js';
export type { DeflateParams, PerMessageDeflateOptions } from './deflate-negotiation.js';
export { setZlibConcurrency } from './zlib-limiter.js';
