// The package is compiled once, as CommonJS, so that every import style shares one module instance
// (one backend selection, one WASM instance). ESM entry points are thin generated wrappers that
// re-export the CommonJS module's names, the same way ws ships its wrapper.mjs.
import { writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
writeFileSync(join(root, 'dist', 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
mkdirSync(join(root, 'dist', 'esm'), { recursive: true });

// [cjs module under dist/cjs, esm file under dist/esm]
const entries = [
  ['index', 'index'],
  ['ws', 'ws'],
  ['dropin/bufferutil', 'bufferutil'],
  ['dropin/utf-8-validate', 'utf-8-validate'],
  ['dropin/register', 'register'],
  ['dropin/register-codec', 'register-codec'],
];
for (const [cjs, esm] of entries) {
  const mod = require(join(root, 'dist', 'cjs', `${cjs}.js`));
  const lines = [`import mod from '../cjs/${cjs}.js';`];
  // A module whose export IS a function (utf-8-validate's shape) has no names to re-export: ESM
  // importers get it as the default export, exactly as they get the original package.
  if (typeof mod !== 'function') {
    const names = Object.keys(mod).filter((n) => n !== 'default' && n !== '__esModule');
    for (const n of names) lines.push(`export const ${n} = mod.${n};`);
  }
  lines.push('export default mod;');
  writeFileSync(join(root, 'dist', 'esm', `${esm}.mjs`), lines.join('\n') + '\n');
}
