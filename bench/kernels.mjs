// Kernel benchmark: masking and UTF-8 validation, every wsframe backend next to the incumbents.
//
//   npm run build:wasm && npx tsc -p tsconfig.json   # emits dist/cjs/backend-*.js
//   node bench/kernels.mjs [--quick] [--cpu]
//
// Every object in `backends()` implements ts/backend.ts's Backend interface and is benched the
// same way, so a backend that appears in dist/cjs (native, js) joins the table without changes
// here. The WASM backend is shown twice: ordinary buffers (copied into its scratch region and back)
// and data already resident in WASM memory (an arena view, processed in place).
//
// Numbers: each task repeats the operation K times (K * size ~ 64 KiB, at least once) so timer
// overhead does not dominate small sizes; throughput = K * size / median sample time. Inputs are
// placed at several byte offsets inside fresh ArrayBuffers (glibc memcpy on this VM slows down
// ~17x for some source/destination offsets modulo 4 KiB): the tables show the median over
// placements, and a last table shows the spread (max/min) per cell.
import { createRequire } from 'node:module';
import { isUtf8 } from 'node:buffer';
import { execSync } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);

// dist/cjs is CommonJS inside a "type": "module" package; scripts/finish-dist.mjs marks it so, but
// it needs the whole package (index.js) built. Mark it here when only the backends are compiled.
{
  const distCjs = fileURLToPath(new URL('../dist/cjs/', import.meta.url));
  if (existsSync(distCjs) && !existsSync(join(distCjs, 'package.json'))) {
    writeFileSync(join(distCjs, 'package.json'), '{ "type": "commonjs" }\n');
  }
}
const quick = process.argv.includes('--quick');

const SIZES = quick ? [16, 1024, 65536] : [16, 125, 1024, 16384, 65536, 1 << 20, 16 << 20];
const PLACEMENTS = quick ? [0] : [0, 1040, 2600];
const TIME_MS = quick ? 12 : 120;
const WARMUP_MS = quick ? 4 : 25;
// --cpu: time samples with this process's CPU time (getrusage) instead of the wall clock. On a
// shared, overloaded machine wall time counts the time other processes held the core; CPU time
// does not. Its resolution is 1 µs, so samples are made longer (1 MiB of work each).
const cpuClock = process.argv.includes('--cpu');
const BATCH_BYTES = cpuClock ? 1 << 20 : 64 * 1024;
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const KEY = 0x3d21fa37;
/** The same key as the 4-byte Buffer that bufferutil and ws take. */
const keyBuf = Buffer.from([KEY & 255, (KEY >>> 8) & 255, (KEY >>> 16) & 255, KEY >>> 24]);

function tryRequire(path) {
  try {
    return require(path);
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(path.split('/').pop())) return undefined;
    throw err;
  }
}

const notes = [];

/** The backends to bench: { label, backend, place(bytes, offset) -> Uint8Array holding bytes }. */
function backends() {
  const plain = (bytes, off) => {
    const v = new Uint8Array(new ArrayBuffer(bytes.length + off + 64), off, bytes.length);
    v.set(bytes);
    return v;
  };
  const list = [];
  for (const name of ['native', 'js', 'wasm']) {
    const mod = tryRequire(`../dist/cjs/backend-${name}.js`);
    if (!mod || typeof mod.load !== 'function') {
      notes.push(`backend '${name}': dist/cjs/backend-${name}.js not built, skipped`);
      continue;
    }
    let b;
    try {
      b = mod.load();
    } catch (err) {
      notes.push(`backend '${name}' unavailable: ${err.message}`);
      continue;
    }
    list.push({ label: `${b.name} ${b.variant}${name === 'wasm' ? ' (copy in/out)' : ''}`, backend: b, place: plain });
    if (name === 'wasm' && typeof mod.createWasmArena === 'function') {
      const maxSize = Math.max(...SIZES);
      // Each (slot, placement) pair gets its own region so that inputs prepared together do not
      // overlap; the stride is a multiple of 4 KiB, so `off` keeps its meaning modulo 4 KiB.
      const stride = maxSize + 8192;
      const arena = mod.createWasmArena(2 * PLACEMENTS.length * stride);
      // Views into the arena's WASM memory: valid as long as the arena is not grown (it is not).
      const place = (bytes, off, slot = 0) => {
        const at = (slot * PLACEMENTS.length + PLACEMENTS.indexOf(off)) * stride + off;
        const v = arena.view().subarray(at, at + bytes.length);
        v.set(bytes);
        return v;
      };
      list.push({ label: `${b.name} ${b.variant} (in place, resident)`, backend: arena.backend, place, arena });
    }
  }
  if (!list.some((e) => e.backend.name === 'wasm')) {
    console.error('bench/kernels.mjs: dist/cjs/backend-wasm.js is missing: run `npm run build:wasm && npx tsc -p tsconfig.json` first');
    process.exit(1);
  }
  return list;
}

