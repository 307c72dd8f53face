// Native kernels vs bufferutil vs memcpy (Buffer.prototype.copy) for mask and unmask, and the
// UTF-8 one-shot validator vs buffer.isUtf8 and utf-8-validate, in one run.
//   node bench/native.mjs           full run (3 buffer placements, ~2-3 min)
//   node bench/native.mjs --quick   CI smoke run (< 20 s)
// Throughput is bytes / median latency. Each sample runs the operation `reps` times so that the
// timer overhead stays small against calls of a few nanoseconds. glibc memcpy on this VM is much
// slower when destination - source sits at certain offsets modulo 4 KiB, so every mask/copy cell
// is measured at three placements (dst - src = 0, 40, 2056 mod 4096): the main table shows the
// median of the three, and a second table each placement. The machine is shared and noisy: the
// whole grid is measured ROUNDS times, interleaved, and each cell is the median over the rounds.
import { createRequire } from 'node:module';
import { isUtf8 } from 'node:buffer';
import { execSync } from 'node:child_process';
import os from 'node:os';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const addon = require('node-gyp-build')(root);
const bufferutil = require('bufferutil');
const utf8Validate = require('utf-8-validate');

const quick = process.argv.includes('--quick');
const time = quick ? 25 : 100;
const ROUNDS = quick ? 1 : 3;
const KiB = 1024, MiB = 1024 * KiB;
const SIZES = [16, 125, KiB, 16 * KiB, 64 * KiB, MiB, 16 * MiB];
const PLACEMENTS = quick ? [2056] : [0, 40, 2056];
const KEY = 0x9e3779b9;
const MASK = Buffer.from([0xb9, 0x79, 0x37, 0x9e]); // the same key as bytes, for bufferutil
const paths = addon.paths();

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function reps(size) {
  return Math.max(1, Math.min(4096, Math.floor((256 * KiB) / size)));
}

async function measure(cases) {
  // cases: [{ id, size, fn }] ; returns Map id -> MB/s
  const bench = new Bench({ time, warmupTime: quick ? 5 : 30, warmupIterations: 3 });
  for (const c of cases) {
    const r = reps(c.size);
    const fn = c.fn;
    bench.add(c.id, () => {
      for (let i = 0; i < r; i++) fn();
    });
  }
  await bench.run();
  const out = new Map();
  for (const c of cases) {
    const task = bench.getTask(c.id);
    const ms = task.result.latency.p50;
    out.set(c.id, (c.size * reps(c.size)) / (ms * 1e3)); // bytes/ms/1e3 = MB/s
  }
  return out;
}

// One ArrayBuffer holds source and destination so that their distance mod 4 KiB is controlled.
const arena = new ArrayBuffer(2 * 16 * MiB + 16 * KiB);
function views(size, delta) {
  const src = Buffer.from(arena, 0, size);
  const dstStart = 16 * MiB + 8 * KiB + delta;
  const dst = Buffer.from(arena, dstStart, size);
  return { src, dst };
}
new Uint8Array(arena).fill(0x5a);

const maskRows = new Map(); // size -> op -> [MB/s per placement]
const raw = new Map(); // `${delta} ${size} ${op}` -> [MB/s per round]
for (let round = 0; round < ROUNDS; round++) for (const delta of PLACEMENTS) {
  for (const size of SIZES) {
    const { src, dst } = views(size, delta);
    const cases = [];
    for (const p of paths) {
      cases.push({ id: `unmask ${p}`, size, fn: () => addon.unmask(dst, KEY), path: p });
      cases.push({ id: `mask ${p}`, size, fn: () => addon.mask(src, KEY, dst, 0, size), path: p });
    }
    cases.push({ id: 'unmask bufferutil', size, fn: () => bufferutil.unmask(dst, MASK) });
    cases.push({ id: 'mask bufferutil', size, fn: () => bufferutil.mask(src, MASK, dst, 0, size) });
    cases.push({ id: 'memcpy', size, fn: () => src.copy(dst) });
    // The path is process-wide: measure each path's cases in its own bench run.
    const results = new Map();
    for (const p of [...paths, null]) {
      if (p) addon.setPath(p);
      const subset = cases.filter((c) => (p ? c.path === p : c.path === undefined));
      for (const [k, v] of await measure(subset)) results.set(k, v);
    }
    addon.setPath(paths[paths.length - 1]);
    for (const [k, v] of results) raw.set(`${delta} ${size} ${k}`, [...(raw.get(`${delta} ${size} ${k}`) ?? []), v]);
    process.stderr.write(`round ${round + 1}/${ROUNDS}: mask/unmask ${size} B, placement ${delta}: done\n`);
  }
}
for (const delta of PLACEMENTS) {
  for (const size of SIZES) {
    const row = maskRows.get(size) ?? new Map();
    for (const [key, values] of raw) {
      const [d, s, ...op] = key.split(' ');
      if (Number(d) === delta && Number(s) === size) row.set(op.join(' '), [...(row.get(op.join(' ')) ?? []), median(values)]);
    }
    maskRows.set(size, row);
  }
}

const fmtSize = (n) => (n >= MiB && n % MiB === 0 ? `${n / MiB} MiB` : n >= KiB && n % KiB === 0 ? `${n / KiB} KiB` : `${n} B`);
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

