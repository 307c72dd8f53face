/**
 * The demo's live view. On a terminal it redraws a block of lines in place (cursor up, clear
 * line); anywhere else (a pipe, a CI log) it prints one compact line per update instead.
 */

export function count(n) {
  return Math.round(n).toLocaleString('en-US');
}

export function bytes(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${Math.round(n)} B`;
}

export function micros(us) {
  if (!Number.isFinite(us)) return '–';
  if (us < 10) return `${us.toFixed(2)} µs`;
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(us >= 1e4 ? 0 : 1)} ms`;
  return `${Math.round(us)} µs`;
}

function bar(fraction, width = 20) {
  const full = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/**
 * @param {object} s  a snapshot: elapsed, duration (s), header, sentRate, sentBytesRate, sentTotal,
 *   recvRate, recvBytesRate, recvTotal, subscribers, p50, p99, max (µs, last interval),
 *   lost, outOfOrder, feedRss, feedHeap, subRss, queued
 */
export function renderLines(s) {
  return [
    s.header,
    `elapsed     ${s.elapsed.toFixed(1)} s / ${s.duration} s  ${bar(s.elapsed / s.duration)}`,
    `sent        ${count(s.sentRate).padStart(10)} msg/s  ${bytes(s.sentBytesRate).padStart(9)}/s   total ${count(s.sentTotal)}`,
    `received    ${count(s.recvRate).padStart(10)} msg/s  ${bytes(s.recvBytesRate).padStart(9)}/s   total ${count(s.recvTotal)} (${s.subscribers} subscribers)`,
    `latency     p50 ${micros(s.p50)}  p99 ${micros(s.p99)}  max ${micros(s.max)}  (last interval)`,
    `integrity   ${count(s.lost)} lost · ${count(s.outOfOrder)} out of order · ${bytes(s.queued)} queued in the feed`,
    `memory      feed rss ${bytes(s.feedRss)} (heap ${bytes(s.feedHeap)}) · subscribers rss ${bytes(s.subRss)}`,
  ];
}

export function renderLine(s) {
  return (
    `[${s.elapsed.toFixed(1)}s] sent ${count(s.sentRate)}/s recv ${count(s.recvRate)}/s ` +
    `${bytes(s.recvBytesRate)}/s p50 ${micros(s.p50)} p99 ${micros(s.p99)} ` +
    `lost ${count(s.lost)} ooo ${count(s.outOfOrder)} rss ${bytes(s.feedRss)}/${bytes(s.subRss)}`
  );
}

export class LiveView {
  constructor(stream = process.stdout) {
    this.stream = stream;
    this.tty = Boolean(stream.isTTY);
    this.drawn = 0;
  }

  update(snapshot) {
    if (!this.tty) {
      this.stream.write(renderLine(snapshot) + '\n');
      return;
    }
    const lines = renderLines(snapshot);
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '\x1b[?25l';
    for (const line of lines) out += `\r\x1b[K${line}\n`;
    this.stream.write(out);
    this.drawn = lines.length;
  }

  /** Leaves the last frame on screen and gives the cursor back. */
  end() {
    if (this.tty) this.stream.write('\x1b[?25h');
  }
}
