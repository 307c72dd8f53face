// Differential tests of the native UTF-8 validators (one-shot and streaming) on every path,
// against the RFC 3629 grammar reference (./reference.ts), buffer.isUtf8 and a fatal TextDecoder.
import { isUtf8 } from 'node:buffer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { load, nativePaths, setNativePath } from '../ts/backend-native';
import { encodeCodePoint, refIsUtf8, refUtf8State, xorshift32 } from './reference';

const backend = load();
const paths = nativePaths();
const decoder = new TextDecoder('utf-8', { fatal: true });
function decoderValid(b: Uint8Array): boolean {
  try {
    decoder.decode(b);
    return true;
  } catch {
    return false;
  }
}

// Invalid forms: overlongs, surrogates, > U+10FFFF, F5-FF, C0/C1, lone continuations, extra
// continuations, sequences cut short.
const INVALID: number[][] = [
  [0xc0, 0x80], [0xc1, 0xbf], [0xc0], [0xc1],
  [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf],
  [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf],
  [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xed, 0xb0, 0x80],
  [0xf4, 0x90, 0x80, 0x80], [0xf4, 0xbf, 0xbf, 0xbf], [0xf5, 0x80, 0x80, 0x80], [0xf7, 0xbf, 0xbf, 0xbf],
  [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80],
  ...Array.from({ length: 11 }, (_, i) => [0xf5 + i]),
  [0x80], [0xbf], [0x80, 0x80], [0xc2, 0x80, 0x80], [0xe1, 0x80, 0x80, 0x80], [0xf1, 0x80, 0x80, 0x80, 0x80],
  [0xc2], [0xe1, 0x80], [0xe1], [0xf1, 0x80, 0x80], [0xf1, 0x80], [0xf1],
  [0xc2, 0x41], [0xe1, 0x80, 0x41], [0xf1, 0x80, 0x80, 0x41], [0xe1, 0xc2, 0x80], [0xf0, 0x90, 0xe1, 0x80, 0x80],
];
// Boundary code points, all valid.
const EDGES = [0x0, 0x7f, 0x80, 0x7ff, 0x800, 0xfff, 0x1000, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x3ffff, 0x40000, 0xfffff, 0x100000, 0x10ffff];

function checkOne(path: string, bytes: Uint8Array, note: string) {
  const want = refIsUtf8(bytes);
  const got = backend.isValidUtf8(bytes);
  if (got !== want) throw new Error(`${path}: isValidUtf8 ${note} = ${got}, reference ${want}: [${Buffer.from(bytes).toString('hex')}]`);
}

function checkStreamSplits(path: string, bytes: Uint8Array, note: string) {
  const whole = refUtf8State(bytes);
  for (let k = 0; k <= bytes.length; k++) {
    const s1 = backend.utf8Stream(0, bytes.subarray(0, k));
    const r1 = refUtf8State(bytes.subarray(0, k));
    if (s1 !== r1) throw new Error(`${path}: utf8Stream first ${k} bytes of ${note} = ${s1}, reference ${r1}: [${Buffer.from(bytes).toString('hex')}]`);
    const s2 = backend.utf8Stream(s1, bytes.subarray(k));
    if (s2 !== whole) throw new Error(`${path}: utf8Stream split at ${k} of ${note} = ${s2}, reference ${whole}: [${Buffer.from(bytes).toString('hex')}]`);
  }
}

function fillers(): Array<[string, Uint8Array]> {
  const mixed = Buffer.from('aé漢😀'.repeat(30));
  return [
    ['ascii', Buffer.alloc(140, 0x61)],
    ['2-byte', Buffer.from('é'.repeat(70))],
    ['mixed', mixed.subarray(0, 140)],
  ];
}

describe('the references agree with each other', () => {
  it('refIsUtf8 == buffer.isUtf8 == fatal TextDecoder on random and adversarial input', () => {
    const r = xorshift32(5);
    for (let n = 0; n < 3000; n++) {
      const len = r() % 12;
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = r() & 1 ? 0x80 | (r() & 0x7f) : r() & 0xff;
      expect(refIsUtf8(b)).toBe(isUtf8(b));
      expect(refIsUtf8(b)).toBe(decoderValid(b));
    }
    for (const seq of INVALID) expect(refIsUtf8(Uint8Array.from(seq))).toBe(false);
    for (const cp of EDGES) expect(refIsUtf8(Uint8Array.from(encodeCodePoint(cp)))).toBe(true);
  });
});

