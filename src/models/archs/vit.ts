import { tf } from '../../engine/backend';
import { ClassToken, FixedScale, L2Normalize, MultiHeadSelfAttention, PositionEmbedding, QuickGelu, TakeClassToken } from '../layers';
import { initializer, registerArchitecture, scaled, type BuildOptions } from '../registry';
import { mulberry32, normalSampler } from '../../engine/rng';

/** A vision transformer as data (pre-norm blocks; the class token feeds the head). */
export interface VitConfig {
  patch: number;
  dim: number;
  depth: number;
  heads: number;
  mlpDim: number;
  /** Layer-norm epsilon: 1e-12 in HuggingFace ViT, 1e-5 in CLIP. */
  lnEpsilon: number;
  activation: 'gelu' | 'quick_gelu';
  patchBias: boolean;
  /** A layer norm before the encoder (CLIP's pre_layrnorm). */
  preNorm: boolean;
  /** CLIP-style head: project, L2-normalise, score against frozen unit class embeddings. */
  clip?: { projection: number; logitScale: number };
}

/** Configs by name: ViT-B/16, CLIP ViT-B/32 and small variants for 28×28 inputs. */
export const VIT_CONFIGS = {
  'vit-b16': { patch: 16, dim: 768, depth: 12, heads: 12, mlpDim: 3072, lnEpsilon: 1e-12, activation: 'gelu', patchBias: true, preNorm: false },
  'vit-tiny': { patch: 4, dim: 64, depth: 4, heads: 4, mlpDim: 128, lnEpsilon: 1e-6, activation: 'gelu', patchBias: true, preNorm: false },
  'vit-mini': { patch: 7, dim: 64, depth: 2, heads: 4, mlpDim: 128, lnEpsilon: 1e-6, activation: 'gelu', patchBias: true, preNorm: false },
  'clip-b32': { patch: 32, dim: 768, depth: 12, heads: 12, mlpDim: 3072, lnEpsilon: 1e-5, activation: 'quick_gelu', patchBias: false, preNorm: true, clip: { projection: 512, logitScale: 100 } },
  'clip-small': { patch: 4, dim: 64, depth: 4, heads: 4, mlpDim: 128, lnEpsilon: 1e-5, activation: 'quick_gelu', patchBias: false, preNorm: true, clip: { projection: 32, logitScale: 100 } },
} satisfies Record<string, VitConfig>;

/**
 * Builds a ViT: patch_embed (conv p×p stride p) → tokens → cls_token → pos_embed → [pre_ln] →
 * blocks (block{i}_ln1, block{i}_attn, block{i}_add1, block{i}_ln2, block{i}_mlp1, block{i}_act,
 * block{i}_mlp2, block{i}_add2) → cls → final_ln → head (logits). CLIP-style: final_ln →
 * projection → l2_normalize → class_embeddings (frozen, unit rows) → logit_scale.
 */
