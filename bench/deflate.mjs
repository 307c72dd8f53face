// permessage-deflate: wsframe vs ws, same settings on both sides (zlib defaults: level 6, memLevel 8,
// window 15; threshold 0 so every message is compressed; concurrency limit 10).
//   npm run build && node bench/deflate.mjs      full run: 1,000 connections (re-runs itself with --expose-gc)
//   node bench/deflate.mjs --quick               CI smoke run: 100 connections, 0.5 s windows, fewer
//                                                variants (~10 s idle; ~35 s at load 12 on 2 cores)
//   options: --seconds N (loopback window, default 5), --only codec,echo,memory
//
// 1. Loopback echo of 1 KiB JSON messages: the server in this process, clients in a forked process,
//    `connections` × 2 messages in flight, both directions compressed. Variants: ws server + ws
//    clients, wsframe server + ws clients (same clients: the server is what differs), wsframe server
//    + wsframe clients. Reports round trips/s and server CPU µs per echo (process.cpuUsage over the
//    window, all threads: zlib's thread-pool work counts), and the round-trip time of one connection
//    with one message in flight. On a shared machine, processes with more threads (ws's zlib pool)
//    get more CPU time under contention: trust CPU per echo and RTT over wall throughput.
// 2. Memory per connection: a fresh server process accepts `connections` ws clients, each echoes two
//    messages, then GC; (RSS, heap, external) after minus before, divided by the connections. zlib's
//    allocations are counted in `external` by Node.
// 3. Codec level (no sockets): the same echo through PerMessageDeflate objects, all in flight at once
//    (client compress -> server inflate -> server compress -> client inflate), wall time and CPU.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync, fork, spawnSync } from 'node:child_process';
import os from 'node:os';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const WsPMD = require(join(dirname(require.resolve('ws')), 'lib', 'permessage-deflate.js'));
const { PerMessageDeflate } = require('../dist/cjs/permessage-deflate.js');
const { setZlibConcurrency } = require('../dist/cjs/zlib-limiter.js');

const quick = process.argv.includes('--quick');
const CONNS = quick ? 100 : 1000;
const SECONDS = argValue('seconds', quick ? 0.5 : 5);
const ONLY = (process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : 'echo,memory,codec').split(',');
const self = fileURLToPath(import.meta.url);

