/**
 * A Vega-Lite v5 specification as plain JSON (data inlined as `data.values`).
 * Kept loose on purpose: figure functions return plain objects that users may edit;
 * `compileSpec` (vega-lite) is the validator.
 */
export type VegaLiteSpec = { $schema?: string } & Record<string, unknown>;

/** A compiled Vega v5 specification (the output of vega-lite's `compile`). */
export type VegaSpec = { $schema?: string } & Record<string, unknown>;

/** The `$schema` URL of Vega-Lite v5, written into every spec we build. */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
