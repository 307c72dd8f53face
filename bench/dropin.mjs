// ws servers on loopback with each way of acceleration, in one run:
//   plain ws (no bufferutil) | ws + bufferutil 4 | ws + wsframe (masking, --require wsframe/register)
//   | ws + wsframe codec mode (--require wsframe/register-codec: receiver and sender replaced)
//   | ablation: ws + bufferutil with its sends corked per tick (write batching alone, no wsframe)
// Workloads: echo, 50 clients, 64 B text and 16 KiB binary; broadcast, 1 publisher + 200
// subscribers, 64 B text. The server runs in a child process per variant (bench/dropin-server.cjs,
// forked with the variant's flags) and reports its CPU time (process.cpuUsage) and message counts;
// the load comes from lean raw-socket clients in this process (pre-built masked frames, replies
// counted by size), so that the server, not the client, is what is measured.
//   node bench/dropin.mjs           full run (4 s per cell, ~1 min)
//   node bench/dropin.mjs --quick   CI smoke run (< 30 s)
// Loopback only; every cell stops by itself after its time.
import { fork, execSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const MEASURE_MS = quick ? 500 : 4000;
const WARMUP_MS = quick ? 200 : 1000;
const ROUNDS = quick ? 1 : 2;

const VARIANTS = [
  { name: 'plain ws', execArgv: [], env: { WS_NO_BUFFER_UTIL: '1' }, expect: (l) => l.bufferUtil.length === 0 },
  { name: 'ws + bufferutil', execArgv: [], env: {}, expect: (l) => l.bufferUtil.some((f) => f.includes(`${path.sep}bufferutil${path.sep}`)) },
  {
    name: 'ws + wsframe (masking)',
    execArgv: ['--require', path.join(root, 'dist/cjs/dropin/register.js')],
    env: {},
    expect: (l) => l.bufferUtil.some((f) => f.endsWith(path.join('dropin', 'bufferutil.js'))) && l.codec === null,
  },
  {
    // Ablation: ws + bufferutil with only write batching added (bench/ws-cork-only.cjs).
    name: 'ws + bufferutil + cork per tick',
    ablation: true,
    execArgv: ['--require', path.join(root, 'bench/ws-cork-only.cjs')],
    env: {},
    expect: (l) => l.corkOnly && l.codec === null,
  },
  {
    name: 'ws + wsframe (codec mode)',
    execArgv: ['--require', path.join(root, 'dist/cjs/dropin/register-codec.js')],
    env: {},
    expect: (l) => l.codec !== null && l.codec.fast > 0 && l.codec.fallback === 0,
  },
];

const WORKLOADS = [
  { name: 'echo 64 B text', mode: 'echo', clients: 50, size: 64, opcode: 1, window: 100 },
  { name: 'echo 16 KiB binary', mode: 'echo', clients: 50, size: 16384, opcode: 2, window: 4 },
  { name: 'broadcast 64 B text to 200', mode: 'broadcast', clients: 200, size: 64, opcode: 1, window: 8 },
];

/** One masked client frame with a fixed non-zero key (ws skips unmasking for a zero key). */
function clientFrame(opcode, size) {
  const payload = Buffer.alloc(size, 'x');
  const lenBytes = size < 126 ? [size | 0x80] : size < 65536 ? [126 | 0x80, size >> 8, size & 0xff] : null;
  const key = [0x1f, 0x2e, 0x3d, 0x4c];
  const head = Buffer.from([0x80 | opcode, ...lenBytes, ...key]);
  for (let i = 0; i < size; i++) payload[i] ^= key[i & 3];
  return Buffer.concat([head, payload]);
}

/** Size of the server's unmasked frame for a payload of `size` bytes. */
const serverFrameSize = (size) => size + (size < 126 ? 2 : size < 65536 ? 4 : 10);

function connect(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    let buf = '';
    const onData = (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      sock.off('data', onData);
      if (!buf.startsWith('HTTP/1.1 101')) return reject(new Error(`handshake failed: ${buf.slice(0, 80)}`));
      resolve({ sock, rest: buf.length - end - 4 });
    };
    sock.on('data', onData);
    sock.on('error', reject);
    sock.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}

/**
 * Drives one workload against `port` until stop() is called. Echo: every client keeps `window`
 * messages in flight. Broadcast: client 0 publishes with `window` in flight, acknowledged by its own
 * copy of each broadcast; the others only receive.
 */
async function drive(port, w) {
  const frame = clientFrame(w.opcode, w.size);
  const batch = Buffer.concat(Array.from({ length: w.window }, () => frame));
  const reply = serverFrameSize(w.size);
  const conns = await Promise.all(Array.from({ length: w.clients }, () => connect(port)));
  let running = true;
  conns.forEach(({ sock, rest }, i) => {
    const sender = w.mode === 'echo' || i === 0;
    let bytes = rest;
    let acked = 0;
    sock.on('data', (d) => {
      bytes += d.length;
      if (!sender || !running) return;
      const done = Math.floor(bytes / reply);
      const k = done - acked;
      if (k > 0) {
        acked = done;
        sock.write(k === w.window ? batch : batch.subarray(0, k * frame.length));
      }
    });
    sock.on('error', () => {});
    if (sender) sock.write(batch);
  });
  return () => {
    running = false;
    for (const { sock } of conns) sock.destroy();
  };
}

function request(child, op) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send({ op });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function cell(variant, w) {
  const child = fork(path.join(root, 'bench/dropin-server.cjs'), [w.mode], {
    cwd: root,
    execArgv: variant.execArgv,
    env: { ...process.env, ...variant.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const stop = await drive(port, w);
  await sleep(WARMUP_MS);
  const a = await request(child, 'snap');
  const t0 = process.hrtime.bigint();
  await sleep(MEASURE_MS);
  const b = await request(child, 'snap');
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const loaded = await request(child, 'loaded');
  stop();
  child.send({ op: 'exit' });
  await new Promise((r) => child.once('exit', r));
  if (!variant.expect(loaded)) throw new Error(`${variant.name}: the server did not load what this variant needs: ${JSON.stringify(loaded)}`);
  const cpuUs = b.cpu.user + b.cpu.system - (a.cpu.user + a.cpu.system);
  // Echo: a message is one received + one sent. Broadcast: count deliveries (sends).
  const count = w.mode === 'echo' ? b.received - a.received : b.sent - a.sent;
  return { rate: count / seconds, cpuPerMsg: cpuUs / count, cpuShare: cpuUs / 1e6 / seconds };
}

// --quick (CI smoke) skips the ablation row to stay short.
const available = VARIANTS.filter((v) => {
  if (quick && v.ablation) return false;
  const f = v.execArgv[1];
  return f === undefined || require('node:fs').existsSync(f);
});
const results = new Map();
for (let round = 0; round < ROUNDS; round++) {
  // Interleave variants within each round so that drifting machine load hits all of them alike.
  for (const w of WORKLOADS) {
    for (const v of available) {
      const r = await cell(v, w);
      const key = `${w.name}|${v.name}`;
      results.set(key, [...(results.get(key) ?? []), r]);
      process.stderr.write(`${w.name} / ${v.name}: ${Math.round(r.rate)} msg/s, ${r.cpuPerMsg.toFixed(2)} us CPU/msg\n`);
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
let model = os.cpus()[0]?.model ?? '?';
try {
  model = execSync("lscpu | sed -n 's/^Model name: *//p'", { encoding: 'utf8' }).trim() || model;
} catch {}
const wsVersion = require('ws/package.json').version;
console.log(`# ws drop-in acceleration, loopback${quick ? ' (--quick)' : ''}\n`);
console.log(`command: node bench/dropin.mjs${quick ? ' --quick' : ''}; machine: ${model}, ${os.cpus().length} cores; node ${process.version}; ws ${wsVersion}; ${MEASURE_MS / 1000} s per cell after ${WARMUP_MS / 1000} s warm-up, median of ${ROUNDS} round(s); load average at end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('');
console.log('Server CPU per message is the figure to trust (the load client shares the 2 cores). Ratios are against ws + bufferutil.');
for (const w of WORKLOADS) {
  console.log('', `\n## ${w.name} (${w.mode === 'echo' ? `${w.clients} clients x ${w.window} in flight; msg = one echo` : `${w.window} broadcasts in flight; msg = one delivery`})\n`);
  console.log('| variant | msgs/s | server CPU us/msg | server CPU use | msgs/s vs bufferutil | CPU/msg: bufferutil / this |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const base = results.get(`${w.name}|ws + bufferutil`);
  const baseRate = median(base.map((r) => r.rate));
  const baseCpu = median(base.map((r) => r.cpuPerMsg));
  for (const v of available) {
    const rs = results.get(`${w.name}|${v.name}`);
    const rate = median(rs.map((r) => r.rate));
    const cpu = median(rs.map((r) => r.cpuPerMsg));
    const share = median(rs.map((r) => r.cpuShare));
    console.log(`| ${v.name} | ${Math.round(rate)} | ${cpu.toFixed(2)} | ${(share * 100).toFixed(0)}% | ${(rate / baseRate).toFixed(2)}x | ${(baseCpu / cpu).toFixed(2)}x |`);
  }
}
