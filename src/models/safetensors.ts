/**
 * safetensors files (an 8-byte little-endian header length, a JSON header of
 * {dtype, shape, data_offsets} per tensor, then raw little-endian bytes), and mapping the
 * HuggingFace ViT (google/vit-base-patch16-224) and CLIP vision (openai/clip-vit-base-patch32)
 * key names onto editlab's ViT, whose layer names follow the same structure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../engine/backend';
import type { BuildOptions } from './registry';
import { vit, type VitConfig } from './archs/vit';
import { assertFiniteWeights } from './io';

/** One tensor of a safetensors file, decoded to float32 (or int32 for integer dtypes). */
export interface SafeTensor {
  dtype: string;
  shape: number[];
  data: Float32Array | Int32Array;
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4, I64: 8, I16: 2, I8: 1, U8: 1, BOOL: 1 };

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decode(dtype: string, bytes: Buffer, count: number): Float32Array | Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = dtype.startsWith('I') || dtype.startsWith('U') || dtype === 'BOOL' ? new Int32Array(count) : new Float32Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F32': out[i] = view.getFloat32(4 * i, true); break;
      case 'F64': out[i] = view.getFloat64(8 * i, true); break;
      case 'F16': out[i] = halfToFloat(view.getUint16(2 * i, true)); break;
      case 'BF16': out[i] = new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0]; break;
      case 'I32': out[i] = view.getInt32(4 * i, true); break;
      case 'I64': out[i] = Number(view.getBigInt64(8 * i, true)); break;
      case 'I16': out[i] = view.getInt16(2 * i, true); break;
      case 'I8': out[i] = view.getInt8(i); break;
      default: out[i] = view.getUint8(i);
    }
  }
  return out;
}

/**
 * Reads a safetensors file, checking the header against the file: every tensor's dtype,
 * shape and offsets must agree and lie inside the data section, without overlaps.
 */
export function readSafetensors(file: string): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  const bytes = fs.readFileSync(file);
  const fail = (what: string): never => { throw new Error(`editlab: ${file}: ${what}`); };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for a safetensors file (8-byte header length first).`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength > bytes.length - 8) fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes).`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message}).`);
  }
  const data = bytes.subarray(8 + headerLength);
  const metadata = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  const tensors = new Map<string, SafeTensor>();
  const spans: Array<[number, number, string]> = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytesPer = DTYPE_BYTES[info?.dtype];
    if (bytesPer === undefined) fail(`tensor "${name}" has unsupported dtype "${info?.dtype}" (expected one of ${Object.keys(DTYPE_BYTES).join(', ')}).`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor "${name}" has an invalid shape ${JSON.stringify(info.shape)}.`);
    const [begin, end] = info.data_offsets ?? [];
    const count = info.shape.reduce((p, d) => p * d, 1);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin || end > data.length) {
      fail(`tensor "${name}" has data_offsets ${JSON.stringify(info.data_offsets)} outside the ${data.length}-byte data section.`);
    }
    if (end - begin !== count * bytesPer) {
      fail(`tensor "${name}" (${info.dtype} ${JSON.stringify(info.shape)}) needs ${count * bytesPer} bytes but its data_offsets span ${end - begin}.`);
    }
    spans.push([begin, end, name]);
    tensors.set(name, { dtype: info.dtype, shape: info.shape, data: decode(info.dtype, data.subarray(begin, end), count) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) fail(`tensors "${spans[i - 1][2]}" and "${spans[i][2]}" overlap in the data section.`);
  }
  return { tensors, metadata };
}

/** Writes tensors as a safetensors file (float32), e.g. to export or to make test files. */
export function writeSafetensors(file: string, tensors: Record<string, { shape: number[]; data: Float32Array }>, metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    const bytes = tensors[name].data.length * 4;
    header[name] = { dtype: 'F32', shape: tensors[name].shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([length, json, ...names.map((n) => Buffer.from(tensors[n].data.buffer, tensors[n].data.byteOffset, tensors[n].data.byteLength))]));
}

