/**
 * The reader fuzzer's moving parts, shared by the short CI run (test/fuzz-reader.test.ts, against
 * ts/) and the long run (scripts/fuzz.mjs, against the built dist/cjs): case generation from a
 * seeded PRNG, event recording with the invariant checks, and the differential comparison.
 *
 * The reader class is passed in rather than imported, so the same code drives either build.
 *
 * Invariants checked for every input, backend and feeding path:
 * - no exception escapes push / receiveBuffer / received;
 * - nothing is delivered after an error or a close frame;
 * - `bufferedBytes` after every chunk stays within maxBufferedBytes + 125 (one control frame may
 *   arrive while a fragmented message is held);
 * - the events equal the oracle's (test/oracle.ts), whatever the chunking, on every backend and
 *   path. One deliberate divergence: the oracle has no maxBufferedBytes, so when that limit is set
 *   the reader may instead stop early with WS_ERR_BUFFERED_LIMIT (1009): its events must then be a
 *   prefix of the oracle's followed by that error, and identical across backends and paths.
 */
import { mutate, oracle, randomSplits, randomValidStream, buildFrame } from './oracle.js';
import type { OracleEvent } from './oracle.js';
import { randomBytes } from './reference.js';

/** The structural view of FrameReader the fuzzer needs (ts/reader.ts or dist/cjs). */
export interface FuzzReader {
  push(chunk: Uint8Array): void;
  receiveBuffer(): Uint8Array;
  received(n: number): void;
  readonly bufferedBytes: number;
}
export type FuzzReaderClass = new (options: FuzzOptions & { backend?: string }, handlers: FuzzHandlers) => FuzzReader;

export interface FuzzOptions {
  role: 'server' | 'client';
  maxMessageSize?: number;
  maxFragments?: number;
  maxBufferedBytes?: number;
  allowRsv1?: boolean;
  textAs?: 'string' | 'bytes';
}

interface FuzzHandlers {
  onMessage(data: string | Uint8Array, isBinary: boolean): void;
  onCompressedMessage(data: Uint8Array, isBinary: boolean): void;
  onPing(p: Uint8Array): void;
  onPong(p: Uint8Array): void;
  onClose(code: number, reason: string): void;
  onError(err: Error & { code: string; closeCode?: number }): void;
}

export type Kind = 'valid' | 'mutated' | 'random' | 'limits';
export type Path = 'push' | 'receive';

export interface FuzzCase {
  kind: Kind;
  stream: Uint8Array;
  opts: FuzzOptions;
  /** Chunk ends, ascending, the last one = stream length. */
  cuts: number[];
}

/** Slack above maxBufferedBytes: a control frame's payload received while fragments are held. */
export const CONTROL_SLACK = 125;

/**
 * Valid UTF-8 of about `n` bytes (mostly ASCII, every sequence length), encoded directly: the
 * fuzzer makes millions of these, test/reference.ts's randomUtf8 is written for clarity instead.
 */
export function fastUtf8(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n + 3);
  let i = 0;
  while (i < n) {
    const r = rand();
    if (r < 0.8) {
      out[i++] = (r * 160) | 0; // < 0x80
    } else if (r < 0.87) {
      const cp = 0x80 + ((rand() * 0x780) | 0);
      out[i++] = 0xc0 | (cp >> 6); out[i++] = 0x80 | (cp & 63);
    } else if (r < 0.95) {
      let cp = 0x800 + ((rand() * 0xf800) | 0);
      if (cp >= 0xd800 && cp <= 0xdfff) cp -= 0x800;
      out[i++] = 0xe0 | (cp >> 12); out[i++] = 0x80 | ((cp >> 6) & 63); out[i++] = 0x80 | (cp & 63);
    } else {
      const cp = 0x10000 + ((rand() * 0x100000) | 0);
      out[i++] = 0xf0 | (cp >> 18); out[i++] = 0x80 | ((cp >> 12) & 63); out[i++] = 0x80 | ((cp >> 6) & 63); out[i++] = 0x80 | (cp & 63);
    }
  }
  return out.subarray(0, i);
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

// ---------------------------------------------------------------------------------------------
// Case generation.

