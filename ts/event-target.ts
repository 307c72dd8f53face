/**
 * The browser-style surface of a WebSocket (WHATWG): addEventListener / removeEventListener and
 * the onopen / onmessage / onclose / onerror attributes, layered over the EventEmitter events.
 * Only built when used, so the EventEmitter path pays nothing for it.
 */
import type { EventEmitter } from 'node:events';

export type WsEventType = 'open' | 'message' | 'close' | 'error';

/** What listeners receive: `type`, `target` and the fields of the event's kind. */
export interface WsEvent {
  type: WsEventType;
  target: unknown;
  /** message */
  data?: unknown;
  isBinary?: boolean;
  /** close */
  code?: number;
  reason?: string;
  wasClean?: boolean;
  /** error */
  error?: unknown;
  message?: string;
}

export type WsEventListener = ((event: WsEvent) => void) | { handleEvent(event: WsEvent): void };

const WRAPPED = Symbol('wsframe.listener');
const ATTRIBUTE = Symbol('wsframe.onAttribute');

type Wrapper = ((...args: unknown[]) => void) & { [WRAPPED]?: WsEventListener; [ATTRIBUTE]?: boolean };

function makeEvent(type: WsEventType, target: unknown, args: unknown[]): WsEvent {
  switch (type) {
    case 'message':
      return { type, target, data: args[0], isBinary: args[1] as boolean };
    case 'close': {
      const reason = args[1];
      return { type, target, code: args[0] as number, reason: String(reason ?? ''), wasClean: (args[2] as boolean | undefined) ?? args[0] !== 1006 };
    }
    case 'error': {
      const err = args[0] as Error | undefined;
      return { type, target, error: err, message: err?.message ?? '' };
    }
    default:
      return { type, target };
  }
}

/** Adds `listener` for `type` (once when asked); the same listener is not added twice. */
export function addEventListener(emitter: EventEmitter, type: WsEventType, listener: WsEventListener, once = false, attribute = false): void {
  if (typeof listener !== 'function' && (typeof listener !== 'object' || listener === null)) return;
  for (const l of emitter.rawListeners(type) as Wrapper[]) {
    if (l[WRAPPED] === listener && !l[ATTRIBUTE] && !attribute) return;
  }
  const wrapper: Wrapper = function (this: unknown, ...args: unknown[]): void {
    const event = makeEvent(type, emitter, args);
    if (typeof listener === 'function') listener.call(emitter, event);
    else listener.handleEvent(event);
  };
  wrapper[WRAPPED] = listener;
  wrapper[ATTRIBUTE] = attribute;
  if (once) emitter.once(type, wrapper);
  else emitter.on(type, wrapper);
}

export function removeEventListener(emitter: EventEmitter, type: WsEventType, listener: WsEventListener): void {
  for (const l of emitter.rawListeners(type) as Array<Wrapper & { listener?: Wrapper }>) {
    const w = l.listener ?? l;
    if (w[WRAPPED] === listener && !w[ATTRIBUTE]) {
      emitter.removeListener(type, l as (...args: unknown[]) => void);
      return;
    }
  }
}

/** The current `on<type>` attribute handler, or null. */
export function getAttribute(emitter: EventEmitter, type: WsEventType): WsEventListener | null {
  for (const l of emitter.rawListeners(type) as Wrapper[]) if (l[ATTRIBUTE]) return l[WRAPPED] ?? null;
  return null;
}

/** Sets `on<type>`: replaces the previous attribute handler; null removes it. */
export function setAttribute(emitter: EventEmitter, type: WsEventType, handler: WsEventListener | null): void {
  for (const l of emitter.rawListeners(type) as Wrapper[]) {
    if (l[ATTRIBUTE]) emitter.removeListener(type, l as (...args: unknown[]) => void);
  }
  if (typeof handler === 'function') addEventListener(emitter, type, handler, false, true);
}
