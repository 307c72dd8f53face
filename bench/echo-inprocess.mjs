// Server-side CPU per echo without the kernel: a server-role connection (wsframe or ws + bufferutil)
// attached to a fake socket that records writes; chunks of k masked 64-byte text frames are
// emitted as 'data' and every message is echoed. Shows the JS cost of the connection layer, reader
// and writer per echo, and how it falls as more messages share one received chunk (k).
// Uses each library's internal attach path (ws: setSocket, as its server does; wsframe: _attach).
// Run after `npm run build` (uses dist/cjs).
//
//   node bench/echo-inprocess.mjs [--quick]
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const require = createRequire(import.meta.url);
const quick = process.argv.includes('--quick');

class FakeSocket extends EventEmitter {
  constructor() {
    super();
    this.bytes = 0;
    this.writes = 0;
    this.destroyed = false;
    this.writableLength = 0;
    this.readable = true;
    this.writable = true;
  }
  write(b, cb) {
    this.bytes += b.length;
    this.writes++;
    if (cb) process.nextTick(cb);
    return true;
  }
  cork() {}
  uncork() {}
  pause() {}
  resume() {}
  setNoDelay() {}
  setTimeout() {}
  end() {}
  destroy() {}
}

function maskedText(text, key = [1, 2, 3, 4]) {
  const p = Buffer.from(text);
  const out = Buffer.alloc(6 + p.length);
  out[0] = 0x81;
  out[1] = 0x80 | p.length;
  out.set(key, 2);
  for (let i = 0; i < p.length; i++) out[6 + i] = p[i] ^ key[i & 3];
  return out;
}

function run(impl, k, chunks) {
  const socket = new FakeSocket();
  let ws;
  if (impl === 'ws') {
    const WS = require('ws');
    ws = new WS(null, undefined, {});
    ws.setSocket(socket, Buffer.alloc(0), { maxPayload: 100 * 1024 * 1024, skipUTF8Validation: false });
  } else {
    const { WebSocket } = require('../dist/cjs/index.js');
    ws = new WebSocket(null);
    ws._attach(socket, Buffer.alloc(0), 'server', [], {});
    ws._open();
  }
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  const template = Buffer.concat(Array(k).fill(maskedText('x'.repeat(64))));
  const feed = (n) => {
    for (let i = 0; i < n; i++) {
      // A fresh chunk each time, as from a socket (readers unmask in place).
      const c = Buffer.allocUnsafe(template.length);
      template.copy(c);
      socket.emit('data', c);
    }
  };
  feed(Math.ceil(chunks / 5));
  const writes0 = socket.writes;
  const cpu0 = process.cpuUsage();
  feed(chunks);
  const cpu = process.cpuUsage(cpu0);
  return { ns: ((cpu.user + cpu.system) * 1000) / (chunks * k), writesPerChunk: (socket.writes - writes0) / chunks };
}

const echoes = quick ? 100_000 : 1_000_000;
console.log(`# in-process echo, 64 B text, fake socket — ${cpus()[0].model}, Node ${process.version}; CPU ns per echo (medians of 3)`);
const rows = [];
for (const k of [1, 7, 100]) {
  const res = { ws: [], wsframe: [] };
  for (let r = 0; r < 3; r++) for (const impl of ['ws', 'wsframe']) res[impl].push(run(impl, k, Math.ceil(echoes / k)));
  const med = (xs) => [...xs].sort((a, b) => a - b)[1];
  const ws = med(res.ws.map((x) => x.ns));
  const wf = med(res.wsframe.map((x) => x.ns));
  rows.push({
    'messages per chunk': k,
    'ws ns/echo': Math.round(ws),
    'wsframe ns/echo': Math.round(wf),
    'wsframe/ws': (wf / ws).toFixed(2),
    'ws writes/chunk': res.ws[0].writesPerChunk,
    'wsframe writes/chunk': res.wsframe[0].writesPerChunk,
  });
}
console.table(rows);
