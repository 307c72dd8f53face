/** `wsframe echo-server`: a WebSocket server that sends every message back, for test harnesses. */
import { parseArgs } from 'node:util';
import { loadWsframe, numberOption, usageError } from '../lib.mjs';

export const summary = 'WebSocket echo server for test harnesses (Autobahn-style fuzzing clients, interop tests)';

export const usage = `Usage: wsframe echo-server --port N [--host 127.0.0.1] [--deflate] [--max-payload BYTES] [--verbose]

Listens on ws://HOST:PORT/ (any path) and sends every message back as it came: text as text,
binary as binary. Pings are answered by the library; protocol errors close the connection with
the RFC 6455 code (1002, 1007, 1009). Logs nothing unless --verbose. Stops on SIGTERM or SIGINT
(open connections are closed with 1001) and exits 0.

Options:
  --port N            port to listen on (0: any free port; the chosen one is printed with --verbose)
  --host H            address to bind (default 127.0.0.1)
  --deflate           accept permessage-deflate (RFC 7692)
  --max-payload N     largest message in bytes (default 100 MiB); bigger ones close with 1009
  --verbose           print the address, connections, closes and errors on stderr`;

export async function run(args) {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      deflate: { type: 'boolean', default: false },
      'max-payload': { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const port = numberOption(values, 'port', { integer: true });
  if (port === undefined || port > 65535) throw usageError('--port N (0-65535) is required');
  const maxPayload = numberOption(values, 'max-payload', { integer: true, min: 1 });
  const log = values.verbose ? (msg) => process.stderr.write(`echo-server: ${msg}\n`) : () => {};

  const { WebSocketServer } = loadWsframe();
  const wss = new WebSocketServer({ port, host: values.host, perMessageDeflate: values.deflate, maxPayload });
  let next = 0;
  wss.on('connection', (ws, req) => {
    const id = ++next;
    log(`#${id} open from ${req.socket.remoteAddress}:${req.socket.remotePort}${ws.extensions ? ` (${ws.extensions})` : ''}`);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', (err) => log(`#${id} error ${err.code ?? ''} ${err.message}`));
    ws.on('close', (code, reason) => log(`#${id} close ${code} ${reason.toString()}`));
  });

  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const addr = wss.address();
  log(`listening on ws://${addr.address}:${addr.port}/`);

  await new Promise((resolve) => {
    const stop = (signal) => {
      log(`${signal}: stopping`);
      for (const ws of wss.clients) ws.close(1001, 'Server shutting down');
      wss.close(() => resolve());
      // Peers that do not answer the close get their sockets destroyed.
      setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
        resolve();
      }, 1000).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}
