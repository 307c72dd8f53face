/**
 * The runner's progress indicator on stderr: one line redrawn in place on a terminal (spinner,
 * script k of n, tasks done, elapsed), or a plain line per event when stderr is a pipe or file so
 * CI logs stay readable.
 */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress {
  constructor(total, stream = process.stderr) {
    this.total = total;
    this.stream = stream;
    this.tty = Boolean(stream.isTTY);
    this.index = 0;
    this.label = '';
    this.tasks = '';
    this.started = 0;
    this.frame = 0;
    this.timer = undefined;
  }

  /** Script k (1-based) starts. */
  start(index, label) {
    this.index = index;
    this.label = label;
    this.tasks = '';
    this.started = Date.now();
    if (this.tty) {
      this.timer ??= setInterval(() => this.draw(), 100);
      this.timer.unref();
      this.draw();
    } else {
      this.stream.write(`[${index}/${this.total}] ${label} ...\n`);
    }
  }

  /** A task of the running script finished ('12/40 unmask | ws | 1024'). */
  task(done, total, name) {
    this.tasks = `${done}/${total} ${name}`;
    if (this.tty) this.draw();
  }

  /** A line that stays (script finished, skipped, failed). */
  log(line) {
    if (this.tty) this.stream.write('\r\x1b[K');
    this.stream.write(line + '\n');
    if (this.tty && this.timer) this.draw();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.stream.write('\r\x1b[K');
  }

  draw() {
    const secs = ((Date.now() - this.started) / 1000).toFixed(0);
    const spin = FRAMES[this.frame++ % FRAMES.length];
    const width = this.stream.columns || 100;
    const line = `${spin} [${this.index}/${this.total}] ${this.label}  ${secs}s  ${this.tasks}`;
    this.stream.write('\r\x1b[K' + line.slice(0, width - 1));
  }
}
