/**
 * `wsframe/register-codec`: everything `wsframe/register` does, plus ws's frame receiver and
 * sender replaced by subclasses running on wsframe's FrameReader and FrameWriter (see ws-codec.ts
 * for what stays ws's own code and why):
 *
 *     node --require wsframe/register-codec app.js
 *     node --import wsframe/register-codec app.mjs
 *
 * Only the `require('./receiver')` and `require('./sender')` made by ws's lib/websocket.js are
 * answered with the subclasses; `require('ws').Receiver` / `.Sender` (ws's public re-exports) stay
 * ws's own classes. Opt-in: the plain register entry never does this.
 */
import Module from 'node:module';
import { dirname } from 'node:path';
import { redirects } from './register.js';
import { codecFor, stats } from './ws-codec.js';
import type { CodecStats } from './ws-codec.js';

type Load = (request: string, parent: { filename?: string | null } | null | undefined, isMain: boolean) => unknown;

/** ws's lib/websocket.js, however ws was installed. */
const WS_WEBSOCKET = /[\\/]node_modules[\\/]ws[\\/]lib[\\/]websocket\.js$/;

const STATE_KEY = Symbol.for('wsframe.register-codec');
const holder = globalThis as unknown as Record<symbol, { stats(): CodecStats } | undefined>;

function install(): void {
  if (holder[STATE_KEY] !== undefined) return;
  holder[STATE_KEY] = { stats: codecStats };
  const internals = Module as unknown as { _load: Load };
  const load = internals._load;
  internals._load = function (this: unknown, request, parent, isMain) {
    if ((request === './receiver' || request === './sender') && typeof parent?.filename === 'string' && WS_WEBSOCKET.test(parent.filename)) {
      const codec = codecFor(dirname(parent.filename));
      return request === './receiver' ? codec.Receiver : codec.Sender;
    }
    return load.call(this, request, parent, isMain);
  };
}

install();

/** How many connections run on wsframe's reader and how many fell back to ws's own (and why). */
export function codecStats(): CodecStats {
  return { ...stats, fallbackReasons: { ...stats.fallbackReasons } };
}

export { redirects };