const best = paths[paths.length - 1];
const lines = [];
lines.push(`## mask / unmask, MB/s (median over ${ROUNDS} round(s), then over ${PLACEMENTS.length} placement(s); ratios use the ${best} path)`);
lines.push('');
const cols = [...paths.map((p) => `unmask ${p}`), 'unmask bufferutil', ...paths.map((p) => `mask ${p}`), 'mask bufferutil', 'memcpy'];
lines.push(`| size | ${cols.join(' | ')} | unmask/bufferutil | mask/bufferutil | unmask/memcpy | mask/memcpy |`);
lines.push(`|---|${cols.map(() => '---:').join('|')}|---:|---:|---:|---:|`);
for (const size of SIZES) {
  const row = maskRows.get(size);
  const m = (k) => median(row.get(k));
  const cells = cols.map((c) => fmt(m(c)));
  const r = (a, b) => (m(a) / m(b)).toFixed(2) + 'x';
  lines.push(`| ${fmtSize(size)} | ${cells.join(' | ')} | ${r(`unmask ${best}`, 'unmask bufferutil')} | ${r(`mask ${best}`, 'mask bufferutil')} | ${r(`unmask ${best}`, 'memcpy')} | ${r(`mask ${best}`, 'memcpy')} |`);
}
if (PLACEMENTS.length > 1) {
  lines.push('');
  lines.push(`## by placement (dst - src mod 4096), MB/s: ${best} unmask / ${best} mask / bufferutil mask / memcpy`);
  lines.push('');
  lines.push(`| size | ${PLACEMENTS.map((d) => `+${d}`).join(' | ')} |`);
  lines.push(`|---|${PLACEMENTS.map(() => '---').join('|')}|`);
  for (const size of SIZES) {
    const row = maskRows.get(size);
    lines.push(`| ${fmtSize(size)} | ${PLACEMENTS.map((_, i) => [`unmask ${best}`, `mask ${best}`, 'mask bufferutil', 'memcpy'].map((k) => fmt(row.get(k)[i])).join(' / ')).join(' | ')} |`);
  }
}

// UTF-8 one-shot.
function corpus(kind, size) {
  const sample = {
    ascii: 'The quick brown fox jumps over the lazy dog; {"id": 12345, "ok": true} ',
    latin: 'Voilà déjà l’été: où êtes-vous, garçon? Größe, Übermaß, façade, naïve, señor. ',
    cjk: '漢字かなカナ한국어 😀🎉 mixed with ASCII text, 中文 and emoji 👍🏽. ',
  }[kind];
  let b = Buffer.from(sample.repeat(Math.ceil(size / Buffer.byteLength(sample)) + 1));
  // cut at a character boundary at or below size
  let n = Math.min(size, b.length);
  while (n > 0 && (b[n] & 0xc0) === 0x80) n--;
  b = Buffer.from(b.subarray(0, n));
  if (!isUtf8(b)) throw new Error('bad corpus');
  return b;
}
const U_SIZES = quick ? [125, 64 * KiB] : [125, KiB, 16 * KiB, 64 * KiB, MiB];
lines.push('');
lines.push(`## UTF-8 one-shot validation, MB/s (ratio: ${best} / buffer.isUtf8)`);
lines.push('');
lines.push(`| text | size | ${paths.map((p) => `native ${p}`).join(' | ')} | buffer.isUtf8 | utf-8-validate | ${best}/isUtf8 |`);
lines.push(`|---|---|${paths.map(() => '---:').join('|')}|---:|---:|---:|`);
for (const kind of ['ascii', 'latin', 'cjk']) {
  for (const size of U_SIZES) {
    const b = corpus(kind, size);
    const all = new Map();
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of paths) {
        addon.setPath(p);
        for (const [k, v] of await measure([{ id: `native ${p}`, size: b.length, fn: () => addon.isValidUtf8(b) }])) all.set(k, [...(all.get(k) ?? []), v]);
      }
      addon.setPath(best);
      for (const [k, v] of await measure([
        { id: 'isUtf8', size: b.length, fn: () => isUtf8(b) },
        { id: 'utf-8-validate', size: b.length, fn: () => utf8Validate(b) },
      ])) all.set(k, [...(all.get(k) ?? []), v]);
    }
    const results = new Map([...all].map(([k, v]) => [k, median(v)]));
    lines.push(`| ${kind} | ${fmtSize(b.length)} | ${paths.map((p) => fmt(results.get(`native ${p}`))).join(' | ')} | ${fmt(results.get('isUtf8'))} | ${fmt(results.get('utf-8-validate'))} | ${(results.get(`native ${best}`) / results.get('isUtf8')).toFixed(2)}x |`);
  }
}

let model = os.cpus()[0]?.model ?? '?';
try {
  model = execSync("lscpu | sed -n 's/^Model name: *//p'", { encoding: 'utf8' }).trim() || model;
} catch {}
console.log(`# wsframe native benchmark${quick ? ' (--quick)' : ''}\n`);
console.log(`command: node bench/native.mjs${quick ? ' --quick' : ''}; machine: ${model}, ${os.cpus().length} cores; node ${process.version}; ${new Date().toISOString()}\n`);
console.log(lines.join('\n'));
