/**
 * Figures: functions from tidy rows to Vega-Lite v5 specs, and headless rendering of
 * specs to SVG/PNG/files. vega, vega-lite and resvg load only when something is rendered.
 * @module figures
 */
export { VEGA_LITE_SCHEMA, type VegaLiteSpec, type VegaSpec } from './types';
export {
  figureConfig,
  appearanceOrder,
  OKABE_ITO,
  REFERENCE_COLOR,
  nominalInTableOrder,
  hasInterval,
  guessAccuracyUnit,
  accuracyScale,
  accuracyTooltip,
  titleWithNotes,
  withHalo,
  type AccuracyUnit,
} from './theme';
export { accuracyVsAlpha, REFERENCE_ROLE_FIELD, type AccuracyVsAlphaOptions } from './accuracy-vs-alpha';
export { compileSpec, isVegaSpec, renderSvg, renderPng, svgToPng, type PngOptions } from './render';
export { saveFigure, type SavedFigure } from './save-figure';
export {
  configureFonts,
  fontSetup,
  resolveFamily,
  resvgFontOptions,
  systemFontDirs,
  type FontOptions,
  type FontSetup,
} from './fonts';
export { currentTextMeasure, type TextMeasure } from './text-metrics';
export { loadVega, loadVegaLite, type VegaModule, type VegaLiteModule } from './load';
export { editMetricsChart, type EditMetricsChartOptions } from './edit-metrics';
export { accuracyOnTheLine, type AccuracyOnTheLineOptions } from './accuracy-on-the-line';
export { editGallery, type EditGalleryOptions } from './edit-gallery';
export { penaltyBars, UNRELIABLE_NOTE, BAR_SLOT_FIELD, type PenaltyBarsOptions } from './penalty-bars';
export { tradeOff, TRADE_OFF_NOTE, ARROW_ANGLE_FIELD, type TradeOffOptions } from './trade-off';
