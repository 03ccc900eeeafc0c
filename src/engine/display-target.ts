import { randomBytes } from 'node:crypto';

/**
 * A Jupyter MIME bundle: MIME type → data (a string; base64 for binary images; a JSON
 * value for `application/*+json` types), plus per-MIME metadata (e.g. image size).
 */
export interface MimeBundle {
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** Where a bundle goes: a new output, or an update of an earlier one with the same id. */
export interface PublishOptions {
  /** Display id (Jupyter `transient.display_id`) for outputs updated in place. */
  displayId?: string;
  /** True to replace the output with `displayId` (`update_display_data`). */
  update?: boolean;
}

/** Something that shows MIME bundles: a notebook kernel's output channel, or a test fake. */
export interface DisplayTarget {
  /** Whether one output can carry several MIME types (otherwise the best one is picked). */
  readonly multiMime: boolean;
  /** Sends one output. */
  publish(bundle: MimeBundle, options?: PublishOptions): void;
}

/** The part of tslab's `Display` we use: one MIME type per output. */
export interface TslabDisplayLike {
  raw(contentType: string, data: string | Uint8Array): unknown;
}

/** The part of the `tslab` module we use. */
export interface TslabLike {
  display: TslabDisplayLike;
  newDisplay(): TslabDisplayLike;
}

/**
 * The writer tslab's kernel installs for the running cell (`tslab/dist/jupyter.js`,
 * `lastWriteDisplayData`): it sends `content` as a `display_data` message, or as
 * `update_display_data` when `update` is true. tslab's public `display.raw` wraps it
 * with a one-MIME `data` object.
 */
export type KernelWriter = (
  content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: { display_id?: string } },
  update?: boolean,
) => void;

/**
 * MIME types in order of preference when only one can be sent. PNG first: it shows in
 * JupyterLab, classic Notebook, VS Code, nbconvert HTML and on GitHub, while a Vega-Lite
 * JSON sent through tslab's string-only `display.raw` is not a JSON object and would not render.
 */
export const SINGLE_MIME_PREFERENCE = [
  'image/png',
  'image/svg+xml',
  'text/html',
  'text/markdown',
  'text/plain',
] as const;

/**
 * Picks the MIME type to send when a target takes only one per output.
 * @param bundle the bundle
 * @param preference MIME types in order of preference
 * @returns the first preferred type present, else the bundle's first type, else null
 */
export function pickMime(bundle: MimeBundle, preference: readonly string[] = SINGLE_MIME_PREFERENCE): string | null {
  const types = Object.keys(bundle.data);
  return preference.find((t) => types.includes(t)) ?? types[0] ?? null;
}

/**
 * A target that sends whole bundles through tslab's kernel writer (one `display_data`
 * message with every MIME type, JSON types as JSON objects).
 * @param write the kernel writer
 * @returns a multi-MIME target
 */
export function writerTarget(write: KernelWriter): DisplayTarget {
  return {
    multiMime: true,
    publish(bundle, options = {}) {
      write(
        {
          data: bundle.data,
          metadata: bundle.metadata ?? {},
          transient: options.displayId ? { display_id: options.displayId } : {},
        },
        options.update ?? false,
      );
    },
  };
}

/**
 * A target over tslab's public API (`display.raw`, `newDisplay()`), which sends one MIME
 * type per output: each bundle is reduced to its preferred type ({@link pickMime}).
 * Used when tslab's kernel writer cannot be found, and for fakes in tests.
 * @param tslab the tslab module (or a fake with `display` and `newDisplay`)
 * @returns a single-MIME target
 */
export function tslabTarget(tslab: TslabLike): DisplayTarget {
  const displays = new Map<string, TslabDisplayLike>();
  return {
    multiMime: false,
    publish(bundle, options = {}) {
      const mime = pickMime(bundle);
      if (!mime) return;
      const value = bundle.data[mime];
      const payload = typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value);
      let display = tslab.display;
      if (options.displayId) {
        display = displays.get(options.displayId) ?? tslab.newDisplay();
        displays.set(options.displayId, display);
      }
      display.raw(mime, payload);
    },
  };
}

const JUPYTER_MODULE = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;

/**
 * Finds the writer of the tslab kernel running this process, if any: among loaded modules
 * (`require.cache`, shared by the kernel and its cells) a `tslab/dist/jupyter.js` whose
 * `lastWriteDisplayData` is set — it is set while a cell runs, and stays on the last cell.
 * Never loads tslab (that would load a TypeScript compiler).
 * @returns the writer, or null outside a tslab kernel
 */
export function findKernelWriter(): KernelWriter | null {
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!JUPYTER_MODULE.test(file) || !mod) continue;
    const w = (mod.exports as { lastWriteDisplayData?: unknown }).lastWriteDisplayData;
    if (typeof w === 'function') return w as KernelWriter;
  }
  return null;
}

let override: DisplayTarget | null | undefined;

/**
 * Sets where `show` and `progress` send output: a {@link DisplayTarget}, a tslab-like
 * module (`{ display, newDisplay }`, adapted with {@link tslabTarget}), `null` to behave as
 * outside a notebook, or `undefined` to go back to detecting the kernel.
 * @param target the target
 */
export function setDisplayTarget(target: DisplayTarget | TslabLike | null | undefined): void {
  if (target && !('publish' in target)) override = tslabTarget(target);
  else override = target;
}

/**
 * The current display target: the one set with {@link setDisplayTarget}; else tslab's
 * kernel writer (multi-MIME, {@link findKernelWriter}); else, inside a tslab kernel whose
 * internals differ from tslab 1.0.x, tslab's public one-MIME API; else null (plain Node).
 * Call it when an output starts: the writer belongs to the cell running at that moment.
 * @returns the target, or null outside a notebook
 */
export function displayTarget(): DisplayTarget | null {
  if (override !== undefined) return override;
  const write = findKernelWriter();
  if (write) return writerTarget(write);
  const hook = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__;
  if (hook?.require) {
    try {
      return tslabTarget(hook.require('tslab') as TslabLike);
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * A fresh random display id for outputs updated in place.
 * @returns 16 hex characters
 */
export function newDisplayId(): string {
  return randomBytes(8).toString('hex');
}