/** Key layouts editlab maps onto its ViT. */
export type CheckpointLayout = 'hf-vit' | 'hf-clip';

type Transform = 'none' | 'transpose' | 'conv' | 'token' | 'position';
interface Target { layer: string; weight: string; transform: Transform }

/** The checkpoint key → (layer, weight, layout change) table of one layout. */
function keyMap(layout: CheckpointLayout, depth: number, prefix: string): Map<string, Target> {
  const map = new Map<string, Target>();
  const add = (key: string, layer: string, weight: string, transform: Transform = 'none') => map.set(prefix + key, { layer, weight, transform });
  const linear = (key: string, layer: string, weight = '') => {
    add(`${key}.weight`, layer, `${weight}kernel`, 'transpose');
    add(`${key}.bias`, layer, `${weight}bias`);
  };
  const norm = (key: string, layer: string) => {
    add(`${key}.weight`, layer, 'gamma');
    add(`${key}.bias`, layer, 'beta');
  };
  if (layout === 'hf-vit') {
    add('embeddings.cls_token', 'cls_token', 'token');
    add('embeddings.position_embeddings', 'pos_embed', 'embedding');
    add('embeddings.patch_embeddings.projection.weight', 'patch_embed', 'kernel', 'conv');
    add('embeddings.patch_embeddings.projection.bias', 'patch_embed', 'bias');
    for (let i = 0; i < depth; i++) {
      const k = `encoder.layer.${i}.`, b = `block${i + 1}`;
      norm(`${k}layernorm_before`, `${b}_ln1`);
      for (const p of ['query', 'key', 'value']) linear(`${k}attention.attention.${p}`, `${b}_attn`, `${p}/`);
      linear(`${k}attention.output.dense`, `${b}_attn`, 'out/');
      norm(`${k}layernorm_after`, `${b}_ln2`);
      linear(`${k}intermediate.dense`, `${b}_mlp1`);
      linear(`${k}output.dense`, `${b}_mlp2`);
    }
    norm('layernorm', 'final_ln');
  } else {
    add('embeddings.class_embedding', 'cls_token', 'token', 'token');
    add('embeddings.position_embedding.weight', 'pos_embed', 'embedding', 'position');
    add('embeddings.patch_embedding.weight', 'patch_embed', 'kernel', 'conv');
    norm('pre_layrnorm', 'pre_ln');
    for (let i = 0; i < depth; i++) {
      const k = `encoder.layers.${i}.`, b = `block${i + 1}`;
      norm(`${k}layer_norm1`, `${b}_ln1`);
      for (const [p, q] of [['q_proj', 'query'], ['k_proj', 'key'], ['v_proj', 'value'], ['out_proj', 'out']]) linear(`${k}self_attn.${p}`, `${b}_attn`, `${q}/`);
      norm(`${k}layer_norm2`, `${b}_ln2`);
      linear(`${k}mlp.fc1`, `${b}_mlp1`);
      linear(`${k}mlp.fc2`, `${b}_mlp2`);
    }
    norm('post_layernorm', 'final_ln');
  }
  return map;
}

function toTfLayout(t: SafeTensor, transform: Transform): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.tensor(t.data, t.shape, 'float32');
    switch (transform) {
      case 'transpose': return x.transpose();
      case 'conv': return x.transpose([2, 3, 1, 0]); // [out, in, h, w] → [h, w, in, out]
      case 'token': return x.reshape([1, 1, -1]);
      case 'position': return x.expandDims(0);
      default: return x;
    }
  });
}

/** Which layout a checkpoint uses, and its key prefix (e.g. "vit." or "vision_model."). */
export function detectLayout(names: Iterable<string>): { layout: CheckpointLayout; prefix: string } {
  for (const n of names) {
    const vit = /^(.*?)embeddings\.patch_embeddings\.projection\.weight$/.exec(n);
    if (vit) return { layout: 'hf-vit', prefix: vit[1] };
    const clip = /^(.*?)embeddings\.patch_embedding\.weight$/.exec(n);
    if (clip) return { layout: 'hf-clip', prefix: clip[1] };
  }
  throw new Error('editlab: not a HuggingFace ViT or CLIP vision checkpoint: no "…embeddings.patch_embeddings.projection.weight" or "…embeddings.patch_embedding.weight" tensor.');
}

