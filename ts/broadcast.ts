/**
 * Broadcaster: topic-based publish/subscribe over byte sinks (a net.Socket is one), I/O-agnostic.
 *
 * Every subscriber of a topic receives the same bytes, so the broadcaster encodes each published
 * message once, appends it to the topic's batch for the current turn of the event loop, and at the
 * end of the turn writes the whole batch to each subscriber with ONE `write` call: the per-socket
 * cost (stream bookkeeping and a syscall, microseconds) is paid once per subscriber per turn, not
 * once per message. Batches are slices of a forward-only slab shared by all subscribers, so a
 * subscriber whose socket queues the batch holds a reference, not a copy.
 *
 * Order: each subscriber receives a topic's messages in publish order, and messages of different
 * topics in publish order too (a sink subscribed to several topics published in the same turn gets
 * the pieces in the order they were published). Call `flush()` before writing anything else to a
 * subscribed sink directly, so the direct write comes after what was published before it.
 *
 * Memory: a subscriber whose sink already holds more than `maxBufferedBytes` unwritten bytes is
 * dropped (policy 'close', default: unsubscribed from everything and destroyed) or misses that
 * turn's batch (policy 'skip': whole batches are skipped, never part of a frame). A turn's pending
 * batch is flushed early once it exceeds `maxPendingBytes`, so a publisher looping without
 * yielding cannot grow it without bound either.
 */
import { invalidArgType, outOfRange, wsError } from './errors.js';
import { OPCODE } from './frame-types.js';
import { Slab } from './frame-slab.js';
import { FIN, SLAB_BYTES_MAX, SLAB_SIZE, SLAB_TEXT_MAX_UNITS, appendServerBytes, appendServerText } from './frame-encode.js';
import { PreparedFrame, prepare } from './prepare.js';
import { bytesOf } from './writer.js';
import type { MessageData } from './writer.js';