// ---- wsframe's public functions (argument checks + size dispatch + the active backend)
const pub = require('../dist/cjs/index.js');
const PUBLIC = `wsframe public API (${pub.activeBackend().name})`;

// ---- incumbents and references ------------------------------------------------------------
process.env.WS_NO_BUFFER_UTIL = '1'; // ws's own JS byte loops, not bufferutil
const wsBufferUtil = require(join(dirname(require.resolve('ws')), 'lib', 'buffer-util.js'));
const bufferutil = require('bufferutil');
const utf8Validate = require('utf-8-validate');

/** A plain TS-style 32-bit word loop (aligned views only; placements are multiples of 4). */
function wordUnmask(buf, key) {
  const n = buf.length;
  const words = buf.byteOffset % 4 === 0 ? n >>> 2 : 0;
  if (words > 0) {
    const u32 = new Uint32Array(buf.buffer, buf.byteOffset, words);
    for (let i = 0; i < words; i++) u32[i] ^= key;
  }
  for (let i = words << 2; i < n; i++) buf[i] ^= (key >>> ((i & 3) << 3)) & 0xff;
}

function textOf(kind, size) {
  const pools = {
    ascii: 'The quick brown fox jumps over the lazy dog. 0123456789 {"id":42,"ok":true} ',
    latin: 'Le cœur déçu mais l’âme plutôt naïve, Louÿs rêva de crapaüter en canoë au delà des îles. Façade ß über Ærø. ',
    cjk: '漢字かなカナ한국어 😀🎉🚀 日本語のテキスト mixed with ASCII, 中文字符 🌍✨ ',
  };
  const chunk = Buffer.from(pools[kind]);
  const out = Buffer.alloc(size, 0x20);
  let i = 0;
  while (i + chunk.length <= size) i += chunk.copy(out, i);
  // Fill the rest with whole characters only, then ASCII spaces (already there).
  let cut = size - i;
  while (cut > 0 && (chunk[cut] & 0xc0) === 0x80) cut--;
  chunk.copy(out, i, 0, cut);
  if (!isUtf8(out)) throw new Error(`bench text ${kind}/${size} is not valid UTF-8`);
  return out;
}

// ---- running -----------------------------------------------------------------------------
const results = new Map(); // `${table}|${row}|${size}` -> [MB/s per placement]

