/** Small helpers the commands share: the built package, usage errors and option parsing. */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository (or installed package) root. */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

const DIST = fileURLToPath(new URL('../dist/cjs/index.js', import.meta.url));

/** The built wsframe package (dist/cjs), or an error that says how to build it. */
export function loadWsframe() {
  if (!existsSync(DIST)) {
    throw usageError('wsframe is not built: run `npm run build` (or `npm install`) first');
  }
  try {
    return createRequire(import.meta.url)(DIST);
  } catch (err) {
    // e.g. WSFRAME_BACKEND names a backend that is unavailable: say so in one line.
    throw failure(`cannot load wsframe: ${err.message}`);
  }
}

/** An error the command line reports as one line (exit code 1), without a stack trace. */
export function failure(message) {
  const err = new Error(message);
  err.code = 'WSFRAME_CLI_FAILURE';
  return err;
}

export function usageError(message) {
  const err = new Error(message);
  err.code = 'WSFRAME_CLI_USAGE';
  return err;
}

/** A positive number option, or a usage error naming the option. */
export function numberOption(values, name, { min = 0, integer = false } = {}) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw usageError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${raw}'`);
  }
  return n;
}
