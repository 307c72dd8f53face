// Loopback echo benchmark: a WebSocket echo server in this process (its CPU time measured with
// process.cpuUsage over the measured window), clients in a forked process. 64-byte text messages,
// or `--size N` bytes of binary.
//
//   throughput: C clients × F messages in flight each (default 50 × 100), a closed loop
//   rate:       C clients sending R messages/s in all (default 40,000/s), an open loop: every
//               server sees the same arrivals, so server CPU per echo compares like with like
//   latency:    1 client × 1 message in flight
//
// Variants, in one run: each server (ws with bufferutil, wsframe) with each kind of clients.
// Reports round trips/s, server CPU µs per echo, client CPU µs per round trip, p50/p99 round-trip
// latency, and the read/write system calls per echo on each side (from /proc/self/io: they explain
// most of the CPU at these sizes). Bounded: `--seconds` per measurement (default 5) after a
// warm-up; `--quick`: 1 s, 10 clients. Run after `npm run build` (uses dist/cjs).
//
//   node bench/echo.mjs [--quick] [--seconds N] [--clients N] [--inflight N] [--rate R] [--size N] [--rounds N]
//                       [--only ws/ws,wsframe/ws,ws/wsframe,wsframe/wsframe] [--no-throughput|--no-rate|--no-latency]
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);
/** What a client sends: 64-byte text, or `--size N` bytes of binary. */
const messageOf = (size) => (size > 0 ? Buffer.alloc(size, 0x78) : 'x'.repeat(64));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function loadImpl(name) {
  if (name === 'ws') {
    const ws = require('ws');
    return { WebSocket: ws.WebSocket, WebSocketServer: ws.WebSocketServer };
  }
  const w = require('../dist/cjs/index.js');
  return { WebSocket: w.WebSocket, WebSocketServer: w.WebSocketServer };
}

// ------------------------------------------------------------------------------------------------
// Client process: opens the connections, keeps `inflight` messages outstanding on each, records
// every round trip's latency in the measured window and reports counts and percentiles.

async function runClients(cfg) {
  const { WebSocket } = loadImpl(cfg.impl);
  const MESSAGE = messageOf(cfg.size);
  const url = `ws://127.0.0.1:${cfg.port}/`;
  const sockets = [];
  for (let i = 0; i < cfg.clients; i++) {
    const ws = new WebSocket(url, cfg.impl === 'wsframe' ? { connectQueue: false } : undefined);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    sockets.push(ws);
  }
  let measuring = false;
  let count = 0;
  const maxSamples = 4_000_000;
  const samples = new Float64Array(maxSamples);
  let nSamples = 0;
  let running = true;
  let pace;
  if (cfg.rate > 0) {
    // Open loop: `rate` messages/s in all, spread over the clients by a 1 ms ticker, whatever the
    // server does. Every server then sees the same arrivals, so its CPU per echo compares like
    // with like (in the closed loop a faster server drains each socket sooner and gets fewer
    // messages per read). Send times queue per socket; echoes come back in order.
    const queues = sockets.map(() => []);
    const heads = sockets.map(() => 0);
    sockets.forEach((ws, i) => {
      ws.on('message', () => {
        const now = performance.now();
        const q = queues[i];
        const t = q[heads[i]++];
        if (heads[i] === q.length) { q.length = 0; heads[i] = 0; }
        if (measuring) {
          count++;
          if (nSamples < maxSamples) samples[nSamples++] = now - t;
        }
      });
    });
    const t0 = performance.now();
    let sent = 0;
    let next = 0;
    pace = setInterval(() => {
      if (!running) return;
      const due = Math.floor(((performance.now() - t0) / 1000) * cfg.rate);
      for (; sent < due; sent++) {
        queues[next].push(performance.now());
        sockets[next].send(MESSAGE);
        next = next + 1 === sockets.length ? 0 : next + 1;
      }
    }, 1);
  } else {
    for (const ws of sockets) {
      // Echoes come back in order, so a ring of send times gives each one's round trip.
      const ring = new Float64Array(cfg.inflight);
      let head = 0;
      let tail = 0;
      ws.on('message', () => {
        const now = performance.now();
        const t = ring[head];
        head = head + 1 === cfg.inflight ? 0 : head + 1;
        if (measuring) {
          count++;
          if (nSamples < maxSamples) samples[nSamples++] = now - t;
        }
        if (running) {
          ring[tail] = performance.now();
          tail = tail + 1 === cfg.inflight ? 0 : tail + 1;
          ws.send(MESSAGE);
        }
      });
      for (let i = 0; i < cfg.inflight; i++) {
        ring[tail] = performance.now();
        tail = tail + 1 === cfg.inflight ? 0 : tail + 1;
        ws.send(MESSAGE);
      }
    }
  }
  await new Promise((r) => setTimeout(r, cfg.warmupMs));
  process.send({ type: 'start' });
  const cpu0 = process.cpuUsage();
  const io0 = syscalls();
  const t0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, cfg.seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const io = syscalls();
  process.send({ type: 'stop' });
  running = false;
  clearInterval(pace);
  const sorted = samples.subarray(0, nSamples).sort();
  const pct = (p) => (nSamples === 0 ? NaN : sorted[Math.min(nSamples - 1, Math.floor(p * nSamples))]);
  for (const ws of sockets) ws.terminate();
  process.send({
    type: 'result',
    count,
    elapsed,
    clientCpuUs: cpu.user + cpu.system,
    clientSysUs: cpu.system,
    clientReads: io === undefined ? NaN : io.r - io0.r,
    clientWrites: io === undefined ? NaN : io.w - io0.w,
    p50: pct(0.5),
    p99: pct(0.99),
  });
}

