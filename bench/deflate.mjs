// permessage-deflate: wsframe's PerMessageDeflate vs ws's (ws/lib/permessage-deflate.js), same settings.
//   npm run build && node --expose-gc bench/deflate.mjs     full run (1,000 connections)
//   node --expose-gc bench/deflate.mjs --quick              CI smoke run (< 30 s, 100 connections)
// Codec level: the echo of a 1 KiB JSON message is client compress -> server inflate -> server
// compress -> client inflate, for every connection at once (all in flight together, as on a busy
// server). Each tinybench iteration echoes one message per connection; echoes/s = connections / p50.
// Memory per connection: a child process (--expose-gc) opens N server-side codecs, echoes one message
// on each (so the zlib streams that stay allocated are allocated), collects garbage and reports
// (RSS, heap, external) deltas / N. zlib's allocations are counted in `external` by Node.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const WsPMD = require(join(dirname(require.resolve('ws')), 'lib', 'permessage-deflate.js'));
const { PerMessageDeflate } = require('../dist/cjs/permessage-deflate.js');
const { setZlibConcurrency } = require('../dist/cjs/zlib-limiter.js');

const quick = process.argv.includes('--quick');
const CONNS = quick ? 100 : 1000;

const MODES = {
  'context takeover': { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
  'no context takeover': { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
};

/** 1 KiB JSON order-book updates that look alike but differ (what market-data feeds send). */
function jsonMessage(seq) {
  const rows = [];
  let length = 0;
  for (let i = 0; length < 1024 - 60; i++) {
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
    const bench = new Bench({ time: quick ? 1000 : 4000, iterations: quick ? 5 : 20, warmupIterations: 2, warmupTime: quick ? 100 : 500 });
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

const childAt = process.argv.indexOf('--memory-child');
if (childAt !== -1) {
  const [impl, mode, n] = process.argv.slice(childAt + 1);
  await memoryChild(impl, mode, Number(n));
} else {
  setZlibConcurrency(10); // ws's default, for both (ws's limiter is its own, also 10)
  console.log(`wsframe permessage-deflate bench${quick ? ' (--quick)' : ''}: node ${process.version}, ${os.cpus()[0].model.trim()}, ${os.cpus().length} cores, ${CONNS} connections, ${MESSAGES[0].length} B JSON messages, zlib defaults (level 6, memLevel 8, window 15)`);
  console.log('\nCodec-level compressed echo (4 zlib jobs per echo), all connections in flight:');
  console.table(await throughput());
  console.log('\nMemory per connection after one echo (server side, child process, after GC):');
  console.table(memory());
}