async function measure(table, row, size, makeFn) {
  const opts = { time: TIME_MS, warmupTime: WARMUP_MS, iterations: 3, warmupIterations: 2 };
  const bench = new Bench(cpuClock ? { ...opts, now: cpuNow } : opts);
  const k = Math.max(1, Math.floor(BATCH_BYTES / size));
  for (const off of PLACEMENTS) {
    const op = makeFn(off);
    bench.add(String(off), () => {
      for (let i = 0; i < k; i++) op();
    });
  }
  await bench.run();
  const key = `${table}|${row}|${size}`;
  const list = [];
  for (const task of bench.tasks) {
    const r = task.result;
    if (!r || !r.latency) throw new Error(`${key}: ${r && r.error ? r.error.message : 'no result'}`);
    list.push((k * size) / r.latency.p50 / 1000); // bytes per ms / 1000 = MB/s
  }
  results.set(key, list);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length & 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const list = backends();
  const started = Date.now();

  for (const size of SIZES) {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 131 + 7) & 0xff;
    const plain = (off) => {
      const v = new Uint8Array(new ArrayBuffer(size + off + 64), off, size);
      v.set(data);
      return v;
    };
    // Masking: unmask in place (the frame reader's operation).
    for (const e of list) {
      await measure('unmask', e.label, size, (off) => {
        const v = e.place(data, off);
        return () => e.backend.unmask(v, KEY);
      });
    }
    // The kernels called by pointer on an arena, as the frame reader does: no Uint8Array
    // accessors (.buffer/.byteOffset cost tens of ns each on Node 20), only the WASM call.
    for (const e of list.filter((x) => x.arena)) {
      await measure('unmask', 'wasm raw export by pointer (arena)', size, (off) => {
        const ptr = e.place(data, off).byteOffset;
        const mask = e.arena.exports.mask;
        return () => mask(ptr, ptr, size, KEY);
      });
    }
    await measure('unmask', PUBLIC, size, (off) => {
      const v = plain(off);
      return () => pub.unmask(v, KEY);
    });
    await measure('unmask', 'bufferutil 4 (native)', size, (off) => {
      const v = Buffer.from(plain(off).buffer, off, size);
      return () => bufferutil.unmask(v, keyBuf);
    });
    if (size <= 1 << 20 || !quick) {
      await measure('unmask', 'ws JS byte loop', size, (off) => {
        const v = Buffer.from(plain(off).buffer, off, size);
        return () => wsBufferUtil.unmask(v, keyBuf);
      });
      await measure('unmask', 'JS 32-bit word loop', size, (off) => {
        const v = plain(off);
        return () => wordUnmask(v, KEY);
      });
    }
    // Masking into a separate output (the frame writer's operation).
    for (const e of list) {
      await measure('mask', e.label, size, (off) => {
        const src = e.place(data, off);
        const out = e.place(new Uint8Array(size + 14), off, 1).subarray(14);
        return () => e.backend.mask(src, KEY, out, 0, size);
      });
    }
    await measure('mask', PUBLIC, size, (off) => {
      const src = plain(off);
      const out = new Uint8Array(size + 14);
      return () => pub.mask(src, KEY, out, 14, size);
    });
    await measure('mask', 'bufferutil 4 (native)', size, (off) => {
      const src = Buffer.from(plain(off).buffer, off, size);
      const out = Buffer.alloc(size + 14);
      return () => bufferutil.mask(src, keyBuf, out, 14, size);
    });
    if (size <= 1 << 20 || !quick) {
      await measure('mask', 'ws JS byte loop', size, (off) => {
        const src = Buffer.from(plain(off).buffer, off, size);
        const out = Buffer.alloc(size + 14);
        return () => wsBufferUtil.mask(src, keyBuf, out, 14, size);
      });
    }
    await measure('unmask', 'memcpy (Buffer#copy)', size, (off) => {
      const src = Buffer.from(plain(off).buffer, off, size);
      const dst = Buffer.alloc(size + 64);
      return () => src.copy(dst, 0);
    });

    // UTF-8 validation.
    for (const kind of quick ? ['latin'] : ['ascii', 'latin', 'cjk']) {
      const text = textOf(kind, size);
      const table = `utf8-${kind}`;
      for (const e of list) {
        await measure(table, e.label, size, (off) => {
          const v = e.place(text, off);
          return () => {
            if (!e.backend.isValidUtf8(v)) throw new Error(`${e.label} rejected valid ${kind}`);
          };
        });
      }
      for (const e of list.filter((x) => x.arena)) {
        await measure(table, 'wasm raw export by pointer (arena)', size, (off) => {
          const ptr = e.place(text, off).byteOffset;
          const validate = e.arena.exports.utf8Validate;
          return () => {
            if (validate(ptr, size) !== 1) throw new Error('raw utf8Validate rejected');
          };
        });
      }
      await measure(table, PUBLIC, size, (off) => {
        const v = plain(off);
        v.set(text);
        return () => {
          if (!pub.isValidUtf8(v)) throw new Error('wsframe.isValidUtf8 rejected');
        };
      });
      await measure(table, 'buffer.isUtf8 (simdutf)', size, (off) => {
        const v = plain(off);
        v.set(text);
        return () => {
          if (!isUtf8(v)) throw new Error('isUtf8 rejected');
        };
      });
      await measure(table, 'utf-8-validate 6 (native)', size, (off) => {
        const v = Buffer.from(plain(off).buffer, off, size);
        v.set(text);
        return () => {
          if (!utf8Validate(v)) throw new Error('utf-8-validate rejected');
        };
      });
    }
    if (!quick) process.stderr.write(`size ${size} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  }
  report(started);
}

function fmt(mbs) {
  if (mbs >= 10000) return (mbs / 1000).toFixed(1) + 'k';
  if (mbs >= 100) return mbs.toFixed(0);
  return mbs.toPrecision(3);
}

function sizeLabel(s) {
  if (s >= 1 << 20) return `${s >> 20} MiB`;
  if (s >= 1024) return `${s >> 10} KiB`;
  return `${s} B`;
}

function report(started) {
  const cpu = os.cpus();
  let model = cpu[0] ? cpu[0].model : 'unknown';
  try {
    model = execSync("lscpu | sed -n 's/^Model name: *//p'", { encoding: 'utf8' }).trim() || model;
  } catch {}
  console.log(`\n# wsframe kernel benchmark${quick ? ' (--quick)' : ''}\n`);
  console.log(`- command: \`node bench/kernels.mjs${process.argv.slice(2).map((a) => ' ' + a).join('')}\``);
  console.log(`- clock: ${cpuClock ? 'process CPU time (process.cpuUsage), samples of ~1 MiB of work' : 'wall clock (tinybench default), samples of ~64 KiB of work'}`);
  console.log(`- machine: ${model}, ${cpu.length} logical cores, Node ${process.version}, ${os.platform()} ${os.arch()}`);
  console.log(`- date: ${new Date().toISOString()}, ran ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`- MB/s = 10^6 bytes/s from the median sample; each cell is the median over ${PLACEMENTS.length} input placement(s) (byteOffset ${PLACEMENTS.join(', ')} in a fresh ArrayBuffer; WASM scratch sits at address 1024 of its memory)`);
  for (const n of notes) console.log(`- note: ${n}`);

  const tables = [...new Set([...results.keys()].map((k) => k.split('|')[0]))];
  const spread = [];
  for (const table of tables) {
    const baseRow = table === 'unmask' || table === 'mask' ? 'bufferutil 4 (native)' : 'buffer.isUtf8 (simdutf)';
    const title = table === 'unmask'
      ? 'Unmask in place (MB/s; ratio vs bufferutil)'
      : table === 'mask'
        ? 'Mask into a separate output (MB/s; ratio vs bufferutil)'
        : `UTF-8 validation, ${table.slice(5)} text (MB/s; ratio vs buffer.isUtf8)`;
    const rows = [...new Set([...results.keys()].filter((k) => k.startsWith(table + '|')).map((k) => k.split('|')[1]))];
    console.log(`\n## ${title}\n`);
    console.log(`| implementation | ${SIZES.map(sizeLabel).join(' | ')} |`);
    console.log(`|---|${SIZES.map(() => '---:').join('|')}|`);
    for (const row of rows) {
      const cells = SIZES.map((s) => {
        const xs = results.get(`${table}|${row}|${s}`);
        if (!xs) return '–';
        const m = median(xs);
        const base = results.get(`${table}|${baseRow}|${s}`);
        const ratio = base && row !== baseRow ? ` (${(m / median(base)).toFixed(2)}×)` : '';
        if (xs.length > 1) {
          const hi = Math.max(...xs);
          const lo = Math.min(...xs);
          if (hi / lo > 1.5) spread.push(`${table} / ${row} / ${sizeLabel(s)}: ${xs.map(fmt).join(' / ')} MB/s at offsets ${PLACEMENTS.join(' / ')}`);
        }
        return fmt(m) + ratio;
      });
      console.log(`| ${row} | ${cells.join(' | ')} |`);
    }
  }
  if (PLACEMENTS.length > 1) {
    console.log('\n## Placement sensitivity (cells whose max/min over placements > 1.5)\n');
    if (spread.length === 0) console.log('none');
    for (const s of spread) console.log(`- ${s}`);
  }
}

await main();

// The `wsframe bench` protocol (bench/lib/report.mjs): the same medians as rows, for the runner's
// combined tables and charts (written only with --json <file> or WSFRAME_BENCH_JSON).
const { writeSuiteJson } = await import('./lib/report.mjs');
writeSuiteJson({
  suite: 'kernels',
  title: 'Kernels: masking and UTF-8 validation (MB/s)',
  baseline: Object.fromEntries(
    [...new Set([...results.keys()].map((k) => k.split('|')[0]))].map((t) => [t, t.startsWith('utf8') ? 'buffer.isUtf8 (simdutf)' : 'bufferutil 4 (native)']),
  ),
  notes,
  rows: [...results].map(([key, xs]) => {
    const [table, row, size] = key.split('|');
    return { case: table, impl: row, size: Number(size), mbPerSec: median(xs) };
  }),
});
