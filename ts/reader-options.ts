/**
 * The reader's options with defaults applied and checked once, at construction: limits must be
 * positive integers, so the hot path compares plain numbers.
 */
import { invalidArgType, outOfRange } from './errors.js';
import type { ReaderHandlers, ReaderOptions } from './frame-types.js';
import { checkRole } from './frame-types.js';

/** 100 MiB, ws's default maxPayload. */
export const DEFAULT_MAX_MESSAGE_SIZE = 100 * 1024 * 1024;
export const DEFAULT_MAX_FRAGMENTS = 65536;
/** The longest frame header: 2 bytes, 8 of extended length, 4 of masking key. */
export const MAX_HEADER = 14;

export interface ResolvedReaderOptions {
  server: boolean;
  allowRsv1: boolean;
  textAsString: boolean;
  maxMessageSize: number;
  maxFragments: number;
  maxBufferedBytes: number;
}

function limit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > Number.MAX_SAFE_INTEGER) {
    throw outOfRange(name, `an integer >= 1 and <= ${Number.MAX_SAFE_INTEGER}`, value);
  }
  return value;
}

export function resolveReaderOptions(options: ReaderOptions, handlers: ReaderHandlers): ResolvedReaderOptions {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  checkRole(options.role, 'options.role');
  if (options.textAs !== undefined && options.textAs !== 'string' && options.textAs !== 'bytes') {
    throw invalidArgType('options.textAs', "'string' or 'bytes'", options.textAs);
  }
  if (handlers === null || typeof handlers !== 'object') throw invalidArgType('handlers', 'an object', handlers);
  for (const name of ['onMessage', 'onPing', 'onPong', 'onClose', 'onError'] as const) {
    if (typeof handlers[name] !== 'function') throw invalidArgType(`handlers.${name}`, 'a function', handlers[name]);
  }
  const allowRsv1 = options.allowRsv1 === true;
  if (allowRsv1 && typeof handlers.onCompressedMessage !== 'function') {
    throw invalidArgType('handlers.onCompressedMessage', 'a function when allowRsv1 is set', handlers.onCompressedMessage);
  }
  const maxMessageSize = limit('options.maxMessageSize', options.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE);
  return {
    server: options.role === 'server',
    allowRsv1,
    textAsString: options.textAs !== 'bytes',
    maxMessageSize,
    maxFragments: limit('options.maxFragments', options.maxFragments, DEFAULT_MAX_FRAGMENTS),
    maxBufferedBytes: limit('options.maxBufferedBytes', options.maxBufferedBytes, maxMessageSize + MAX_HEADER),
  };
}
