/**
 * The shared reporting protocol of wsframe's benchmark scripts, and the formatting the
 * `wsframe bench` runner uses to present them side by side.
 *
 * Protocol: a bench script, given `--json <file>` (or env WSFRAME_BENCH_JSON=<file>), writes
 *
 *   { suite, title?, baseline?, notes?: string[],
 *     rows: [{ case, impl, size?, opsPerSec?, mbPerSec?, medianNs?, rme?, samples?, note? }] }
 *
 * - `case` is what is measured ('unmask', 'read text frames'); `impl` who does it. Use these impl
 *   names so tables line up across suites: 'wsframe (native)', 'wsframe (wasm)', 'wsframe (js)',
 *   'ws', 'ws + bufferutil', 'utf-8-validate', 'buffer.isUtf8', 'memcpy'.
 * - `size` is the payload size in bytes, when the case is swept over sizes (drives the chart).
 * - `opsPerSec` is the median throughput (operations, messages or frames per second); `mbPerSec`
 *   is payload megabytes (1e6 B) per second; `medianNs` the median time of one operation.
 * - `baseline` names the impl the ratios are computed against, for every case or per case as
 *   { [case]: impl } (default: 'ws + bufferutil' if it is in the case, else the first impl not
 *   named wsframe).
 *
 * With env WSFRAME_BENCH_PROGRESS=1 (set by the runner), `trackProgress(bench)` reports each
 * finished task on stderr as a line `@@progress <done>/<total> <task name>`, which the runner turns
 * into its progress indicator; a script run by hand prints nothing extra.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import os from 'node:os';

// ---------------------------------------------------------------------------------------------
// Arguments and output
// ---------------------------------------------------------------------------------------------

/** `--quick` on the command line (CI smoke mode: small sample counts, well under 30 s). */
export function isQuick(argv = process.argv) {
  return argv.includes('--quick');
}

/** Where the script should write its JSON: `--json <file>`, `--json=<file>` or WSFRAME_BENCH_JSON. */
export function jsonTarget(argv = process.argv, env = process.env) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json' && i + 1 < argv.length) return argv[i + 1];
    if (argv[i].startsWith('--json=')) return argv[i].slice('--json='.length);
  }
  return env.WSFRAME_BENCH_JSON || undefined;
}

/**
 * One tinybench task as a protocol row. `bytes` is the payload one operation processes (for
 * MB/s); tinybench's medians are used, since the machine is shared and means chase outliers.
 */
export function rowFromTask(task, { case: caseName, impl, size, bytes, note } = {}) {
  const r = task.result;
  if (r === undefined || (r.state !== 'completed' && r.state !== 'aborted-with-statistics')) {
    const why = r?.state === 'errored' ? r.error?.message : r?.state;
    return { case: caseName ?? task.name, impl: impl ?? task.name, size, error: String(why ?? 'no result') };
  }
  const opsPerSec = r.throughput.p50;
  const row = {
    case: caseName ?? task.name,
    impl: impl ?? task.name,
    size,
    opsPerSec,
    medianNs: r.latency.p50 * 1e6,
    rme: r.latency.rme,
    samples: r.latency.samplesCount ?? r.latency.samples?.length,
  };
  const payload = bytes ?? size;
  if (payload !== undefined) row.mbPerSec = (opsPerSec * payload) / 1e6;
  if (note !== undefined) row.note = note;
  return row;
}

/**
 * Every task of a finished tinybench run as rows. `describe(taskName)` returns the row's
 * { case, impl, size, bytes } (tasks named 'case | impl | size' are split by default).
 */
export function rowsFromBench(bench, describe = splitTaskName) {
  return bench.tasks.map((t) => rowFromTask(t, describe(t.name)));
}

/** 'unmask | wsframe (native) | 1024' → { case: 'unmask', impl: 'wsframe (native)', size: 1024 }. */
export function splitTaskName(name) {
  const [c, impl, size] = name.split('|').map((s) => s.trim());
  if (impl === undefined) return { case: name, impl: name };
  const n = Number(size);
  return { case: c, impl, size: size !== undefined && Number.isFinite(n) ? n : undefined };
}

