/**
 * The market-data demo: a feed server publishing ticks in bursts to N subscriber connections
 * that live in a separate process, a live view while it runs, and a summary that says whether
 * every subscriber got every tick, in order.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nowUs } from './clock.mjs';
import { Histogram } from './histogram.mjs';
import { TickGenerator, BurstSchedule, seededRandom } from './ticks.mjs';
import { startFeedServer } from './transport.mjs';
import { LiveView } from './view.mjs';
import { failure } from '../lib.mjs';

const SUBSCRIBER = fileURLToPath(new URL('./subscriber.mjs', import.meta.url));
const SLOT_MS = 10;

function once(child, type, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      reject(failure(`${what}: no answer from the subscriber process within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onMessage = (m) => {
      if (m.type === type) {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m);
      }
    };
    const onExit = (code, signal) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      reject(failure(`${what}: the subscriber process exited (${signal ?? `code ${code}`})`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * @param {{ impl: string, backend: string, subscribers: number, rate: number, size: number,
 *   duration: number, deflate: boolean, symbols: number, seed: number }} o
 * @param {{ view?: LiveView, interval?: number, signal?: AbortSignal }} io
 * @returns {Promise<object>} the summary
 */
export async function runDemo(o, { view = new LiveView(), interval = 250, signal } = {}) {
  const server = await startFeedServer({ impl: o.impl, deflate: o.deflate });
  const child = fork(SUBSCRIBER, [JSON.stringify({ url: server.url, count: o.subscribers, impl: o.impl, deflate: o.deflate })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const errors = [];
  const totals = { recv: 0, recvBytes: 0, lost: 0, outOfOrder: 0, subRss: 0, subPeakRss: 0 };
  const recent = { recv: 0, recvBytes: 0, hist: new Histogram() };
  const all = new Histogram();
  // The summary's latency leaves out the first second of runs of 3 s or more: JIT warm-up and the
  // subscriber process starting up say little about the steady state (the live view shows it).
  const warmupMs = o.duration >= 3 ? 1000 : 0;
  let measureFrom = Infinity;
  child.on('message', (m) => {
    if (m.type === 'stats') {
      totals.recv += m.received;
      totals.recvBytes += m.bytes;
      totals.lost = m.lost;
      totals.outOfOrder = m.outOfOrder;
      totals.subRss = m.rss;
      totals.subPeakRss = Math.max(totals.subPeakRss, m.rss);
      recent.recv += m.received;
      recent.recvBytes += m.bytes;
      recent.hist.addSparse(m.hist, m.max);
      if (performance.now() >= measureFrom) all.addSparse(m.hist, m.max);
    } else if (m.type === 'error') {
      if (errors.length < 10) errors.push(m.message);
    }
  });

  try {
    await once(child, 'ready', 10_000, 'connecting the subscribers');

    const gen = new TickGenerator({ symbols: o.symbols, size: o.size, random: seededRandom(o.seed) });
    const schedule = new BurstSchedule(o.rate, seededRandom(o.seed + 1));
    let seq = 0;
    let sentBytes = 0;
    let feedPeakRss = 0;
    let last = { t: performance.now(), seq: 0, sentBytes: 0 };
    const start = performance.now();
    measureFrom = start + warmupMs;
    const cpuAtStart = process.cpuUsage();
    let slots = 0;
    let stopped = false;
    let stoppedBy = 'duration';

    // Sends every 10 ms slot that is due by the clock, so a late timer catches up instead of
    // lowering the rate; but never for more than one slot's time per call, so the view and the
    // end of the run still get their turn when the feed cannot keep up (the view then shows the
    // rate actually sent).
    let finish;
    const finished = new Promise((resolve) => (finish = resolve));
    const publish = () => {
      const now = performance.now();
      if (now - start >= o.duration * 1000) {
        finish();
        return;
      }
      const due = Math.floor((now - start) / SLOT_MS);
      const budgetEnd = now + SLOT_MS;
      while (slots < due && !stopped && performance.now() < budgetEnd) {
        slots++;
        const n = schedule.nextSlot();
        // A slot's ticks are a burst that is all there at once: each carries the burst's start
        // time, so latency includes the feed's own time to send the burst (a send loop that takes
        // 5 ms over a burst delays its last ticks by 5 ms, which a per-tick stamp would hide).
        const burstUs = nowUs();
        for (let i = 0; i < n; i++) {
          const text = gen.next(seq++, burstUs);
          sentBytes += text.length;
          server.publish(text);
        }
      }
    };

    const draw = () => {
      const now = performance.now();
      const dt = (now - last.t) / 1000;
      if (dt < 0.05) return; // too short an interval for meaningful rates
      const mem = process.memoryUsage();
      feedPeakRss = Math.max(feedPeakRss, mem.rss);
      view.update({
        header: `wsframe market-data demo · ${o.impl === 'wsframe' ? `wsframe (backend ${o.backend})` : o.impl}, ${server.broadcast} · ${o.subscribers} subscribers · ${o.symbols} symbols · ${o.rate.toLocaleString('en-US')} ticks/s in bursts · ${o.size ? `~${o.size} B` : '~75 B'} ticks · deflate ${o.deflate ? 'on' : 'off'}`,
        elapsed: Math.min((now - start) / 1000, o.duration),
        duration: o.duration,
        sentRate: (seq - last.seq) / dt,
        sentBytesRate: (sentBytes - last.sentBytes) / dt,
        sentTotal: seq,
        recvRate: recent.recv / dt,
        recvBytesRate: recent.recvBytes / dt,
        recvTotal: totals.recv,
        subscribers: server.clients(),
        p50: recent.hist.percentile(0.5),
        p99: recent.hist.percentile(0.99),
        max: recent.hist.total > 0 ? recent.hist.max : NaN,
        lost: totals.lost,
        outOfOrder: totals.outOfOrder,
        queued: server.queuedBytes(),
        feedRss: mem.rss,
        feedHeap: mem.heapUsed,
        subRss: totals.subRss,
      });
      last = { t: now, seq, sentBytes };
      recent.recv = 0;
      recent.recvBytes = 0;
      recent.hist.reset();
    };

    const publisher = setInterval(publish, SLOT_MS / 2);
    const drawer = setInterval(draw, interval);
    signal?.addEventListener('abort', () => {
      stoppedBy = 'interrupted';
      finish();
    }, { once: true });
    await finished;
    stopped = true;
    clearInterval(publisher);
    const elapsed = (performance.now() - start) / 1000;

    // The end marker travels behind every tick on each connection; the subscribers answer once
    // they have seen it (after draining whatever was still queued).
    server.publish(JSON.stringify({ t: 'end', count: seq }));
    const final = await once(child, 'final', 30_000, 'waiting for the subscribers to drain');
    const drained = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    clearInterval(drawer);
    draw();
    view.end();

    const connections = final.connections.map((c) => ({
      ...c,
      missing: seq - c.received,
      complete: c.announced === seq && c.received === seq && c.next === seq && c.gaps === 0 && c.outOfOrder === 0,
    }));
    const received = connections.reduce((s, c) => s + c.received, 0);
    return {
      impl: o.impl,
      backend: o.backend,
      broadcast: server.broadcast,
      dropped: server.dropped(),
      subscribers: o.subscribers,
      rate: o.rate,
      size: o.size,
      deflate: o.deflate,
      stoppedBy,
      seconds: elapsed,
      drainSeconds: drained - elapsed,
      sent: seq,
      sentBytes,
      expected: seq * o.subscribers,
      received,
      receivedBytes: totals.recvBytes,
      lost: connections.reduce((s, c) => s + Math.max(0, c.missing), 0),
      outOfOrder: connections.reduce((s, c) => s + c.outOfOrder, 0),
      inOrder: connections.every((c) => c.outOfOrder === 0 && c.gaps === 0),
      complete: connections.every((c) => c.complete),
      latencyUs: { p50: all.percentile(0.5), p99: all.percentile(0.99), max: all.max, samples: all.total, warmupSeconds: warmupMs / 1000 },
      // CPU time of each process over the run (µs, user + system): the cost side of the rates.
      feedCpuUs: cpu.user + cpu.system,
      subscriberCpuUs: final.cpuUs,
      feedPeakRss,
      subscriberPeakRss: totals.subPeakRss,
      connections,
      errors,
    };
  } finally {
    await server.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill();
    }
  }
}
