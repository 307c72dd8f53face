#!/usr/bin/env node
// Builds the prebuilt addon shipped under prebuilds/<platform>-<arch>/ with prebuildify
// (N-API, stripped, tagged by libc so a glibc binary is never picked on musl). prebuildify
// runs node-gyp without --nodedir, so the local headers are passed through npm_config_nodedir.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { nodedir } = require('./install-native.cjs');

const root = path.join(__dirname, '..');
const dir = nodedir();
const bin = require.resolve('prebuildify/bin.js', { paths: [root] });
const r = spawnSync(process.execPath, [bin, '--napi', '--strip', '--tag-libc', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ...(dir ? { npm_config_nodedir: dir } : {}) },
});
process.exit(r.status ?? 1);
