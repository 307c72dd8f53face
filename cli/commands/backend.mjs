/** `wsframe backend`: which kernel backend is active, how it was chosen, and why the others are not. */
import { parseArgs } from 'node:util';
import { loadWsframe } from '../lib.mjs';

export const summary = 'show the active kernel backend (native, wasm, js) and why the others are not used';

export const usage = `Usage: wsframe backend [--json]

Loads the built package and reports every kernel backend: whether it loaded and passed its
self-test, which one is active and how it was chosen (auto: fastest available; env:
WSFRAME_BACKEND; api: useBackend()), and the reason for each one that is unavailable.

Options:
  --json   print the same as JSON`;

const WHY = {
  auto: 'the fastest backend that passed its self-test',
  env: 'forced by WSFRAME_BACKEND',
  api: 'chosen with useBackend()',
};

export async function run(args) {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const w = loadWsframe();
  const active = w.activeBackend();
  const status = w.backendStatus();
  if (values.json) {
    process.stdout.write(JSON.stringify({ active, backends: status }, null, 2) + '\n');
    return 0;
  }
  const lines = [`active: ${active.name} (${active.variant}), ${WHY[active.chosenBy] ?? active.chosenBy}`, ''];
  for (const b of status) {
    const mark = b.active ? '*' : ' ';
    const state = b.available ? `available (${b.variant})${b.active ? ', active' : ''}` : `unavailable: ${b.reason}`;
    lines.push(`${mark} ${b.name.padEnd(6)} ${state}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
