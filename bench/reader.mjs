// wsframe's FrameReader vs ws's Receiver (ws/lib/receiver.js, bufferutil installed), in one run.
//   npm run build && node bench/reader.mjs           full run
//   node bench/reader.mjs --quick                    CI smoke run (< 30 s, 1/20 of the frames)
//   WSFRAME_BACKEND=js node bench/reader.mjs         the reader on another kernel backend
// Every stream is built once and fed in 64 KiB chunks. Both readers unmask in place (ws does too),
// so the stream is restored from a pristine copy before each iteration, outside the timed part.
// Rows: ws Receiver; wsframe push(chunk) (views into the chunks, like ws); wsframe through
// receiveBuffer()/received(n) (the socket path: each chunk is first copied into the reader's own
// buffer, standing in for the socket's read, and payloads handed out are copies). The two large
// cases add a 'floor' row: only the memory work any reader delivering owned messages must do
// (no parsing, unmasking or validation), which bounds the ratio any reader can reach over ws.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import os from 'node:os';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const Receiver = require(join(dirname(require.resolve('ws')), 'lib', 'receiver.js'));
require('bufferutil'); // ws loads it by name; fail here rather than measure ws without it
const wsframe = require('../dist/cjs/index.js');
const { FrameReader, activeBackend } = wsframe;

const quick = process.argv.includes('--quick');
const scale = quick ? 20 : 1;
const CHUNK = 64 * 1024;
const KiB = 1024;

/** A frame header + payload, masked with a fixed key when `masked`. */
function frame(opcode, payload, masked, fin = true) {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = Buffer.alloc(2 + ext + (masked ? 4 : 0) + n);
  out[0] = (fin ? 0x80 : 0) | opcode;
  out[1] = (masked ? 0x80 : 0) | (ext === 0 ? n : ext === 2 ? 126 : 127);
  if (ext === 2) out.writeUInt16BE(n, 2);
  if (ext === 8) out.writeBigUInt64BE(BigInt(n), 2);
  let o = 2 + ext;
  if (masked) {
    const key = [0x12, 0x9e, 0x37, 0xc1];
    out.set(key, o);
    o += 4;
    for (let i = 0; i < n; i++) out[o + i] = payload[i] ^ key[i & 3];
  } else {
    out.set(payload, o);
  }
  return out;
}

/** A 64-byte JSON market tick (ASCII). */
function tick(i) {
  const s = `{"s":"BTCUSD","p":${(43000 + (i % 1000) / 100).toFixed(2)},"q":${(i % 97) / 1000},"t":${1700000000000 + i}}`;
  return Buffer.from(s.padEnd(64, ' ').slice(0, 64));
}

