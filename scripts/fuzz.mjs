#!/usr/bin/env node
/**
 * Long fuzz run of the FrameReader of the BUILT package (dist/cjs), with the same case generator
 * and checks as the CI short run (test/fuzz-lib.ts, compiled here into build/fuzz/):
 * every input goes to every backend and is compared with the oracle (test/oracle.ts) and across
 * backends; invariants: no escaped exception, nothing after an error, bufferedBytes bounded.
 *
 *   node scripts/fuzz.mjs [--frames N] [--seed S] [--backend js,wasm,native] [--paths alternate|both]
 *                         [--quick] [--replay fuzz-findings/<file>.json or a directory] [--package <dir>]
 *                         [--native-path scalar|sse2|avx2|neon]
 *
 * --frames: frames to feed EACH backend (default 10,000,000; --quick: 200,000).
 * --paths alternate (default): input i goes through push when i is even, through the receive
 *   buffer when odd (each input still reaches every backend); both: every input through both.
 * Failing inputs are saved to fuzz-findings/ (gitignored) and replayed with --replay.
 * Inputs slower than --slow-ms (default 250) plus 2 ms per KiB are counted and saved as outliers (a hang would show
 * as a run that never ends: progress is printed every 10 s).
 * Prints a JSON summary (frames, inputs, time, frames/s, crashes, disagreements, max bufferedBytes,
 * slowest input, peak RSS) and writes it to results/fuzz-<seed>.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const quick = process.argv.includes('--quick');
const framesTarget = Number(arg('frames', quick ? 200_000 : 10_000_000));
const seed = Number(arg('seed', 1));
const pathsMode = arg('paths', 'alternate');
const slowMs = Number(arg('slow-ms', 250));
const replay = arg('replay', undefined);
if (!Number.isFinite(framesTarget) || framesTarget < 1 || !Number.isInteger(seed) || !['alternate', 'both'].includes(pathsMode)) {
  console.error('usage: node scripts/fuzz.mjs [--frames N] [--seed S] [--backend js,wasm,native] [--paths alternate|both] [--quick] [--replay file]');
  process.exit(2);
}

// The shared fuzz code is TypeScript in test/: compile it (and the oracle it uses) when stale.
const out = join(root, 'build', 'fuzz');
const sources = ['fuzz-lib.ts', 'oracle.ts', 'reference.ts'].map((f) => join(root, 'test', f));
const built = join(out, 'fuzz-lib.js');
if (!existsSync(built) || sources.some((s) => statSync(s).mtimeMs > statSync(built).mtimeMs)) {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--outDir', out, '--rootDir', join(root, 'test'), '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', sources[0]], { stdio: 'inherit' });
}
const lib = await import(pathToFileURL(built).href);
const { prng } = await import(pathToFileURL(join(out, 'reference.js')).href);
// --package: another copy of the package to fuzz (scripts/asan-native.sh points it at an ASan build).
const { FrameReader, backendStatus } = require(join(arg('package', root), 'dist', 'cjs', 'index.js'));

// --native-path scalar|sse2|avx2|neon: run the native backend on that kernel path (ASan runs each).
const nativePath = arg('native-path', undefined);
if (nativePath !== undefined) {
  const { setNativePath } = require(join(arg('package', root), 'dist', 'cjs', 'backend-native.js'));
  setNativePath(nativePath);
}
const available = backendStatus().filter((b) => b.available).map((b) => b.name);
const backends = arg('backend', available.join(',')).split(',');
for (const b of backends) {
  if (!available.includes(b)) {
    console.error(`backend ${b} is not available here (available: ${available.join(', ')})`);
    process.exit(2);
  }
}

if (replay !== undefined) {
  // A file, or a directory of them (e.g. to re-time the slow outliers of a run on a quiet machine).
  const files = statSync(replay).isDirectory() ? readdirSync(replay).filter((f) => f.endsWith('.json')).map((f) => join(replay, f)) : [replay];
  let failed = 0;
  for (const file of files) {
    const c = lib.caseFromJson(readFileSync(file, 'utf8'));
    const t0 = performance.now();
    const r = lib.checkCase(FrameReader, c, backends);
    const ms = (performance.now() - t0).toFixed(1);
    if (r.failure !== undefined) failed++;
    console.log(r.failure === undefined ? `${file}: passes (${ms} ms, ${c.stream.length} bytes)` : `${file}: ${r.failureKind}\n${r.failure}`);
  }
  process.exit(failed === 0 ? 0 : 1);
}

// A failing input is replayed with stacks; the run itself does not need them, and capturing one
// per protocol error (most inputs end in one) is a large share of the time.
Error.stackTraceLimit = 0;

const findings = join(root, 'fuzz-findings');
const save = (name, c, extra) => {
  mkdirSync(findings, { recursive: true });
  const file = join(findings, `${name}.json`);
  writeFileSync(file, lib.caseToJson(c, extra));
  return file;
};

const rand = prng(seed);
const start = performance.now();
let frames = 0; // per backend (each backend is fed every input)
let inputs = 0;
let crashes = 0;
let disagreements = 0;
let errorsEnded = 0;
let maxBuffered = 0;
let slowest = { ms: 0, bytes: 0, input: -1 };
let outliers = 0;
let bytes = 0;
let peakRss = 0;
const kinds = {};
let lastReport = start;

// SIGTERM / SIGINT stop the run early with a summary of what was done (checked every 10 s).
let stopRequested = false;
process.on('SIGTERM', () => { stopRequested = true; });
process.on('SIGINT', () => { stopRequested = true; });

while (frames < framesTarget && !stopRequested) {
  const c = lib.makeCase(rand);
  const paths = pathsMode === 'both' ? ['push', 'receive'] : [inputs % 2 === 0 ? 'push' : 'receive'];
  const t0 = performance.now();
  const r = lib.checkCase(FrameReader, c, backends, paths);
  const ms = performance.now() - t0;
  const n = lib.countFrames(c.stream) * paths.length;
  frames += n;
  bytes += c.stream.length * paths.length;
  kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
  if (r.maxBuffered > maxBuffered) maxBuffered = r.maxBuffered;
  if (r.expected.at(-1)?.[0] === 'error') errorsEnded++;
  if (ms > slowest.ms) slowest = { ms: Math.round(ms * 10) / 10, bytes: c.stream.length, input: inputs };
  if (ms > slowMs + (2 * c.stream.length) / 1024) {
    outliers++;
    if (outliers <= 20) save(`slow-${seed}-${inputs}`, c, { ms });
  }
  if (r.failure !== undefined) {
    if (r.failureKind === 'crash') crashes++;
    else disagreements++;
    const file = save(`${r.failureKind}-${seed}-${inputs}`, c, { failure: r.failure });
    console.error(`FAIL input ${inputs} (${c.kind}): ${r.failure.split('\n')[0]}\n  saved to ${file}`);
    if (crashes + disagreements >= 20) break;
  }
  inputs++;
  const now = performance.now();
  if (now - lastReport > 10_000) {
    lastReport = now;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    console.error(`${((now - start) / 1000).toFixed(0)} s: ${frames} frames per backend, ${inputs} inputs, ${Math.round(frames / ((now - start) / 1000))} frames/s, crashes ${crashes}, disagreements ${disagreements}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const seconds = (performance.now() - start) / 1000;
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const summary = {
  stoppedEarly: stopRequested, seed, backends, nativePath: nativePath ?? null, paths: pathsMode, framesPerBackend: frames, inputs, bytesPerBackend: bytes, seconds: Math.round(seconds),
  framesPerSecondPerBackend: Math.round(frames / seconds), crashes, disagreements, inputsEndingInError: errorsEnded, kinds,
  maxBufferedBytes: maxBuffered, slowestInput: slowest, slowOutliers: outliers, slowThresholdMs: slowMs,
  peakRssMiB: Math.round(peakRss / 1048576), node: process.version,
};
console.log(JSON.stringify(summary, null, 1));
mkdirSync(join(root, 'results'), { recursive: true });
writeFileSync(join(root, 'results', `fuzz-${seed}${nativePath === undefined ? '' : `-${nativePath}`}.json`), JSON.stringify(summary, null, 1) + '\n');
process.exit(crashes + disagreements === 0 ? 0 : 1);