// ------------------------------------------------------------------------------------------------
// Parent: the server, and the measurement of its CPU time between the client's start and stop.

async function measure(serverImpl, clientImpl, clients, inflight, rate, size, seconds, warmupMs) {
  const { WebSocketServer } = loadImpl(serverImpl);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  let echoes = 0;
  let chunks = 0;
  const countChunks = process.env.ECHO_COUNT_CHUNKS === '1';
  wss.on('connection', (ws) => {
    // Diagnostic: echoes per received chunk (how much batching the clients' writes allow).
    if (countChunks) (ws.socket ?? ws._socket).on('data', () => chunks++);
    ws.on('message', (data, isBinary) => {
      echoes++;
      ws.send(data, { binary: isBinary });
    });
  });
  let echoes0 = 0;
  let serverEchoes = 0;
  const port = wss.address().port;
  const child = fork(self, ['client'], { stdio: 'inherit' });
  let cpu0;
  let io0;
  let readsPerEcho = NaN;
  let writesPerEcho = NaN;
  let serverCpuUs = 0;
  let serverSysUs = 0;
  const result = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('client process timed out'));
    }, (seconds + warmupMs / 1000) * 1000 + 30_000);
    child.on('message', (m) => {
      if (m.type === 'start') {
        cpu0 = process.cpuUsage();
        io0 = syscalls();
        echoes0 = echoes;
        chunks = 0;
      } else if (m.type === 'stop') {
        const cpu = process.cpuUsage(cpu0);
        serverCpuUs = cpu.user + cpu.system;
        serverSysUs = cpu.system;
        serverEchoes = echoes - echoes0;
        const io = syscalls();
        if (io !== undefined) { readsPerEcho = (io.r - io0.r) / serverEchoes; writesPerEcho = (io.w - io0.w) / serverEchoes; }
        if (countChunks) console.log(`# ${serverImpl} server, ${clientImpl} clients: ${(serverEchoes / chunks).toFixed(1)} echoes per received chunk`);
      } else if (m.type === 'result') {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`client process exited with ${code}`));
    });
    child.send({ impl: clientImpl, port, clients, inflight, rate, size, seconds, warmupMs });
  });
  await new Promise((r) => child.once('exit', r));
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
  return {
    rtPerSec: result.count / result.elapsed,
    serverUsPerEcho: serverCpuUs / serverEchoes,
    serverSysShare: serverSysUs / serverCpuUs,
    clientUsPerRt: result.clientCpuUs / result.count,
    readsPerEcho,
    writesPerEcho,
    clientSysShare: result.clientSysUs / result.clientCpuUs,
    clientReadsPerRt: result.clientReads / result.count,
    clientWritesPerRt: result.clientWrites / result.count,
    p50: result.p50,
    p99: result.p99,
  };
}

