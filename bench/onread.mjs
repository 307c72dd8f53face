// Does reading straight into the FrameReader's own buffer (net.Socket `onread` + receiveBuffer /
// received) beat 'data' events + push on loopback? A forked process streams unmasked server frames
// as fast as the socket takes them; this process parses them both ways, alternating, and reports
// messages/s and its own CPU time per message. Run after `npm run build` (uses dist/cjs).
//
//   node bench/onread.mjs [--quick] [--seconds N] [--rounds N]
import { fork } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** 64 KiB of back-to-back unmasked frames with `size`-byte payloads (text of 'x', or binary). */
function stream(size, text) {
  const head = size < 126 ? 2 : 4;
  const frame = Buffer.alloc(head + size, 0x78);
  frame[0] = 0x80 | (text ? 1 : 2);
  if (size < 126) frame[1] = size;
  else {
    frame[1] = 126;
    frame.writeUInt16BE(size, 2);
  }
  const n = Math.max(1, Math.floor(65536 / frame.length));
  return Buffer.concat(Array(n).fill(frame));
}

if (process.argv[2] === 'server') {
  // Child: streams frames to every connection until it goes away.
  process.once('message', ({ size, text }) => {
    const data = stream(size, text);
    const server = createServer((socket) => {
      socket.on('error', () => {});
      const pump = () => {
        while (!socket.destroyed && socket.write(data));
      };
      socket.on('drain', pump);
      pump();
    });
    server.listen(0, '127.0.0.1', () => process.send(server.address().port));
    process.on('disconnect', () => process.exit(0));
  });
} else {
  const { FrameReader } = require('../dist/cjs/index.js');
  const quick = process.argv.includes('--quick');
  const seconds = arg('seconds', quick ? 0.5 : 2);
  const rounds = arg('rounds', quick ? 1 : 3);

  async function run(port, mode) {
    let count = 0;
    const handlers = {
      onMessage: () => {
        count++;
      },
      onPing() {},
      onPong() {},
      onClose() {},
      onError(err) {
        throw err;
      },
    };
    const reader = new FrameReader({ role: 'client' }, handlers);
    const socket = mode === 'onread'
      ? connect({ port, host: '127.0.0.1', onread: { buffer: () => reader.receiveBuffer(), callback: (n) => { reader.received(n); } } })
      : connect(port, '127.0.0.1');
    if (mode === 'data') socket.on('data', (c) => reader.push(c));
    await new Promise((r) => socket.once('connect', r));
    await new Promise((r) => setTimeout(r, 200));
    const c0 = count;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const n = count - c0;
    const cpu = process.cpuUsage(cpu0);
    const elapsed = (performance.now() - t0) / 1000;
    socket.destroy();
    return { perSec: n / elapsed, nsPerMsg: ((cpu.user + cpu.system) * 1000) / n };
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`# onread vs data events into FrameReader — ${cpus()[0].model}, ${cpus().length} cores, Node ${process.version}`);
  console.log(`# ${seconds} s per measurement, ${rounds} rounds alternating, medians`);
  const rows = [];
  for (const [size, text] of [[64, true], [1024, false], [16 * 1024, false]]) {
    const child = fork(self, ['server']);
    child.send({ size, text });
    const port = await new Promise((r) => child.once('message', r));
    const res = { data: [], onread: [] };
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['data', 'onread']) res[mode].push(await run(port, mode));
    }
    child.disconnect();
    child.kill();
    const d = { perSec: median(res.data.map((x) => x.perSec)), ns: median(res.data.map((x) => x.nsPerMsg)) };
    const o = { perSec: median(res.onread.map((x) => x.perSec)), ns: median(res.onread.map((x) => x.nsPerMsg)) };
    rows.push({
      payload: `${size} B ${text ? 'text' : 'binary'}`,
      'data msgs/s': Math.round(d.perSec),
      'onread msgs/s': Math.round(o.perSec),
      'data ns/msg (CPU)': Math.round(d.ns),
      'onread ns/msg (CPU)': Math.round(o.ns),
      'onread/data CPU': (o.ns / d.ns).toFixed(2),
    });
  }
  console.table(rows);
}
