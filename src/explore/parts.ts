/**
 * An α's prediction split into parts, one per explorer worker: which share of the batches a part
 * computes, and how the parts join. No tensors here: the page's main thread merges.
 */

/** Which of `count` equal shares of the work one call computes (the batches `index`, `index + count`, …). */
export interface EvaluatorPart {
  index: number;
  count: number;
}

/** The value `AlphaEvaluator.predict` leaves at images outside the requested part. */
export const NOT_PREDICTED = -1;

/** Joins the predictions of the parts of one α (each from `AlphaEvaluator.predict` with a part) into the whole. */
export function mergeParts(parts: readonly Int32Array[][]): Int32Array[] {
  return parts[0].map((first, set) => {
    const merged = Int32Array.from(first);
    for (const other of parts.slice(1)) other[set].forEach((label, i) => { if (label !== NOT_PREDICTED) merged[i] = label; });
    if (merged.includes(NOT_PREDICTED)) throw new Error('editlab explore: the parts of a prediction do not cover every image.');
    return merged;
  });
}
