// Exercises every native path with many inputs, checking results against plain references:
// run under valgrind by scripts/valgrind-native.sh (a plain node script, no test runner, so
// valgrind sees only node and the addon). Exit 0 when every result matched.
'use strict';
const path = require('node:path');
const root = path.join(__dirname, '..');
const addon = require(require.resolve('node-gyp-build', { paths: [root] }))(root);
const scale = Number(process.env.EXERCISE_SCALE || 1);

const keyByte = (k, i) => (k >>> (8 * (i & 3))) & 0xff;
const rot = (k, p) => (p & 3 ? ((k >>> (8 * (p & 3))) | (k << (32 - 8 * (p & 3)))) >>> 0 : k >>> 0);
function refStep(s, b) {
  const t = b >= 0x80 && b <= 0xbf;
  switch (s) {
    case 0:
      if (b < 0x80) return 0;
      if (b >= 0xc2 && b <= 0xdf) return 2;
      if (b === 0xe0) return 5;
      if (b === 0xed) return 6;
      if (b >= 0xe1 && b <= 0xef) return 3;
      if (b === 0xf0) return 7;
      if (b >= 0xf1 && b <= 0xf3) return 4;
      if (b === 0xf4) return 8;
      return 1;
    case 2: return t ? 0 : 1;
    case 3: return t ? 2 : 1;
    case 4: return t ? 3 : 1;
    case 5: return b >= 0xa0 && b <= 0xbf ? 2 : 1;
    case 6: return b >= 0x80 && b <= 0x9f ? 2 : 1;
    case 7: return b >= 0x90 && b <= 0xbf ? 3 : 1;
    case 8: return b >= 0x80 && b <= 0x8f ? 3 : 1;
    default: return 1;
  }
}
const refState = (s, b, from = 0, to = b.length) => {
  for (let i = from; i < to && s !== 1; i++) s = refStep(s, b[i]);
  return s;
};
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8);
let checks = 0;
function fail(msg) {
  console.error(`MISMATCH: ${msg}`);
  process.exit(2);
}

for (const p of addon.paths()) {
  addon.setPath(p);
  // Masking: every length 0-300, every phase, src/dst alignments 0-7, exact-size copies so that
  // any read or write past the end is an invalid access for valgrind.
  for (let len = 0; len <= 300; len += scale) {
    for (let a = 0; a < 8; a++) {
      const phase = (len + a) & 3;
      const key = rot(0x9e3779b9, phase);
      const backing = Buffer.allocUnsafeSlow(len + a);
      for (let i = 0; i < backing.length; i++) backing[i] = rnd() & 0xff;
      const src = backing.subarray(a);
      const out = new Uint8Array(new ArrayBuffer(len + ((a * 3) & 7)), (a * 3) & 7);
      addon.mask(src, key, out, 0, len);
      for (let i = 0; i < len; i++) if (out[i] !== (src[i] ^ keyByte(0x9e3779b9, i + phase))) fail(`${p} mask ${len}/${a}`);
      const copy = Buffer.from(src);
      addon.unmask(src, key);
      for (let i = 0; i < len; i++) if (src[i] !== (copy[i] ^ keyByte(0x9e3779b9, i + phase))) fail(`${p} unmask ${len}/${a}`);
      checks += 2;
    }
  }
  for (const len of [511, 512, 513, 4099, 70001, (4 << 20) + 37]) {
    const b = Buffer.allocUnsafeSlow(len).fill(7);
    addon.unmask(b.subarray(3), 0x01020304);
    const out = Buffer.allocUnsafeSlow(len + 1);
    addon.mask(b, 0x01020304, out, 1, len);
    for (let i = 0; i < len; i += 4093) if (out[1 + i] !== (b[i] ^ keyByte(0x01020304, i))) fail(`${p} big mask ${len}`);
    checks += 2;
  }
  // UTF-8: exact-size buffers at many lengths, invalid forms at every position, stream splits.
  const text = Buffer.from('aé漢😀'.repeat(40));
  const bad = [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0x80], [0xe1, 0x80], [0xf1]];
  for (let len = 0; len <= 200; len += scale) {
    const b = Buffer.allocUnsafeSlow(len);
    text.copy(b, 0, 0, len);
    if (addon.isValidUtf8(b) !== (refState(0, b) === 0)) fail(`${p} utf8 prefix ${len}`);
    for (const seq of bad) {
      const pos = len % 150;
      const c = Buffer.concat([Buffer.alloc(pos, 0x41), Buffer.from(seq), text.subarray(0, len % 70)]);
      const exact = Buffer.allocUnsafeSlow(c.length);
      c.copy(exact);
      if (addon.isValidUtf8(exact) !== (refState(0, exact) === 0)) fail(`${p} utf8 bad ${seq} @${pos}`);
      checks++;
    }
    for (let k = 0; k <= len; k += 1 + scale * 3) {
      const s1 = addon.utf8Stream(0, b.subarray(0, k));
      if (s1 !== refState(0, b, 0, k)) fail(`${p} stream ${len}/${k}`);
      if (addon.utf8Stream(s1, b.subarray(k)) !== refState(0, b)) fail(`${p} stream2 ${len}/${k}`);
      checks += 2;
    }
  }
  const big = Buffer.from('Grüße 世界 😀 '.repeat(3000));
  if (!addon.isValidUtf8(big)) fail(`${p} big`);
  // Bad arguments must throw, not touch memory.
  for (const f of [() => addon.mask(Buffer.alloc(4), 1, Buffer.alloc(4), 2, 3), () => addon.unmask({}, 1),
    () => addon.utf8Stream(99, Buffer.alloc(1)), () => addon.isValidUtf8(null), () => addon.mask(Buffer.alloc(4), -1, Buffer.alloc(4), 0, 1)]) {
    let threw = false;
    try { f(); } catch { threw = true; }
    if (!threw) fail(`${p} bad argument accepted`);
    checks++;
  }
  for (const z of [new Uint8Array(0), Buffer.alloc(0)]) {
    addon.unmask(z, 1);
    addon.mask(z, 1, z, 0, 0);
    if (!addon.isValidUtf8(z) || addon.utf8Stream(2, z) !== 2) fail(`${p} zero length`);
  }
}
console.log(`native-exercise: ${checks} checks passed on paths ${addon.paths().join(', ')}`);
