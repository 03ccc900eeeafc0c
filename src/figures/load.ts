import { installTextMetrics } from './text-metrics';

/** The vega module (v5, CommonJS build). */
export type VegaModule = typeof import('vega');
/** The vega-lite module (v5, CommonJS build). */
export type VegaLiteModule = typeof import('vega-lite');

let vega: VegaModule | undefined;
let vegaLite: VegaLiteModule | undefined;

/**
 * Loads vega on first use (≈ 0.1 s; importing editlab does not load it) and points its
 * text measurement at the rendering fonts ({@link installTextMetrics}). vega 5 is used
 * because vega 6 is ESM-only with a top-level await, which CommonJS (tslab cells) cannot require.
 * @returns the vega module
 */
export function loadVega(): VegaModule {
  if (!vega) {
    vega = require('vega') as VegaModule;
    installTextMetrics(vega as unknown as { textMetrics: unknown }); // not in vega-typings, but exported
  }
  return vega;
}

/**
 * Loads vega-lite on first use.
 * @returns the vega-lite module
 */
export function loadVegaLite(): VegaLiteModule {
  if (!vegaLite) vegaLite = require('vega-lite') as VegaLiteModule;
  return vegaLite;
}