describe.each(paths)('UTF-8 on the %s path', (path) => {
  beforeEach(() => {
    setNativePath(path);
  });
  // The path is process-wide: if another test file shared this process (a 'threads' pool) and
  // switched it mid-test, this test would not have tested `path`. Vitest's default pool (forks)
  // gives each file its own process.
  afterEach(() => {
    expect(backend.variant).toBe(path);
  });

  it('boundary code points, alone and at every offset across 16/32/64-byte blocks', () => {
    for (const cp of EDGES) {
      const seq = encodeCodePoint(cp);
      expect(backend.isValidUtf8(Uint8Array.from(seq))).toBe(true);
      for (let pos = 0; pos < 140; pos++) {
        const b = Buffer.alloc(150, 0x41);
        Buffer.from(seq).copy(b, pos);
        checkOne(path, b, `U+${cp.toString(16)} at ${pos}`);
        if (!backend.isValidUtf8(b)) throw new Error('edge rejected');
      }
    }
  });

  it('each invalid form at every position (0-139) inside ASCII, 2-byte and mixed text', () => {
    let checked = 0;
    for (const [name, filler] of fillers()) {
      for (const seq of INVALID) {
        for (let pos = 0; pos < 140; pos++) {
          const b = Buffer.concat([filler.subarray(0, pos), Buffer.from(seq), filler.subarray(pos)]);
          checkOne(path, b, `${name} +[${seq.map((x) => x.toString(16))}] @${pos}`);
          checked++;
        }
      }
    }
    expect(checked).toBe(3 * INVALID.length * 140);
  });

  it('ASCII runs of every length 0-420 (the ASCII skip loops) followed by each form', () => {
    const tails = [...INVALID, ...EDGES.map(encodeCodePoint)];
    for (let n = 0; n <= 420; n++) {
      const head = Buffer.alloc(n, 0x61);
      for (const t of tails) {
        checkOne(path, Buffer.concat([head, Buffer.from(t)]), `ascii*${n} + form`);
        checkOne(path, Buffer.concat([head, Buffer.from(t), head.subarray(0, 40)]), `ascii*${n} + form + ascii`);
      }
    }
  });

  it('every valid character truncated at every split point, at every position', () => {
    for (const cp of [0xe9, 0x20ac, 0x1f600, 0x10ffff, 0x800]) {
      const seq = encodeCodePoint(cp);
      for (let cut = 1; cut < seq.length; cut++) {
        for (let pos = 0; pos < 70; pos++) {
          const head = Buffer.alloc(pos, 0x41);
          checkOne(path, Buffer.concat([head, Buffer.from(seq.slice(0, cut))]), 'truncated at end');
          checkOne(path, Buffer.concat([head, Buffer.from(seq.slice(0, cut)), Buffer.from('xyz')]), 'truncated then ASCII');
          checkOne(path, Buffer.concat([head, Buffer.from(seq.slice(0, cut)), Buffer.from(seq)]), 'truncated then lead');
        }
      }
    }
  });

  it('random valid text of many lengths and scripts, and single-byte mutations of it', () => {
    const r = xorshift32(0xbeef);
    const ranges = [[0x20, 0x7e], [0xa0, 0x7ff], [0x800, 0xd7ff], [0xe000, 0xffff], [0x10000, 0x10ffff]];
    for (let n = 0; n < 2500; n++) {
      const parts: number[] = [];
      const count = r() % 120;
      const bias = r() % 5;
      for (let i = 0; i < count; i++) {
        const [lo, hi] = ranges[r() % 3 === 0 ? r() % ranges.length : bias];
        parts.push(...encodeCodePoint(lo + (r() % (hi - lo + 1))));
      }
      const b = Uint8Array.from(parts);
      checkOne(path, b, 'random valid');
      if (b.length > 0) {
        const m = b.slice();
        m[r() % m.length] = r() & 0xff;
        checkOne(path, m, 'mutated');
        expect(backend.isValidUtf8(m)).toBe(isUtf8(m));
      }
    }
  });

  it('random bytes biased to UTF-8-like values', () => {
    const r = xorshift32(77);
    for (let n = 0; n < 5000; n++) {
      const len = r() % 200;
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) {
        const t = r() % 8;
        b[i] = t < 3 ? r() & 0x7f : t < 6 ? 0x80 | (r() & 0x3f) : 0xc0 | (r() & 0x3f);
      }
      checkOne(path, b, 'random');
    }
  });

  it('long inputs (early-exit and ASCII skip paths), an error near the end', () => {
    const text = Buffer.from('Grüße, 世界! 😀 '.repeat(2000));
    expect(backend.isValidUtf8(text)).toBe(true);
    const ascii = Buffer.alloc(100000, 0x61);
    expect(backend.isValidUtf8(ascii)).toBe(true);
    for (const pos of [0, 1, 4095, 4096, 50000, 99998, 99999]) {
      const a = Buffer.from(ascii);
      a[pos] = 0xc3; // lead followed by ASCII, or cut short at the very end
      expect(backend.isValidUtf8(a)).toBe(false);
      const t = Buffer.from(text);
      t[Math.min(pos, t.length - 1)] = 0xff;
      expect(backend.isValidUtf8(t)).toBe(false);
    }
    const tail = Buffer.concat([ascii, Buffer.from([0xf0, 0x9f, 0x98])]);
    expect(backend.isValidUtf8(tail)).toBe(false);
    expect(backend.utf8Stream(0, tail)).toBe(refUtf8State(tail));
  });

  it('streaming: split at every position, state by state, valid and invalid inputs', () => {
    const inputs: Array<[string, Uint8Array]> = [];
    for (const [name, filler] of fillers()) {
      inputs.push([name, filler.subarray(0, 100)]);
      for (const seq of INVALID.slice(0, 20)) inputs.push([`${name}+bad`, Buffer.concat([filler.subarray(0, 37), Buffer.from(seq), filler.subarray(0, 40)])]);
    }
    for (const cp of [0xe9, 0x20ac, 0x1f600]) {
      for (let cut = 1; cut < encodeCodePoint(cp).length; cut++) inputs.push(['cut', Uint8Array.from([0x41, ...encodeCodePoint(cp).slice(0, cut)])]);
    }
    for (const [note, b] of inputs) checkStreamSplits(path, b, note);
  });

  it('streaming: resuming from every state, fail-fast on invalid prefixes', () => {
    expect(backend.utf8Stream(0, Uint8Array.of(0x41, 0xe0, 0x80))).toBe(1);
    expect(backend.utf8Stream(0, Uint8Array.of(0xed, 0xa0))).toBe(1);
    expect(backend.utf8Stream(0, Uint8Array.of(0xf4, 0x90))).toBe(1);
    expect(backend.utf8Stream(0, Uint8Array.of(0xe0))).toBe(5);
    const r = xorshift32(3);
    for (let state = 0; state <= 8; state++) {
      for (let n = 0; n < 400; n++) {
        const len = r() % 80;
        const b = new Uint8Array(len);
        for (let i = 0; i < len; i++) b[i] = r() % 3 === 0 ? 0x80 | (r() & 0x3f) : r() % 2 ? r() & 0x7f : r() & 0xff;
        const want = refUtf8State(b, state);
        const got = backend.utf8Stream(state, b);
        if (got !== want) throw new Error(`${path}: utf8Stream(${state}, ${Buffer.from(b).toString('hex')}) = ${got}, want ${want}`);
      }
    }
  });

  it('streaming random valid text in random chunk sizes ends in accept', () => {
    const text = Buffer.from('Ünïcödé テキスト 🎉 ok; '.repeat(400));
    const r = xorshift32(11);
    for (let n = 0; n < 50; n++) {
      let s = 0;
      for (let i = 0; i < text.length; ) {
        const step = 1 + (r() % 300);
        const chunk = text.subarray(i, i + step);
        s = backend.utf8Stream(s, chunk);
        i += step;
        if (s !== refUtf8State(text.subarray(0, Math.min(i, text.length)))) throw new Error(`${path}: chunked state at ${i}`);
      }
      expect(s).toBe(0);
    }
  });
});
