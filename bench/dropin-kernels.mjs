// Where wsframe/bufferutil and wsframe/utf-8-validate should leave the JS loop for the backend, and
// how they compare with what ws does without them (its JS loops), with the real bufferutil 4 and
// utf-8-validate 6 addons, and with buffer.isUtf8, per input size. One run, side by side.
//   node bench/dropin-kernels.mjs           full run (~2-3 min)
//   node bench/dropin-kernels.mjs --quick   CI smoke run (< 30 s)
// Cells are ns per call (median of tinybench samples, each sample REPS calls). Every column runs in
// its own child process (WSFRAME_BACKEND set for it) so that no column's code shapes another's JIT
// state. Per backend: "loop" is the JS byte loop / DFA the drop-in uses for small inputs, "call" is
// the backend kernel called directly, "drop-in" is the module as shipped (argument checks
// included). The loop/call crossover informs the shared thresholds in ts/select.ts (TUNING). ws's own
// loops come from ws's lib/buffer-util.js and validation.js with bufferutil and isUtf8 hidden.
import { createRequire } from 'node:module';
import { execFileSync, execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const quick = process.argv.includes('--quick');
const childArg = process.argv.indexOf('--child');
const time = quick ? 15 : 100;
const REPS = 64;
const SIZES = quick ? [16, 48, 128, 1024] : [8, 16, 24, 32, 40, 48, 64, 96, 128, 192, 256, 512, 1024, 16384];
const SAMPLE = 'The quick brown fox {"id": 12345} Voilà déjà l’été, 漢字 😀 ';

function text(size) {
  const b = Buffer.from(SAMPLE.repeat(Math.ceil(size / Buffer.byteLength(SAMPLE)) + 1));
  let n = Math.min(size, b.length);
  while (n > 0 && (b[n] & 0xc0) === 0x80) n--;
  return Buffer.from(b.subarray(0, n));
}

/** The functions one column measures: { mask(src, key, dst, off, n), unmask(buf, key), utf8(buf) }. */
function column(name) {
  const keyBytes = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const key = keyBytes.readUInt32LE(0);
  if (name === 'ws JS') {
    process.env.WS_NO_BUFFER_UTIL = '1';
    process.env.WS_NO_UTF_8_VALIDATE = '1';
    require('node:buffer').isUtf8 = undefined;
    const lib = path.join(path.dirname(require.resolve('ws/package.json')), 'lib');
    const bu = require(path.join(lib, 'buffer-util.js'));
    const v = require(path.join(lib, 'validation.js'));
    return { mask: (s, d, o, n) => bu.mask(s, keyBytes, d, o, n), unmask: (b) => bu.unmask(b, keyBytes), utf8: v.isValidUTF8 };
  }
  if (name === 'originals') {
    const bu = require('bufferutil');
    const v = require('utf-8-validate');
    return { mask: (s, d, o, n) => bu.mask(s, keyBytes, d, o, n), unmask: (b) => bu.unmask(b, keyBytes), utf8: v };
  }
  if (name === 'buffer.isUtf8') return { utf8: require('node:buffer').isUtf8 };
  const [backend, kind] = name.split(' ');
  process.env.WSFRAME_BACKEND = backend;
  const js = require('../dist/cjs/backend-js.js');
  if (kind === 'loop') {
    return { mask: (s, d, o, n) => js.maskBytes(s, key, d, o, n), unmask: (b) => js.maskBytes(b, key, b, 0, b.length), utf8: (b) => js.utf8StreamJs(0, b) === 0 };
  }
  if (kind === 'call') {
    const b = require('../dist/cjs/index.js').getBackend(backend);
    return { mask: (s, d, o, n) => b.mask(s, key, d, o, n), unmask: (buf) => b.unmask(buf, key), utf8: (buf) => b.isValidUtf8(buf) };
  }
  const bu = require('../dist/cjs/dropin/bufferutil.js');
  const v = require('../dist/cjs/dropin/utf-8-validate.js');
  return { mask: (s, d, o, n) => bu.mask(s, keyBytes, d, o, n), unmask: (b) => bu.unmask(b, keyBytes), utf8: v };
}

async function runChild(name) {
  const fns = column(name);
  const out = {};
  const add = async (op, size, fn) => {
    const bench = new Bench({ time, warmupTime: quick ? 5 : 25, warmupIterations: 3 });
    bench.add(op, () => {
      for (let i = 0; i < REPS; i++) fn();
    });
    await bench.run();
    out[`${op} ${size}`] = (bench.getTask(op).result.latency.p50 * 1e6) / REPS;
  };
  for (const size of SIZES) {
    const src = Buffer.alloc(size, 0x5a);
    const dst = Buffer.alloc(size + 8);
    const buf = Buffer.alloc(size, 0xa5);
    const t = text(size);
    if (fns.mask) await add('mask', size, () => fns.mask(src, dst, 8, size));
    if (fns.unmask) await add('unmask', size, () => fns.unmask(buf));
    if (fns.utf8) await add('utf8', size, () => fns.utf8(t));
  }
  process.stdout.write(JSON.stringify(out));
}

if (childArg !== -1) {
  await runChild(process.argv[childArg + 1]);
} else {
  const wsframe = require('../dist/cjs/index.js');
  const { TUNING } = require('../dist/cjs/select.js');
  const backends = wsframe.backendStatus().filter((s) => s.available);
  const columns = ['ws JS', 'originals', 'buffer.isUtf8'];
  for (const b of backends) columns.push(`${b.name} loop`, `${b.name} call`, `${b.name} drop-in`);
  const results = {};
  const self = fileURLToPath(import.meta.url);
  for (const c of columns) {
    const args = [self, '--child', c, ...(quick ? ['--quick'] : [])];
    results[c] = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }));
    process.stderr.write(`${c} done\n`);
  }
  const fmt = (x) => (x === undefined ? '' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const lines = [];
  for (const [op, title, orig] of [
    ['mask', 'mask(source, mask, output, 8, size)', 'bufferutil'],
    ['unmask', 'unmask(buffer, mask)', 'bufferutil'],
    ['utf8', 'isValidUTF8(buf), mixed text', 'utf-8-validate'],
  ]) {
    const cols = columns.filter((c) => results[c][`${op} ${SIZES[0]}`] !== undefined);
    const head = cols.map((c) => (c === 'originals' ? orig : c));
    lines.push('', `## ${title}, ns per call`, '', `| size | ${head.join(' | ')} |`, `|---:|${cols.map(() => '---:').join('|')}|`);
    for (const s of SIZES) lines.push(`| ${s} | ${cols.map((c) => fmt(results[c][`${op} ${s}`])).join(' | ')} |`);
  }
  let model = os.cpus()[0]?.model ?? '?';
  try {
    model = execSync("lscpu | sed -n 's/^Model name: *//p'", { encoding: 'utf8' }).trim() || model;
  } catch {}
  console.log(`# wsframe drop-in kernels${quick ? ' (--quick)' : ''}\n`);
  console.log(`command: node bench/dropin-kernels.mjs${quick ? ' --quick' : ''}; machine: ${model}, ${os.cpus().length} cores; node ${process.version}; backends: ${backends.map((s) => `${s.name}/${s.variant}`).join(', ')}`);
  console.log(`shipped thresholds (ts/select.ts TUNING): ${JSON.stringify(TUNING)}`);
  console.log(lines.join('\n'));
}
