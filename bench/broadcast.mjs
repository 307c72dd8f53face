// Broadcast of 64-byte ticks from one server to many loopback clients (a separate process),
// wsframe's Broadcaster vs ws's documented send loop and ws with each socket corked per batch.
//   node bench/broadcast.mjs           full run: 500 clients, 5 s per variant (~30 s)
//   node bench/broadcast.mjs --quick   CI smoke run: 100 clients, 1 s per variant (< 15 s)
//   options: --clients N --seconds S --batch B (ticks published per turn of the event loop)
// The server publishes B ticks per turn of its event loop as long as no client socket holds more
// than HIGH_WATER unwritten bytes (otherwise it waits a millisecond): "as fast as backpressure
// allows". Clients are raw TCP sockets that do the HTTP upgrade by hand and count frames; on a
// 2-core machine they saturate first, so the figure that compares servers is the server's CPU time
// (process.cpuUsage, user + system) per delivered message, next to delivered messages/s.
// Loopback only; every variant stops by itself.
import { createRequire } from 'node:module';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const quick = argv.includes('--quick');
const CLIENTS = arg('clients', quick ? 100 : 500);
const SECONDS = arg('seconds', quick ? 1 : 5);
const BATCH = arg('batch', 64);
const HIGH_WATER = 64 * 1024;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';


// ------------------------------------------------------------------------------------------------
// Client process: N raw sockets, each upgrades by hand and then counts the frames it receives.