function argValue(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const MODES = {
  'context takeover': { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
  'no context takeover': { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
};

/** ~1.1 KB JSON order-book updates (over ws's default threshold of 1024) that look alike but differ (what market-data feeds send). */
function jsonMessage(seq) {
  const rows = [];
  let length = 0;
  for (let i = 0; length < 1100 - 60; i++) {
    const row = `{"sym":"SYM${(seq * 7 + i) % 97}","bid":${(100 + ((seq * 13 + i * 3) % 50) / 100).toFixed(2)},"ask":${(100.5 + ((seq + i) % 40) / 100).toFixed(2)},"qty":${(seq * 31 + i * 17) % 1000}}`;
    rows.push(row);
    length += row.length + 1;
  }
  return Buffer.from(`{"type":"book","seq":${seq},"rows":[${rows.join(',')}]}`);
}
const MESSAGES = Array.from({ length: 64 }, (_, i) => jsonMessage(i));

/** Both implementations behind one promise API: compress(buf) / decompress(buf). */
function wsframeCodec(role, params) {
  const c = new PerMessageDeflate(role, params, { threshold: 0 });
  return { compress: (b) => c.compress(b), decompress: (b) => c.decompress(b), close: () => c.close() };
}
function wsCodec(role, params) {
  const c = new WsPMD({ isServer: role === 'server', threshold: 0 });
  c.params = {
    server_no_context_takeover: params.serverNoContextTakeover,
    client_no_context_takeover: params.clientNoContextTakeover,
    server_max_window_bits: params.serverMaxWindowBits,
    client_max_window_bits: params.clientMaxWindowBits,
  };
  const cb = (resolve, reject) => (err, out) => (err ? reject(err) : resolve(out));
  return {
    compress: (b) => new Promise((res, rej) => c.compress(b, true, cb(res, rej))),
    decompress: (b) => new Promise((res, rej) => c.decompress(b, true, cb(res, rej))),
    close: () => c.cleanup(),
  };
}
const IMPLS = { 'ws 8 PerMessageDeflate': wsCodec, 'wsframe PerMessageDeflate': wsframeCodec };

async function echoAll(pairs, seq) {
  const msg = MESSAGES[seq % MESSAGES.length];
  await Promise.all(pairs.map(async ({ client, server }) => {
    const up = await server.decompress(await client.compress(msg));
    const down = await client.decompress(await server.compress(up));
    if (down.length !== msg.length) throw new Error('echo corrupted');
  }));
}

async function throughput() {
  const rows = [];
  for (const [mode, params] of Object.entries(MODES)) {
    const bench = new Bench({ time: quick ? 300 : 4000, iterations: quick ? 3 : 20, warmupIterations: quick ? 1 : 2, warmupTime: quick ? 50 : 500 });
    const all = [];
    const cpu = {};
    for (const [name, make] of Object.entries(IMPLS)) {
      const pairs = Array.from({ length: CONNS }, () => ({ client: make('client', params), server: make('server', params) }));
      all.push(...pairs);
      let seq = 0;
      cpu[name] = { us: 0, rounds: 0 };
      bench.add(name, async () => {
        const t = process.cpuUsage();
        await echoAll(pairs, seq++);
        const d = process.cpuUsage(t);
        cpu[name].us += d.user + d.system;
        cpu[name].rounds++;
      });
    }
    await bench.run();
    for (const p of all) {
      p.client.close();
      p.server.close();
    }
    const base = bench.getTask('ws 8 PerMessageDeflate').result.latency.p50;
    for (const task of bench.tasks) {
      const ms = task.result.latency.p50;
      rows.push({ mode, impl: task.name, 'median ms / round': +ms.toFixed(1), 'echoes/s': Math.round(CONNS / (ms / 1000)), 'vs ws': +(base / ms).toFixed(2),
        'CPU µs / echo (all threads)': +(cpu[task.name].us / cpu[task.name].rounds / CONNS).toFixed(1) });
    }
  }
  return rows;
}

/** Child process: open `n` server codecs, echo once on each, GC, print deltas per connection. */
async function memoryChild(implName, mode, n) {
  const params = MODES[mode];
  const make = IMPLS[implName];
  const peer = make('client', params);
  const first = await peer.compress(MESSAGES[0]); // the first message of a fresh context, valid for every server
  const gc = globalThis.gc;
  gc(); gc();
  const before = process.memoryUsage();
  const servers = [];
  for (let i = 0; i < n; i++) servers.push(make('server', params));
  // One message each way on every connection, 50 connections at a time.
  for (let i = 0; i < n; i += 50) {
    await Promise.all(servers.slice(i, i + 50).map(async (s) => s.compress(await s.decompress(first))));
  }
  gc(); gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const after = process.memoryUsage();
  const per = (k) => (after[k] - before[k]) / n / 1024;
  process.stdout.write(JSON.stringify({ rss: per('rss'), heap: per('heapUsed'), external: per('external') }));
  for (const s of servers) s.close();
}

function memory() {
  const rows = [];
  const self = fileURLToPath(import.meta.url);
  for (const mode of Object.keys(MODES)) {
    for (const impl of Object.keys(IMPLS)) {
      const out = execFileSync(process.execPath, ['--expose-gc', self, '--memory-child', impl, mode, String(CONNS)], { encoding: 'utf8', timeout: 120_000 });
      const m = JSON.parse(out);
      rows.push({ mode, impl, connections: CONNS, 'RSS KiB/conn': +m.rss.toFixed(1), 'heap KiB/conn': +m.heap.toFixed(1), 'external KiB/conn': +m.external.toFixed(1) });
    }
  }
  return rows;
}

// ------------------------------------------------------------------------------------------------
// Loopback: WebSocket classes of either library with permessage-deflate, same settings.

const SOCKET_DEFLATE = { threshold: 0 };
const NO_CONTEXT = { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true };

function loadImpl(name) {
  if (name === 'ws') {
    const ws = require('ws');
    return { WebSocket: ws.WebSocket, WebSocketServer: ws.WebSocketServer, clientOpts: (pmd) => ({ perMessageDeflate: pmd }) };
  }
  const w = require('../dist/cjs/index.js');
  return { WebSocket: w.WebSocket, WebSocketServer: w.WebSocketServer, clientOpts: (pmd) => ({ perMessageDeflate: pmd, connectQueue: false }) };
}

/** Client process: opens connections, keeps `inflight` messages outstanding on each, counts echoes. */
async function runClients(cfg) {
  const { WebSocket, clientOpts } = loadImpl(cfg.impl);
  const sockets = [];
  for (let i = 0; i < cfg.clients; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, cfg.clients - i) }, () => new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${cfg.port}/`, clientOpts(cfg.pmd));
      ws.once('open', () => resolve(sockets.push(ws)));
      ws.once('error', reject);
    })));
  }
  let measuring = false;
  let count = 0;
  let received = 0;
  let running = true;
  let seq = 0;
  for (const ws of sockets) {
    ws.on('message', () => {
      received++;
      if (measuring) count++;
      if (running && cfg.inflight > 0) ws.send(MESSAGES[seq++ & 63].toString());
    });
    for (let i = 0; i < Math.max(cfg.inflight, cfg.once); i++) ws.send(MESSAGES[seq++ & 63].toString());
  }
  if (cfg.inflight === 0) {
    // Memory mode: each connection sent `once` messages (the server counts the echoes); idle until told.
    process.send({ type: 'ready' });
    await new Promise((r) => process.once('message', r));
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
  // Warm-up: every connection has made a round trip (its zlib streams exist on both ends; creating
  // 2,000 of them takes seconds here), then `warmupMs` more.
  const until = Date.now() + 60_000;
  while (received < cfg.clients * cfg.inflight * 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, cfg.warmupMs));
  process.send({ type: 'start' });
  const t0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, cfg.seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  process.send({ type: 'stop' });
  running = false;
  for (const ws of sockets) ws.terminate();
  process.send({ type: 'result', count, elapsed });
  process.exit(0);
}

async function startServer(impl, pmd) {
  const { WebSocketServer } = loadImpl(impl);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: pmd });
  await new Promise((r) => wss.once('listening', r));
  let echoes = 0;
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => {
    echoes++;
    ws.send(data, { binary: isBinary });
  }));
  return { wss, echoes: () => echoes };
}

function stopServer(wss) {
  for (const c of wss.clients) c.terminate();
  return new Promise((r) => wss.close(r));
}

async function echoRun(serverImpl, clientImpl, pmd, clients = CONNS, inflight = 2) {
  const { wss, echoes } = await startServer(serverImpl, pmd);
  const child = fork(self, ['--clients-child'], { stdio: 'inherit' });
  let cpu0, e0, serverCpu = 0, serverEchoes = 0;
  const result = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error('client process timed out')); }, SECONDS * 1000 + 90_000);
    child.on('message', (m) => {
      if (m.type === 'start') { cpu0 = process.cpuUsage(); e0 = echoes(); }
      else if (m.type === 'stop') { const c = process.cpuUsage(cpu0); serverCpu = c.user + c.system; serverEchoes = echoes() - e0; }
      else if (m.type === 'result') { clearTimeout(timer); resolve(m); }
    });
    child.on('exit', (code) => { if (code !== 0) reject(new Error(`client process exited with ${code}`)); });
    child.send({ impl: clientImpl, port: wss.address().port, clients, inflight, once: 0, pmd, seconds: SECONDS, warmupMs: quick ? 200 : 1000 });
  });
  await stopServer(wss);
  return { rtPerSec: result.count / result.elapsed, serverUsPerEcho: serverCpu / serverEchoes };
}

async function echoTable() {
  const rows = [];
  for (const [mode, pmd] of [['context takeover', SOCKET_DEFLATE], ['no context takeover', NO_CONTEXT]]) {
    let base;
    // --quick (a smoke run) skips the mixed variant; each process start costs ~2 s on a loaded machine.
    for (const [s, c] of quick ? [['ws', 'ws'], ['wsframe', 'wsframe']] : [['ws', 'ws'], ['wsframe', 'ws'], ['wsframe', 'wsframe']]) {
      const r = await echoRun(s, c, pmd);
      const one = await echoRun(s, c, pmd, 1, 1);
      if (s === 'ws') base = { ...r, rtt: 1e6 / one.rtPerSec };
      rows.push({
        mode, 'server / clients': `${s} / ${c}`, connections: CONNS,
        'round trips/s': Math.round(r.rtPerSec), 'vs ws/ws': +(r.rtPerSec / base.rtPerSec).toFixed(2),
        'server CPU µs/echo': +r.serverUsPerEcho.toFixed(1), 'server CPU vs ws': +(base.serverUsPerEcho / r.serverUsPerEcho).toFixed(2),
        'RTT µs, 1 conn': Math.round(1e6 / one.rtPerSec), 'RTT vs ws': +(base.rtt / (1e6 / one.rtPerSec)).toFixed(2),
      });
    }
  }
  return rows;
}

/** Server process for the memory measurement: accepts N ws clients, each echoes twice, then GC. */
async function memoryServer(impl, mode) {
  const pmd = mode === 'context takeover' ? SOCKET_DEFLATE : mode === 'no context takeover' ? NO_CONTEXT : false;
  const gc = globalThis.gc;
  const { wss, echoes } = await startServer(impl, pmd);
  gc(); gc();
  const before = process.memoryUsage();
  const child = fork(self, ['--clients-child'], { stdio: 'inherit' });
  child.send({ impl: 'ws', port: wss.address().port, clients: CONNS, inflight: 0, once: 2, pmd, seconds: 0, warmupMs: 0 });
  await new Promise((r) => child.once('message', r));
  const deadline = Date.now() + 60_000;
  while (echoes() < CONNS * 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  gc(); gc();
  const after = process.memoryUsage();
  const per = (k) => (after[k] - before[k]) / CONNS / 1024;
  child.send('exit');
  await new Promise((r) => child.once('exit', r));
  await stopServer(wss);
  process.stdout.write(JSON.stringify({ rss: per('rss'), heap: per('heapUsed'), external: per('external'), open: wss.clients.size }));
  process.exit(0);
}

function memoryTable() {
  const rows = [];
  for (const mode of quick ? ['no context takeover'] : ['no deflate (baseline)', 'context takeover', 'no context takeover']) {
    for (const impl of ['ws', 'wsframe']) {
      const r = spawnSync(process.execPath, ['--expose-gc', self, '--memory-server', impl, mode, ...(quick ? ['--quick'] : [])], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'inherit'] });
      const m = JSON.parse(r.stdout);
      rows.push({ mode, server: impl, connections: CONNS, 'RSS KiB/conn': +m.rss.toFixed(1), 'heap KiB/conn': +m.heap.toFixed(1), 'external KiB/conn': +m.external.toFixed(1) });
    }
  }
  return rows;
}

if (typeof globalThis.gc !== 'function' && !process.argv.includes('--clients-child')) {
  // The memory sections collect garbage before measuring: re-run this script with --expose-gc.
  const r = spawnSync(process.execPath, ['--expose-gc', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else if (process.argv.includes('--clients-child')) {
  process.once('message', (cfg) => runClients(cfg).catch((e) => { console.error(e); process.exit(1); }));
} else if (process.argv.includes('--memory-server')) {
  const at = process.argv.indexOf('--memory-server');
  await memoryServer(process.argv[at + 1], process.argv[at + 2]);
} else if (process.argv.includes('--memory-child')) {
  const at = process.argv.indexOf('--memory-child');
  const [impl, mode, n] = process.argv.slice(at + 1);
  await memoryChild(impl, mode, Number(n));
} else {
  setZlibConcurrency(10); // ws's default, for both (ws's limiter is its own, also 10)
  console.log(`wsframe permessage-deflate bench${quick ? ' (--quick)' : ''}: node ${process.version}, ${os.cpus()[0].model.trim()}, ${os.cpus().length} cores, ${CONNS} connections, ${MESSAGES[0].length} B JSON messages, zlib defaults (level 6, memLevel 8, window 15), threshold 0`);
  if (ONLY.includes('echo')) {
    console.log(`\n1. Loopback compressed echo, ${CONNS} connections × 2 in flight, ${SECONDS} s window:`);
    console.table(await echoTable());
  }
  if (ONLY.includes('memory')) {
    console.log('\n2. Server memory per connection after two compressed echoes each (child process, after GC):');
    console.table(memoryTable());
  }
  if (ONLY.includes('codec')) {
    console.log('\n3. Codec level (no sockets), all connections in flight:');
    console.table(await throughput());
    if (!quick) {
      console.log('   zlib memory per codec (server side, one echo each, after GC):');
      console.table(memory());
    }
  }
}