/** Where frames go: anything with a stream-like `write` and a count of bytes not yet written. */
export interface FrameSink {
  write(chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  /** Bytes accepted by `write` and not yet handed to the OS. */
  readonly writableLength: number;
  cork?(): void;
  uncork?(): void;
  destroy?(err?: Error): void;
  readonly destroyed?: boolean;
}

export type SlowSubscriberPolicy = 'close' | 'skip';

export interface BroadcasterOptions {
  /**
   * Most unwritten bytes a subscriber's sink may hold before a batch is written to it. Default
   * 1 MiB. Because batches are shared, memory is bounded by about this much plus one turn's
   * batches in total, not per subscriber, for subscribers of the same topics.
   */
  maxBufferedBytes?: number;
  /** What to do with a subscriber over the limit: 'close' (default) or 'skip' (it misses the batch). */
  slowSubscriber?: SlowSubscriberPolicy;
  /**
   * Called for a subscriber over the limit, before the policy acts ('close': it has been
   * unsubscribed from everything and is destroyed right after this returns).
   */
  onSlowSubscriber?: (sink: FrameSink, topic: string, bufferedBytes: number) => void;
  /**
   * When pending batches are written: 'immediate' (default; `setImmediate`, once per turn of the
   * event loop, so everything published in a turn goes out together), 'microtask' (at the end of
   * the current callback) or 'manual' (only when `flush()` is called).
   */
  flush?: 'immediate' | 'microtask' | 'manual';
  /** Pending bytes of one turn after which `publish` flushes at once. Default 256 KiB. */
  maxPendingBytes?: number;
}

export interface PublishOptions {
  /** Binary frame (default for bytes) or text (default for strings). */
  binary?: boolean;
}

/** Counters, for monitoring and tests. */
export interface BroadcastStats {
  /** Messages published to a topic with at least one subscriber. */
  published: number;
  /** `write` calls made on sinks. */
  writes: number;
  /** Batches a subscriber missed under the 'skip' policy. */
  skipped: number;
  /** Subscribers dropped under the 'close' policy. */
  dropped: number;
}

class SinkState {
  readonly topics = new Set<TopicState>();
  /** Flush number in which `dirtyTopics` was last counted. */
  mark = 0;
  dirtyTopics = 0;
  constructor(readonly sink: FrameSink) {}
}

class TopicState {
  readonly subs = new Set<SinkState>();
  /** Closed pieces of this turn's batch, in publish order (each matches one entry of the log). */
  chunks: Uint8Array[] = [];
  /** The piece still growing in the current slab: [open, end), or open = -1. */
  open = -1;
  end = 0;
  pending = 0;
  dirty = false;
  batch: Uint8Array | undefined = undefined;
  constructor(readonly name: string) {}
}

const DEFAULT_MAX_BUFFERED = 1024 * 1024;
const DEFAULT_MAX_PENDING = 256 * 1024;

export class Broadcaster {
  readonly stats: BroadcastStats = { published: 0, writes: 0, skipped: 0, dropped: 0 };
  private readonly topics = new Map<string, TopicState>();
  private readonly sinks = new Map<FrameSink, SinkState>();
  private readonly slab = new Slab(SLAB_SIZE);
  private readonly maxBuffered: number;
  private readonly maxPending: number;
  private readonly skip: boolean;
  private readonly onSlow: BroadcasterOptions['onSlowSubscriber'];
  private readonly schedule: 'immediate' | 'microtask' | 'manual';
  /** Topics with something pending, in the order they were first published to this turn. */
  private dirty: TopicState[] = [];
  /** Which topic each piece of this turn belongs to, in publish order. */
  private log: TopicState[] = [];
  /** The topic the last frame was appended for, while its piece is still open. */
  private last: TopicState | undefined = undefined;
  private pendingBytes = 0;
  private scheduled = false;
  private flushCount = 0;
  private readonly flushNow = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(options: BroadcasterOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    this.maxBuffered = positive(options.maxBufferedBytes, DEFAULT_MAX_BUFFERED, 'options.maxBufferedBytes');
    this.maxPending = positive(options.maxPendingBytes, DEFAULT_MAX_PENDING, 'options.maxPendingBytes');
    const policy = options.slowSubscriber ?? 'close';
    if (policy !== 'close' && policy !== 'skip') {
      throw wsError('ERR_INVALID_ARG_VALUE', `The "slowSubscriber" option must be 'close' or 'skip'. Received ${String(policy)}`);
    }
    this.skip = policy === 'skip';
    if (options.onSlowSubscriber !== undefined && typeof options.onSlowSubscriber !== 'function') {
      throw invalidArgType('options.onSlowSubscriber', 'a function', options.onSlowSubscriber);
    }
    this.onSlow = options.onSlowSubscriber;
    const when = options.flush ?? 'immediate';
    if (when !== 'immediate' && when !== 'microtask' && when !== 'manual') {
      throw wsError('ERR_INVALID_ARG_VALUE', `The "flush" option must be 'immediate', 'microtask' or 'manual'. Received ${String(when)}`);
    }
    this.schedule = when;
  }

  /** Subscribes `sink` to `topic`; false if it already was. */
  subscribe(topic: string, sink: FrameSink): boolean {
    checkTopic(topic);
    if (sink === null || typeof sink !== 'object' || typeof sink.write !== 'function') {
      throw invalidArgType('sink', 'an object with a write() method (e.g. a net.Socket)', sink);
    }
    let t = this.topics.get(topic);
    if (t === undefined) {
      t = new TopicState(topic);
      this.topics.set(topic, t);
    }
    let s = this.sinks.get(sink);
    if (s === undefined) {
      s = new SinkState(sink);
      this.sinks.set(sink, s);
    }
    if (t.subs.has(s)) return false;
    t.subs.add(s);
    s.topics.add(t);
    return true;
  }

  /** Unsubscribes `sink` from `topic`; false if it was not subscribed. */
  unsubscribe(topic: string, sink: FrameSink): boolean {
    const t = this.topics.get(topic);
    const s = this.sinks.get(sink);
    if (t === undefined || s === undefined || !t.subs.delete(s)) return false;
    s.topics.delete(t);
    if (s.topics.size === 0) this.sinks.delete(sink);
    if (t.subs.size === 0 && !t.dirty) this.topics.delete(topic);
    return true;
  }

