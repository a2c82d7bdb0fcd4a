// A one-line progress display for long store transfers (add, import, copy, serve). It goes to
// stderr and only when stderr is a terminal, so pipes, logs and tests see nothing of it; the line
// is redrawn at most ten times a second and erased when the work is done.

export interface Progress {
  /** `done` units so far, out of `total` if known; `detail` says what is being worked on. */
  update(done: number, total?: number, detail?: string): void;
  /** Erases the line for a moment, so that other output can be written; the next update redraws it. */
  clear(): void;
  /** Erases the line; later updates are ignored. */
  done(): void;
}

export interface ProgressOptions {
  /** What `done` and `total` count: bytes are shown as KiB/MiB/… with a rate; items as numbers. */
  unit?: "bytes" | "items";
  /** Where to draw (default process.stderr); nothing is drawn unless it is a terminal. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** The clock, in milliseconds (tests drive it). */
  now?: () => number;
}

const REDRAW_INTERVAL_MS = 100;

const NO_PROGRESS: Progress = { update() {}, clear() {}, done() {} };

export function createProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY || process.env.TERM === "dumb") return NO_PROGRESS;
  const now = options.now ?? (() => performance.now());
  const unit = options.unit ?? "items";
  const start = now();
  let lastDraw = -Infinity;
  let drawn = false;
  let finished = false;
  return {
    update(done, total, detail) {
      const time = now();
      // The final update (done === total) is always drawn, so the line never stops short.
      if (finished || (time - lastDraw < REDRAW_INTERVAL_MS && done !== total)) return;
      lastDraw = time;
      const line = progressLine(label, unit, done, total, detail, (time - start) / 1000);
      stream.write(`\r\x1b[K${fitToWidth(line, stream.columns || 80)}`);
      drawn = true;
    },
    clear() {
      if (drawn) stream.write("\r\x1b[K");
      drawn = false;
      lastDraw = -Infinity;
    },
    done() {
      if (finished) return;
      finished = true;
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}

/** The text of the line, e.g. `copying 12.0 MiB/40.0 MiB (30%) 6.0 MiB/s /nix/store/…`. */
export function progressLine(label: string, unit: "bytes" | "items", done: number, total: number | undefined, detail: string | undefined, seconds: number): string {
  const amount = unit === "bytes" ? formatBytes : String;
  let line = `${label} ${amount(done)}`;
  if (total !== undefined) line += `/${amount(total)}${total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : ""}`;
  if (unit === "bytes" && seconds >= 1) line += ` ${formatBytes(done / seconds)}/s`;
  if (detail) line += ` ${detail}`;
  return line;
}

const BYTE_UNITS = ["KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** Cuts the line to the terminal width, so that it never wraps (a wrapped line cannot be redrawn). */
function fitToWidth(line: string, columns: number): string {
  const width = Math.max(columns - 1, 10);
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
