/**
 * Market-data ticks for the demo: a few hundred symbols whose prices random-walk, trade sizes,
 * a sequence number (so subscribers can check completeness and order) and the send time (so they
 * can measure latency), serialised as JSON. `size` pads each tick with order-book levels, the way
 * real feeds grow, until the message reaches about that many bytes.
 */

/**
 * A seeded xorshift32 source in [0, 1): the same feed and the same bursts for the same seed, so
 * `--compare` runs give both implementations identical work.
 */
export function seededRandom(seed = 1) {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `count` distinct ticker symbols of 3-4 letters. */
export function makeSymbols(count, random) {
  const seen = new Set();
  while (seen.size < count) {
    const len = random() < 0.5 ? 3 : 4;
    let s = '';
    for (let i = 0; i < len; i++) s += LETTERS[Math.floor(random() * 26)];
    seen.add(s);
  }
  return [...seen];
}

export class TickGenerator {
  /**
   * @param {{ symbols?: number, size?: number, random?: () => number }} options  size: target
   *   bytes per tick; random: a uniform [0, 1) source (tests pass a seeded one)
   */
  constructor({ symbols = 300, size = 0, random = Math.random } = {}) {
    this.random = random;
    this.symbols = makeSymbols(symbols, this.random);
    this.prices = this.symbols.map(() => 10 + this.random() * 490);
    this.size = size;
  }

  /** The next tick as a JSON string. `ts` is the send time in µs on the shared monotonic clock. */
  next(seq, ts) {
    const r = this.random;
    const i = Math.floor(r() * this.symbols.length);
    // Geometric random walk: moves of a few basis points, prices stay positive.
    const px = (this.prices[i] *= 1 + (r() - 0.5) * 0.002);
    const tick = {
      t: 'tick',
      seq,
      ts,
      sym: this.symbols[i],
      px: Math.round(px * 100) / 100,
      qty: 100 * (1 + Math.floor(r() * r() * 50)),
      side: r() < 0.5 ? 'B' : 'S',
    };
    let json = JSON.stringify(tick);
    if (json.length >= this.size) return json;
    // Order-book levels around the price until the target size is reached.
    const levels = [];
    const base = tick.px;
    let level = 1;
    let length = json.length + ',"book":[]'.length;
    while (length < this.size) {
      const entry = [Math.round((base + (r() < 0.5 ? -level : level) * 0.01) * 100) / 100, 100 * (1 + Math.floor(r() * 20))];
      length += JSON.stringify(entry).length + (levels.length > 0 ? 1 : 0); // a comma between entries
      levels.push(entry);
      level++;
    }
    tick.book = levels;
    return JSON.stringify(tick);
  }
}

/**
 * How many ticks to send in each 10 ms slot for an average of `rate` per second, in bursts: in
 * every second, two tenths chosen at random are busy (3x the rate) and the other eight calm
 * (0.5x), which makes each second's count exactly the rate. Fractions carry over between slots.
 */
export class BurstSchedule {
  constructor(rate, random = Math.random) {
    this.rate = rate;
    this.random = random;
    this.slot = 0;
    this.carry = 0;
    this.busy = [];
  }

  /** Ticks due in the next 10 ms slot. */
  nextSlot() {
    const slot = this.slot++;
    if (slot % 100 === 0) {
      const first = Math.floor(this.random() * 10);
      const second = (first + 1 + Math.floor(this.random() * 9)) % 10;
      this.busy = [first, second];
    }
    const factor = this.busy.includes(Math.floor(slot / 10) % 10) ? 3 : 0.5;
    const due = (this.rate / 100) * factor + this.carry;
    const n = Math.floor(due);
    this.carry = due - n;
    return n;
  }
}
