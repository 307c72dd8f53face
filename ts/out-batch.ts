/**
 * The frames a connection has produced since its last socket write. Frames the writer carved back
 * to back from one slab are merged into a single range without creating a view per frame (a
 * typed-array view costs ≈ 100 ns here); `take` materialises each range once, as a Buffer.
 */
import { bufferView } from './frame-slab.js';

export type SendCallback = (err?: Error | null) => void;

export class OutBatch {
  /** Total bytes queued (for bufferedAmount). */
  bytes = 0;
  callbacks: SendCallback[] = [];
  private done: Uint8Array[] = [];
  // The contiguous range at the tail: its memory, bounds, and its first frame (reused when alone).
  private runBuf: ArrayBufferLike | null = null;
  private runFirst: Uint8Array | null = null;
  private runStart = 0;
  private runEnd = 0;

  get empty(): boolean {
    return this.runFirst === null;
  }

  add(frame: Uint8Array): void {
    const len = frame.byteLength;
    this.bytes += len;
    const off = frame.byteOffset;
    if (frame.buffer === this.runBuf && off === this.runEnd) {
      this.runEnd = off + len;
      return;
    }
    if (this.runFirst !== null) this.done.push(this.materialise());
    this.runBuf = frame.buffer;
    this.runFirst = frame;
    this.runStart = off;
    this.runEnd = off + len;
  }

  /** The queued bytes as buffers to write in order; the batch is then empty (callbacks stay). */
  take(): Uint8Array[] {
    const out = this.done;
    if (this.runFirst !== null) out.push(this.materialise());
    this.done = [];
    this.runBuf = null;
    this.runFirst = null;
    this.bytes = 0;
    return out;
  }

  private materialise(): Uint8Array {
    const first = this.runFirst!;
    return this.runEnd - this.runStart === first.byteLength ? first : bufferView(this.runBuf!, this.runStart, this.runEnd - this.runStart);
  }
}
