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
  --seed <n>          seed of the ticks and bursts (default 1: every run sends the same feed)
  --compare           run the same feed over wsframe, then over ws, and print both side by side
  --json              print the summary as JSON on stdout (the live view goes to stderr)

Exit code 0 when every subscriber received every tick in order (in every run), 1 otherwise.`;

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
      compare: { type: 'boolean' },
      seed: { type: 'string' },
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
    seed: numberOption(values, 'seed', { min: 0, integer: true }) ?? 1,
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
  const summaries = [];
  try {
    for (const one of values.compare ? ['wsframe', 'ws'] : [impl]) {
      if (abort.signal.aborted) break;
      if (summaries.length > 0) out.write('\n');
      summaries.push(await runDemo({ ...options, impl: one }, { view: new LiveView(out), interval: out.isTTY ? 250 : 1000, signal: abort.signal }));
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(values.compare ? summaries : summaries[0], null, 2) + '\n');
  } else {
    process.stdout.write('\n' + summaries.map(summaryText).join('\n\n') + '\n');
    if (summaries.length > 1) process.stdout.write('\n' + comparisonTable(summaries) + '\n');
  }
  return summaries.every((s) => s.complete) ? 0 : 1;
}

/** The runs side by side, as a markdown table. */
export function comparisonTable(runs) {
  const rows = [
    ['', ...runs.map((s) => (s.impl === 'wsframe' ? `wsframe (${s.backend})` : s.impl))],
    ['broadcast', ...runs.map((s) => s.broadcast)],
    ['ticks sent /s', ...runs.map((s) => count(s.sent / s.seconds))],
    ['deliveries /s', ...runs.map((s) => count(s.received / (s.seconds + s.drainSeconds)))],
    ['latency p50', ...runs.map((s) => micros(s.latencyUs.p50))],
    ['latency p99', ...runs.map((s) => micros(s.latencyUs.p99))],
    ['feed CPU per delivery', ...runs.map((s) => micros(s.feedCpuUs / Math.max(1, s.received)))],
    ['subscriber CPU per delivery', ...runs.map((s) => micros(s.subscriberCpuUs / Math.max(1, s.received)))],
    ['feed peak rss', ...runs.map((s) => bytes(s.feedPeakRss))],
    ['complete, in order', ...runs.map((s) => (s.complete ? 'yes' : 'NO'))],
  ];
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(rows[0]), line(rows[0].map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.slice(1).map(line)].join('\n');
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
    `  latency    p50 ${micros(s.latencyUs.p50)} · p99 ${micros(s.latencyUs.p99)} · max ${micros(s.latencyUs.max)} (burst to parse, ${count(s.latencyUs.samples)} samples${s.latencyUs.warmupSeconds > 0 ? ` after the first ${s.latencyUs.warmupSeconds} s` : ''})`,
    `  drain      ${micros(s.drainSeconds * 1e6)} after publishing stopped`,
    `  cpu        feed ${micros(s.feedCpuUs / Math.max(1, s.received))} · subscribers ${micros(s.subscriberCpuUs / Math.max(1, s.received))} per delivery (${(s.feedCpuUs / 1e4 / (s.seconds + s.drainSeconds)).toFixed(0)} % and ${(s.subscriberCpuUs / 1e4 / (s.seconds + s.drainSeconds)).toFixed(0)} % of a core)`,
    `  memory     feed peak rss ${bytes(s.feedPeakRss)} · subscriber process peak rss ${bytes(s.subscriberPeakRss)}`,
    ...s.errors.map((e) => `  error      ${e}`),
  ].join('\n');
}
