/**
 * A process-wide cap on zlib jobs in flight. Each job holds zlib buffers and a libuv thread-pool slot;
 * letting thousands of connections start jobs at once fragments memory badly (nodejs/node#8871) and
 * starves other thread-pool users (fs, dns). Jobs wait in one FIFO queue, so jobs that one connection
 * submits in order also start in order.
 */

type Task = (release: () => void) => void;

let limit = 10;
let running = 0;
const queue: Task[] = [];
let head = 0;

/** Sets how many zlib jobs may run at once in this process (default 10, like ws). */
export function setZlibConcurrency(n: number): void {
  limit = n;
  drain();
}

/** Current limit and load, for tests and diagnostics. */
export function zlibLoad(): { limit: number; running: number; queued: number } {
  return { limit, running, queued: queue.length - head };
}

/** Runs `task` now or when a slot frees; the task must call `release` exactly once when done. */
export function runLimited(task: Task): void {
  queue.push(task);
  drain();
}

function drain(): void {
  while (running < limit && head < queue.length) {
    const task = queue[head];
    queue[head++] = undefined as unknown as Task;
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    running++;
    let released = false;
    task(() => {
      if (released) return;
      released = true;
      running--;
      drain();
    });
  }
}
