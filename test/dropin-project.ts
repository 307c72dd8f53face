/**
 * Throwaway application directories for the drop-in tests: a copy of ws under node_modules (a
 * copy, not a link, so that ws resolves `bufferutil` from the project and not from this repo's
 * node_modules), wsframe linked in as if installed, and bufferutil absent, real, or installed as
 * an npm alias of wsframe would be (the wsframe package itself under the name bufferutil).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');
const require = createRequire(join(ROOT, 'package.json'));

export type BufferutilInstall = 'none' | 'real' | 'alias';

export function assertBuilt(): void {
  for (const f of ['dist/cjs/dropin/register.js', 'dist/esm/register.mjs', 'dist/cjs/dropin/bufferutil.js']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` before the drop-in tests`);
  }
}

/** Creates the project; returns its directory. Remove it with `removeProject`. */
export function makeProject(bufferutil: BufferutilInstall): string {
  const dir = mkdtempSync(join(tmpdir(), `wsframe-dropin-${bufferutil}-`));
  const nm = join(dir, 'node_modules');
  mkdirSync(nm);
  cpSync(dirname(require.resolve('ws/package.json')), join(nm, 'ws'), { recursive: true });
  symlinkSync(ROOT, join(nm, 'wsframe'), 'dir');
  if (bufferutil === 'real') symlinkSync(dirname(require.resolve('bufferutil/package.json')), join(nm, 'bufferutil'), 'dir');
  if (bufferutil === 'alias') symlinkSync(ROOT, join(nm, 'bufferutil'), 'dir');
  for (const f of ['dropin-scenario.cjs', 'dropin-scenario.mjs', 'dropin-codec-fallback.cjs']) cpSync(join(ROOT, 'test', 'fixtures', f), join(dir, f));
  return dir;
}

export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs node with `args` in `cwd`; bounded by `timeoutMs` (killed after). */
export function runNode(cwd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    // The parent's test runner options must not leak into the application under test.
    delete childEnv.NODE_OPTIONS;
    const child = spawn(process.execPath, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}