/** Options of {@link loadVitCheckpoint}. */
export interface VitCheckpointOptions {
  /** Attention heads (not recorded in the weights). Default: the checkpoint's config.json, else dim / 64. */
  heads?: number;
  /** Input image size (default: config.json's `image_size`, else from the position embeddings, square). */
  imageSize?: number;
  /** Classes for a CLIP tower's head (default 1000) — the class embeddings are not in the vision weights. */
  classes?: number;
  /** Layer-norm epsilon (default: config.json's `layer_norm_eps`, else 1e-12 for ViT, 1e-5 for CLIP). */
  lnEpsilon?: number;
}

/** The fields of a HuggingFace config.json that the weights do not carry. */
interface HfVisionConfig {
  heads?: number;
  lnEpsilon?: number;
  imageSize?: number;
}

/**
 * The config.json HuggingFace saves beside model.safetensors, when there is one: the vision
 * settings the tensors do not record (heads, layer-norm epsilon, image size), checked against
 * what the tensors say (width) and what editlab builds for the layout (activation). A full CLIP
 * config keeps them under `vision_config`.
 */
export function readHfVisionConfig(checkpointFile: string, layout: CheckpointLayout, dim: number): (HfVisionConfig & { file: string }) | undefined {
  const file = path.join(path.dirname(checkpointFile), 'config.json');
  if (!fs.existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`editlab: ${file} is not valid JSON (${(e as Error).message}); fix it, or move it away to load ${path.basename(checkpointFile)} with explicit options.`);
  }
  const top = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const config = (layout === 'hf-clip' && typeof top.vision_config === 'object' && top.vision_config !== null ? top.vision_config : top) as Record<string, unknown>;
  const where = layout === 'hf-clip' && config !== top ? 'vision_config.' : '';
  const number = (key: string, integer: boolean): number | undefined => {
    const v = config[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !(v > 0) || (integer && !Number.isInteger(v))) throw new Error(`editlab: ${file}: "${where}${key}" must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}.`);
    return v;
  };
  const width = number('hidden_size', true);
  if (width !== undefined && width !== dim) throw new Error(`editlab: ${file}: "${where}hidden_size" is ${width} but ${path.basename(checkpointFile)}'s patch embedding is ${dim} wide: the config belongs to another model.`);
  const activation = config.hidden_act, expected = layout === 'hf-vit' ? 'gelu' : 'quick_gelu';
  if (activation !== undefined && activation !== expected) throw new Error(`editlab: ${file}: "${where}hidden_act" is ${JSON.stringify(activation)}; editlab builds a ${layout} checkpoint with "${expected}".`);
  const heads = number('num_attention_heads', true);
  if (heads !== undefined && dim % heads !== 0) throw new Error(`editlab: ${file}: "${where}num_attention_heads" (${heads}) must divide the width ${dim}.`);
  return { file, heads, lnEpsilon: number('layer_norm_eps', false), imageSize: number('image_size', true) };
}

/** What was loaded. */
export interface VitCheckpoint {
  model: tf.LayersModel;
  layout: CheckpointLayout;
  config: VitConfig;
  /** Checkpoint tensors that have no place in the model (e.g. a text tower, a pooler). */
  unused: string[];
  /** The config.json beside the checkpoint that set heads, epsilon or image size, when there was one. */
  configFile?: string;
}

/**
 * Builds editlab's ViT for a HuggingFace ViT or CLIP vision checkpoint (.safetensors) and
 * loads its weights: dimensions are read from the tensors, every model weight must be
 * present with the right shape, and NaN/Inf values are refused.
 */