/** The server process's read and write system calls so far (Linux /proc/self/io), or undefined. */
function syscalls() {
  try {
    const t = readFileSync('/proc/self/io', 'utf8');
    return { r: Number(/syscr: (\d+)/.exec(t)[1]), w: Number(/syscw: (\d+)/.exec(t)[1]) };
  } catch {
    return undefined;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const quick = process.argv.includes('--quick');
  const seconds = arg('seconds', quick ? 1 : 5);
  const clients = arg('clients', quick ? 10 : 50);
  const inflight = arg('inflight', 100);
  const rounds = arg('rounds', 1);
  const warmupMs = quick ? 300 : 1000;
  // --only server/clients[,server/clients…] runs a subset (e.g. for profiling one side).
  const onlyAt = process.argv.indexOf('--only');
  const variants = (onlyAt >= 0 ? process.argv[onlyAt + 1].split(',') : ['ws/ws', 'wsframe/ws', 'ws/wsframe', 'wsframe/wsframe']).map((v) => v.split('/'));
  const rate = arg('rate', quick ? 5000 : 40000);
  const size = arg('size', 0);
  const modes = ['throughput', 'rate', 'latency'].filter((m) => !process.argv.includes(`--no-${m}`));
  const wsframe = require('../dist/cjs/index.js');
  console.log(`# echo, ${size > 0 ? `${size} B binary` : '64 B text'}, loopback — ${cpus()[0].model}, ${cpus().length} cores, Node ${process.version}`);
  console.log(`# wsframe backend: ${wsframe.activeBackend().name}; ws with bufferutil: ${(() => { try { require('bufferutil'); return 'yes'; } catch { return 'no'; } })()}`);
  console.log(`# ${seconds} s per measurement after ${warmupMs} ms warm-up, ${rounds} round(s) (median shown)`);
  const rows = [];
  const plan = [['throughput', clients, inflight, 0], ['rate', clients, 0, rate], ['latency', 1, 1, 0]];
  for (const [mode, c, f, rt] of plan.filter(([m]) => modes.includes(m))) {
    const results = new Map(variants.map((v) => [v.join('/'), []]));
    for (let r = 0; r < rounds; r++) {
      for (const [s, cl] of variants) results.get(`${s}/${cl}`).push(await measure(s, cl, c, f, rt, size, seconds, warmupMs));
    }
    for (const [s, cl] of variants) {
      const rs = results.get(`${s}/${cl}`);
      const row = {
        mode: mode === 'rate' ? `rate ${rt}/s ${c} cl` : `${mode} ${c}×${f}`,
        server: s,
        clients: cl,
        'rt/s': Math.round(median(rs.map((x) => x.rtPerSec))),
        'server µs/echo': median(rs.map((x) => x.serverUsPerEcho)).toFixed(2),
        'server sys%': Math.round(100 * median(rs.map((x) => x.serverSysShare))),
        'client µs/rt': median(rs.map((x) => x.clientUsPerRt)).toFixed(2),
        'server reads/echo': median(rs.map((x) => x.readsPerEcho)).toFixed(3),
        'server writes/echo': median(rs.map((x) => x.writesPerEcho)).toFixed(3),
        'client sys%': Math.round(100 * median(rs.map((x) => x.clientSysShare))),
        'client reads/rt': median(rs.map((x) => x.clientReadsPerRt)).toFixed(3),
        'client writes/rt': median(rs.map((x) => x.clientWritesPerRt)).toFixed(3),
        'p50 ms': median(rs.map((x) => x.p50)).toFixed(3),
        'p99 ms': median(rs.map((x) => x.p99)).toFixed(3),
      };
      rows.push(row);
    }
  }
  console.table(rows);
  // Ratios: each server against ws's server with the same clients, and wsframe on both sides
  // against ws on both sides.
  const find = (mode, server, clients) => rows.find((r) => r.mode === mode && r.server === server && r.clients === clients);
  const pairs = [
    ['wsframe', 'ws', 'ws', 'ws'],
    ['wsframe', 'wsframe', 'ws', 'wsframe'],
    ['wsframe', 'wsframe', 'ws', 'ws'],
  ];
  for (const mode of [...new Set(rows.map((r) => r.mode))]) {
    for (const [s1, c1, s0, c0] of pairs) {
      const r = find(mode, s1, c1);
      const b = find(mode, s0, c0);
      if (r === undefined || b === undefined) continue;
      console.log(
        `${mode.padEnd(18)} ${s1}/${c1} vs ${s0}/${c0}: rt/s ×${(r['rt/s'] / b['rt/s']).toFixed(2)}, ` +
          `server CPU/echo ×${(r['server µs/echo'] / b['server µs/echo']).toFixed(2)}, p50 ×${(r['p50 ms'] / b['p50 ms']).toFixed(2)}, p99 ×${(r['p99 ms'] / b['p99 ms']).toFixed(2)}`,
      );
    }
  }
}

if (process.argv[2] === 'client') {
  process.once('message', (cfg) => {
    runClients(cfg).then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
