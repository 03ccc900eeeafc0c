import { displayTarget, newDisplayId, type DisplayTarget } from './display-target';

/** Options of {@link progress}. */
export interface ProgressOptions {
  /** Minimum time between two updates in ms (done() always updates). Default 100 (≤ 10 updates/s). */
  minIntervalMs?: number;
  /** Minimum time between two lines when stderr is not a terminal (logs). Default 1000. */
  logIntervalMs?: number;
  /** Where to send notebook output; default: the running tslab kernel, else none. */
  target?: DisplayTarget | null;
  /** Stream for the text bar outside a notebook. Default `process.stderr`. */
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /** Clock in ms (for tests). Default `performance.now`. */
  now?: () => number;
  /** Bar width in characters. Default 24. */
  width?: number;
  /** What is counted, shown with the rate: `img` → `850 img/s` (or `1.2 s/img` when slower than one a second). Default `it`. */
  unit?: string;
  /** More text for each line, asked for at every redraw (e.g. a second rate: `1 200 cells, 14 cells/s`). */
  detail?: () => string;
  /**
   * Seconds left as the caller estimates them, asked for at every redraw, for work whose items
   * differ in size (a study's jobs); undefined falls back to the count's rate. Default: the count's rate.
   */
  remaining?: (elapsedS: number) => number | undefined;
}

/** A running progress bar. */
export interface Progress {
  /** Adds `n` (default 1) completed items; redraws at most every `minIntervalMs`. */
  tick(n?: number): void;
  /** Marks the work finished and draws the final state once. Later ticks are ignored. */
  done(): void;
  /** Items completed so far. */
  readonly count: number;
  /** Number of redraws so far (including the first and the final one). */
  readonly updates: number;
}

/**
 * Formats a duration for a progress line.
 * @param s seconds
 * @returns e.g. `42s`, `3m05s`, `1h02m`
 */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * A rate with its unit: `850 img/s`, `2.5 steps/s`, or, below one per second, the time per
 * item (`6.3 s/step`), so slow work never reads `0.0/s`.
 * @param perSecond items per second (> 0)
 * @param unit what is counted (plural forms lose their final s in `s/…`)
 * @returns the text
 */
export function formatRate(perSecond: number, unit = 'it'): string {
  if (perSecond >= 1) return `${perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toFixed(1)} ${unit}/s`;
  const each = 1 / perSecond;
  const singular = unit.length > 3 && unit.endsWith('s') ? unit.slice(0, -1) : unit;
  return `${each >= 10 ? each.toFixed(0) : each.toFixed(1)} s/${singular}`;
}

/**
 * The text of a progress line: label, bar, count, percentage, rate with its unit, ETA (or
 * elapsed time once done).
 * @param label what is being counted
 * @param count items done
 * @param total items in all (≤ 0: unknown, no bar)
 * @param elapsedS seconds since start
 * @param finished whether done() was called
 * @param width bar width in characters
 * @param unit what an item is (`img`, `steps`, …), shown with the rate
 * @param remainingS seconds left, where the caller knows better than the count's rate
 * @returns the line
 */
export function progressLine(label: string, count: number, total: number, elapsedS: number, finished: boolean, width = 24, unit = 'it', remainingS?: number): string {
  const rate = elapsedS > 0 ? count / elapsedS : 0;
  const parts = label ? [label] : [];
  if (total > 0) {
    const frac = Math.min(1, Math.max(0, count / total));
    const fill = Math.round(frac * width);
    parts.push(`[${'#'.repeat(fill)}${'-'.repeat(width - fill)}]`, `${count}/${total}`, `${Math.floor(frac * 100)}%`);
  } else {
    parts.push(`${count}`);
  }
  if (rate > 0) parts.push(formatRate(rate, unit));
  if (finished) parts.push(`done in ${formatDuration(elapsedS)}`);
  else if (remainingS !== undefined && Number.isFinite(remainingS)) parts.push(`ETA ${formatDuration(remainingS)}`);
  else if (total > 0 && rate > 0) parts.push(`ETA ${formatDuration((total - count) / rate)}`);
  return parts.join('  ');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/**
 * A progress bar for long loops. In a tslab notebook it is one output updated in place
 * (an HTML `<progress>` plus a text line, via a display id); elsewhere it writes to
 * stderr — one line rewritten in place on a terminal, plain lines (at most one per
 * `logIntervalMs`) otherwise. Redraws are throttled to `minIntervalMs` (≤ 10 per second).
 * @param total number of items (≤ 0 when unknown)
 * @param label what is being counted
 * @param options unit, throttling, target, stream, clock
 * @returns the bar: `tick(n)`, `done()`
 * @example const bar = progress(set.n, 'evaluate', { unit: 'img' }); for (const b of batches) { run(b); bar.tick(b.n); } bar.done();
 */
export function progress(total: number, label = '', options: ProgressOptions = {}): Progress {
  const now = options.now ?? (() => performance.now());
  const target = options.target !== undefined ? options.target : displayTarget();
  const stream = options.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const minInterval = target || tty ? (options.minIntervalMs ?? 100) : Math.max(options.minIntervalMs ?? 100, options.logIntervalMs ?? 1000);
  const width = options.width ?? 24;
  const unit = options.unit ?? 'it';
  const displayId = newDisplayId();
  const start = now();
  let count = 0;
  let updates = 0;
  let last = -Infinity;
  let finished = false;

  const draw = (): void => {
    const t = now();
    last = t;
    updates++;
    const more = options.detail?.();
    const elapsed = (t - start) / 1000;
    const line = progressLine(label, count, total, elapsed, finished, width, unit, finished ? undefined : options.remaining?.(elapsed)) + (more ? `  ${more}` : '');
    if (target) {
      const bar = total > 0 ? `<progress value="${Math.min(count, total)}" max="${total}" style="width:20em;vertical-align:middle"></progress> ` : '';
      target.publish(
        {
          data: {
            'text/html': `<div style="font-family:monospace">${bar}${escapeHtml(line)}</div>`,
            'text/plain': line,
          },
        },
        { displayId, update: updates > 1 },
      );
    } else if (tty) {
      stream.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
    } else {
      stream.write(`${line}\n`);
    }
  };

  draw();
  return {
    tick(n = 1) {
      if (finished) return;
      count += n;
      if (now() - last >= minInterval) draw();
    },
    done() {
      if (finished) return;
      finished = true;
      draw();
    },
    get count() {
      return count;
    },
    get updates() {
      return updates;
    },
  };
}

/**
 * How a long-running library call shows its progress: `true` for a bar with the call's own
 * label, a string for a bar with that label, `false` or absent for none. The bar is
 * {@link progress}'s: in place in a notebook, on stderr elsewhere.
 */
export type ProgressOption = boolean | string | undefined;

const SILENT: Progress = { tick() {}, done() {}, count: 0, updates: 0 };

/**
 * A bar when `option` asks for one ({@link ProgressOption}), else one that draws nothing, so
 * library code can tick unconditionally.
 * @param option the caller's `progress` option
 * @param total number of items (≤ 0 when unknown)
 * @param label the default label (used when `option` is `true`)
 * @param unit what an item is: `img`, `steps`, …
 * @param detail more text for each line ({@link ProgressOptions.detail})
 * @param remaining seconds left, where the count's rate would mislead ({@link ProgressOptions.remaining})
 * @returns the bar
 */
export function progressFor(option: ProgressOption, total: number, label: string, unit: string, detail?: () => string, remaining?: ProgressOptions['remaining']): Progress {
  if (!option) return SILENT;
  return progress(total, typeof option === 'string' ? option : label, { unit, detail, remaining });
}
