/**
 * The demo's subscriber process: opens N WebSocket connections to the feed, checks on every
 * connection that tick sequence numbers arrive complete and in order, measures latency from the
 * send time in each tick, and reports to the parent over IPC: 'ready' once all are connected,
 * 'stats' increments every 250 ms, and 'final' once every connection has seen the end marker.
 *
 * Run with child_process.fork(path, [JSON config]); config: { url, count, impl, deflate }.
 */
import { nowUs } from './clock.mjs';
import { Histogram } from './histogram.mjs';
import { connectSubscriber } from './transport.mjs';

const config = JSON.parse(process.argv[2]);

// Ctrl-C reaches the whole process group: the parent decides when the run ends, and we still
// have to report what arrived, so the signal is ignored here.
process.on('SIGINT', () => {});
// If the parent goes away, there is nobody to report to.
process.on('disconnect', () => process.exit(0));

const hist = new Histogram();
const conns = [];
let received = 0;
let bytes = 0;

function onTick(c, msg, length) {
  hist.record(nowUs() - msg.ts);
  c.received++;
  received++;
  bytes += length;
  if (msg.seq === c.expected) {
    c.expected++;
  } else if (msg.seq > c.expected) {
    // A gap: these sequence numbers never arrived (or will arrive late, and count as out of order).
    c.lost += msg.seq - c.expected;
    c.expected = msg.seq + 1;
  } else {
    c.outOfOrder++;
  }
}

function report() {
  process.send({
    type: 'stats',
    received,
    bytes,
    hist: hist.sparse(),
    max: hist.max,
    lost: conns.reduce((s, c) => s + c.lost, 0),
    outOfOrder: conns.reduce((s, c) => s + c.outOfOrder, 0),
    rss: process.memoryUsage().rss,
  });
  received = 0;
  bytes = 0;
  hist.reset();
}

function finishIfDone() {
  if (!conns.every((c) => c.endCount !== undefined)) return;
  clearInterval(timer);
  report();
  process.send(
    {
      type: 'final',
      cpuUs: cpuTotal(),
      connections: conns.map((c) => ({
        received: c.received,
        // The sequence number expected next: the count of ticks seen in order, gaps skipped.
        next: c.expected,
        gaps: c.lost,
        outOfOrder: c.outOfOrder,
        // The count announced by the end marker, or undefined if the connection closed first.
        announced: c.closedEarly ? undefined : c.endCount,
      })),
    },
    () => {
      for (const c of conns) c.socket.close();
      process.disconnect();
    },
  );
}

const timer = setInterval(report, 250);

// CPU time from the first connection attempt on (startup excluded), µs.
const cpuAtStart = process.cpuUsage();
function cpuTotal() {
  const c = process.cpuUsage(cpuAtStart);
  return c.user + c.system;
}

let open = 0;
for (let i = 0; i < config.count; i++) {
  const c = { received: 0, expected: 0, lost: 0, outOfOrder: 0, endCount: undefined, closedEarly: false, socket: undefined };
  conns.push(c);
  c.socket = connectSubscriber({
    impl: config.impl,
    url: config.url,
    deflate: config.deflate,
    onOpen() {
      if (++open === config.count) process.send({ type: 'ready' });
    },
    onMessage(text) {
      const msg = JSON.parse(text);
      if (msg.t === 'tick') {
        onTick(c, msg, text.length);
      } else if (msg.t === 'end') {
        c.endCount = msg.count;
        finishIfDone();
      }
    },
    onClose() {
      if (c.endCount === undefined) {
        c.closedEarly = true;
        c.endCount = -1;
        finishIfDone();
      }
    },
    onError(err) {
      process.send({ type: 'error', message: `connection ${i}: ${err.message}` });
    },
  });
}
