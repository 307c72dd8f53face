/**
 * Publish/subscribe with permessage-deflate. With server context takeover every connection's
 * inflater holds that connection's own history, so one compressed frame cannot be shared; with
 * server_no_context_takeover every message starts from an empty window and the same compressed
 * bytes are valid for every such connection. So each subscriber is routed by what it negotiated:
 *
 * - no permessage-deflate (or a window zlib cannot honour): the topic itself, one uncompressed frame
 *   shared by all (the Broadcaster's normal path);
 * - permessage-deflate with server_no_context_takeover: a hidden group topic per (topic, window bits,
 *   options), fed one frame compressed once per publish and shared by the whole group;
 * - permessage-deflate with context takeover: no sharing is possible; each publish is sent through
 *   the connection's own compressor (its `send`), which keeps its history and its order.
 *
 * The Broadcaster stays unaware of compression: it sees the group topics as ordinary topics, so its
 * batching, ordering across topics and slow-subscriber policy apply to compressed frames too.
 */
import type { Broadcaster, FrameSink, PublishOptions } from './broadcast.js';
import { PreparedFrame, prepare } from './prepare.js';
import { bytesOf } from './writer.js';
import type { MessageData } from './writer.js';
import type { Extension } from './extension.js';
import { DeflateExtension } from './deflate-extension.js';
import type { DeflateParams, PerMessageDeflateOptions } from './deflate-negotiation.js';
import { PerMessageDeflate } from './permessage-deflate.js';

/** Sends one published message through a connection's own compressor (context takeover). */
export type OwnDelivery = (data: MessageData | PreparedFrame, opts: PublishOptions | undefined) => void;

interface Group {
  readonly topic: string;
  readonly compressor: PerMessageDeflate;
  readonly threshold: number;
}

interface Routes {
  /** topic → its compressed group topics (name → group). */
  groups: Map<string, Map<string, Group>>;
  /** topic → subscribers that compress for themselves. */
  own: Map<string, Map<FrameSink, OwnDelivery>>;
}

const routesOf = new WeakMap<Broadcaster, Routes>();
const SEP = '\u0000permessage-deflate:';

// One compressor per (window bits, options object): connections of one server share options.
const optionIds = new WeakMap<PerMessageDeflateOptions, number>();
let nextOptionId = 1;
const compressors = new Map<string, PerMessageDeflate>();

function routes(b: Broadcaster): Routes {
  let r = routesOf.get(b);
  if (r === undefined) routesOf.set(b, (r = { groups: new Map(), own: new Map() }));
  return r;
}

function groupFor(r: Routes, topic: string, ext: DeflateExtension, bits: number): Group {
  const options = ext.deflateOptions;
  let id = optionIds.get(options);
  if (id === undefined) optionIds.set(options, (id = nextOptionId++));
  const name = `${topic}${SEP}${bits}:${id}`;
  let byName = r.groups.get(topic);
  if (byName === undefined) r.groups.set(topic, (byName = new Map()));
  let group = byName.get(name);
  if (group === undefined) {
    const key = `${bits}:${id}`;
    let compressor = compressors.get(key);
    if (compressor === undefined) {
      const params: DeflateParams = { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: bits, clientMaxWindowBits: 15 };
      compressors.set(key, (compressor = new PerMessageDeflate('server', params, options)));
    }
    byName.set(name, (group = { topic: name, compressor, threshold: options.threshold ?? 1024 }));
  }
  return group;
}

type Route = { kind: 'plain' } | { kind: 'shared'; group: Group } | { kind: 'own' };

function routeOf(r: Routes, topic: string, codec: Extension | undefined): Route {
  if (!(codec instanceof DeflateExtension) || !codec.compressing) return { kind: 'plain' };
  const bits = codec.sharedWindowBits;
  return bits === 0 ? { kind: 'own' } : { kind: 'shared', group: groupFor(r, topic, codec, bits) };
}

/** Subscribes a connection (`sink` is its socket, `codec` its RSV1 extension) to `topic`. */
export function subscribeRouted(b: Broadcaster, topic: string, sink: FrameSink, codec: Extension | undefined, own: OwnDelivery): boolean {
  const r = routes(b);
  const route = routeOf(r, topic, codec);
  if (route.kind === 'plain') return b.subscribe(topic, sink);
  if (route.kind === 'shared') return b.subscribe(route.group.topic, sink);
  let subs = r.own.get(topic);
  if (subs === undefined) r.own.set(topic, (subs = new Map()));
  if (subs.has(sink)) return false;
  subs.set(sink, own);
  return true;
}

