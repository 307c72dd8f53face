/**
 * Bump allocation of frame bytes. Encoded frames are written into a large slab and handed out as
 * views; a byte handed out is never written again (the slab only moves forward, and a full slab is
 * replaced, not recycled), so a frame stays valid however long a socket queues it. This trades a
 * per-frame allocation (~70-80 ns for `Buffer.allocUnsafe`) for a view (~25 ns), and gives a
 * slab-wide Int32Array so masking words needs no per-frame typed-array view (~100 ns each).
 */

/**
 * A Buffer view over slab memory, constructed the way Node builds its own pooled Buffers
 * (a Uint8Array subclass whose prototype chain includes Buffer.prototype): `Buffer.isBuffer` is
 * true and sockets write it without converting it, at half the cost of `Buffer.from(ab, off, len)`.
 */
class SlabBuffer extends Uint8Array {
  // Explicit, like Node's FastBuffer: a default derived constructor forwards `...args`.
  constructor(ab: ArrayBuffer, offset?: number, length?: number) {
    super(ab, offset, length);
  }
}
Object.setPrototypeOf(SlabBuffer.prototype, Buffer.prototype);

/**
 * A Buffer with Node's `utf8Write(string, offset, maxBytes)`: what `buf.write(string, offset)`
 * calls after parsing its optional arguments, and ~40% cheaper than it for short strings. It is not
 * documented but has existed in every Node release; it writes whole characters only and returns
 * the bytes written.
 */
export type SlabBytes = Buffer & { utf8Write(str: string, offset: number, maxBytes: number): number };

export { LITTLE_ENDIAN } from './bytes.js';

export class Slab {
  /** The current slab: bytes (a Buffer), the same memory as 32-bit words, and the first free byte. */
  u8: SlabBytes;
  i32: Int32Array;
  pos = 0;
  private ab: ArrayBuffer;

  constructor(readonly size: number) {
    this.ab = this.u8 = undefined as never;
    this.i32 = undefined as never;
    this.replace(0);
  }

  /** Makes sure `bytes` are free from `pos` on, moving to a fresh slab if they are not. */
  reserve(bytes: number): void {
    // Tiny so that V8 inlines it into every writer; the replacement is the cold path.
    if (this.pos + bytes > this.size) this.replace(bytes);
  }

  private replace(bytes: number): void {
    if (bytes > this.size) throw new RangeError(`wsframe: ${bytes} bytes do not fit a ${this.size}-byte slab`);
    // Uninitialised memory (no 64 KiB memset per slab): only bytes that were written are ever
    // handed out (gaps between aligned frames and word-masking spill stay outside every view).
    const buf = Buffer.allocUnsafeSlow(this.size);
    this.ab = buf.buffer as ArrayBuffer;
    this.u8 = new SlabBuffer(this.ab, 0, this.size) as SlabBytes;
    this.i32 = new Int32Array(this.ab, 0, this.size >>> 2);
    this.pos = 0;
  }

  /** Bytes [start, end) of the current slab as a Buffer. */
  view(start: number, end: number): Buffer {
    return new SlabBuffer(this.ab, start, end - start) as unknown as Buffer;
  }
}

/** A Buffer view of any memory, without the cost of `Buffer.from(arrayBuffer, offset, length)`. */
export function bufferView(ab: ArrayBufferLike, offset: number, length: number): Buffer {
  return new SlabBuffer(ab as ArrayBuffer, offset, length) as unknown as Buffer;
}
