/**
 * The trained models shipped in datasets/models/<name>/ (model.json + weights.bin, with the
 * training run's metadata), and resolving a --model argument: an embedded name, a path, or
 * an architecture name (untrained).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../engine/backend';
import { packageRoot } from '../data/paths';
import { buildModel, listArchitectures } from './registry';
import { loadLayersModel, modelJsonPath } from './io';

/** One embedded model, as `editlab models list` prints it. */
export interface EmbeddedModel {
  name: string;
  arch: string;
  params: number;
  /** Recorded Fashion-MNIST test accuracy (fraction). */
  accuracy: number | null;
  path: string;
}

/** Folder of the embedded models. */
export function embeddedModelsRoot(): string {
  return path.join(packageRoot(), 'datasets', 'models');
}

/** Every embedded model with its recorded metadata, by name. */
export function listEmbeddedModels(): EmbeddedModel[] {
  const root = embeddedModelsRoot();
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).sort().flatMap((name) => {
    const file = path.join(root, name, 'model.json');
    if (!fs.existsSync(file)) return [];
    const meta = (JSON.parse(fs.readFileSync(file, 'utf8')).userDefinedMetadata?.editlab ?? {}) as { arch?: string; params?: number; test?: { accuracy?: number } };
    return [{ name, arch: meta.arch ?? 'unknown', params: meta.params ?? 0, accuracy: meta.test?.accuracy ?? null, path: path.join(root, name) }];
  });
}

/** How a --model argument was resolved. */
export interface ResolvedModel {
  model: tf.LayersModel;
  source: 'embedded' | 'path' | 'architecture';
  name: string;
}

/**
 * Loads a model named by the user: an embedded model's name, a folder or model.json path, or
 * (when `allowUntrained`) an architecture name, built with fresh weights.
 */
export async function resolveModel(spec: string, options: { allowUntrained?: boolean } = {}): Promise<ResolvedModel> {
  const embedded = listEmbeddedModels().find((m) => m.name === spec);
  if (embedded) return { model: await loadLayersModel(embedded.path), source: 'embedded', name: spec };
  if (fs.existsSync(modelJsonPath(spec))) return { model: await loadLayersModel(spec), source: 'path', name: spec };
  if (listArchitectures().some((a) => a.name === spec)) {
    if (!options.allowUntrained) {
      throw new Error(`editlab: "${spec}" is an architecture, not a trained model; train it with \`editlab train --arch ${spec} --out DIR\` and pass DIR, or use an embedded model (${listEmbeddedModels().map((m) => m.name).join(', ') || 'none yet'}).`);
    }
    return { model: buildModel(spec), source: 'architecture', name: spec };
  }
  throw new Error(`editlab: no model "${spec}": not an embedded model (${listEmbeddedModels().map((m) => m.name).join(', ') || 'none'}), not a model folder or model.json path${options.allowUntrained ? `, not an architecture (${listArchitectures().map((a) => a.name).join(', ')})` : ''}.`);
}
