'use strict';
// The ws server of bench/dropin.mjs, forked once per variant with that variant's node flags
// (e.g. --require wsframe/register). Modes: `echo` (send every message back) and `broadcast` (send
// every message to every connected client). It answers the parent's IPC messages:
//   { op: 'snap' }  -> { cpu: process.cpuUsage(), received, sent }   (counters since start)
//   { op: 'loaded' } -> what ws's buffer-util.js loaded and whether the codec mode is active
const path = require('node:path');
const { WebSocketServer } = require('ws');

const mode = process.argv[2];
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
let received = 0;
let sent = 0;

wss.on('connection', (ws) => {
  if (mode === 'echo') {
    ws.on('message', (data, isBinary) => {
      received++;
      ws.send(data, { binary: isBinary });
      sent++;
    });
  } else {
    ws.on('message', (data, isBinary) => {
      received++;
      for (const client of wss.clients) {
        client.send(data, { binary: isBinary });
        sent++;
      }
    });
  }
});

function loaded() {
  const wsDir = path.dirname(require.resolve('ws/package.json'));
  const m = require.cache[path.join(wsDir, 'lib', 'buffer-util.js')];
  const bufferUtil = m ? m.children.map((c) => c.filename).filter((f) => !f.startsWith(wsDir + path.sep)) : [];
  const codec = globalThis[Symbol.for('wsframe.register-codec')];
  return { bufferUtil, codec: codec ? codec.stats() : null, corkOnly: globalThis[Symbol.for('wsframe.bench-cork-only')] === true };
}

process.on('message', (msg) => {
  if (msg.op === 'snap') process.send({ cpu: process.cpuUsage(), received, sent });
  else if (msg.op === 'loaded') process.send(loaded());
  else if (msg.op === 'exit') {
    for (const c of wss.clients) c.terminate();
    wss.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));

wss.on('listening', () => process.send({ port: wss.address().port }));