  /** Unsubscribes `sink` from every topic (call it when a connection closes). */
  unsubscribeAll(sink: FrameSink): void {
    const s = this.sinks.get(sink);
    if (s === undefined) return;
    this.sinks.delete(sink);
    for (const t of s.topics) {
      t.subs.delete(s);
      if (t.subs.size === 0 && !t.dirty) this.topics.delete(t.name);
    }
    s.topics.clear();
  }

  isSubscribed(topic: string, sink: FrameSink): boolean {
    const t = this.topics.get(topic);
    const s = this.sinks.get(sink);
    return t !== undefined && s !== undefined && t.subs.has(s);
  }

  subscriberCount(topic: string): number {
    return this.topics.get(topic)?.subs.size ?? 0;
  }

  /** The topics `sink` is subscribed to. */
  topicsOf(sink: FrameSink): string[] {
    const s = this.sinks.get(sink);
    return s === undefined ? [] : [...s.topics].map((t) => t.name);
  }

  /**
   * Publishes a message (encoded once, as a server frame) or a PreparedFrame to every subscriber
   * of `topic`, at the next flush. Returns the number of subscribers it will be written to (0: it
   * was not encoded at all). The data is copied when published: the caller may reuse it at once.
   */
  publish(topic: string, data: MessageData | PreparedFrame, opts?: PublishOptions): number {
    const t = this.topics.get(topic);
    if (t === undefined || t.subs.size === 0) {
      checkTopic(topic);
      if (!(data instanceof PreparedFrame) && typeof data !== 'string') bytesOf(data, 'data');
      return 0;
    }
    const binary = opts?.binary;
    if (typeof data === 'string' && binary !== true && data.length <= SLAB_TEXT_MAX_UNITS) {
      this.openFor(t, data.length * 3 + 4);
      appendServerText(this.slab, FIN | OPCODE.TEXT, data);
    } else {
      let frame: Uint8Array;
      if (data instanceof PreparedFrame) frame = data.bytes;
      else if (typeof data === 'string' || data.byteLength > SLAB_BYTES_MAX) frame = prepare(data, { binary }).bytes;
      else {
        this.openFor(t, data.byteLength + 4);
        appendServerBytes(this.slab, FIN | (binary === false ? OPCODE.TEXT : OPCODE.BINARY), bytesOf(data, 'data'));
        frame = EMPTY;
      }
      if (frame !== EMPTY) {
        if (frame.length <= SLAB_BYTES_MAX) {
          this.openFor(t, frame.length);
          this.slab.u8.set(frame, this.slab.pos);
          this.slab.pos += frame.length;
        } else {
          // A large frame joins the batch by reference (PreparedFrame bytes are never modified).
          this.closePiece(t);
          t.chunks.push(frame);
          this.log.push(t);
          this.last = undefined;
          t.pending += frame.length;
          this.pendingBytes += frame.length;
          this.published(t);
          return t.subs.size;
        }
      }
    }
    const grown = this.slab.pos - t.end;
    t.end = this.slab.pos;
    t.pending += grown;
    this.pendingBytes += grown;
    this.published(t);
    return t.subs.size;
  }

  /** Writes everything pending to the subscribers now. */
  flush(): void {
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    const log = this.log;
    this.dirty = [];
    this.log = [];
    this.last = undefined;
    this.pendingBytes = 0;
    for (const t of dirty) {
      this.closePiece(t);
      t.batch = t.chunks.length === 1 ? t.chunks[0] : Buffer.concat(t.chunks, t.pending);
    }
    // A sink that throws must not leave topics marked dirty forever (they would never flush again).
    try {
      if (dirty.length === 1) {
        const t = dirty[0];
        const batch = t.batch!;
        for (const s of t.subs) this.deliver(s, t, batch);
      } else {
        const flushId = ++this.flushCount;
        for (const t of dirty) {
          for (const s of t.subs) {
            if (s.mark !== flushId) {
              s.mark = flushId;
              s.dirtyTopics = 0;
            }
            s.dirtyTopics++;
          }
        }
        for (const t of dirty) {
          for (const s of t.subs) {
            if (s.dirtyTopics === 1) this.deliver(s, t, t.batch!);
            else if (s.dirtyTopics > 1) {
              s.dirtyTopics = 0; // written once, in publish order, for all its topics
              this.deliverInOrder(s, log);
            }
          }
        }
      }
    } finally {
      for (const t of dirty) {
        t.dirty = false;
        t.chunks = [];
        t.pending = 0;
        t.batch = undefined;
        if (t.subs.size === 0) this.topics.delete(t.name);
      }
    }
  }

