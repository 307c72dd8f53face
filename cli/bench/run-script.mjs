/**
 * Runs one benchmark script as a child process, so a crash or hang in one suite cannot take the
 * runner down: `node <script> [--quick] --json <file>`, with its output kept in a log, its
 * progress lines forwarded, and a hard time limit (SIGTERM, then SIGKILL).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * @returns {Promise<{ status: 'ok'|'failed'|'timeout'|'no-json'|'interrupted', exitCode: number|null,
 *   signal: string|null, durationMs: number, result?: object, output?: string, error?: string }>}
 */
export function runScript({ path, quick, jsonFile, logFile, timeoutMs, onTask, cwd }) {
  const args = [path, '--json', jsonFile];
  if (quick) args.push('--quick');
  const started = Date.now();
  const log = createWriteStream(logFile);
  // Its own process group: end-to-end scripts start servers and clients of their own, and a time
  // limit or Ctrl-C must stop all of them, not just the script.
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, WSFRAME_BENCH_JSON: jsonFile, WSFRAME_BENCH_PROGRESS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 2000).unref();
  };
  process.on('SIGINT', onSigint);
  child.stdout.pipe(log, { end: false });
  // Kept (bounded) for scripts not on the JSON protocol yet: their own tables go in results.md.
  let output = '';
  child.stdout.on('data', (d) => {
    if (output.length < 256 * 1024) output += d;
  });
  const lastErr = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    const m = /^@@progress (\d+)\/(\d+) ?(.*)$/.exec(line);
    if (m) {
      onTask?.(Number(m[1]), Number(m[2]), m[3]);
      return;
    }
    log.write(line + '\n');
    lastErr.push(line);
    if (lastErr.length > 5) lastErr.shift();
  });

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 5000).unref();
  }, timeoutMs);

  return new Promise((resolve) => {
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', onSigint);
      // Whatever the script left running in its group goes with it.
      killGroup('SIGKILL');
      log.end();
      const durationMs = Date.now() - started;
      const base = { exitCode, signal, durationMs };
      if (interrupted) {
        resolve({ ...base, status: 'interrupted', error: 'interrupted (Ctrl-C)' });
        return;
      }
      if (timedOut) {
        resolve({ ...base, status: 'timeout', error: `stopped after ${Math.round(timeoutMs / 1000)} s (time limit)` });
        return;
      }
      if (exitCode !== 0) {
        const why = signal ? `killed by ${signal}` : `exit code ${exitCode}`;
        resolve({ ...base, status: 'failed', error: `${why}${lastErr.length ? `: ${lastErr.join(' / ')}` : ''}` });
        return;
      }
      if (!existsSync(jsonFile)) {
        resolve({ ...base, status: 'no-json', output, error: 'ran, but wrote no JSON (the script does not speak the --json protocol yet); its own output is shown instead' });
        return;
      }
      try {
        resolve({ ...base, status: 'ok', result: JSON.parse(readFileSync(jsonFile, 'utf8')) });
      } catch (err) {
        resolve({ ...base, status: 'failed', error: `unreadable JSON: ${err.message}` });
      }
    });
  });
}
