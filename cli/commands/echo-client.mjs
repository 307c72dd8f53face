/** `wsframe echo-client URL`: connects and sends every message back, for test harnesses. */
import { parseArgs } from 'node:util';
import { failure, loadWsframe, numberOption, usageError } from '../lib.mjs';

export const summary = 'WebSocket client that echoes every message back until the server closes';

export const usage = `Usage: wsframe echo-client URL [--deflate] [--max-payload BYTES] [--timeout MS] [--verbose]

Connects to URL (ws:// or wss://), sends every message back as it came (text as text, binary as
binary) and waits for the server to close. Exits 0 after a clean close (a close frame was
exchanged and the code is 1000, 1001 or none), 1 otherwise: the handshake failed, the connection
dropped without a close frame, a protocol error, another close code, or the timeout passed.

Options:
  --deflate           offer permessage-deflate (RFC 7692)
  --max-payload N     largest message in bytes (default 100 MiB); bigger ones close with 1009
  --timeout MS        give up (exit 1) after this long (default: no limit)
  --verbose           print the open, the close and errors on stderr`;

const CLEAN = new Set([1000, 1001, 1005]);

export async function run(args) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      deflate: { type: 'boolean', default: false },
      'max-payload': { type: 'string' },
      timeout: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw usageError('exactly one URL is required');
  const maxPayload = numberOption(values, 'max-payload', { integer: true, min: 1 });
  const timeout = numberOption(values, 'timeout', { min: 1 });
  const log = values.verbose ? (msg) => process.stderr.write(`echo-client: ${msg}\n`) : () => {};

  const { WebSocket } = loadWsframe();
  let ws;
  try {
    ws = new WebSocket(positionals[0], { perMessageDeflate: values.deflate, maxPayload });
  } catch (err) {
    throw usageError(err.message);
  }
  let error;
  let messages = 0;
  ws.on('open', () => log(`open ${ws.url}${ws.extensions ? ` (${ws.extensions})` : ''}`));
  ws.on('message', (data, isBinary) => {
    messages++;
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', (err) => {
    error = err;
    log(`error ${err.code ?? ''} ${err.message}`);
  });
  const timer = timeout === undefined ? undefined : setTimeout(() => {
    error = new Error(`no close within ${timeout} ms`);
    ws.terminate();
  }, timeout);
  const [code, reason] = await new Promise((resolve) => ws.on('close', (c, r) => resolve([c, r.toString()])));
  clearTimeout(timer);
  log(`close ${code} ${reason} after ${messages} messages`);
  if (error !== undefined) throw failure(error.message);
  if (!CLEAN.has(code)) throw failure(`connection closed with ${code}${reason ? ` ${reason}` : ''}`);
  return 0;
}
