/**
 * `wsframe bench [kernels|frames|e2e|all]`: runs the project's benchmark scripts one after the
 * other as child processes and collects their results into one folder of tables and charts.
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve, relative } from 'node:path';
import { ROOT, usageError, numberOption, failure } from '../lib.mjs';
import { SUITES, SUITE_NAMES, scriptsFor } from '../bench/suites.mjs';
import { Progress } from '../bench/progress.mjs';
import { runScript } from '../bench/run-script.mjs';
import { writeResults } from '../bench/write-results.mjs';
import { machineInfo } from '../../bench/lib/report.mjs';

export const summary = 'run the benchmark suites (wsframe vs ws, bufferutil, utf-8-validate, ...) and write tables and charts';

export const usage = `Usage: wsframe bench [suite] [--quick] [--out <dir>] [--timeout <s>]

Suites (default: all):
${SUITE_NAMES.map((n) => `  ${n.padEnd(8)} ${SUITES[n].map((s) => s.script).join(', ')}`).join('\n')}
  all      every suite above

Each script runs in its own process with the built package (dist/), comparing wsframe's backends
with ws, ws + bufferutil, utf-8-validate, buffer.isUtf8 and memcpy in one run. Scripts that are
not present are skipped with a note. End-to-end benchmarks use loopback only and stop by themselves.

Options:
  --quick          few samples per case (CI smoke run; each script well under 30 s)
  --out <dir>      results folder (default: results/<timestamp>)
  --timeout <s>    time limit per script (default: 120 with --quick, 900 otherwise)
  --bench-dir <d>  where the scripts are (default: the package's bench/ folder)

Writes <out>/results.json, <out>/results.md (markdown tables with ratios and the machine: CPU
model and flags, cores, Node version, backend), <out>/*.svg (throughput vs payload size) and
<out>/logs/<script>.log, and prints the tables.`;

function timestamp(d = new Date()) {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export async function run(args) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      out: { type: 'string' },
      timeout: { type: 'string' },
      'bench-dir': { type: 'string' },
    },
  });
  if (positionals.length > 1) throw usageError(`one suite at a time, got ${positionals.join(' ')}`);
  const suite = positionals[0] ?? 'all';
  if (suite !== 'all' && !SUITE_NAMES.includes(suite)) {
    throw usageError(`unknown suite '${suite}' (one of ${[...SUITE_NAMES, 'all'].join(', ')})`);
  }
  const quick = values.quick === true;
  const timeoutMs = (numberOption(values, 'timeout', { min: 1 }) ?? (quick ? 120 : 900)) * 1000;
  const benchDir = resolve(values['bench-dir'] ?? join(ROOT, 'bench'));
  if (!existsSync(join(ROOT, 'dist', 'cjs', 'index.js'))) {
    throw failure('wsframe is not built: run `npm run build` (or `npm install`) first; benchmarks measure dist/');
  }
  const startedAt = new Date();
  const outDir = resolve(values.out ?? join(ROOT, 'results', timestamp(startedAt)));
  mkdirSync(join(outDir, 'raw'), { recursive: true });
  mkdirSync(join(outDir, 'logs'), { recursive: true });

  const scripts = scriptsFor(suite);
  const progress = new Progress(scripts.length);
  const results = [];
  let index = 0;
  for (const s of scripts) {
    index++;
    const path = join(benchDir, s.script);
    const name = s.script.replace(/\.mjs$/, '');
    if (!existsSync(path)) {
      progress.log(`- skip ${s.suite} › ${s.script}: not present in ${relative(process.cwd(), benchDir) || '.'}`);
      results.push({ ...s, status: 'skipped', error: 'script not present (its layer has not landed in this checkout)' });
      continue;
    }
    progress.start(index, `${s.suite} › ${s.script}`);
    const r = await runScript({
      path,
      quick,
      cwd: ROOT,
      timeoutMs,
      jsonFile: join(outDir, 'raw', `${name}.json`),
      logFile: join(outDir, 'logs', `${name}.log`),
      onTask: (done, total, task) => progress.task(done, total, task),
    });
    const secs = (r.durationMs / 1000).toFixed(1);
    const rows = r.result?.rows?.length ?? 0;
    const line =
      r.status === 'ok' ? `✓ ${s.suite} › ${s.script}: ${rows} results in ${secs} s`
      : r.status === 'no-json' ? `✓ ${s.suite} › ${s.script}: done in ${secs} s, no JSON (its own output goes in results.md)`
      : `✗ ${s.suite} › ${s.script}: ${r.error} (${secs} s)`;
    progress.log(line);
    results.push({ ...s, ...r });
    if (r.status === 'interrupted') break; // Ctrl-C: write what we have and stop
  }
  progress.stop();

  const run = {
    command: `wsframe bench ${args.join(' ')}`.trim(),
    quick,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineInfo(),
    scripts: results,
  };
  const { markdown } = writeResults(outDir, run);
  process.stdout.write(markdown);
  process.stderr.write(`\nresults: ${relative(process.cwd(), outDir) || '.'}/ (results.json, results.md, charts, logs)\n`);
  // A suite that crashed or hung fails the run (CI catches it); an absent script does not.
  if (results.some((r) => r.status === 'interrupted')) return 130;
  return results.some((r) => r.status === 'failed' || r.status === 'timeout') ? 1 : 0;
}
