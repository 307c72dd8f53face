/**
 * `wsframe/register`: makes ws load wsframe's drop-in modules with no change to the application
 * or its package.json:
 *
 *     node --require wsframe/register app.js
 *     node --import wsframe/register app.mjs
 *
 * It hooks CommonJS resolution (ws is CommonJS even when the application imports it from ESM) so
 * that `require('bufferutil')` and `require('utf-8-validate')` made by a file inside a `ws`
 * package resolve to `wsframe/bufferutil` and `wsframe/utf-8-validate`, whether or not the real
 * packages are installed. Requests from anywhere else resolve as usual: the hook's job is ws, and a
 * program that requires bufferutil itself gets exactly what it installed.
 *
 * ws's own switches still work: with WS_NO_BUFFER_UTIL or WS_NO_UTF_8_VALIDATE set, ws never makes
 * the request, and the hook also leaves it alone. On Node >= 18.14 ws validates UTF-8 with
 * `buffer.isUtf8` and never asks for utf-8-validate at all, so there only masking is redirected.
 */
import Module from 'node:module';
import { join } from 'node:path';

type ResolveFilename = (request: string, parent: { filename?: string | null } | null | undefined, ...rest: unknown[]) => string;
interface ModuleInternals {
  _resolveFilename: ResolveFilename;
}

/** One redirection the hook made: which request, from which file, to which file. */
export interface Redirect {
  request: 'bufferutil' | 'utf-8-validate';
  from: string;
  to: string;
}

interface RegisterState {
  redirects: Redirect[];
}

const TARGETS = {
  bufferutil: { file: join(__dirname, 'bufferutil.js'), disabledBy: 'WS_NO_BUFFER_UTIL' },
  'utf-8-validate': { file: join(__dirname, 'utf-8-validate.js'), disabledBy: 'WS_NO_UTF_8_VALIDATE' },
} as const;

/** A file of a package named ws, however it was installed (npm, pnpm's .pnpm store, nested). */
const IN_WS_PACKAGE = /[\\/]node_modules[\\/]ws[\\/]/;

// One hook per process even when two copies of wsframe (or both --require and --import) load it.
const STATE_KEY = Symbol.for('wsframe.register');
const holder = globalThis as unknown as Record<symbol, RegisterState | undefined>;

function install(): RegisterState {
  const existing = holder[STATE_KEY];
  if (existing !== undefined) return existing;
  const state: RegisterState = { redirects: [] };
  holder[STATE_KEY] = state;
  const internals = Module as unknown as ModuleInternals;
  const resolve = internals._resolveFilename;
  internals._resolveFilename = function (this: unknown, request, parent, ...rest) {
    if (request === 'bufferutil' || request === 'utf-8-validate') {
      const target = TARGETS[request];
      const from = parent?.filename;
      if (typeof from === 'string' && IN_WS_PACKAGE.test(from) && !process.env[target.disabledBy]) {
        // Deduplicated: ws asks once per copy of ws, but nothing stops a program from asking again.
        if (!state.redirects.some((r) => r.request === request && r.from === from)) {
          state.redirects.push({ request, from, to: target.file });
        }
        return target.file;
      }
    }
    return resolve.call(this, request, parent, ...rest);
  };
  return state;
}

const state = install();

/** Every redirection made so far in this process (what ws loaded through the hook). */
export function redirects(): Redirect[] {
  return state.redirects.slice();
}
