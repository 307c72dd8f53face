/**
 * Backend selection as a user meets it: in a fresh process per case (selection happens at load),
 * against the built package in dist/ (npm test builds first), through both module systems.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

function run(code: string, env: Record<string, string> = {}, esm = false) {
  const args = esm ? ['--input-type=module', '-e', code] : ['-e', code];
  const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

describe('backend selection', () => {
  it('picks an available backend by default and explains the others', () => {
    const r = run(`const w = require('wsframe'); console.log(JSON.stringify({ a: w.activeBackend(), s: w.backendStatus() }))`);
    expect(r.status).toBe(0);
    const { a, s } = JSON.parse(r.stdout);
    expect(a.chosenBy).toBe('auto');
    const byName = Object.fromEntries(s.map((x: { name: string }) => [x.name, x]));
    expect(byName.js.available).toBe(true);
    // The first available backend in the order native > wasm > js is the active one.
    const first = s.find((x: { available: boolean }) => x.available);
    expect(a.name).toBe(first.name);
    for (const x of s) if (!x.available) expect(x.reason).toMatch(/\w/);
  });

  it('WSFRAME_BACKEND=js forces the TypeScript backend', () => {
    const r = run(`const w = require('wsframe'); console.log(JSON.stringify(w.activeBackend()))`, { WSFRAME_BACKEND: 'js' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name: 'js', variant: 'swar32', chosenBy: 'env' });
  });

  it('an unknown WSFRAME_BACKEND value fails loudly with the allowed values', () => {
    const r = run(`require('wsframe')`, { WSFRAME_BACKEND: 'gpu' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/WSFRAME_BACKEND must be one of native, wasm, js\. Received 'gpu'/);
  });

  it('forcing an unavailable backend fails with the reason, and useBackend throws a coded error', () => {
    const status = run(`console.log(JSON.stringify(require('wsframe').backendStatus()))`);
    const missing = JSON.parse(status.stdout).find((x: { available: boolean }) => !x.available);
    if (missing === undefined) return; // every backend loads here: nothing unavailable to force
    const r = run(`require('wsframe')`, { WSFRAME_BACKEND: missing.name });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`the ${missing.name} backend is unavailable`);
    const api = run(`try { require('wsframe').useBackend('${missing.name}') } catch (e) { console.log(e.code) }`);
    expect(api.stdout).toBe('WSFRAME_ERR_BACKEND_UNAVAILABLE');
  });

  it('ESM and CommonJS entries share one module instance', () => {
    const code = `import { createRequire } from 'node:module'; import * as esm from 'wsframe';
      const cjs = createRequire(import.meta.url)('wsframe');
      esm.useBackend('js'); console.log(cjs.activeBackend().name, esm.mask === cjs.mask, typeof esm.default);`;
    const r = run(code, {}, true);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('js true object');
  });
});
