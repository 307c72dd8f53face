/**
 * Synchronous steps on a live zlib stream, for small messages. A round trip through libuv's thread
 * pool costs ≈ 150 µs on this project's machine while deflating and inflating a 1 KiB JSON message
 * takes ≈ 60 µs in total, so small jobs run inline. Node has no public API for a synchronous step on
 * a stream that keeps its state (the `*Sync` functions and `_processChunk` close the stream), so this
 * drives the stream's own handle (`_handle.writeSync`, results in `_writeState`), the loop Node's
 * processChunkSync runs, minus the close. That is Node-internal: it is feature-detected and checked
 * against zlib's one-shot functions once; when either fails every job takes the asynchronous path.
 */
import * as zlib from 'node:zlib';

interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
}
interface ZlibInternals {
  _handle: ZlibHandle | null;
  _writeState: Uint32Array;
  destroyed: boolean;
}

const SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;
// Output lands here and is copied out at its exact size: no 16 KiB slab per message is retained.
const scratch = Buffer.allocUnsafe(64 * 1024);

/** What a synchronous step produced: output pieces and their total, or the reason it stopped. */
export interface SyncResult {
  parts: Buffer[];
  total: number;
  /** 'limit': output passed `limit` (the stream is mid-message and must be dropped); 'error': zlib rejected the data. */
  stop: 'limit' | 'error' | null;
}

/**
 * Feeds `input` to `z` with a sync flush and collects the output, appending to `acc`. Stops with
 * 'limit' as soon as the total passes `limit` (at most one scratch buffer later), or 'error' when
 * zlib fails (Node then destroys the stream).
 */
export function stepSync(z: zlib.DeflateRaw | zlib.InflateRaw, input: Uint8Array, limit: number, acc: SyncResult): SyncResult {
  const s = z as unknown as ZlibInternals;
  const state = s._writeState;
  let inOff = 0;
  let inLen = input.length;
  for (;;) {
    const handle = s._handle;
    if (handle === null || s.destroyed) {
      acc.stop = 'error';
      return acc;
    }
    handle.writeSync(SYNC_FLUSH, input, inOff, inLen, scratch, 0, scratch.length);
    if (s.destroyed) {
      acc.stop = 'error';
      return acc;
    }
    const outLeft = state[0];
    const inLeft = state[1];
    const have = scratch.length - outLeft;
    if (have > 0) {
      acc.total += have;
      if (acc.total > limit) {
        acc.stop = 'limit';
        return acc;
      }
      const piece = Buffer.allocUnsafe(have);
      scratch.copy(piece, 0, 0, have);
      acc.parts.push(piece);
    }
    inOff += inLen - inLeft;
    inLen = inLeft;
    // zlib filled the whole buffer: there may be more output; otherwise the flush is complete.
    if (outLeft !== 0) return acc;
  }
}

let available: boolean | undefined;

/** Whether synchronous steps work on this Node (checked once: internals present, output correct). */
export function syncAvailable(): boolean {
  if (available === undefined) available = selfTest();
  return available;
}

/** For tests: force the asynchronous path (false) or re-detect (undefined). */
export function setSyncAvailable(value: boolean | undefined): void {
  available = value;
}

function selfTest(): boolean {
  try {
    const text = Buffer.from('permessage-deflate self-test '.repeat(40));
    const d = zlib.createDeflateRaw();
    const i = zlib.createInflateRaw();
    const internals = d as unknown as ZlibInternals;
    if (typeof internals._handle?.writeSync !== 'function' || !(internals._writeState instanceof Uint32Array)) return false;
    const c = stepSync(d, text, Infinity, { parts: [], total: 0, stop: null });
    const packed = Buffer.concat(c.parts);
    const ok1 = c.stop === null && zlib.inflateRawSync(packed, { finishFlush: SYNC_FLUSH }).equals(text);
    const r = stepSync(i, packed, Infinity, { parts: [], total: 0, stop: null });
    const ok2 = r.stop === null && Buffer.concat(r.parts).equals(text);
    d.close();
    i.close();
    return ok1 && ok2;
  } catch {
    return false;
  }
}