export function vit(config: VitConfig, { seed, inputShape, classes, width }: Required<BuildOptions>, name: string): tf.LayersModel {
  const [h, w] = inputShape;
  if (h % config.patch !== 0 || w % config.patch !== 0) {
    throw new Error(`editlab: ${name}: input ${h}×${w} is not divisible into ${config.patch}×${config.patch} patches.`);
  }
  const dim = scaled(config.dim / config.heads, width) * config.heads;
  const mlpDim = scaled(config.mlpDim, width);
  const tokens = (h / config.patch) * (w / config.patch);
  let i = 0;
  const init = () => initializer(seed, i++);
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  const ln = (x: tf.SymbolicTensor, id: string) => apply(tf.layers.layerNormalization({ name: id, epsilon: config.lnEpsilon }), x);

  const input = tf.input({ shape: inputShape, name: 'input_1' });
  let x = apply(tf.layers.conv2d({ name: 'patch_embed', filters: dim, kernelSize: config.patch, strides: config.patch, padding: 'valid', useBias: config.patchBias, kernelInitializer: init() }), input);
  x = apply(tf.layers.reshape({ name: 'tokens', targetShape: [tokens, dim] }), x);
  x = apply(new ClassToken({ name: 'cls_token' }), x);
  x = apply(new PositionEmbedding({ name: 'pos_embed', seed: seed * 1000 + i++ }), x);
  if (config.preNorm) x = ln(x, 'pre_ln');
  for (let b = 1; b <= config.depth; b++) {
    const id = `block${b}`;
    const attn = apply(new MultiHeadSelfAttention({ name: `${id}_attn`, heads: config.heads, seed: seed * 1000 + (i += 4) }), ln(x, `${id}_ln1`));
    x = apply(tf.layers.add({ name: `${id}_add1` }), [x, attn]);
    let m = apply(tf.layers.dense({ name: `${id}_mlp1`, units: mlpDim, kernelInitializer: init() }), ln(x, `${id}_ln2`));
    m = apply(config.activation === 'gelu' ? tf.layers.activation({ name: `${id}_act`, activation: 'gelu' as never }) : new QuickGelu({ name: `${id}_act` }), m);
    m = apply(tf.layers.dense({ name: `${id}_mlp2`, units: dim, kernelInitializer: init() }), m);
    x = apply(tf.layers.add({ name: `${id}_add2` }), [x, m]);
  }
  x = ln(apply(new TakeClassToken({ name: 'cls' }), x), 'final_ln');
  let logits: tf.SymbolicTensor;
  if (config.clip) {
    const projection = scaled(config.clip.projection, width);
    x = apply(tf.layers.dense({ name: 'projection', units: projection, useBias: false, kernelInitializer: init() }), x);
    x = apply(new L2Normalize({ name: 'l2_normalize' }), x);
    const head = tf.layers.dense({ name: 'class_embeddings', units: classes, useBias: false, trainable: false, kernelInitializer: 'zeros' });
    logits = apply(new FixedScale({ name: 'logit_scale', scale: config.clip.logitScale }), apply(head, x));
    const model = tf.model({ name, inputs: input, outputs: logits });
    const columns = unitColumns(projection, classes, seed);
    head.setWeights([columns]); // setWeights copies: the source tensor is ours to free
    columns.dispose();
    return model;
  } else {
    logits = apply(tf.layers.dense({ name: 'head', units: classes, kernelInitializer: init() }), x);
  }
  return tf.model({ name, inputs: input, outputs: logits });
}

/** Frozen "text" class embeddings for a CLIP-style head: seeded random unit vectors as columns. */
function unitColumns(dim: number, classes: number, seed: number): tf.Tensor2D {
  const normal = normalSampler(mulberry32(seed + 7));
  const values = new Float32Array(dim * classes);
  for (let c = 0; c < classes; c++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (values[d * classes + c] = normal()) ** 2;
    for (let d = 0; d < dim; d++) values[d * classes + c] /= Math.sqrt(norm);
  }
  return tf.tensor2d(values, [dim, classes]);
}

registerArchitecture({
  name: 'vit-b16',
  description: 'ViT-B/16 (HuggingFace google/vit-base-patch16-224 layout, 224×224×3, 1000 classes)',
  defaults: { inputShape: [224, 224, 3], classes: 1000 },
  build: (o) => vit(VIT_CONFIGS['vit-b16'], o, 'vit-b16'),
});

registerArchitecture({
  name: 'vit-tiny',
  description: 'tiny ViT for 28×28: 4×4 patches, dim 64, 4 blocks of 4 heads, MLP 128',
  build: (o) => vit(VIT_CONFIGS['vit-tiny'], o, 'vit-tiny'),
});

registerArchitecture({
  name: 'vit-mini',
  description: 'shallow ViT for 28×28: 7×7 patches (16 tokens), dim 64, 2 blocks of 4 heads, MLP 128',
  build: (o) => vit(VIT_CONFIGS['vit-mini'], o, 'vit-mini'),
});

registerArchitecture({
  name: 'clip-b32',
  description: 'CLIP ViT-B/32 image tower (openai/clip-vit-base-patch32 layout) with a frozen, normalised class-embedding head',
  defaults: { inputShape: [224, 224, 3], classes: 1000 },
  build: (o) => vit(VIT_CONFIGS['clip-b32'], o, 'clip-b32'),
});

registerArchitecture({
  name: 'clip-small',
  description: 'CLIP-style classifier for 28×28: tiny ViT tower, projection 32, frozen unit class embeddings, logit scale 100',
  build: (o) => vit(VIT_CONFIGS['clip-small'], o, 'clip-small'),
});
