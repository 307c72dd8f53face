/**
 * Every error wsframe raises is built here, with a stable `code` users can match on and, for
 * protocol violations, the RFC 6455 close code to send (`closeCode`). Codes that ws also defines
 * keep ws's name, so code written against ws's errors keeps working.
 */

/** Close codes of RFC 6455 §7.4.1 that wsframe sends or reports. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Reported locally when a close frame had no code; never sent. */
  NO_STATUS: 1005,
  /** Reported locally when the connection dropped without a close frame; never sent. */
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
} as const;

/** What each error code means and which close code it maps to (undefined: not a protocol error). */
const CATALOG = {
  // Arguments of public functions.
  ERR_INVALID_ARG_TYPE: { close: undefined, kind: 'type' },
  ERR_OUT_OF_RANGE: { close: undefined, kind: 'range' },
  ERR_INVALID_ARG_VALUE: { close: undefined, kind: 'type' },
  // Backend selection and loading.
  WSFRAME_ERR_BACKEND_UNAVAILABLE: { close: undefined, kind: 'error' },
  // Frame reader: RFC 6455 §5 violations (1002), bad data (1007), limits (1009).
  WS_ERR_INVALID_OPCODE: { close: 1002, kind: 'range' },
  WS_ERR_UNEXPECTED_RSV_1: { close: 1002, kind: 'range' },
  WS_ERR_UNEXPECTED_RSV_2_3: { close: 1002, kind: 'range' },
  WS_ERR_EXPECTED_FIN: { close: 1002, kind: 'range' },
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: { close: 1002, kind: 'range' },
  WS_ERR_EXPECTED_MASK: { close: 1002, kind: 'range' },
  WS_ERR_UNEXPECTED_MASK: { close: 1002, kind: 'range' },
  WS_ERR_UNEXPECTED_CONTINUATION: { close: 1002, kind: 'range' },
  WS_ERR_EXPECTED_CONTINUATION: { close: 1002, kind: 'range' },
  WS_ERR_INVALID_CLOSE_PAYLOAD: { close: 1002, kind: 'range' },
  WS_ERR_INVALID_CLOSE_CODE: { close: 1002, kind: 'range' },
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: { close: 1009, kind: 'range' },
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: { close: 1009, kind: 'range' },
  WS_ERR_TOO_MANY_FRAGMENTS: { close: 1009, kind: 'range' },
  WS_ERR_BUFFERED_LIMIT: { close: 1009, kind: 'range' },
  WS_ERR_INVALID_UTF8: { close: 1007, kind: 'error' },
  WS_ERR_INFLATE: { close: 1007, kind: 'error' },
  // Opening handshake (RFC 6455 §4) and connections.
  WS_ERR_INVALID_URL: { close: undefined, kind: 'syntax' },
  WS_ERR_HANDSHAKE_REQUEST: { close: undefined, kind: 'error' },
  WS_ERR_HANDSHAKE_RESPONSE: { close: undefined, kind: 'error' },
  WS_ERR_HANDSHAKE_STATUS: { close: undefined, kind: 'error' },
  WS_ERR_HANDSHAKE_ACCEPT: { close: undefined, kind: 'error' },
  WS_ERR_HANDSHAKE_PROTOCOL: { close: undefined, kind: 'error' },
  WS_ERR_HANDSHAKE_EXTENSION: { close: undefined, kind: 'error' },
  WS_ERR_HANDSHAKE_TIMEOUT: { close: undefined, kind: 'error' },
  WS_ERR_PROXY: { close: undefined, kind: 'error' },
  WS_ERR_CLOSED_BEFORE_OPEN: { close: undefined, kind: 'error' },
  WS_ERR_NOT_OPEN: { close: undefined, kind: 'error' },
  // Frame writer: arguments that cannot be sent (local errors, no close code).
  WS_ERR_CONTROL_TOO_LONG: { close: undefined, kind: 'range' },
  WS_ERR_INVALID_SEND_CLOSE_CODE: { close: undefined, kind: 'range' },
  WS_ERR_INVALID_CLOSE_REASON: { close: undefined, kind: 'range' },
  // Broadcaster: a subscriber that cannot keep up is dropped (1008, policy violation).
  WS_ERR_SLOW_SUBSCRIBER: { close: 1008, kind: 'error' },
  // permessage-deflate (RFC 7692): a malformed Sec-WebSocket-Extensions header (400 on a server),
  // a server response the client must fail the connection on, work submitted after close().
  WSFRAME_ERR_EXTENSIONS_HEADER: { close: undefined, kind: 'error' },
  WSFRAME_ERR_EXTENSION_NEGOTIATION: { close: undefined, kind: 'error' },
  WSFRAME_ERR_DEFLATE_CLOSED: { close: undefined, kind: 'error' },
} as const;

export type ErrorCode = keyof typeof CATALOG;

/** The close code an error code maps to, or undefined when it is not a protocol error. */
export function closeCodeFor(code: ErrorCode): number | undefined {
  return CATALOG[code].close;
}

export interface WsFrameErrorFields {
  /** Stable identifier, e.g. `WS_ERR_INVALID_UTF8`. */
  readonly code: ErrorCode;
  /** RFC 6455 close code to send for a protocol error (1002, 1007, 1009), otherwise undefined. */
  readonly closeCode: number | undefined;
}

export type WsFrameError = Error & WsFrameErrorFields;

/**
 * Builds the error for `code`. Argument errors are real TypeError / RangeError instances (what
 * Node's own APIs throw); protocol errors are RangeError or Error, as in ws.
 */
export function wsError(code: ErrorCode, message: string): WsFrameError {
  const entry = CATALOG[code];
  const err = (entry.kind === 'type'
    ? new TypeError(message)
    : entry.kind === 'range'
      ? new RangeError(message)
      : entry.kind === 'syntax'
        ? new SyntaxError(message)
        : new Error(message)) as Error & { code: ErrorCode; closeCode: number | undefined };
  err.code = code;
  err.closeCode = entry.close;
  return err;
}

/** True when `err` was raised by wsframe (has a wsframe error code). */
export function isWsFrameError(err: unknown): err is WsFrameError {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(CATALOG, code);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `type ${typeof value} (${String(value).slice(0, 32)})`;
}

export function invalidArgType(name: string, expected: string, actual: unknown): WsFrameError {
  return wsError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. Received ${describe(actual)}`);
}

export function outOfRange(name: string, range: string, actual: unknown): WsFrameError {
  return wsError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${String(actual)}`);
}
