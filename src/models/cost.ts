import type { tf } from '../engine/backend';

/**
 * Multiply-adds per image of each layer of a model, in the model's layer order. A kernel (a
 * weight of rank ≥ 2 whose name ends in `kernel`: convolutions, dense layers, attention's
 * projections) costs its size times the positions of the layer's output (the dimensions between
 * batch and channels: 28·28 for a 28×28 feature map, the tokens of a transformer, 1 for a
 * vector). An estimate for planning work: elementwise layers, pooling and attention's
 * token-by-token products count nothing.
 * @param model a model
 * @returns layer name → multiply-adds per image (0 for a layer without a kernel)
 * @example layerMultiplyAdds(vgg).get('block1_conv2') // 28·28 positions × 3·3·32·32 = 7 225 344
 */
export function layerMultiplyAdds(model: tf.LayersModel): Map<string, number> {
  const out = new Map<string, number>();
  for (const layer of model.layers) {
    const shape = (Array.isArray(layer.outputShape[0]) ? layer.outputShape[0] : layer.outputShape) as Array<number | null>;
    const positions = shape.slice(1, -1).reduce<number>((p, d) => p * (d ?? 1), 1);
    const kernels = layer.weights.filter((w) => w.shape.length >= 2 && /kernel$/.test(w.originalName ?? w.name));
    out.set(layer.name, kernels.reduce((sum, w) => sum + positions * w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0));
  }
  return out;
}

/**
 * Multiply-adds per image from a layer to the output: the layers from `layer` on, in model order
 * (what an α sweep recomputes when `layer` changes). An unknown layer fails with the model's layers.
 * @param perLayer from {@link layerMultiplyAdds} (or the same as a record)
 * @param layer the first layer counted
 */
export function multiplyAddsFrom(perLayer: Map<string, number> | Record<string, number>, layer: string): number {
  const entries = perLayer instanceof Map ? [...perLayer] : Object.entries(perLayer);
  const start = entries.findIndex(([name]) => name === layer);
  if (start < 0) throw new Error(`editlab: the model has no layer "${layer}"; its layers: ${entries.map(([name]) => name).join(', ')}.`);
  return entries.slice(start).reduce((sum, [, n]) => sum + n, 0);
}
