// FrameWriter vs ws's Sender.frame (ws 8, with bufferutil), 64-byte frames, in one run.
//   node bench/writer.mjs           full run (~1 min)
//   node bench/writer.mjs --quick   CI smoke run (< 15 s)
// Needs the built package (npm run build). Each sample encodes REPS frames from a rotating set of
// 64 different inputs, so timer overhead stays small against ~100 ns operations; frames/s is
// REPS / median sample time. Both writers produce the same bytes on the wire (checked first).
import { createRequire } from 'node:module';
import os from 'node:os';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const { FrameWriter, activeBackend } = require('../dist/cjs/index.js');
const { Sender } = require('ws');

const quick = process.argv.includes('--quick');
const REPS = 1000;

// 64 ticks of exactly 64 ASCII bytes, like a market-data feed, and the same as Buffers.
const strings = [];
for (let i = 0; i < 64; i++) {
  strings.push(JSON.stringify({ s: 'AAPL', p: (100 + i * 0.25).toFixed(2), q: i * 10, t: 1700000000000 + i }).padEnd(64, ' '));
}
if (strings.some((s) => Buffer.byteLength(s) !== 64)) throw new Error('inputs must be 64 bytes');
const buffers = strings.map((s) => Buffer.from(s));

const client = new FrameWriter({ role: 'client' });
const server = new FrameWriter({ role: 'server' });
const wsText = { fin: true, opcode: 1, mask: true, readOnly: false, rsv1: false };
const wsTextServer = { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false };
const wsBin = { fin: true, opcode: 2, mask: true, readOnly: true, rsv1: false };
const wsBinServer = { fin: true, opcode: 2, mask: false, readOnly: true, rsv1: false };

// Same wire bytes (minus the random key) from both sides: a cheap sanity check before timing.
function wireOf(x) {
  return Buffer.concat((Array.isArray(x) ? x : [x]).map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
}
for (const [a, b] of [
  [server.text(strings[0]), Sender.frame(strings[0], wsTextServer)],
  [server.binary(buffers[0]), Sender.frame(buffers[0], wsBinServer)],
]) {
  if (!wireOf(a).equals(wireOf(b))) throw new Error('wsframe and ws disagree on an unmasked frame');
}
if (wireOf(client.text(strings[0])).length !== 70 || wireOf(Sender.frame(strings[1], wsText)).length !== 70) {
  throw new Error('masked 64-byte frames must be 70 bytes');
}

const cases = [
  ['masked text from a string (client)', () => { for (let i = 0; i < REPS; i++) client.text(strings[i & 63]); },
    () => { for (let i = 0; i < REPS; i++) Sender.frame(strings[i & 63], wsText); }],
  ['unmasked text from a string (server)', () => { for (let i = 0; i < REPS; i++) server.text(strings[i & 63]); },
    () => { for (let i = 0; i < REPS; i++) Sender.frame(strings[i & 63], wsTextServer); }],
  ['unmasked binary from a Buffer (server)', () => { for (let i = 0; i < REPS; i++) server.binary(buffers[i & 63]); },
    () => { for (let i = 0; i < REPS; i++) Sender.frame(buffers[i & 63], wsBinServer); }],
  ['masked binary from a Buffer (client)', () => { for (let i = 0; i < REPS; i++) client.binary(buffers[i & 63]); },
    () => { for (let i = 0; i < REPS; i++) Sender.frame(buffers[i & 63], wsBin); }],
];

const bench = new Bench({ time: quick ? 150 : 1500, warmupTime: quick ? 50 : 300 });
for (const [name, ours, theirs] of cases) {
  bench.add(`wsframe: ${name}`, ours);
  bench.add(`ws: ${name}`, theirs);
}
await bench.run();

const rate = (name) => REPS / (bench.getTask(name).result.latency.p50 / 1e3);
const fmt = (x) => `${(x / 1e6).toFixed(2)} M/s`;
console.log(`wsframe writer vs ws Sender.frame, 64-byte frames; ${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}, backend ${activeBackend().name}${quick ? ' (--quick)' : ''}`);
console.log('| case | wsframe | ws | ratio |');
console.log('|---|---|---|---|');
for (const [name] of cases) {
  const a = rate(`wsframe: ${name}`), b = rate(`ws: ${name}`);
  console.log(`| ${name} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(2)}x |`);
}
