/**
 * The benchmark runner and its reporting: the shared protocol helpers (tables, ratios, machine),
 * the SVG chart, and `wsframe bench --quick` end to end over fixture scripts (a real, tiny
 * tinybench run on the protocol, and one that crashes).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: plain ESM helpers without type declarations
import { markdownTables, baselineOf, ratio, formatSize, formatRate, splitTaskName, jsonTarget, cpuInfo, describeMachine, machineInfo } from '../bench/lib/report.mjs';
// @ts-expect-error: plain ESM helpers without type declarations
import { lineChart, suiteCharts } from '../bench/lib/svg.mjs';
// @ts-expect-error: plain ESM helpers without type declarations
import { asMarkdown } from '../cli/bench/write-results.mjs';

const root = join(__dirname, '..');

/**
 * A strict-enough XML well-formedness check for the charts: every tag closes in order, attributes
 * are quoted, text has no raw '<' or stray '&'. Returns the element names in document order.
 */
function parseXml(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < xml.length && (m = token.exec(xml)) !== null) {
    pos = token.lastIndex;
    const [, close, name, attrs, selfClose, text, bad] = m;
    if (bad !== undefined) throw new Error(`malformed markup at ${m.index}: ${xml.slice(m.index, m.index + 40)}`);
    if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|#39);)/.test(text)) throw new Error(`stray & in text: ${text}`);
      if (stack.length === 0 && text.trim() !== '') throw new Error('text outside the root element');
      continue;
    }
    if (/&(?!(amp|lt|gt|quot|#39);)/.test(attrs)) throw new Error(`stray & in attributes: ${attrs}`);
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else {
      if (stack.length === 0 && names.length > 0) throw new Error('a second root element');
      names.push(name);
      if (!selfClose) stack.push(name);
    }
  }
  if (pos !== xml.length) throw new Error(`unparsed input at ${pos}`);
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  return names;
}

const rows = [
  { case: 'unmask', impl: 'wsframe (native)', size: 64, mbPerSec: 2000 },
  { case: 'unmask', impl: 'ws + bufferutil', size: 64, mbPerSec: 1000 },
  { case: 'unmask', impl: 'wsframe (native)', size: 1024, mbPerSec: 20000 },
  { case: 'unmask', impl: 'ws + bufferutil', size: 1024, mbPerSec: 10000 },
  { case: 'echo', impl: 'ws', opsPerSec: 134000 },
  { case: 'echo', impl: 'wsframe (native)', opsPerSec: 268000 },
];

describe('bench/lib/report.mjs', () => {
  it('computes ratios against ws + bufferutil by default, or the suite\'s baseline', () => {
    const unmask = rows.filter((r) => r.case === 'unmask');
    expect(baselineOf(unmask)).toBe('ws + bufferutil');
    expect(baselineOf(unmask, 'wsframe (native)')).toBe('wsframe (native)');
    expect(baselineOf(unmask, { unmask: 'wsframe (native)', echo: 'ws' })).toBe('wsframe (native)');
    expect(baselineOf(unmask, { other: 'x' })).toBe('ws + bufferutil');
    expect(baselineOf(rows.filter((r) => r.case === 'echo'))).toBe('ws');
    expect(ratio(unmask[0], unmask[1])).toBe(2);
    expect(ratio(unmask[0], undefined)).toBeUndefined();
  });

  it('prints a sized case as impls × sizes with ratios, and unsized cases as cases × impls', () => {
    const md = markdownTables({ suite: 't', rows });
    expect(md).toContain('|  | 64 B | 1 KiB |');
    expect(md).toContain('| wsframe (native) | **2 GB/s (2.00×)** | **20 GB/s (2.00×)** |');
    expect(md).toContain('| ws + bufferutil (baseline) | 1 GB/s | 10 GB/s |');
    expect(md).toContain('|  | ws | wsframe (native) |');
    expect(md).toContain('| echo | 134 k/s (baseline) | **268 k/s (2.00×)** |');
  });

  it('formats sizes and rates for people', () => {
    expect([64, 1024, 1536, 16384, 1 << 20].map(formatSize)).toEqual(['64 B', '1 KiB', '1.5 KiB', '16 KiB', '1 MiB']);
    expect([0.5, 850, 1234, 52300].map(formatRate)).toEqual(['0.5 MB/s', '850 MB/s', '1.23 GB/s', '52.3 GB/s']);
    expect(splitTaskName('unmask | ws + bufferutil | 1024')).toEqual({ case: 'unmask', impl: 'ws + bufferutil', size: 1024 });
    expect(splitTaskName('plain')).toEqual({ case: 'plain', impl: 'plain' });
  });

  it('finds the JSON target in --json, --json= or WSFRAME_BENCH_JSON', () => {
    expect(jsonTarget(['node', 's', '--json', 'a.json'], {})).toBe('a.json');
    expect(jsonTarget(['node', 's', '--json=b.json'], {})).toBe('b.json');
    expect(jsonTarget(['node', 's'], { WSFRAME_BENCH_JSON: 'c.json' })).toBe('c.json');
    expect(jsonTarget(['node', 's'], {})).toBeUndefined();
  });

  it('records the machine: CPU model and flags, cores, Node version, backend', () => {
    const cpu = cpuInfo();
    expect(cpu.model.length).toBeGreaterThan(0);
    expect(cpu.cores).toBeGreaterThan(0);
    const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
    for (const f of cpu.flags) expect(cpuinfo).toMatch(new RegExp(`\\b${f}\\b`));
    const m = machineInfo();
    expect(m.node).toBe(process.version);
    expect(['native', 'wasm', 'js']).toContain(m.backend.active.name);
    expect(describeMachine(m)).toContain(`${cpu.cores} cores, Node ${process.version}`);
  });
});

describe('bench/lib/svg.mjs', () => {
  it('draws well-formed SVG with one polyline per implementation, escaping names', () => {
    const svg = lineChart({
      title: 'unmask <x> & y',
      series: [
        { name: 'a & b', points: [{ x: 64, y: 100 }, { x: 1024, y: 1000 }, { x: 65536, y: 50000 }] },
        { name: 'c', points: [{ x: 64, y: 10 }, { x: 65536, y: 20000 }] },
      ],
    });
    const names = parseXml(svg);
    expect(names[0]).toBe('svg');
    expect(names.filter((n) => n === 'polyline')).toHaveLength(2);
    expect(svg).toContain('a &amp; b');
    // Log x axis: 1024 sits halfway between 64 and 65536 in log2 (6, 10, 16 → 40 % of the width).
    const xs = [...svg.matchAll(/<polyline[^>]*points="([^"]+)"/g)][0][1].split(' ').map((p) => Number(p.split(',')[0]));
    expect((xs[1] - xs[0]) / (xs[2] - xs[0])).toBeCloseTo(0.4, 2);
  });

  it('keeps every point inside the plot on linear and log y axes', () => {
    for (const ys of [[200, 1000, 1380], [10, 1000, 50_000]]) {
      const svg = lineChart({ title: 't', series: [{ name: 'a', points: ys.map((y, i) => ({ x: 16 << (4 * i), y })) }] });
      const [, x, y, w, h] = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"/.exec(svg)!.map(Number);
      const points = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
      expect(points).toHaveLength(3);
      for (const [cx, cy] of points) {
        expect(cx).toBeGreaterThanOrEqual(x);
        expect(cx).toBeLessThanOrEqual(x + w);
        expect(cy).toBeGreaterThanOrEqual(y);
        expect(cy).toBeLessThanOrEqual(y + h);
      }
    }
  });

  it('makes one chart per case swept over at least two sizes', () => {
    const charts = suiteCharts({ suite: 'kernels', rows });
    expect(charts.map((c: { name: string }) => c.name)).toEqual(['kernels-unmask.svg']);
    expect(parseXml(charts[0].svg).filter((n) => n === 'polyline')).toHaveLength(2);
  });

  it('rejects malformed XML (the checker itself can fail)', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow();
    expect(() => parseXml('<svg a=b></svg>')).toThrow();
    expect(() => parseXml('<svg>x & y</svg>')).toThrow();
  });
});