/** Writes a suite's results (creating the folder); a no-op when no target was given. */
export function writeSuiteJson(suite, file = jsonTarget()) {
  if (!file) return undefined;
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ machine: machineInfo(), ...suite }, null, 2) + '\n');
  return path;
}

/** Reports each finished task as `@@progress done/total name` on stderr, when the runner asks. */
export function trackProgress(bench, env = process.env) {
  if (env.WSFRAME_BENCH_PROGRESS !== '1') return;
  let done = 0;
  bench.addEventListener('cycle', (evt) => {
    done++;
    process.stderr.write(`@@progress ${done}/${bench.tasks.length} ${evt.task?.name ?? ''}\n`);
  });
}

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------

/** The CPU features that decide which kernel paths run. */
const INTERESTING_FLAGS = [
  'sse2', 'ssse3', 'sse4_1', 'sse4_2', 'avx', 'avx2', 'bmi2', 'avx512f', 'avx512bw', 'avx512vl',
  'neon', 'asimd', 'sve',
];

/** CPU model and flags from /proc/cpuinfo (Linux), falling back to os.cpus(). */
export function cpuInfo() {
  let model = os.cpus()[0]?.model?.trim() || 'unknown';
  let flags = [];
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(text);
    if (m) model = m[1].trim();
    const f = /^(?:flags|Features)\s*:\s*(.+)$/m.exec(text);
    if (f) {
      const all = new Set(f[1].trim().split(/\s+/));
      flags = INTERESTING_FLAGS.filter((x) => all.has(x));
    }
  } catch {
    // Not Linux: the model from os.cpus() is all we have.
  }
  return { model, flags, cores: os.cpus().length };
}

/**
 * The backend wsframe runs on, from the BUILT package (benchmarks measure dist/, not ts/).
 * Undefined when dist/ is missing (the runner says so instead of failing).
 */
export function backendInfo() {
  try {
    const require = createRequire(import.meta.url);
    const w = require('../../dist/cjs/index.js');
    return { active: w.activeBackend(), status: w.backendStatus() };
  } catch {
    return undefined;
  }
}

