/**
 * Small, deterministic tables shaped like the study's results, for the figure tests and for
 * looking at the figures by eye. The numbers are made up but plausible (fractions, not percent).
 */
import type { Row } from '../../src/frames/types';

export const PENALTY_METHODS = ['local-ft', 'rewrite', 'low-rank'];
export const PENALTY_LAYERS = ['block2', 'block3', 'fc'];
export const PENALTY_FAMILIES = ['corruption', 'rendition', 'hard', 'overall'];
/** The family whose cloud line is unreliable in {@link penaltyRows}. */
export const UNRELIABLE_FAMILY = 'hard';

/** 3 methods × 3 layers × 4 families of OOD penalties, one of them positive; the 'hard' family's line has r² 0.31. */
export function penaltyRows(): Row[] {
  return PENALTY_FAMILIES.flatMap((family, f) =>
    PENALTY_METHODS.flatMap((method, m) =>
      PENALTY_LAYERS.map((layer, l) => {
        const gain = method === 'rewrite' && layer === 'block2' ? 0.03 : 0; // one edit that gains robustness
        const penalty = Math.round(-(0.008 + 0.012 * m + 0.006 * l + 0.004 * f) * 1000) / 1000 + gain;
        const half = 0.006 + 0.002 * f;
        const r2 = family === UNRELIABLE_FAMILY ? 0.31 : 0.93 - 0.05 * f;
        return { method, layer, family, penalty, ci_lo: penalty - half, ci_hi: penalty + half, reliable: r2 >= 0.5, r2 };
      }),
    ),
  );
}

/** {@link penaltyRows} plus global fine-tuning, which edits every layer at once (`layer: 'all'`). */
export function penaltyRowsWithGlobal(): Row[] {
  const rows = penaltyRows();
  const global = PENALTY_FAMILIES.map((family, f) => {
    const penalty = -0.05 - 0.005 * f;
    return { method: 'global-ft', layer: 'all', family, penalty, ci_lo: penalty - 0.008, ci_hi: penalty + 0.008, reliable: family !== UNRELIABLE_FAMILY, r2: family === UNRELIABLE_FAMILY ? 0.31 : 0.9 };
  });
  return [...global, ...rows];
}

export const ALPHAS = [0, 0.25, 0.5, 0.75, 1];
/** The original model's accuracies, shared by every path at α = 0. */
export const ORIGINAL = { edit_accuracy: 0.32, ood_accuracy: 0.61 };
/** The trade-off paths: method, layer, and where α = 1 lands. */
export const TRADE_OFF_PATHS: ReadonlyArray<{ method: string; layer: string; edit: number; ood: number; bulge: number }> = [
  { method: 'local-ft', layer: 'block2', edit: 0.78, ood: 0.5, bulge: 0 },
  { method: 'local-ft', layer: 'fc', edit: 0.9, ood: 0.54, bulge: 0.04 },
  { method: 'global-ft', layer: 'all', edit: 0.94, ood: 0.42, bulge: -0.02 },
  { method: 'rewrite', layer: 'fc', edit: 0.71, ood: 0.59, bulge: 0.01 },
];

/** 4 paths × 5 α of edit-task vs OOD accuracy, optionally with 95% intervals. */
export function tradeOffRows(withIntervals = false): Row[] {
  return TRADE_OFF_PATHS.flatMap((p) =>
    ALPHAS.map((alpha) => {
      const edit = ORIGINAL.edit_accuracy + (p.edit - ORIGINAL.edit_accuracy) * Math.sqrt(alpha);
      const ood = ORIGINAL.ood_accuracy + (p.ood - ORIGINAL.ood_accuracy) * alpha * alpha + p.bulge * 4 * alpha * (1 - alpha);
      const row: Row = { method: p.method, layer: p.layer, alpha, edit_accuracy: edit, ood_accuracy: ood };
      if (withIntervals) Object.assign(row, { edit_ci_lo: edit - 0.04, edit_ci_hi: edit + 0.04, ood_ci_lo: ood - 0.015, ood_ci_hi: ood + 0.015 });
      return row;
    }),
  );
}

export const ALPHA_SPLITS = ['edit task (held-out)', 'original (clean)', 'snow s3'];
export const ALPHA_LAYERS = ['block2', 'block3', 'fc'];

/** Accuracy vs α per split and layer, with Clopper–Pearson-like intervals on n = 500 images. */
export function alphaRows(): Row[] {
  const start: Record<string, number> = { 'edit task (held-out)': 0.3, 'original (clean)': 0.91, 'snow s3': 0.62 };
  const end: Record<string, number[]> = { 'edit task (held-out)': [0.7, 0.82, 0.93], 'original (clean)': [0.84, 0.87, 0.9], 'snow s3': [0.5, 0.55, 0.6] };
  return ALPHA_SPLITS.flatMap((split) =>
    ALPHA_LAYERS.flatMap((layer, l) =>
      ALPHAS.map((alpha) => {
        const accuracy = start[split] + (end[split][l] - start[split]) * alpha;
        const half = 1.96 * Math.sqrt((accuracy * (1 - accuracy)) / 500);
        return { method: 'local-ft', layer, alpha, split, accuracy, n: 500, ci_lo: accuracy - half, ci_hi: accuracy + half };
      }),
    ),
  );
}

/** The standard normal CDF Φ (Abramowitz–Stegun 7.1.26 for erf, error < 2e-7): enough for made-up data. */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(z) / Math.SQRT2);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export const CLOUD_ARCHS = ['mlp', 'cnn', 'resnet'];

/** 18 reference models (3 architectures) near the probit line ood = 0.8·id − 0.35, with an arch each. */
export function cloudRows(): Row[] {
  return Array.from({ length: 18 }, (_, i) => {
    const arch = CLOUD_ARCHS[i % 3];
    const zId = -0.2 + 0.12 * i + 0.3 * (i % 3);
    const wiggle = ((i * 7) % 5 - 2) * 0.06;
    return { model: `${arch}-${i}`, arch, id: normalCdf(zId), ood: normalCdf(0.8 * zId - 0.35 + wiggle) };
  });
}

/** One interpolation path (5 α) of an edited model, to overlay on the cloud. */
export function cloudOverlayRows(): Row[] {
  return ALPHAS.map((alpha) => ({ label: 'local-ft fc', alpha, id: normalCdf(1.6 - 0.9 * alpha), ood: normalCdf(0.95 - 0.75 * alpha - 0.1 * alpha * alpha) }));
}