export function unsubscribeRouted(b: Broadcaster, topic: string, sink: FrameSink): boolean {
  const r = routes(b);
  if (b.unsubscribe(topic, sink)) return true;
  for (const name of r.groups.get(topic)?.keys() ?? []) if (b.unsubscribe(name, sink)) return true;
  const subs = r.own.get(topic);
  if (subs?.delete(sink) !== true) return false;
  if (subs.size === 0) r.own.delete(topic);
  return true;
}

export function unsubscribeAllRouted(b: Broadcaster, sink: FrameSink): void {
  b.unsubscribeAll(sink);
  const r = routes(b);
  for (const [topic, subs] of r.own) if (subs.delete(sink) && subs.size === 0) r.own.delete(topic);
}

/** The user-visible topics of `sink` (group topics mapped back to their topic). */
export function topicsOfRouted(b: Broadcaster, sink: FrameSink): string[] {
  const out = new Set<string>();
  for (const t of b.topicsOf(sink)) {
    const at = t.indexOf(SEP);
    out.add(at === -1 ? t : t.slice(0, at));
  }
  for (const [topic, subs] of routes(b).own) if (subs.has(sink)) out.add(topic);
  return [...out];
}

export function isSubscribedRouted(b: Broadcaster, topic: string, sink: FrameSink): boolean {
  return topicsOfRouted(b, sink).includes(topic);
}

/**
 * Publishes to every subscriber of `topic` by route: the shared uncompressed frame, one compressed
 * frame per group (compressed once, synchronously, so publish order holds), and a `send` through
 * each own-compressor subscriber. Returns the number of subscribers reached.
 */
export function publishRouted(b: Broadcaster, topic: string, data: MessageData | PreparedFrame, opts?: PublishOptions): number {
  let n = b.publish(topic, data, opts);
  const r = routesOf.get(b);
  if (r === undefined) return n;
  const groups = r.groups.get(topic);
  if (groups !== undefined) {
    const isPrepared = data instanceof PreparedFrame;
    let bytes: Uint8Array | string | undefined;
    for (const group of groups.values()) {
      if (b.subscriberCount(group.topic) === 0) continue;
      if (isPrepared) {
        n += b.publish(group.topic, data, opts);
        continue;
      }
      bytes ??= typeof data === 'string' ? data : bytesOf(data, 'data');
      const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
      if (size < group.threshold) {
        n += b.publish(group.topic, data, opts);
        continue;
      }
      const binary = opts?.binary ?? typeof data !== 'string';
      const frame = prepare(group.compressor.compressSync(bytes), { binary, compressed: true });
      n += b.publish(group.topic, frame);
    }
  }
  const own = r.own.get(topic);
  if (own !== undefined) {
    for (const deliver of own.values()) deliver(data, opts);
    n += own.size;
  }
  return n;
}

/** A message the connection is still encoding (compressing), or a frame waiting behind one. */
export interface PendingSlot {
  ready: boolean;
  frames?: Uint8Array | Uint8Array[];
  cb?: (err?: Error | null) => void;
}

/**
 * The sink a connection with a compressing extension subscribes with: it writes to the socket,
 * except while a message sent before is still being compressed, when the published frame waits in
 * the connection's queue behind it. Without this, a large `send` compressed on the thread pool would
 * be overtaken by frames published after it.
 */
export function orderedSink(socket: FrameSink, pending: () => PendingSlot[]): FrameSink {
  return {
    write(chunk, cb) {
      const queue = pending();
      if (queue.length === 0) return socket.write(chunk, cb);
      queue.push({ ready: true, frames: chunk, cb: cb === undefined ? undefined : (err) => cb(err) });
      return true;
    },
    get writableLength() {
      return socket.writableLength;
    },
    cork: () => socket.cork?.(),
    uncork: () => socket.uncork?.(),
    destroy: (err) => socket.destroy?.(err),
    get destroyed() {
      return socket.destroyed;
    },
  };
}
