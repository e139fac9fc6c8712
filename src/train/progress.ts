// Progress on a terminal: one updating line per phase on a TTY (step, images/s, ETA, loss, accuracy),
// plain lines at most every few seconds otherwise, so logs stay readable.

export interface ProgressSink {
  write(s: string): void;
  isTTY: boolean;
}

function clock(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export class Progress {
  private last = 0;
  private started = performance.now();
  private label = '';
  private total = 0;

  constructor(
    private readonly sink: ProgressSink,
    private readonly everyMs = 10_000,
  ) {}

  begin(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.started = performance.now();
    this.last = 0;
  }

  /** `done` of `total` units finished; `extra` is appended ("loss 1.23 acc 45.6%"). */
  update(done: number, images: number, extra = ''): void {
    const now = performance.now();
    const force = done >= this.total;
    if (!force && now - this.last < (this.sink.isTTY ? 200 : this.everyMs)) return;
    this.last = now;
    const secs = (now - this.started) / 1000;
    const rate = images / Math.max(secs, 1e-9);
    const eta = done > 0 ? (secs / done) * (this.total - done) : Infinity;
    const line = `${this.label} ${done}/${this.total} | ${rate.toFixed(1)} img/s | ETA ${clock(eta)}${extra ? ` | ${extra}` : ''}`;
    if (this.sink.isTTY) this.sink.write(`\r\x1b[2K${line}${force ? '\n' : ''}`);
    else this.sink.write(`${line}\n`);
  }

  note(s: string): void {
    this.sink.write(`${this.sink.isTTY ? '\r\x1b[2K' : ''}${s}\n`);
  }
}