export function machineInfo() {
  return {
    cpu: cpuInfo(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    backend: backendInfo(),
  };
}

/** One line for a table caption: 'AMD EPYC 7B13 (avx2, sse4_2, ...), 2 cores, Node v20.20.2, backend native/avx2'. */
export function describeMachine(m = machineInfo()) {
  const b = m.backend?.active;
  const backend = b ? `wsframe backend ${b.name}/${b.variant}` : 'wsframe not built';
  const flags = m.cpu.flags.length > 0 ? ` [${m.cpu.flags.join(' ')}]` : '';
  return `${m.cpu.model}${flags}, ${m.cpu.cores} cores, Node ${m.node}, ${m.platform}, ${backend}`;
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/** 1536 → '1.5 KiB'. Sizes are powers of two in practice; others stay readable. */
export function formatSize(bytes) {
  if (bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${trim(bytes / 1024)} KiB`;
  return `${trim(bytes / 1024 ** 2)} MiB`;
}

function trim(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1).replace(/\.0$/, '') : x.toFixed(2).replace(/\.?0+$/, '');
}

/** MB/s → '12.3 GB/s' / '850 MB/s'. */
export function formatRate(mbPerSec) {
  return mbPerSec >= 1000 ? `${trim(mbPerSec / 1000)} GB/s` : `${trim(mbPerSec)} MB/s`;
}

/** ops/s → '2.4 M/s' / '830 k/s'. */
export function formatOps(ops) {
  if (ops >= 1e6) return `${trim(ops / 1e6)} M/s`;
  if (ops >= 1e3) return `${trim(ops / 1e3)} k/s`;
  return `${trim(ops)} /s`;
}

/** The metric a row is compared by: payload throughput when known, operations per second otherwise. */
export function metricOf(row) {
  return row.mbPerSec ?? row.opsPerSec;
}

function formatMetric(row) {
  if (row.error !== undefined) return 'error';
  return row.mbPerSec !== undefined ? formatRate(row.mbPerSec) : formatOps(row.opsPerSec);
}

function unique(values) {
  return [...new Set(values)];
}

/** Rows grouped by case, in first-seen order. */
export function groupByCase(rows) {
  const groups = new Map();
  for (const r of rows) {
    if (!groups.has(r.case)) groups.set(r.case, []);
    groups.get(r.case).push(r);
  }
  return groups;
}

/** The impl ratios are computed against, for one case. `preferred`: an impl name, or { [case]: impl }. */
export function baselineOf(rows, preferred) {
  if (preferred !== null && typeof preferred === 'object') preferred = preferred[rows[0]?.case];
  const impls = unique(rows.map((r) => r.impl));
  if (preferred !== undefined && impls.includes(preferred)) return preferred;
  if (impls.includes('ws + bufferutil')) return 'ws + bufferutil';
  return impls.find((i) => !i.startsWith('wsframe')) ?? impls[0];
}

/** value / baseline value, or undefined when either is missing. */
export function ratio(row, base) {
  const a = row === undefined ? undefined : metricOf(row);
  const b = base === undefined ? undefined : metricOf(base);
  if (a === undefined || b === undefined || !(b > 0)) return undefined;
  return a / b;
}

function formatRatio(x) {
  return x === undefined ? '' : ` (${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×)`;
}

function mdRow(cells) {
  return `| ${cells.join(' | ')} |`;
}

function mdTable(header, body) {
  return [mdRow(header), mdRow(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(mdRow)].join('\n');
}

/**
 * One markdown table per case swept over sizes (rows: impls, columns: sizes), one table for the
 * cases without sizes (rows: cases, columns: impls). Each cell carries its ratio to the baseline,
 * and the best cell of a column is bold.
 */
export function markdownTables(suite) {
  const out = [];
  const unsized = [];
  for (const [caseName, rows] of groupByCase(suite.rows)) {
    if (rows.every((r) => r.size === undefined)) {
      unsized.push(...rows);
      continue;
    }
    const base = baselineOf(rows, suite.baseline);
    const sizes = unique(rows.map((r) => r.size)).sort((a, b) => a - b);
    const impls = unique(rows.map((r) => r.impl));
    const at = (impl, size) => rows.find((r) => r.impl === impl && r.size === size);
    const best = new Map(sizes.map((s) => [s, Math.max(...rows.filter((r) => r.size === s).map((r) => metricOf(r) ?? 0))]));
    const body = impls.map((impl) => [
      impl === base ? `${impl} (baseline)` : impl,
      ...sizes.map((s) => {
        const r = at(impl, s);
        if (r === undefined) return '–';
        const text = formatMetric(r) + (impl === base ? '' : formatRatio(ratio(r, at(base, s))));
        return metricOf(r) === best.get(s) && impls.length > 1 ? `**${text}**` : text;
      }),
    ]);
    out.push(`**${caseName}**\n\n` + mdTable(['', ...sizes.map(formatSize)], body));
  }
  if (unsized.length > 0) {
    const impls = unique(unsized.map((r) => r.impl));
    const body = [...groupByCase(unsized)].map(([caseName, rows]) => {
      const base = baselineOf(rows, suite.baseline);
      const top = Math.max(...rows.map((r) => metricOf(r) ?? 0));
      return [
        caseName,
        ...impls.map((impl) => {
          const r = rows.find((x) => x.impl === impl);
          if (r === undefined) return '–';
          const text = formatMetric(r) + (impl === base ? ' (baseline)' : formatRatio(ratio(r, rows.find((x) => x.impl === base))));
          return metricOf(r) === top && rows.length > 1 ? `**${text}**` : text;
        }),
      ];
    });
    out.push(mdTable(['', ...impls], body));
  }
  return out.join('\n\n');
}

/** A whole suite as markdown: heading, tables, notes and failures. */
export function suiteMarkdown(suite) {
  const parts = [`### ${suite.title ?? suite.suite}`];
  if (suite.rows.length > 0) parts.push(markdownTables(suite));
  const errors = suite.rows.filter((r) => r.error !== undefined);
  for (const r of errors) parts.push(`- ${r.case} / ${r.impl}: failed: ${r.error}`);
  for (const n of suite.notes ?? []) parts.push(`- ${n}`);
  return parts.join('\n\n');
}
