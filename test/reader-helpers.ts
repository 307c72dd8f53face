/**
 * Drives a FrameReader over a byte stream cut at given points, through `push` (copies of the
 * pieces: push takes its chunk over) or through `receiveBuffer`/`received` (the socket path), and
 * records its events in the oracle's format (test/oracle.ts) so logs compare one to one.
 */
import { FrameReader } from '../ts/reader.js';
import type { ReaderOptions } from '../ts/frame-types.js';
import type { WsFrameError } from '../ts/errors.js';
import type { OracleEvent } from './oracle.js';

export type Path = 'push' | 'receive';
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export function recorder(opts: ReaderOptions): { reader: FrameReader; events: OracleEvent[]; errors: WsFrameError[] } {
  const events: OracleEvent[] = [];
  const errors: WsFrameError[] = [];
  const reader = new FrameReader(opts, {
    onMessage: (data, isBinary) => {
      if (isBinary) events.push(['binary', hex(data as Uint8Array)]);
      else events.push(['text', typeof data === 'string' ? data : Buffer.from(data).toString('utf8')]);
    },
    onCompressedMessage: (data, isBinary) => events.push(['compressed', isBinary, hex(data)]),
    onPing: (p) => events.push(['ping', hex(p)]),
    onPong: (p) => events.push(['pong', hex(p)]),
    onClose: (code, reason) => events.push(['close', code, reason]),
    onError: (err) => {
      errors.push(err);
      events.push(['error', err.closeCode ?? -1, err.code]);
    },
  });
  return { reader, events, errors };
}

/** Feeds `stream[cuts[i-1], cuts[i])` in turn (cuts ascending, last = length) and returns the events. */
export function feed(stream: Uint8Array, opts: ReaderOptions, cuts: number[], path: Path = 'push'): OracleEvent[] {
  const { reader, events } = recorder(opts);
  let p = 0;
  for (const c of cuts) {
    if (path === 'push') {
      reader.push(stream.slice(p, c));
    } else {
      // The socket reads at most the receive buffer's size at a time.
      let q = p;
      while (q < c) {
        const into = reader.receiveBuffer();
        const n = Math.min(into.length, c - q);
        into.set(stream.subarray(q, q + n));
        reader.received(n);
        q += n;
      }
    }
    p = c;
  }
  return events;
}

export const whole = (n: number) => [n];
export const bytewise = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
/** Every way of cutting the stream in two (and the whole stream). */
export const twoPieceSplits = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? [n] : [i, n]));