/** `wsframe bench <suite> --quick` over the fixture scripts, into a fresh folder removed afterwards. */
function benchFixtures(suite: string, check: (r: { status: number | null; stdout: string; stderr: string }, out: string) => void, extra: string[] = []) {
  const out = mkdtempSync(join(tmpdir(), 'wsframe-bench-'));
  try {
    const args = [join(root, 'bin', 'wsframe.mjs'), 'bench', suite, '--quick', '--out', out, '--bench-dir', join(root, 'test', 'fixtures', 'bench'), ...extra];
    check(spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 }), out);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe('wsframe bench --quick', () => {
  it('runs each script in its own process, collects JSON, markdown and SVG, and survives a crash', () => {
    benchFixtures('kernels', (r, out) => {
      // native.mjs (fixture) crashes on purpose: the run goes on, reports it, and fails.
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('✓ kernels › kernels.mjs: 6 results');
      expect(r.stderr).toMatch(/✗ kernels › native\.mjs: exit code 3: fixture: crashing on purpose/);

      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      expect(results.quick).toBe(true);
      expect(results.machine.node).toBe(process.version);
      const [kernels, native] = results.scripts;
      expect(kernels.status).toBe('ok');
      expect(native.status).toBe('failed');
      expect(kernels.result.rows).toHaveLength(6);
      for (const row of kernels.result.rows) {
        expect(row.opsPerSec).toBeGreaterThan(0);
        expect(row.mbPerSec).toBeCloseTo((row.opsPerSec * row.size) / 1e6, 6);
      }

      const md = readFileSync(join(out, 'results.md'), 'utf8');
      expect(md).toBe(r.stdout);
      expect(md).toContain('| memcpy (baseline) |');
      expect(md).toMatch(/\| wsframe \(js\) \| .*×\) \|/);
      expect(md).toContain('bench/native.mjs (kernels): FAILED');
      expect(md).toContain('![fixture kernels: unmask](kernels-unmask.svg)');

      const svgs = readdirSync(out).filter((f) => f.endsWith('.svg'));
      expect(svgs).toEqual(['kernels-unmask.svg']);
      const names = parseXml(readFileSync(join(out, svgs[0]), 'utf8'));
      expect(names.filter((n) => n === 'polyline')).toHaveLength(2);
      expect(readFileSync(join(out, 'logs', 'kernels.log'), 'utf8')).toContain('fixture done');
    });
  });

  it('stops a script at its time limit with its whole process group, and skips absent scripts', () => {
    // echo.mjs (fixture) ignores SIGTERM and starts a process of its own; the others are absent.
    benchFixtures('e2e', (r, out) => {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/✗ e2e › echo\.mjs: stopped after 3 s \(time limit\)/);
      for (const s of ['broadcast', 'deflate', 'dropin']) expect(r.stderr).toContain(`- skip e2e › ${s}.mjs: not present`);
      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      expect(results.scripts.map((s: { status: string }) => s.status)).toEqual(['timeout', 'skipped', 'skipped', 'skipped']);
      const pid = Number(/grandchild (\d+)/.exec(readFileSync(join(out, 'logs', 'echo.log'), 'utf8'))![1]);
      expect(() => process.kill(pid, 0)).toThrow(); // no such process any more
    }, ['--timeout', '3']);
  });

  it('keeps the own output of a script not on the JSON protocol in results.md', () => {
    benchFixtures('frames', (r, out) => {
      expect(r.status).toBe(0);
      expect(r.stderr).toContain('✓ frames › writer.mjs: done in');
      const md = readFileSync(join(out, 'results.md'), 'utf8');
      expect(md).toContain('### bench/writer.mjs (its own output)\n\n| case | ops/s |');
      expect(asMarkdown('┌──┐\n│ x │\n└──┘')).toBe('```text\n┌──┐\n│ x │\n└──┘\n```');
      expect(asMarkdown('plain words')).toBe('```text\nplain words\n```');
      expect(asMarkdown('# Title\n\n## Part\n\n| a |\n|---|\n| 1 |')).toBe('#### Title\n\n#### Part\n\n| a |\n|---|\n| 1 |');
      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      expect(results.scripts.map((s: { status: string }) => s.status)).toEqual(['skipped', 'no-json']);
    });
  });
});
