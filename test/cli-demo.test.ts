/**
 * The market-data demo: its parts (latency histogram, tick generator, burst schedule) against
 * plain references, and the whole demo run as `npm start` runs it, with few subscribers for a
 * short time: every tick must reach every subscriber, complete and in order, and it must exit 0.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
// @ts-expect-error: plain ESM modules without type declarations
import { Histogram, bucketOf, bucketLow, BUCKETS } from '../cli/demo/histogram.mjs';
// @ts-expect-error: plain ESM modules without type declarations
import { TickGenerator, BurstSchedule, seededRandom } from '../cli/demo/ticks.mjs';
import { prng } from './reference';

const root = join(__dirname, '..');

describe('latency histogram', () => {
  it('is exact below 64 µs and within one bucket (≤ 1/32) above, up to 2^32 µs', () => {
    for (let v = 0; v < 64; v++) expect(bucketLow(bucketOf(v))).toBe(v);
    const rand = prng(7);
    const bad: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const v = Math.floor(2 ** (6 + rand() * 26));
      const b = bucketOf(v);
      const lo = bucketLow(b);
      const ok = b < BUCKETS && lo <= v && v - lo <= lo / 32 && (b + 1 === BUCKETS || bucketLow(b + 1) > v);
      if (!ok) bad.push(v);
    }
    expect(bad).toEqual([]);
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(2 ** 40)).toBe(BUCKETS - 1);
  });

  it('gives percentiles within a bucket of the sorted samples, in fixed memory', () => {
    const rand = prng(3);
    const h = new Histogram();
    const samples: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      // Long-tailed, like latency: mostly tens of µs, some ms.
      const v = rand() < 0.95 ? 20 + rand() * 80 : 1000 + rand() * 50_000;
      samples.push(v);
      h.record(v);
    }
    samples.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = samples[Math.ceil(q * samples.length) - 1];
      const got = h.percentile(q);
      expect(got).toBeLessThanOrEqual(exact);
      expect(exact - got).toBeLessThanOrEqual(Math.max(1, got / 32));
    }
    expect(h.counts.length).toBe(BUCKETS);
    expect(h.max).toBe(samples[samples.length - 1]);
  });

  it('merges sparse increments into the same distribution', () => {
    const a = new Histogram();
    const b = new Histogram();
    const rand = prng(5);
    for (let i = 0; i < 1000; i++) {
      const v = rand() * 5000;
      a.record(v);
      b.record(v);
    }
    const merged = new Histogram();
    merged.addSparse(a.sparse(), a.max);
    expect(merged.total).toBe(1000);
    for (const q of [0.5, 0.99]) expect(merged.percentile(q)).toBe(b.percentile(q));
    expect(new Histogram().percentile(0.5)).toBeNaN();
  });
});

describe('tick generator', () => {
  it('makes JSON ticks with sequence, send time, one of N symbols and a positive random-walk price', () => {
    const g = new TickGenerator({ symbols: 300, random: prng(1) });
    expect(new Set(g.symbols).size).toBe(300);
    const ticks = Array.from({ length: 3000 }, (_, seq) => JSON.parse(g.next(seq, 123 + seq)));
    ticks.forEach((t, seq) => expect(t).toMatchObject({ t: 'tick', seq, ts: 123 + seq }));
    const symbols = new Set(g.symbols);
    expect(ticks.filter((t) => !symbols.has(t.sym) || !(t.px > 0) || t.qty % 100 !== 0 || !['B', 'S'].includes(t.side))).toEqual([]);
    const seen = new Set(ticks.map((t) => t.sym));
    expect(seen.size).toBeGreaterThan(250);
  });

  it('pads to about the requested size with order-book levels', () => {
    const g = new TickGenerator({ size: 1024, random: prng(2) });
    for (let i = 0; i < 100; i++) {
      const text = g.next(i, 0);
      expect(text.length).toBeGreaterThanOrEqual(1024);
      expect(text.length).toBeLessThan(1024 + 20);
      expect(Array.isArray(JSON.parse(text).book)).toBe(true);
    }
  });

  it('sends the same feed for the same seed (so --compare gives both runs the same work)', () => {
    const a = new TickGenerator({ random: seededRandom(4) });
    const b = new TickGenerator({ random: seededRandom(4) });
    const c = new TickGenerator({ random: seededRandom(5) });
    const feed = (g: typeof a) => Array.from({ length: 50 }, (_, i) => g.next(i, 0)).join('\n');
    expect(feed(a)).toBe(feed(b));
    expect(feed(c)).not.toBe(feed(new TickGenerator({ random: seededRandom(4) })));
  });

  it('sends in bursts that average to the rate', () => {
    const s = new BurstSchedule(20_000, prng(9));
    const perTenth: number[] = [];
    let total = 0;
    for (let tenth = 0; tenth < 600; tenth++) {
      let n = 0;
      for (let slot = 0; slot < 10; slot++) n += s.nextSlot();
      perTenth.push(n);
      total += n;
    }
    // Every second sends exactly the rate (up to the fraction carried into the next slot).
    for (let sec = 0; sec < 60; sec++) {
      const inSecond = perTenth.slice(sec * 10, sec * 10 + 10).reduce((a, b) => a + b, 0);
      expect(Math.abs(inSecond - 20_000)).toBeLessThanOrEqual(1);
      expect(perTenth.slice(sec * 10, sec * 10 + 10).filter((n) => n === 6000)).toHaveLength(2);
    }
    expect(Math.abs(total - 60 * 20_000)).toBeLessThanOrEqual(1);
    expect(Math.max(...perTenth)).toBe(6000); // busy tenths: 3x
    expect(Math.min(...perTenth)).toBe(1000); // calm tenths: 0.5x
  });
});

function demo(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'wsframe.mjs'), 'demo', ...args, '--json'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, summary: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

describe('the demo (npm start), short run', () => {
  for (const impl of ['wsframe', 'ws']) {
    it(`over ${impl}: every subscriber receives every tick, in order, and it exits 0`, () => {
      const { status, summary, stderr } = demo(['--impl', impl, '--duration', '1.5', '--subscribers', '3', '--rate', '2000', '--size', '200']);
      expect(stderr).toMatch(/\[\d+\.\ds\] sent [\d,]+\/s recv/); // the live view, plain lines off a TTY
      expect(summary.sent).toBeGreaterThan(100); // 3000 asked; a loaded CI machine sends fewer, never none
      expect(summary.expected).toBe(summary.sent * 3);
      expect(summary.received).toBe(summary.expected);
      expect(summary.lost).toBe(0);
      expect(summary.outOfOrder).toBe(0);
      expect(summary.inOrder).toBe(true);
      expect(summary.complete).toBe(true);
      for (const c of summary.connections) {
        expect(c).toMatchObject({ received: summary.sent, next: summary.sent, announced: summary.sent, gaps: 0, outOfOrder: 0 });
      }
      expect(summary.latencyUs.samples).toBe(summary.received);
      expect(summary.latencyUs.p50).toBeLessThanOrEqual(summary.latencyUs.p99);
      expect(summary.receivedBytes).toBeGreaterThan(summary.received * 200);
      expect(summary.broadcast).toBe(impl === 'wsframe' ? 'pre-framed broadcast' : 'a send per client');
      expect(summary.dropped).toBe(0);
      expect(status).toBe(0);
    });
  }

  it('with --deflate over wsframe: compressed broadcast, still complete and in order', () => {
    const { status, summary } = demo(['--deflate', '--duration', '1', '--subscribers', '2', '--rate', '1000']);
    expect(summary.deflate).toBe(true);
    expect(summary.broadcast).toMatch(/^pre-framed broadcast, compressed/);
    expect(summary.received).toBe(summary.sent * 2);
    expect(summary.complete).toBe(true);
    expect(status).toBe(0);
  });

  it('ends early on Ctrl-C (SIGINT) with a complete summary and exit code 0', async () => {
    const child = spawn(process.execPath, [join(root, 'bin', 'wsframe.mjs'), 'demo', '--impl', 'ws', '--duration', '60', '--subscribers', '2', '--rate', '1000', '--json'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d) => (stdout += d));
    // Interrupt once the live view shows ticks flowing.
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!interrupted && /sent [1-9]/.test(stderr)) {
        interrupted = true; // once: a second Ctrl-C means "quit now"
        child.kill('SIGINT');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    const code = await new Promise((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    const summary = JSON.parse(stdout);
    expect(summary.stoppedBy).toBe('interrupted');
    expect(summary.seconds).toBeLessThan(20);
    expect(summary.sent).toBeGreaterThan(0);
    expect(summary.received).toBe(summary.sent * 2);
    expect(summary.complete).toBe(true);
    expect(code).toBe(0);
  });

  it('--compare runs the same feed over wsframe and ws and reports both', () => {
    const { status, summary } = demo(['--compare', '--duration', '1', '--subscribers', '2', '--rate', '1000']);
    expect(summary.map((s: { impl: string }) => s.impl)).toEqual(['wsframe', 'ws']);
    for (const s of summary) {
      expect(s.complete).toBe(true);
      expect(s.received).toBe(s.sent * 2);
      expect(s.feedCpuUs).toBeGreaterThan(0);
      expect(s.subscriberCpuUs).toBeGreaterThan(0);
    }
    expect(status).toBe(0);
  });
});
