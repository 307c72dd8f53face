/**
 * A fixed-size latency histogram (microseconds): exact below 64 µs, then 32 sub-buckets per power
 * of two (≤ 3.1 % relative error) up to 2^31 µs. Memory is constant however many samples arrive,
 * and two histograms merge by adding counts, so a subscriber process can ship its counts to the
 * demo's view in small increments.
 */
const LINEAR = 64;
const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
const MAX_EXP = 31;

/** Number of buckets: 64 exact ones, then 32 per power of two from 2^6 to 2^31 (values up to 2^32 - 1). */
export const BUCKETS = LINEAR + (MAX_EXP - 6 + 1) * SUB;

/** The bucket of a value in µs (negative values, from clock skew, count as 0). */
export function bucketOf(us) {
  // Clamped to u32 so clz32 sees the value; anything above 71 minutes lands in the last bucket.
  const v = us > 0 ? Math.min(Math.floor(us), 0xffffffff) : 0;
  if (v < LINEAR) return v;
  const e = 31 - Math.clz32(v);
  const sub = Math.floor(v / 2 ** (e - SUB_BITS)) - SUB;
  return LINEAR + (e - 6) * SUB + sub;
}

/** The smallest value (µs) that falls in bucket `b`. */
export function bucketLow(b) {
  if (b < LINEAR) return b;
  const e = 6 + Math.floor((b - LINEAR) / SUB);
  const sub = (b - LINEAR) % SUB;
  return (SUB + sub) * 2 ** (e - SUB_BITS);
}

export class Histogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS);
    this.total = 0;
    this.max = 0;
  }

  record(us) {
    this.counts[bucketOf(us)]++;
    this.total++;
    if (us > this.max) this.max = us;
  }

  /**
   * The value at quantile q (0..1): the low edge of the bucket holding it (so exact below 64 µs
   * and within one bucket width above). NaN when empty.
   */
  percentile(q) {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b];
      if (seen >= rank) return bucketLow(b);
    }
    return bucketLow(BUCKETS - 1);
  }

  /** Non-zero buckets as [bucket, count] pairs: small enough for IPC. */
  sparse() {
    const out = [];
    for (let b = 0; b < BUCKETS; b++) if (this.counts[b] !== 0) out.push([b, this.counts[b]]);
    return out;
  }

  addSparse(pairs, max = 0) {
    for (const [b, n] of pairs) {
      this.counts[b] += n;
      this.total += n;
    }
    if (max > this.max) this.max = max;
  }

  reset() {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }
}
