/**
 * Reading and writing tfjs models on the file system: `model.json` + weight shards, the format
 * of `model.save()` and of tensorflowjs_converter (Keras layers models and graph models).
 * Pure tfjs cannot read `file://`; this handler can, and it checks everything before tfjs sees it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf, backendInfo } from '../engine/backend';

type ModelJSON = tf.io.ModelJSON;
type WeightsManifestEntry = tf.io.WeightsManifestEntry;

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

/** Bytes a weight occupies in its shard (its quantised form when quantised). */
function specBytes(spec: WeightsManifestEntry): number {
  const size = spec.shape.reduce((p, d) => p * d, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = BYTES[dtype];
  if (bytes === undefined) throw new Error(`weight "${spec.name}" has unsupported dtype "${dtype}"`);
  return size * bytes;
}

/** The model.json of a model folder or file path. */
export function modelJsonPath(location: string): string {
  const p = path.resolve(location);
  return fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(p, 'model.json') : p;
}

/**
 * Reads and checks `model.json` and its shards: valid JSON with a topology, shard paths inside
 * the model's folder, every shard present and long enough for the weights it holds.
 */
export function readModelArtifacts(location: string): tf.io.ModelArtifacts {
  const file = modelJsonPath(location);
  if (!fs.existsSync(file)) throw new Error(`editlab: no model at ${file} (expected a model.json file or a folder holding one).`);
  let json: ModelJSON;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`editlab: ${file} is not valid JSON (${(e as Error).message}); expected a tfjs model.json.`);
  }
  if (json === null || typeof json !== 'object' || !json.modelTopology) {
    throw new Error(`editlab: ${file} has no "modelTopology"; expected a tfjs model.json (layers or graph model).`);
  }
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new Error(`editlab: ${file}: "weightsManifest" must be an array of {paths, weights}.`);
  const folder = path.dirname(file);
  const specs: WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const [g, group] of manifest.entries()) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
      throw new Error(`editlab: ${file}: weightsManifest[${g}] must have "paths" and "weights" arrays.`);
    }
    const parts: Buffer[] = [];
    for (const rel of group.paths) {
      const shard = path.resolve(folder, String(rel));
      const inside = path.relative(folder, shard);
      if (path.isAbsolute(String(rel)) || inside.startsWith('..') || path.isAbsolute(inside)) {
        throw new Error(`editlab: ${file}: weight shard path "${rel}" escapes the model's folder ${folder}; shard paths must be relative and inside it.`);
      }
      if (!fs.existsSync(shard)) throw new Error(`editlab: ${file}: weight shard "${rel}" is missing (looked for ${shard}).`);
      parts.push(fs.readFileSync(shard));
    }
    const data = Buffer.concat(parts);
    let need = 0;
    for (const spec of group.weights) need += specBytes(spec);
    if (data.length < need) {
      let at = 0;
      const short = group.weights.find((s) => (at += specBytes(s)) > data.length);
      throw new Error(`editlab: ${file}: weight shards ${group.paths.join(', ')} hold ${data.length} bytes but the manifest needs ${need}; tensor "${short?.name}" (${short?.dtype} ${JSON.stringify(short?.shape)}) is cut short.`);
    }
    specs.push(...group.weights);
    buffers.push(data.subarray(0, need));
  }
  const weightData = Buffer.concat(buffers);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs: specs,
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
  };
}

/** A tfjs IOHandler on a folder: `load()` reads (checked), `save()` writes model.json + weights.bin. */
export function fileSystem(location: string): tf.io.IOHandler {
  return {
    async load() {
      return readModelArtifacts(location);
    },
    async save(artifacts: tf.io.ModelArtifacts) {
      const folder = path.resolve(location);
      fs.mkdirSync(folder, { recursive: true });
      const data = artifacts.weightData
        ? Buffer.from(tf.io.concatenateArrayBuffers(Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData]))
        : Buffer.alloc(0);
      const json: ModelJSON = {
        modelTopology: artifacts.modelTopology as ModelJSON['modelTopology'],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      // Write beside, then rename: an interrupted save never leaves a half-written model.
      for (const [name, content] of [['weights.bin', data], ['model.json', JSON.stringify(json)]] as const) {
        const tmp = path.join(folder, `.${name}.tmp`);
        fs.writeFileSync(tmp, content);
        fs.renameSync(tmp, path.join(folder, name));
      }
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** Throws naming the first weight with a NaN or infinite value. */
export function assertFiniteWeights(model: tf.LayersModel, source: string): void {
  for (const w of model.weights) {
    const values = w.read().dataSync();
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new Error(`editlab: ${source}: weight "${w.originalName}" (shape ${JSON.stringify(w.shape)}) holds ${values[i]} at index ${i}; weights must be finite.`);
      }
    }
  }
}

/**
 * Loads a layers model from a folder or model.json path (checked, see readModelArtifacts),
 * or from an http(s) URL. Rejects NaN/Inf weights.
 */
export async function loadLayersModel(location: string): Promise<tf.LayersModel> {
  const remote = /^https?:\/\//.test(location);
  const handler = remote ? location : fileSystem(location);
  await backendInfo(); // the default backend, unless one was chosen: building weights needs one
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(handler as never);
  } catch (e) {
    const message = (e as Error).message;
    throw new Error(message.startsWith('editlab') ? message : `editlab: cannot build a layers model from ${remote ? location : modelJsonPath(location)}: ${message}`);
  }
  try {
    assertFiniteWeights(model, remote ? location : modelJsonPath(location));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Saves a layers model into a folder as model.json + weights.bin. */
export async function saveLayersModel(model: tf.LayersModel, folder: string, metadata?: Record<string, unknown>): Promise<void> {
  const handler = fileSystem(folder);
  const save = handler.save!.bind(handler);
  const extra = (metadata ?? {}) as Record<string, {}>;
  handler.save = (artifacts) => save({ ...artifacts, userDefinedMetadata: { ...(artifacts.userDefinedMetadata ?? {}), ...extra } });
  await model.save(handler);
}
