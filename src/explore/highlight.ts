/**
 * The study view's interactivity, added to a figure's Vega-Lite spec when it is served (the saved
 * figures stay as they are): a point selection `highlight` on the field the figure colours by
 * (method, layer, or the path label), bound to the legend and to clicks on the marks, and an
 * opacity condition on every mark coloured by that field, so the other methods or layers fade in
 * every panel. No Node or DOM imports: the page reads the names from here too.
 */
import type { VegaLiteSpec } from '../figures/types';

/** The selection's name (its Vega signal; its store is `highlight_store`). */
export const HIGHLIGHT = 'highlight';
/** The Vega dataset holding the selection's tuples. */
export const HIGHLIGHT_STORE = `${HIGHLIGHT}_store`;
/** The signal vega-lite's legend binding sets to the clicked entry's value (vega-lite's `varName` of the field). */
export function legendSignal(field: string): string {
  const name = field.replace(/\W/g, '_');
  return `${HIGHLIGHT}_${/^\d/.test(name) ? `_${name}` : name}_legend`;
}
/** Opacity of the marks not selected while something is. */
export const FADED_OPACITY = 0.15;

type Spec = Record<string, unknown>;
const COLOUR_CHANNELS = ['color', 'fill', 'stroke'] as const;

const isObject = (v: unknown): v is Spec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every unit spec (one with a `mark`) inside a spec: layers, facets and concatenations. */
function units(spec: Spec): Spec[] {
  if ('mark' in spec) return [spec];
  const children = [spec.spec, ...(['layer', 'hconcat', 'vconcat', 'concat'] as const).flatMap((k) => (Array.isArray(spec[k]) ? (spec[k] as unknown[]) : []))];
  return children.filter(isObject).flatMap(units);
}

/** The fields a unit colours by (color, fill or stroke). */
function colourFields(unit: Spec): string[] {
  const encoding = isObject(unit.encoding) ? unit.encoding : {};
  return COLOUR_CHANNELS.map((c) => encoding[c]).filter(isObject).map((e) => e.field).filter((f): f is string => typeof f === 'string');
}

/**
 * A copy of `spec` with the highlight selection, and the field it selects on: `field` when
 * given, else 'method' when some mark is coloured by method, else 'layer', else the first
 * colour field; undefined (and the spec unchanged) when no mark is coloured by a field.
 */
export function withHighlight(spec: VegaLiteSpec, field?: string): { spec: VegaLiteSpec; field: string | undefined } {
  const copy = JSON.parse(JSON.stringify(spec)) as VegaLiteSpec;
  const all = units(copy);
  const fields = all.flatMap(colourFields);
  const chosen = field ?? (fields.includes('method') ? 'method' : fields.includes('layer') ? 'layer' : fields[0]);
  if (!chosen) return { spec: copy, field: undefined };
  const coloured = all.filter((u) => colourFields(u).includes(chosen));
  // The first coloured layer holds the selection: vega-lite's merged legend takes its encoding
  // (the names the legend binding listens to) from that layer. A click on any mark of the view
  // selects too, whichever layer it belongs to.
  const owner = coloured[0];
  owner.params = [...(Array.isArray(owner.params) ? owner.params : []), {
    name: HIGHLIGHT,
    // `on` and `clear` given: with a legend binding, vega-lite otherwise leaves clicks on the marks out.
    select: { type: 'point', fields: [chosen], on: 'click', clear: 'dblclick', toggle: 'event.shiftKey' },
    bind: 'legend',
  }];
  for (const unit of coloured) {
    const encoding = unit.encoding as Spec;
    if (encoding.opacity === undefined) encoding.opacity = { condition: { param: HIGHLIGHT, value: 1 }, value: FADED_OPACITY };
  }
  return { spec: copy, field: chosen };
}
