/**
 * RFC 6455 §4.1, requirement 2: a client has at most one connection to a remote host in the
 * CONNECTING state; later ones wait until it opens or fails. Hosts are keyed by host name (or
 * address) and port, since the address is not known before the DNS lookup that the connection
 * itself performs.
 */

/** A waiting connection attempt: `start` is called when it may connect. */
type Start = () => void;

export class ConnectQueue {
  private readonly waiting = new Map<string, Start[]>();

  /**
   * Runs `start` now when no attempt to `key` is connecting, otherwise when the earlier ones are
   * done. The caller must call the returned `done` exactly once, when its attempt opened or failed
   * (or was cancelled before it started: then it leaves the queue without running).
   */
  enqueue(key: string, start: Start): () => void {
    let queue = this.waiting.get(key);
    const entry: Start = start;
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      const q = this.waiting.get(key);
      if (q === undefined) return;
      const idx = q.indexOf(entry);
      if (idx < 0) return;
      q.splice(idx, 1);
      if (idx === 0) {
        if (q.length === 0) this.waiting.delete(key);
        else q[0]();
      }
    };
    if (queue === undefined) {
      queue = [entry];
      this.waiting.set(key, queue);
      start();
    } else {
      queue.push(entry);
    }
    return done;
  }

  /** Attempts waiting or connecting for `key` (for tests and diagnostics). */
  pending(key: string): number {
    return this.waiting.get(key)?.length ?? 0;
  }
}

/** The process-wide queue every client uses unless given its own. */
export const defaultConnectQueue = new ConnectQueue();