function runClients(port, n) {
  let frames = 0;
  let upgraded = 0;
  const sockets = [];
  const key = Buffer.from('wsframe-benchkey').toString('base64');
  const request = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    s.on('error', () => {});
    let head = Buffer.alloc(0);
    let skip = 0;
    let partial = null;
    const count = (chunk) => {
      let buf = partial === null ? chunk : Buffer.concat([partial, chunk]);
      partial = null;
      let i = 0;
      if (skip > 0) {
        i = Math.min(skip, buf.length);
        skip -= i;
      }
      while (i < buf.length) {
        const left = buf.length - i;
        if (left < 2) { partial = buf.subarray(i); break; }
        let len = buf[i + 1] & 0x7f;
        let h = 2;
        if (len === 126) {
          if (left < 4) { partial = buf.subarray(i); break; }
          len = buf.readUInt16BE(i + 2);
          h = 4;
        } else if (len === 127) {
          if (left < 10) { partial = buf.subarray(i); break; }
          len = Number(buf.readBigUInt64BE(i + 2));
          h = 10;
        }
        frames++;
        const end = i + h + len;
        if (end > buf.length) { skip = end - buf.length; break; }
        i = end;
      }
    };
    const onHead = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!head.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.toString()}`);
      s.removeListener('data', onHead);
      s.on('data', count);
      if (head.length > end + 4) count(head.subarray(end + 4));
      if (++upgraded === n) process.send({ type: 'ready' });
    };
    s.on('data', onHead);
    s.on('connect', () => s.write(request));
  }
  process.on('message', (m) => {
    if (m.type === 'count') process.send({ type: 'count', frames });
    if (m.type === 'stop') {
      for (const s of sockets) s.destroy();
      process.exit(0);
    }
  });
  setTimeout(() => process.exit(1), 120_000).unref(); // never outlive a stuck parent
}

// ------------------------------------------------------------------------------------------------
// Server side.

function ticks() {
  const out = [];
  for (let i = 0; i < 256; i++) {
    out.push(JSON.stringify({ s: 'AAPL', p: (100 + i * 0.01).toFixed(2), q: i * 10, t: 1700000000000 + i }).padEnd(64, ' '));
  }
  if (out.some((t) => Buffer.byteLength(t) !== 64)) throw new Error('ticks must be 64 bytes');
  return out;
}

/** Accepts upgrades by hand on a raw net server (the bytes after the handshake are what matter). */
function rawUpgradeServer(onSocket) {
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    let head = '';
    const onData = (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.removeListener('data', onData);
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)[1];
      const accept = createHash('sha1').update(key + GUID).digest('base64');
      sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      onSocket(sock);
    };
    sock.on('data', onData);
    sock.on('error', () => {});
  });
  return server;
}

const VARIANTS = {
  /** wsframe: Broadcaster.publish, one write per subscriber per turn. */
  async 'wsframe Broadcaster.publish'() {
    const { Broadcaster } = require('../dist/cjs/index.js');
    const b = new Broadcaster();
    const sockets = [];
    const server = rawUpgradeServer((sock) => {
      sockets.push(sock);
      b.subscribe('ticks', sock);
    });
    const data = ticks();
    let seq = 0;
    return {
      server,
      sockets: () => sockets,
      publish() {
        for (let i = 0; i < BATCH; i++) b.publish('ticks', data[seq++ & 255]);
      },
      close() {
        for (const s of sockets) s.destroy();
      },
      extra: () => b.stats,
    };
  },
  /** ws: the documented broadcast loop, clients.forEach(c => c.send(data)), per tick. */
  async 'ws send loop'() {
    return wsVariant(false);
  },
  /** ws: the same sends with every socket corked around each batch of ticks. */
  async 'ws corked per batch'() {
    return wsVariant(true);
  },
};

async function wsVariant(cork) {
  const { WebSocketServer } = require('ws');
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  // Let ws do the upgrade through its own handleUpgrade on a raw server's sockets via http.
  const http = require('node:http');
  const httpServer = http.createServer();
  httpServer.on('upgrade', (req, sock, head) => {
    sock.setNoDelay(true);
    wss.handleUpgrade(req, sock, head, (ws) => wss.emit('connection', ws, req));
  });
  const clients = [];
  wss.on('connection', (ws) => clients.push(ws));
  // Data as Buffers: ws's cheapest input (a string would be encoded again for every client).
  const data = ticks().map((t) => Buffer.from(t));
  let seq = 0;
  return {
    server: httpServer,
    sockets: () => clients.map((c) => c._socket),
    publish() {
      if (cork) {
        for (const c of clients) c._socket.cork();
        for (let i = 0; i < BATCH; i++) {
          const d = data[seq++ & 255];
          for (const c of clients) c.send(d);
        }
        for (const c of clients) c._socket.uncork();
      } else {
        for (let i = 0; i < BATCH; i++) {
          const d = data[seq++ & 255];
          wss.clients.forEach((c) => c.send(d));
        }
      }
    },
    close() {
      for (const c of clients) c.terminate();
      wss.close();
    },
    extra: () => undefined,
  };
}

function ask(child, type) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m.type === type) {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
    if (type !== 'ready') child.send({ type });
  });
}

async function runVariant(name) {
  const v = await VARIANTS[name]();
  v.server.listen(0, '127.0.0.1');
  await new Promise((r) => v.server.once('listening', r));
  const port = v.server.address().port;
  const child = fork(new URL(import.meta.url).pathname, ['--client', String(port), String(CLIENTS)], { stdio: 'inherit' });
  await ask(child, 'ready');
  while (v.sockets().length < CLIENTS) await new Promise((r) => setTimeout(r, 5));

  let running = true;
  const pump = () => {
    if (!running) return;
    let backlog = 0;
    for (const s of v.sockets()) if (s.writableLength > backlog) backlog = s.writableLength;
    if (backlog > HIGH_WATER) {
      setTimeout(pump, 1);
      return;
    }
    v.publish();
    setImmediate(pump);
  };
  pump();
  await new Promise((r) => setTimeout(r, quick ? 200 : 1000)); // warm up
  const c0 = (await ask(child, 'count')).frames;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = process.cpuUsage(cpu0);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c1 = (await ask(child, 'count')).frames;
  running = false;
  const extra = v.extra();
  child.send({ type: 'stop' });
  await new Promise((r) => child.once('exit', r));
  v.close();
  await new Promise((r) => v.server.close(r));
  const delivered = c1 - c0;
  const cpuUs = cpu.user + cpu.system;
  return { name, delivered, rate: delivered / seconds, usPerMsg: cpuUs / delivered, userPerMsg: cpu.user / delivered, sysPerMsg: cpu.system / delivered, cpuShare: cpuUs / 1e6 / seconds, extra };
}

async function main() {
  const results = [];
  for (const name of Object.keys(VARIANTS)) {
    results.push(await runVariant(name));
    if (global.gc) global.gc();
  }
  const base = results.find((r) => r.name === 'ws send loop');
  console.log(`Broadcast of 64-byte ticks to ${CLIENTS} loopback clients (separate process), ${BATCH} ticks per turn, ${SECONDS} s per variant; ` +
    `${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}${quick ? ' (--quick)' : ''}`);
  console.log('| server | delivered msgs/s | server CPU per delivered msg | of which user / system | server CPU busy | vs ws send loop (CPU/msg) |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${(r.rate / 1e3).toFixed(0)} k/s | ${r.usPerMsg.toFixed(3)} µs | ${r.userPerMsg.toFixed(3)} / ${r.sysPerMsg.toFixed(3)} µs | ${(r.cpuShare * 100).toFixed(0)}% | ${(base.usPerMsg / r.usPerMsg).toFixed(1)}x |`);
  }
  const ours = results[0].extra;
  if (ours) console.log(`wsframe Broadcaster stats: ${JSON.stringify(ours)}`);
}

if (argv[0] === '--client') runClients(Number(argv[1]), Number(argv[2]));
else await main();