  /** Bytes published this turn and not yet flushed. */
  get pending(): number {
    return this.pendingBytes;
  }

  /** Makes room for `bytes` in the slab and makes sure `t`'s open piece ends where they will go. */
  private openFor(t: TopicState, bytes: number): void {
    const slab = this.slab;
    if (slab.pos + bytes > slab.size) {
      // The slab is about to be replaced: every open piece becomes a view of the old one.
      for (const d of this.dirty) this.closePiece(d);
      this.last = undefined;
      slab.reserve(bytes);
    }
    if (this.last !== t) {
      this.closePiece(t);
      t.open = slab.pos;
      t.end = slab.pos;
      this.log.push(t);
      this.last = t;
    }
  }

  private closePiece(t: TopicState): void {
    if (t.open < 0) return;
    if (t.end > t.open) t.chunks.push(this.slab.view(t.open, t.end));
    else this.log.splice(this.log.lastIndexOf(t), 1); // an empty piece has no chunk: drop its log entry
    t.open = -1;
  }

  private published(t: TopicState): void {
    this.stats.published++;
    if (!t.dirty) {
      t.dirty = true;
      this.dirty.push(t);
    }
    if (this.pendingBytes >= this.maxPending) {
      this.flush();
      return;
    }
    if (!this.scheduled && this.schedule !== 'manual') {
      this.scheduled = true;
      if (this.schedule === 'immediate') setImmediate(this.flushNow);
      else queueMicrotask(this.flushNow);
    }
  }

  /** True when `s` may take `bytes` more; otherwise applies the slow-subscriber policy. */
  private admits(s: SinkState, t: TopicState, bytes: number): boolean {
    const sink = s.sink;
    if (sink.destroyed === true) {
      this.unsubscribeAll(sink);
      return false;
    }
    const buffered = sink.writableLength;
    if (buffered + bytes <= this.maxBuffered) return true;
    if (this.skip) {
      this.stats.skipped++;
      this.onSlow?.(sink, t.name, buffered);
      return false;
    }
    this.stats.dropped++;
    this.unsubscribeAll(sink);
    this.onSlow?.(sink, t.name, buffered);
    sink.destroy?.(wsError(
      'WS_ERR_SLOW_SUBSCRIBER',
      `Subscriber dropped: ${buffered} bytes were still unwritten (maxBufferedBytes is ${this.maxBuffered})`,
    ));
    return false;
  }

  private deliver(s: SinkState, t: TopicState, batch: Uint8Array): void {
    if (!this.admits(s, t, batch.length)) return;
    this.stats.writes++;
    s.sink.write(batch);
  }

  /** A sink subscribed to several topics published this turn: its pieces, in publish order. */
  private deliverInOrder(s: SinkState, log: TopicState[]): void {
    const pieces: Uint8Array[] = [];
    const next = new Map<TopicState, number>();
    let bytes = 0;
    for (const t of log) {
      const i = next.get(t) ?? 0;
      next.set(t, i + 1);
      if (!s.topics.has(t)) continue;
      pieces.push(t.chunks[i]);
      bytes += t.chunks[i].length;
    }
    if (!this.admits(s, log[0], bytes)) return;
    const sink = s.sink;
    sink.cork?.();
    for (const p of pieces) {
      this.stats.writes++;
      sink.write(p);
    }
    sink.uncork?.();
  }
}

const EMPTY = new Uint8Array(0);

function checkTopic(topic: unknown): void {
  if (typeof topic !== 'string') throw invalidArgType('topic', 'a string', topic);
}

function positive(value: number | undefined, dflt: number, name: string): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !(value > 0)) throw outOfRange(name, 'a number > 0', value);
  return value;
}