function binary(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

const CASES = [
  {
    id: '64 B text (JSON ticks), masked, server', messages: 1_000_000 / scale, server: true, payload: 64,
    build: (m) => Array.from({ length: m }, (_, i) => frame(1, tick(i), true)),
  },
  {
    id: '1 KiB binary, masked, server', messages: 100_000 / scale, server: true, payload: KiB,
    build: (m) => { const p = binary(KiB, 1); return Array.from({ length: m }, () => frame(2, p, true)); },
  },
  {
    // Not one of the cases: JSON messages of a few KiB are common, and here validation and
    // decoding calls, not bytes, set the cost.
    id: '2 KiB text (JSON), masked, server', messages: 100_000 / scale, server: true, payload: 2 * KiB,
    build: (m) => { const t = Buffer.from('{"k":"v","n":12345}'.repeat(200).slice(0, 2 * KiB)); const f = frame(1, t, true); return Array.from({ length: m }, () => f); },
  },
  {
    id: '64 KiB binary, masked, server', messages: Math.max(50, 1000 / scale), server: true, payload: 64 * KiB,
    build: (m) => { const p = binary(64 * KiB, 2); return Array.from({ length: m }, () => frame(2, p, true)); },
    floor: ['floor: copy to a new Buffer', floorCopy],
  },
  {
    id: '16 KiB text in 4 fragments, masked, server', messages: 10_000 / scale, server: true, payload: 16 * KiB,
    build: (m) => {
      const text = Buffer.from('{"k":"v","n":12345}'.repeat(1000).slice(0, 16 * KiB));
      const q = 4 * KiB;
      const frames = [frame(1, text.subarray(0, q), true, false), frame(0, text.subarray(q, 2 * q), true, false),
        frame(0, text.subarray(2 * q, 3 * q), true, false), frame(0, text.subarray(3 * q), true, true)];
      return Array.from({ length: m }, () => frames).flat();
    },
    floor: ['floor: gather + decode', floorDecode],
  },
  {
    // Not one of the cases: a subscriber receiving JSON of a few KiB.
    id: '2 KiB text (JSON), unmasked, client', messages: 100_000 / scale, server: false, payload: 2 * KiB,
    build: (m) => { const t = Buffer.from('{"k":"v","n":12345}'.repeat(200).slice(0, 2 * KiB)); const f = frame(1, t, false); return Array.from({ length: m }, () => f); },
  },
  {
    id: '64 B text (JSON ticks), unmasked, client', messages: 1_000_000 / scale, server: false, payload: 64,
    build: (m) => Array.from({ length: m }, (_, i) => frame(1, tick(i), false)),
  },
];

/**
 * [start, end, fin] of every payload in a stream of frames built by frame(), found once, untimed.
 * The floor rows use it: they do only what any reader delivering owned messages must do, with
 * no parsing, unmasking or validation at all, so they bound what a reader can reach here.
 */
function payloadSpans(stream) {
  const spans = [];
  for (let p = 0; p < stream.length;) {
    const fin = stream[p] >= 0x80;
    let n = stream[p + 1] & 0x7f;
    const masked = stream[p + 1] >= 0x80;
    let h = 2;
    if (n === 126) { n = stream.readUInt16BE(p + 2); h = 4; } else if (n === 127) { n = Number(stream.readBigUInt64BE(p + 2)); h = 10; }
    const s = p + h + (masked ? 4 : 0);
    spans.push([s, s + n, fin]);
    p = s + n;
  }
  return spans;
}
/** Each message's payload copied into memory of its own (as a reader must when a frame spans two reads). */
function floorCopy(work, spans) {
  for (const [s, e] of spans) {
    const out = Buffer.allocUnsafe(e - s);
    work.copy(out, 0, s, e);
    received++;
  }
}
/** Each message's fragments copied into one reused buffer and decoded to a string once. */
let gather = Buffer.alloc(0);
function floorDecode(work, spans) {
  let n = 0;
  for (const [s, e, fin] of spans) {
    if (gather.length < n + e - s) { const g = Buffer.allocUnsafe(2 * (n + e - s)); gather.copy(g, 0, 0, n); gather = g; }
    n += work.copy(gather, n, s, e);
    if (fin) { sink ^= gather.latin1Slice(0, n).length; n = 0; received++; }
  }
}
let sink = 0;

function prepare(c) {
  const pristine = Buffer.concat(c.build(c.messages));
  const work = Buffer.from(pristine);
  const chunks = [];
  for (let p = 0; p < work.length; p += CHUNK) chunks.push(work.subarray(p, Math.min(work.length, p + CHUNK)));
  return { pristine, work, chunks };
}

let received = 0;
function runWs(c, chunks) {
  const r = new Receiver({ isServer: c.server, maxPayload: 0 });
  r.on('message', () => received++);
  r.on('error', (e) => { throw e; });
  for (const chunk of chunks) r.write(chunk);
}

const handlers = {
  onMessage: () => received++,
  onPing() {}, onPong() {}, onClose() {},
  onError: (e) => { throw e; },
};
function runPush(c, chunks) {
  const r = new FrameReader({ role: c.server ? 'server' : 'client' }, handlers);
  for (const chunk of chunks) r.push(chunk);
}
function runReceive(c, chunks) {
  const r = new FrameReader({ role: c.server ? 'server' : 'client' }, handlers);
  for (const chunk of chunks) {
    // A socket reads at most the length of the buffer it is given (which may be the rest of a
    // large payload's own buffer): feed the chunk in as many reads as that takes.
    for (let p = 0; p < chunk.length;) {
      const into = r.receiveBuffer();
      const n = Math.min(into.length, chunk.length - p);
      into.set(n === chunk.length ? chunk : chunk.subarray(p, p + n));
      r.received(n);
      p += n;
    }
  }
}

// ws hands text messages out as Buffers: an application decodes them itself (toString, or
// JSON.parse of the Buffer). wsframe decodes to strings by default. So text cases also run each
// side with the other's output: ws + toString() against wsframe's strings, and wsframe with
// textAs 'bytes' against ws's Buffers ('x same output' compares like with like).
let decoded = 0;
function runWsString(c, chunks) {
  const r = new Receiver({ isServer: c.server, maxPayload: 0 });
  r.on('message', (data, isBinary) => {
    if (!isBinary) decoded += data.toString().length;
    received++;
  });
  r.on('error', (e) => { throw e; });
  for (const chunk of chunks) r.write(chunk);
}
function runPushBytes(c, chunks) {
  const r = new FrameReader({ role: c.server ? 'server' : 'client', textAs: 'bytes' }, handlers);
  for (const chunk of chunks) r.push(chunk);
}

const ROWS = [['ws Receiver', runWs], ['wsframe push', runPush], ['wsframe receiveBuffer', runReceive]];
const TEXT_ROWS = [['ws Receiver + toString()', runWsString], ['wsframe push, textAs bytes', runPushBytes]];
/** For each row: the row that produces the same output (strings or bytes) for text cases. */
const SAME_OUTPUT = {
  'wsframe push': 'ws Receiver + toString()',
  'wsframe receiveBuffer': 'ws Receiver + toString()',
  'wsframe push, textAs bytes': 'ws Receiver',
};

console.log(`wsframe reader bench${quick ? ' (--quick)' : ''}: node ${process.version}, ${os.cpus()[0].model.trim()}, ${os.cpus().length} cores, backend ${activeBackend().name}/${activeBackend().variant}, ${CHUNK / KiB} KiB chunks`);
const table = [];
for (const c of CASES) {
  const { pristine, work, chunks } = prepare(c);
  const bench = new Bench({ time: quick ? 300 : 3000, iterations: quick ? 3 : 10, warmupIterations: quick ? 1 : 3, warmupTime: quick ? 50 : 500 });
  const restore = () => { work.set(pristine); received = 0; };
  const text = c.id.includes(' text');
  const rows = [...ROWS, ...(text ? TEXT_ROWS : []), ...(c.floor === undefined ? [] : [[c.floor[0], () => c.floor[1](work, spans)]])];
  const spans = c.floor === undefined ? [] : payloadSpans(pristine);
  for (const [name, fn] of rows) {
    bench.add(name, () => fn(c, chunks), {
      // Not async. Without this tinybench calls each function once, outside beforeEach, to find
      // out: on a stream an earlier call already unmasked in place (a late ws 'error' then escapes).
      async: false,
      beforeEach: restore,
      afterEach: () => { if (received !== c.messages) throw new Error(`${name}: ${received} messages, expected ${c.messages}`); },
    });
  }
  await bench.run();
  const ws = bench.getTask('ws Receiver').result.latency.p50;
  for (const [name] of rows) {
    const task = bench.getTask(name);
    if (task.result.error) throw task.result.error;
    const ms = task.result.latency.p50;
    table.push({
      case: c.id, reader: name,
      'median ms': +ms.toFixed(2),
      'msgs/s': Math.round(c.messages / (ms / 1000)).toLocaleString('en-US'),
      'ns/msg': +((ms * 1e6) / c.messages).toFixed(1),
      'MB/s payload': Math.round((c.messages * c.payload) / (ms * 1000)).toLocaleString('en-US'),
      'x ws': +(ws / ms).toFixed(2),
      'x same output': text && SAME_OUTPUT[name] !== undefined ? +(bench.getTask(SAME_OUTPUT[name]).result.latency.p50 / ms).toFixed(2) : '',
    });
  }
}
console.table(table);
