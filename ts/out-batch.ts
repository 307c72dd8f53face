/**
 * The frames a connection has produced since its last socket write, written together by `flush`.
 * (Merging frames that lie back to back in the writer's slab was tried and dropped: the writer
 * aligns payloads to 4 bytes, so consecutive frames are 1-3 bytes apart and never merged, while
 * reading `.buffer` / `.byteOffset` on every frame cost more than the copy it could save.)
 */
export type SendCallback = (err?: Error | null) => void;

export class OutBatch {
  /** Total bytes queued (for bufferedAmount). */
  bytes = 0;
  frames: Uint8Array[] = [];
  callbacks: SendCallback[] = [];

  get empty(): boolean {
    return this.frames.length === 0;
  }

  add(frame: Uint8Array): void {
    this.bytes += frame.length;
    this.frames.push(frame);
  }

  /** The queued frames in order; the batch is then empty (callbacks stay). */
  take(): Uint8Array[] {
    const out = this.frames;
    this.frames = [];
    this.bytes = 0;
    return out;
  }
}
