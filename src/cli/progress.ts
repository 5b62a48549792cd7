/**
 * Progress on stderr: a bar with percentage and ETA redrawn in place when stderr is a terminal,
 * one line per stage otherwise, nothing with `--quiet`.
 */

/** Where progress goes. */
export interface ProgressSink {
  write(text: string): unknown;
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Redraw a bar in place (stderr is a terminal). */
  tty: boolean;
  /** Print nothing at all. */
  quiet: boolean;
  /** Terminal width [80]. */
  columns?: number;
  /** Clock in ms [Date.now]. */
  now?: () => number;
  /** Minimum ms between two redraws of the bar [100]. */
  interval?: number;
}

/**
 * A stage-by-stage progress display. Call {@link Progress.stage} when a stage starts, then
 * {@link Progress.update} as work gets done; {@link Progress.clear} before printing anything else
 * on stderr (the bar is redrawn at the next update), {@link Progress.end} when done.
 */
export class Progress {
  private readonly sink: ProgressSink;
  private readonly o: Required<ProgressOptions>;
  private name = '';
  private total = 0;
  private unit = '';
  private startedAt = 0;
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(sink: ProgressSink, options: ProgressOptions) {
    this.sink = sink;
    this.o = { columns: 80, now: Date.now, interval: 100, ...options };
  }

  /** Starts a stage: `total` units of work (0 when unknown). Non-terminal: one line. */
  stage(name: string, total = 0, unit = ''): void {
    if (this.o.quiet) return;
    this.clear();
    this.name = name;
    this.total = total;
    this.unit = unit;
    this.startedAt = this.o.now();
    this.lastDraw = -Infinity;
    if (this.o.tty) this.draw(0, '');
    else this.sink.write(`ltr-rnn: ${name}${total > 0 ? ` (${total}${unit ? ` ${unit}` : ''})` : ''}…\n`);
  }

  /** Reports `done` of the stage's total (fractions allowed) and an optional short message. */
  update(done: number, message = '', total?: number): void {
    if (this.o.quiet || !this.o.tty) return;
    if (total !== undefined) this.total = total;
    const now = this.o.now();
    if (now - this.lastDraw < this.o.interval && done < this.total) return;
    this.draw(done, message);
  }

  /** Erases the bar (terminal) so that other stderr output starts on a clean line. */
  clear(): void {
    if (this.o.tty && this.drawn) {
      this.sink.write('\r\x1b[2K');
      this.drawn = false;
    }
  }

  /** Ends the display: erases the bar. */
  end(): void {
    if (this.o.quiet) return;
    this.clear();
  }

  /** The text of the bar for `done` units (exported for tests through {@link renderBar}). */
  private draw(done: number, message: string): void {
    const now = this.o.now();
    this.lastDraw = now;
    const line = renderBar({ name: this.name, done, total: this.total, unit: this.unit, elapsedMs: now - this.startedAt, message, columns: this.o.columns });
    this.sink.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }
}

/** One line of the progress bar: `name [#####-----]  42 %  5/12 fits  ETA 1 min 3 s  message`. */
export function renderBar(p: { name: string; done: number; total: number; unit?: string; elapsedMs: number; message?: string; columns?: number }): string {
  const columns = Math.max(40, p.columns ?? 80);
  if (!(p.total > 0)) return truncate(`${p.name}…${p.message ? `  ${p.message}` : ''}`, columns - 1);
  const f = Math.min(1, Math.max(0, p.done / p.total));
  const barWidth = Math.max(10, Math.min(30, columns - 50));
  const filled = Math.round(f * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const count = `${Math.floor(p.done)}/${p.total}${p.unit ? ` ${p.unit}` : ''}`;
  const eta = f > 0 && f < 1 ? `ETA ${etaText((p.elapsedMs * (1 - f)) / f)}` : f >= 1 ? 'done' : 'ETA …';
  const core = `${bar} ${(100 * f).toFixed(0).padStart(3)} %  ${count}  ${eta}`;
  // The bar, percentage, count and ETA always fit; the name is shortened and the message comes last if there is room.
  const width = columns - 1;
  const name = truncate(p.name, Math.max(8, width - [...core].length - 1));
  let text = `${name} ${core}`;
  const room = width - [...text].length - 2;
  if (p.message && room >= 8) text += `  ${truncate(p.message, room)}`;
  return truncate(text, width);
}

/** Seconds left as `12 s`, `3 min 04 s`, `1 h 02 min`. */
export function etaText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

function truncate(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}
