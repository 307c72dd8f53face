#!/usr/bin/env node
// wsframe's `install` script. It never fails the install: when the native addon can be neither
// loaded from a prebuild nor built, it prints one line and wsframe uses WebAssembly.
//
//   1. unless a build from source is asked for (npm_config_build_from_source, or
//      WSFRAME_BUILD_FROM_SOURCE), load the addon (a prebuild under prebuilds/ or an earlier
//      build) in a child process and run a known-answer check: if that passes, done;
//   2. otherwise run `node-gyp rebuild`, giving it the local Node headers (--nodedir) when they
//      can be found, and check the result the same way.
// WSFRAME_SKIP_NATIVE=1 skips both steps. `--rebuild` (npm run build:native) is the developer
// mode: always build, show node-gyp's output and fail when the build fails. Loading happens in a child so that even a binary that
// crashes on load (wrong libc) cannot take the install down.
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** Node's headers: npm_config_nodedir, `npm config get nodedir`, or the prefix of this node. */
function nodedir() {
  const fromEnv = process.env.npm_config_nodedir || process.env.NODEDIR;
  if (fromEnv) return fromEnv;
  const npm = process.env.npm_execpath;
  const r = npm
    ? spawnSync(process.execPath, [npm, 'config', 'get', 'nodedir'], { encoding: 'utf8', timeout: 20000 })
    : spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8', timeout: 20000, shell: process.platform === 'win32' });
  const fromNpm = r.status === 0 ? String(r.stdout).trim() : '';
  if (fromNpm && fromNpm !== 'undefined' && fromNpm !== 'null') return fromNpm;
  const prefix = path.resolve(process.execPath, '..', '..');
  if (existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return undefined; // node-gyp will try to download the headers
}

/** node-gyp: this package's own (dev) copy, npm's bundled one, or the one on PATH. */
function nodeGypCommand() {
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] })];
  } catch {
    // not installed next to us
  }
  const bundled = process.env.npm_config_node_gyp;
  if (bundled && existsSync(bundled)) return [process.execPath, bundled];
  return ['node-gyp'];
}

/** Loads the addon the way wsframe does and checks a few known answers; returns an error or ''. */
function check() {
  const code = `
    const a = require(require.resolve('node-gyp-build', { paths: [${JSON.stringify(root)}] }))(${JSON.stringify(root)});
    const b = Uint8Array.of(1, 2, 3, 4, 5, 255);
    a.unmask(b, 0x04030201);
    if (b.join() !== '0,0,0,0,4,253') throw new Error('mask self-test failed');
    if (!a.isValidUtf8(Buffer.from('h\\u00e9llo \\u20ac \\u{1F600}'.repeat(9))) || a.isValidUtf8(Uint8Array.of(0xed, 0xa0, 0x80)))
      throw new Error('UTF-8 self-test failed');
  `;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', timeout: 60000 });
  if (r.status === 0) return '';
  if (r.signal) return `the addon crashed on load (${r.signal})`;
  const line = String(r.stderr).split('\n').find((l) => /Error|error:/.test(l)) || 'load failed';
  return line.trim().slice(0, 160);
}

function runNodeGyp(stdio) {
  const [cmd, ...pre] = nodeGypCommand();
  const args = [...pre, 'rebuild', '--release'];
  const dir = nodedir();
  if (dir) args.push(`--nodedir=${dir}`);
  return spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio, timeout: 10 * 60 * 1000, shell: process.platform === 'win32' && cmd === 'node-gyp' });
}

function build() {
  const r = runNodeGyp('pipe');
  if (r.error) return `node-gyp could not run: ${r.error.message}`;
  if (r.status !== 0) {
    const out = `${r.stderr}\n${r.stdout}`;
    if (/gyp ERR! find Python/.test(out)) return 'no Python 3 found, node-gyp needs it';
    if (/not found: make|make: (command )?not found|spawn make ENOENT/.test(out)) return 'no make found';
    if (/(cc|gcc|g\+\+|c\+\+): (command )?not found|No such file or directory.*\b(cc|gcc|g\+\+)\b|spawn (cc|gcc|g\+\+) ENOENT/.test(out)) return 'no C compiler found';
    if (/node_api\.h|common\.gypi|download|EAI_AGAIN|ENOTFOUND/.test(out)) return 'Node headers not found: set npm_config_nodedir';
    const lines = out.split('\n');
    const why = lines.find((l) => /error:|gyp ERR! stack Error/.test(l)) || `node-gyp exited with ${r.status}`;
    return why.replace(/^gyp ERR! (stack )?/, '').trim().slice(0, 160);
  }
  return check();
}

function main() {
  if (process.env.WSFRAME_SKIP_NATIVE) return;
  const fromSource = /^(true|1|yes)$|(^|,)wsframe(,|$)/i.test(
    process.env.npm_config_build_from_source || process.env.WSFRAME_BUILD_FROM_SOURCE || '');
  let reason = '';
  if (!fromSource) {
    reason = check();
    if (!reason) return; // a prebuild (or an earlier build) loads and computes right
  }
  if (!existsSync(path.join(root, 'binding.gyp'))) {
    console.log(`wsframe: native addon not available (${reason || 'no sources'}); using WebAssembly`);
    return;
  }
  const err = build();
  if (err) console.log(`wsframe: native addon not built (${err}); using WebAssembly`);
  else if (fromSource) console.log('wsframe: native addon built from source');
}

if (require.main === module && process.argv.includes('--rebuild')) {
  const r = runNodeGyp('inherit');
  const err = r.status === 0 ? check() : `node-gyp failed (${r.error ? r.error.message : `exit ${r.status}`})`;
  if (err) console.error(`wsframe: ${err}`);
  process.exitCode = err ? 1 : 0;
} else if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.log(`wsframe: native addon skipped (${err && err.message}); using WebAssembly`);
  }
  process.exitCode = 0;
}

module.exports = { nodedir };
