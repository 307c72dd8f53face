/**
 * The wsframe command line as a user runs it: `node bin/wsframe.mjs ...` in a fresh process,
 * against the built package (npm test builds first).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'wsframe.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('wsframe --help', () => {
  it('lists every command module with its summary and exits 0', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    const commands = readdirSync(join(root, 'cli', 'commands')).map((f) => f.replace(/\.mjs$/, ''));
    expect(commands).toEqual(expect.arrayContaining(['backend', 'bench', 'demo']));
    for (const c of commands) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\s+\\S`, 'm'));
  });

  it('prints a command\'s own usage with <command> --help', () => {
    const r = cli(['bench', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: wsframe bench/);
    expect(r.stdout).toContain('--quick');
  });

  it('rejects an unknown command or option with exit code 2 and the usage', () => {
    const a = cli(['frobnicate']);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("unknown command 'frobnicate'");
    const b = cli(['demo', '--subscribers', 'many']);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('--subscribers must be an integer');
    const c = cli(['bench', 'everything']);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain("unknown suite 'everything'");
  });

  it('with no command prints the help and exits 1 (a script calling it wrong should notice)', () => {
    const r = cli([]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('Commands:');
  });
});

describe('wsframe backend', () => {
  it('names the active backend and gives a reason for each unavailable one', () => {
    const json = cli(['backend', '--json']);
    expect(json.status).toBe(0);
    const { active, backends } = JSON.parse(json.stdout);
    expect(backends.map((b: { name: string }) => b.name)).toEqual(['native', 'wasm', 'js']);
    expect(backends.filter((b: { active: boolean }) => b.active).map((b: { name: string }) => b.name)).toEqual([active.name]);

    const text = cli(['backend']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`active: ${active.name} (${active.variant})`);
    for (const b of backends) {
      const line = text.stdout.split('\n').find((l) => l.slice(2).startsWith(b.name));
      expect(line).toBeDefined();
      if (b.available) expect(line).toContain(`available (${b.variant})`);
      else expect(line).toContain(`unavailable: ${b.reason}`);
    }
  });

  it('reports a backend forced with WSFRAME_BACKEND as such', () => {
    const r = cli(['backend'], { WSFRAME_BACKEND: 'js' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^active: js \(\w+\), forced by WSFRAME_BACKEND/);
  });

  it('says in one line why wsframe cannot load with an unknown WSFRAME_BACKEND', () => {
    const r = cli(['backend'], { WSFRAME_BACKEND: 'quantum' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot load wsframe: .*quantum/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
