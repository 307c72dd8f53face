/**
 * Microseconds on the system-wide monotonic clock. process.hrtime reads CLOCK_MONOTONIC on Linux
 * and macOS, which every process on the machine shares, so the feed's send time and a
 * subscriber's receive time (another process) can be subtracted.
 */
export function nowUs() {
  return Number(process.hrtime.bigint() / 1000n);
}