/** A header claiming a length near a limit (2^63-1, 2^53, 2^32, 2^16-1...), masked or not. */
function extremeHeader(rand: () => number, masked: boolean): Uint8Array {
  const lens: number[][] = [
    [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // 2^63 - 1
    [0x80, 0, 0, 0, 0, 0, 0, 0], // MSB set
    [0, 0x20, 0, 0, 0, 0, 0, 0], // 2^53
    [0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // 2^53 - 1
    [0, 0, 0, 1, 0, 0, 0, 0], // 2^32
    [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
    [0, 0, 0, 0, 0, 0, 0xff, 0xff],
  ];
  const ext = lens[(rand() * lens.length) | 0];
  const op = [0, 1, 2, 8, 9, 10][(rand() * 6) | 0];
  const head = [0x80 | op, (masked ? 0x80 : 0) | 127, ...ext];
  if (masked) head.push(1, 2, 3, 4);
  return new Uint8Array(head);
}

function joinBytes(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * One fuzz input from `rand`: a valid stream, a mutated one (1-3 moves of test/oracle.ts's mutate),
 * random bytes (often behind a valid prefix so the reader gets past the first header), or a stream
 * aimed at the limits (tiny-fragment floods, huge length claims, small configured limits).
 */
export function makeCase(rand: () => number): FuzzCase {
  const role = rand() < 0.5 ? 'server' : 'client';
  const masked = role === 'server';
  const opts: FuzzOptions = { role };
  // Mostly short frames (many frames per input); now and then 16- and 64-bit lengths.
  const small = rand() < 0.99;
  const valid = () => randomValidStream(rand, { role, messages: 1 + ((rand() * 40) | 0), maxLength: small ? 300 : 70000 }, (n) => fastUtf8(rand, n));
  const r = rand();
  let kind: Kind;
  let stream: Uint8Array;
  if (r < 0.25) {
    kind = 'valid';
    stream = valid();
  } else if (r < 0.8) {
    kind = 'mutated';
    stream = valid();
    const moves = 1 + ((rand() * 3) | 0);
    for (let m = 0; m < moves; m++) stream = mutate(rand, stream);
  } else if (r < 0.9) {
    kind = 'random';
    const noise = randomBytes(rand, (rand() * 300) | 0);
    stream = rand() < 0.5 ? joinBytes([valid(), noise]) : noise;
  } else {
    kind = 'limits';
    const parts: Uint8Array[] = [];
    const key = () => (masked ? new Uint8Array([(rand() * 256) | 0, (rand() * 256) | 0, (rand() * 256) | 0, (rand() * 256) | 0]) : undefined);
    if (rand() < 0.5) {
      // A flood of tiny fragments (ws 8.21.0's memory exhaustion), sometimes with pings between.
      const n = 1 + ((rand() * 400) | 0);
      const text = rand() < 0.5;
      for (let i = 0; i < n; i++) {
        const payload = new Uint8Array(rand() < 0.5 ? 0 : 1).fill(0x61);
        parts.push(buildFrame({ fin: i === n - 1 && rand() < 0.5, opcode: i === 0 ? (text ? 1 : 2) : 0, payload, mask: key() }));
        if (rand() < 0.05) parts.push(buildFrame({ opcode: 9, payload: new Uint8Array(125), mask: key() }));
      }
    } else {
      parts.push(valid());
    }
    if (rand() < 0.5) parts.push(extremeHeader(rand, masked));
    stream = joinBytes(parts);
  }
  // Limits small enough to be hit by the generated streams.
  if (kind !== 'valid' || rand() < 0.3) {
    if (rand() < 0.3) opts.maxMessageSize = 1 + ((rand() * 4000) | 0);
    if (rand() < 0.3) opts.maxFragments = 1 + ((rand() * 64) | 0);
    if (rand() < 0.3) opts.maxBufferedBytes = 1 + ((rand() * 2000) | 0);
  }
  if (rand() < 0.15) opts.allowRsv1 = true;
  if (rand() < 0.3) opts.textAs = 'bytes';
  let cuts = randomSplits(rand, stream.length);
  if (rand() < 0.1) cuts = [stream.length];
  // Byte-at-a-time over a long stream only costs time; short streams get it often.
  if (cuts.length > 1500) cuts = cuts.filter((_, i) => i % 8 === 7 || i === cuts.length - 1);
  return { kind, stream, opts, cuts };
}

/** Frames wholly present in the stream, walking headers only (what each reader run has to get through at most). */
export function countFrames(stream: Uint8Array): number {
  let pos = 0;
  let n = 0;
  while (stream.length - pos >= 2) {
    const b1 = stream[pos + 1];
    let len = b1 & 0x7f;
    let hl = 2;
    if (len === 126) {
      if (stream.length - pos < 4) break;
      len = (stream[pos + 2] << 8) | stream[pos + 3];
      hl = 4;
    } else if (len === 127) {
      if (stream.length - pos < 10) break;
      const v = Buffer.from(stream.buffer, stream.byteOffset + pos + 2, 8).readBigUInt64BE();
      if (v > BigInt(stream.length)) break;
      len = Number(v);
      hl = 10;
    }
    if (b1 & 0x80) hl += 4;
    if (stream.length - pos < hl + len) break;
    pos += hl + len;
    n++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Running one reader with the invariant checks.

export interface RunResult {
  events: OracleEvent[];
  /** Invariant violations (empty when all hold). */
  violations: string[];
  /** Largest bufferedBytes seen after a chunk. */
  maxBuffered: number;
}

/** Feeds `c.stream` cut at `cuts` to a new reader through `path`, recording events and checking invariants. */
export function runReader(Reader: FuzzReaderClass, c: FuzzCase, backend: string, path: Path, cuts = c.cuts): RunResult {
  const events: OracleEvent[] = [];
  const violations: string[] = [];
  let ended = false;
  const record = (e: OracleEvent) => {
    if (ended) violations.push(`event after the reader stopped: ${JSON.stringify(e).slice(0, 120)}`);
    events.push(e);
    if (e[0] === 'error' || e[0] === 'close') ended = true;
  };
  const reader = new Reader({ ...c.opts, backend }, {
    onMessage: (data, isBinary) => record(isBinary ? ['binary', hex(data as Uint8Array)] : ['text', typeof data === 'string' ? data : Buffer.from(data).toString('utf8')]),
    onCompressedMessage: (data, isBinary) => record(['compressed', isBinary, hex(data)]),
    onPing: (p) => record(['ping', hex(p)]),
    onPong: (p) => record(['pong', hex(p)]),
    onClose: (code, reason) => record(['close', code, reason]),
    onError: (err) => record(['error', err.closeCode ?? -1, err.code]),
  });
  const limit = (c.opts.maxBufferedBytes ?? (c.opts.maxMessageSize ?? 100 * 1024 * 1024) + 14) + CONTROL_SLACK;
  let maxBuffered = 0;
  let p = 0;
  try {
    for (const end of cuts) {
      if (path === 'push') {
        reader.push(c.stream.slice(p, end));
      } else {
        let q = p;
        while (q < end) {
          const into = reader.receiveBuffer();
          const n = Math.min(into.length, end - q);
          into.set(c.stream.subarray(q, q + n));
          reader.received(n);
          q += n;
        }
      }
      p = end;
      const held = reader.bufferedBytes;
      if (held > maxBuffered) maxBuffered = held;
      if (held > limit) violations.push(`bufferedBytes ${held} > limit ${limit} after byte ${end}`);
    }
  } catch (e) {
    violations.push(`exception escaped the reader: ${(e as Error)?.stack ?? String(e)}`);
  }
  return { events, violations, maxBuffered };
}

// ---------------------------------------------------------------------------------------------
// The differential check of one case.

export interface CaseResult {
  /** Why the case failed (undefined: it passed). */
  failure?: string;
  /** 'crash' (an invariant broke) or 'disagreement' (event logs differ). */
  failureKind?: 'crash' | 'disagreement';
  /** Reader runs made per backend (one per path). */
  runsPerBackend: number;
  maxBuffered: number;
  expected: OracleEvent[];
}

const same = (a: OracleEvent[], b: OracleEvent[]) => JSON.stringify(a) === JSON.stringify(b);

/** Events acceptable against the oracle: equal, or (maxBufferedBytes set) a prefix of them plus WS_ERR_BUFFERED_LIMIT. */
export function matchesOracle(got: OracleEvent[], expected: OracleEvent[], opts: FuzzOptions): boolean {
  if (same(got, expected)) return true;
  if (opts.maxBufferedBytes === undefined || got.length === 0) return false;
  const last = got[got.length - 1];
  if (last[0] !== 'error' || last[1] !== 1009 || last[2] !== 'WS_ERR_BUFFERED_LIMIT') return false;
  return same(got.slice(0, -1), expected.slice(0, got.length - 1));
}

/**
 * Runs `c` on every backend through both paths and compares: invariants, each log vs the oracle,
 * and every log vs the first one (backends and paths must agree exactly, even where the oracle
 * divergence above applies).
 */
export function checkCase(Reader: FuzzReaderClass, c: FuzzCase, backends: string[], paths: Path[] = ['push', 'receive']): CaseResult {
  const expected = oracle(c.stream, c.opts);
  let maxBuffered = 0;
  let first: { events: OracleEvent[]; who: string } | undefined;
  for (const backend of backends) {
    for (const path of paths) {
      const who = `${backend}/${path}`;
      const r = runReader(Reader, c, backend, path);
      if (r.maxBuffered > maxBuffered) maxBuffered = r.maxBuffered;
      if (r.violations.length > 0) {
        return { failure: `${who}: ${r.violations[0]}`, failureKind: 'crash', runsPerBackend: paths.length, maxBuffered, expected };
      }
      if (!matchesOracle(r.events, expected, c.opts)) {
        return { failure: `${who} differs from the oracle:\n  got      ${JSON.stringify(r.events).slice(0, 600)}\n  expected ${JSON.stringify(expected).slice(0, 600)}`, failureKind: 'disagreement', runsPerBackend: paths.length, maxBuffered, expected };
      }
      if (first === undefined) first = { events: r.events, who };
      else if (!same(first.events, r.events)) {
        return { failure: `${who} differs from ${first.who}:\n  ${JSON.stringify(r.events).slice(0, 600)}\n  ${JSON.stringify(first.events).slice(0, 600)}`, failureKind: 'disagreement', runsPerBackend: paths.length, maxBuffered, expected };
      }
    }
  }
  return { runsPerBackend: paths.length, maxBuffered, expected };
}

/** A failing case as JSON (for fuzz-findings/ and replay). */
export function caseToJson(c: FuzzCase, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...extra, kind: c.kind, opts: c.opts, cuts: c.cuts, stream: hex(c.stream) }, null, 1);
}

export function caseFromJson(text: string): FuzzCase {
  const o = JSON.parse(text) as { kind: Kind; opts: FuzzOptions; cuts: number[]; stream: string };
  return { kind: o.kind, opts: o.opts, cuts: o.cuts, stream: new Uint8Array(Buffer.from(o.stream, 'hex')) };
}
