/** `wsframe demo` (also `npm start`): the market-data feed demo on loopback. */
import { parseArgs } from 'node:util';
import { loadWsframe, numberOption, usageError } from '../lib.mjs';
import { runDemo } from '../demo/run.mjs';
import { LiveView, count, bytes, micros } from '../demo/view.mjs';

export const summary = 'market-data demo: a feed broadcasting ticks to subscribers on loopback, live stats, then a summary';

export const usage = `Usage: wsframe demo [options]        (npm start runs this)

A feed server publishes realistic JSON ticks (a few hundred symbols, random-walk prices, bursts)
to subscriber connections in a separate process, over 127.0.0.1. While it runs you see messages/s
sent and received, payload bytes/s, latency p50/p99, the backend in use and memory; at the end
(or on Ctrl-C) a summary that checks every subscriber got every tick, complete and in order.

Options:
  --duration <s>      how long to publish (default 10)
  --subscribers <n>   subscriber connections (default 8)
  --rate <n>          ticks per second published, on average (default 5000); each goes to every subscriber
  --size <bytes>      approximate tick size, padded with order-book levels (default 0: a bare ~75 B tick)
  --deflate           negotiate permessage-deflate
  --impl <name>       wsframe (default) or ws, to compare with the incumbent
  --symbols <n>       number of symbols (default 300)
  --json              print the summary as JSON on stdout (the live view goes to stderr)

Exit code 0 when every subscriber received every tick in order, 1 otherwise.`;

export async function run(args) {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: 'string' },
      subscribers: { type: 'string' },
      rate: { type: 'string' },
      size: { type: 'string' },
      deflate: { type: 'boolean' },
      impl: { type: 'string' },
      symbols: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const impl = values.impl ?? 'wsframe';
  if (impl !== 'wsframe' && impl !== 'ws') throw usageError(`--impl must be wsframe or ws, got '${impl}'`);
  const options = {
    impl,
    duration: numberOption(values, 'duration', { min: 0.1 }) ?? 10,
    subscribers: numberOption(values, 'subscribers', { min: 1, integer: true }) ?? 8,
    rate: numberOption(values, 'rate', { min: 1 }) ?? 5_000,
    size: numberOption(values, 'size', { min: 0, integer: true }) ?? 0,
    symbols: numberOption(values, 'symbols', { min: 1, integer: true }) ?? 300,
    deflate: values.deflate === true,
  };
  if (options.subscribers > 1000) throw usageError('--subscribers is limited to 1000 on one machine');
  if (options.symbols > 10_000) throw usageError('--symbols is limited to 10000');
  if (options.size > 1 << 20) throw usageError('--size is limited to 1 MiB');
  if (options.duration > 3600) throw usageError('--duration is limited to 3600 s');
  const w = loadWsframe();
  const b = w.activeBackend();
  options.backend = `${b.name}/${b.variant}`;

  // Ctrl-C ends the run early with a summary; a second one gives up at once.
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const out = values.json ? process.stderr : process.stdout;
  let summary;
  try {
    summary = await runDemo(options, { view: new LiveView(out), interval: out.isTTY ? 250 : 1000, signal: abort.signal });
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } else {
    process.stdout.write('\n' + summaryText(summary) + '\n');
  }
  return summary.complete ? 0 : 1;
}

export function summaryText(s) {
  const verdict = s.complete
    ? `every subscriber received all ${count(s.sent)} ticks, complete and in order`
    : `INCOMPLETE: ${count(s.lost)} deliveries missing, ${count(s.outOfOrder)} out of order`;
  return [
    `summary (${s.seconds.toFixed(1)} s${s.stoppedBy === 'interrupted' ? ', interrupted' : ''}; ${s.impl}${s.impl === 'wsframe' ? `, backend ${s.backend}` : ''}, ${s.broadcast}; ${s.subscribers} subscribers${s.deflate ? '; permessage-deflate' : ''})`,
    `  sent       ${count(s.sent)} ticks (${count(s.sent / s.seconds)}/s), ${bytes(s.sentBytes)} of JSON`,
    `  received   ${count(s.received)} of ${count(s.expected)} deliveries (${count(s.received / (s.seconds + s.drainSeconds))}/s), ${bytes(s.receivedBytes)}`,
    `  check      ${verdict}`,
    `  latency    p50 ${micros(s.latencyUs.p50)} · p99 ${micros(s.latencyUs.p99)} · max ${micros(s.latencyUs.max)} (send to parse, ${count(s.latencyUs.samples)} samples)`,
    `  drain      ${micros(s.drainSeconds * 1e6)} after publishing stopped`,
    `  memory     feed peak rss ${bytes(s.feedPeakRss)} · subscriber process peak rss ${bytes(s.subscriberPeakRss)}`,
    ...s.errors.map((e) => `  error      ${e}`),
  ].join('\n');
}