export async function loadVitCheckpoint(file: string, options: VitCheckpointOptions = {}): Promise<VitCheckpoint> {
  const { tensors } = readSafetensors(file);
  const { layout, prefix } = detectLayout(tensors.keys());
  const get = (key: string) => {
    const t = tensors.get(prefix + key);
    if (!t) throw new Error(`editlab: ${file}: missing tensor "${prefix + key}" for a ${layout} checkpoint.`);
    return t;
  };
  const patchKey = layout === 'hf-vit' ? 'embeddings.patch_embeddings.projection.weight' : 'embeddings.patch_embedding.weight';
  const [dim, channels, patch] = get(patchKey).shape;
  const blockKey = layout === 'hf-vit' ? /encoder\.layer\.(\d+)\./ : /encoder\.layers\.(\d+)\./;
  const depth = 1 + Math.max(-1, ...[...tensors.keys()].map((k) => Number(blockKey.exec(k)?.[1] ?? -1)));
  const mlpDim = get(layout === 'hf-vit' ? 'encoder.layer.0.intermediate.dense.weight' : 'encoder.layers.0.mlp.fc1.weight').shape[0];
  const positions = get(layout === 'hf-vit' ? 'embeddings.position_embeddings' : 'embeddings.position_embedding.weight').shape.at(-2)!;
  const hf = readHfVisionConfig(file, layout, dim);
  const side = options.imageSize ?? hf?.imageSize ?? Math.round(Math.sqrt(positions - 1)) * patch;
  const projection = layout === 'hf-clip' ? tensors.get('visual_projection.weight') : undefined;
  const heads = options.heads ?? hf?.heads ?? Math.max(1, Math.round(dim / 64));
  const lnEpsilon = options.lnEpsilon ?? hf?.lnEpsilon;
  const config: VitConfig = layout === 'hf-vit'
    ? { patch, dim, depth, heads, mlpDim, lnEpsilon: lnEpsilon ?? 1e-12, activation: 'gelu', patchBias: true, preNorm: false }
    : { patch, dim, depth, heads, mlpDim, lnEpsilon: lnEpsilon ?? 1e-5, activation: 'quick_gelu', patchBias: false, preNorm: true, clip: projection ? { projection: projection.shape[0], logitScale: 100 } : undefined };
  const head = layout === 'hf-vit' ? tensors.get('classifier.weight') : undefined;
  const classes = head ? head.shape[0] : options.classes ?? 1000;
  const build: Required<BuildOptions> = { seed: 0, inputShape: [side, side, channels], classes, width: 1 };
  const model = vit(config, build, layout === 'hf-vit' ? 'vit' : 'clip-vision');

  const map = keyMap(layout, depth, prefix);
  if (head) {
    map.set('classifier.weight', { layer: 'head', weight: 'kernel', transform: 'transpose' });
    map.set('classifier.bias', { layer: 'head', weight: 'bias', transform: 'none' });
  }
  if (projection) map.set('visual_projection.weight', { layer: 'projection', weight: 'kernel', transform: 'transpose' });
  const assigned = new Set<string>();
  try {
    for (const [key, target] of map) {
      const t = tensors.get(key);
      if (!t) continue;
      const layer = model.getLayer(target.layer);
      const weight = layer.weights.find((w) => w.originalName === `${target.layer}/${target.weight}`);
      if (!weight) throw new Error(`editlab: ${file}: "${key}" maps to ${target.layer}/${target.weight}, which the model does not have.`);
      const value = toTfLayout(t, target.transform);
      if (JSON.stringify(value.shape) !== JSON.stringify(weight.shape)) {
        value.dispose();
        throw new Error(`editlab: ${file}: tensor "${key}" has shape ${JSON.stringify(t.shape)}; ${target.layer}/${target.weight} needs ${JSON.stringify(weight.shape)} (after layout change "${target.transform}").`);
      }
      weight.write(value);
      value.dispose();
      assigned.add(weight.originalName);
    }
    const missing = model.trainableWeights.map((w) => w.originalName).filter((n) => !assigned.has(n));
    if (missing.length) throw new Error(`editlab: ${file}: no tensor for ${missing.join(', ')}.`);
    assertFiniteWeights(model, file);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const unused = [...tensors.keys()].filter((k) => !map.has(k));
  return { model, layout, config, unused, ...(hf ? { configFile: hf.file } : {}) };
}
