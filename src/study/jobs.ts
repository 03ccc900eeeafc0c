/**
 * Jobs: the units of a study. One job is one edit (model, task, method, layer, seed) and its
 * whole α sweep over every evaluation set. A layer-independent method (`interp`) gives one job
 * per model, task and seed; 1-layer interpolation reuses the local fine-tuning job of the same
 * layer when their training protocols agree. Jobs are content-addressed: the id is a SHA-256
 * of the job's spec entry, the model's weights and the code's version, so a finished job is
 * recognised on resume and a changed model or code version is never mistaken for it.
 */
import { createHash } from 'node:crypto';
import type { tf } from '../engine/backend';
import { version } from '../version';
// The models index, not its files: importing it registers the custom layers (ViT) that models load with.
import { resolveModel, editableLayers, resolveLayer, layerMultiplyAdds, LAYER_DEPTHS } from '../models';
import { hardSubsetPath, readHardSubsetFile, sameEnsemble } from '../cloud/hard-subset';
import { defaultCloudCsv } from '../cloud/table';
import { methodProtocol, type StudyMethod, type StudySpec, type StudyTask } from './spec';
import { getEditMethod } from '../edits/registry';

/** The version of the study's storage format and job semantics; part of every job id. */
export const STUDY_FORMAT_VERSION = 3;

/** The code version hashed into job ids. */
export const STUDY_CODE_VERSION = `editlab ${version}, study format ${STUDY_FORMAT_VERSION}`;

/** The `layer` of a layer-independent method's job. */
export const ALL_LAYERS = 'all';

/** One unit of work: an edit and its α sweep over every evaluation set. */
export interface StudyJob {
  /** SHA-256 (hex) of the job's content; see {@link studyJobId}. */
  id: string;
  /** Position in the run order (0-based). */
  position: number;
  model: string;
  /** SHA-256 of the model's weights ({@link weightsDigest}). */
  model_sha256: string;
  task: StudyTask;
  method: StudyMethod;
  /** The edited layer's name, or `all` for a layer-independent method. */
  layer: string;
  /** The layer as the spec named it (`middle`, a name, or `all`). */
  layer_spec: string;
  seed: number;
  /** Id of the job whose edit this job interpolates (1-LI on local-ft), or null. */
  reuses: string | null;
}

/** A model of the plan: its weights' digest and how the spec's layers resolved on it. */
export interface PlannedModel {
  name: string;
  sha256: string;
  /** Spec layer (`early`, a name, …) → the model's layer. */
  layers: Record<string, string>;
  /** Multiply-adds per image of each of its layers, in model order ({@link layerMultiplyAdds}): what a job's work is estimated from. */
  multiply_adds: Record<string, number>;
}

/** The jobs of a spec, in run order, with the facts they were derived from. */
export interface StudyPlan {
  spec: StudySpec;
  jobs: StudyJob[];
  models: PlannedModel[];
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

/** SHA-256 (hex) of a model's weights: every weight's shape and float32 bytes, in model order. */
export function weightsDigest(model: tf.LayersModel): string {
  const hash = createHash('sha256');
  for (const w of model.weights) {
    const values = w.read().dataSync() as Float32Array;
    hash.update(JSON.stringify(w.shape));
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}

/** Resolves a spec layer on a model; an unknown name fails naming the spec field and listing the model's layers. */
export function resolveStudyLayer(model: tf.LayersModel, modelName: string, layer: string, field: string): string {
  if ((LAYER_DEPTHS as readonly string[]).includes(layer)) return resolveLayer(model, layer);
  const editable = editableLayers(model).map((l) => l.name);
  if (!editable.includes(layer)) {
    throw new Error(`editlab study: ${field} must be one of ${LAYER_DEPTHS.join(', ')} or a layer of every model; model "${modelName}" has no editable layer "${layer}" (its editable layers: ${editable.join(', ')}).`);
  }
  return layer;
}

/**
 * A job's id: SHA-256 of its canonical content. Everything that decides the job's rows is in
 * it: the code version, the model (name and weights), the task and method protocols, the
 * layer, the seed, the α values and the evaluation sets.
 */
export function studyJobId(content: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson({ code: STUDY_CODE_VERSION, ...content })).digest('hex');
}

async function loadForPlan(name: string, field: string): Promise<tf.LayersModel> {
  try {
    return (await resolveModel(name)).model;
  } catch (e) {
    throw new Error(`editlab study: ${field}: ${(e as Error).message.replace(/^editlab: /, '')}`);
  }
}

/** Whether `method` can reuse the edit of `source`: the source's protocol fields agree. */
function sameTraining(method: StudyMethod, source: StudyMethod): boolean {
  return Object.keys(methodProtocol(source.name).defaults).every((k) => method[k as keyof StudyMethod] === source[k as keyof StudyMethod]);
}

/**
 * Plans a validated spec: loads each model once (its weights' digest, its layers), resolves
 * the layers, and lists the jobs in run order (model, task, seed, layer, method; a reusing job
 * after its source; layer-independent methods once, after the layers).
 * @param spec a spec from `validateStudySpec`
 * @returns the plan
 */
export async function planStudy(spec: StudySpec): Promise<StudyPlan> {
  const ensemble = [];
  const cloudHard = spec.sets.hard.length ? readHardSubsetFile(hardSubsetPath(defaultCloudCsv())) : undefined;
  if (cloudHard && sameEnsemble(spec.sets.hard, cloudHard.ensemble)) {
    // The cloud's members are not shipped; its committed indices are what the jobs see.
    ensemble.push({ name: cloudHard.ensemble.join('+'), sha256: createHash('sha256').update(JSON.stringify(cloudHard.indices)).digest('hex') });
  } else {
    for (const [i, name] of spec.sets.hard.entries()) {
      const model = await loadForPlan(name, `sets.hard[${i}]`);
      ensemble.push({ name, sha256: weightsDigest(model) });
      model.dispose();
    }
  }
  const models: PlannedModel[] = [];
  // A protocol's rank is a cap: on a layer that allows less (rewrite: its input channels), the job uses what it allows.
  const rankCaps = new Map<string, number>();
  const rankCapKey = (model: string, layer: string, method: string) => JSON.stringify([model, layer, method]);
  for (const [i, name] of spec.models.entries()) {
    const model = await loadForPlan(name, `models[${i}]`);
    try {
      const layers = Object.fromEntries(spec.layers.map((layer, j) => [layer, resolveStudyLayer(model, name, layer, `layers[${j}]`)]));
      models.push({ name, sha256: weightsDigest(model), layers, multiply_adds: Object.fromEntries(layerMultiplyAdds(model)) });
      for (const method of spec.methods) {
        const { maxRank } = getEditMethod(method.name);
        if (method.rank === undefined || !maxRank) continue;
        for (const layer of Object.values(layers)) rankCaps.set(rankCapKey(name, layer, method.name), maxRank(model, layer));
      }
    } finally {
      model.dispose();
    }
  }
  const evaluation = { alphas: spec.alphas, images: spec.images, sample_seed: spec.sample_seed, sets: { ...spec.sets, hard: ensemble } };
  const jobs: StudyJob[] = [];
  const add = (model: PlannedModel, task: StudyTask, seed: number, asked: StudyMethod, layer: string, layerSpec: string) => {
    const cap = rankCaps.get(rankCapKey(model.name, layer, asked.name));
    const method = cap !== undefined && asked.rank! > cap ? { ...asked, rank: cap } : asked;
    const sourceName = methodProtocol(method.name).reuses;
    const source = sourceName && jobs.find((j) => j.model === model.name && j.task === task && j.seed === seed && j.layer === layer && j.method.name === sourceName && sameTraining(method, j.method));
    const id = studyJobId({ model: { name: model.name, sha256: model.sha256 }, task, method, layer, seed, ...evaluation });
    jobs.push({ id, position: jobs.length, model: model.name, model_sha256: model.sha256, task, method, layer, layer_spec: layerSpec, seed, reuses: source ? source.id : null });
  };
  const layerwise = spec.methods.filter((m) => !methodProtocol(m.name).layerIndependent);
  // Sources before the methods that reuse them.
  const ordered = [...layerwise.filter((m) => !methodProtocol(m.name).reuses), ...layerwise.filter((m) => methodProtocol(m.name).reuses)];
  for (const model of models) {
    for (const task of spec.tasks) {
      for (const seed of spec.seeds) {
        const seen = new Set<string>();
        for (const layerSpec of spec.layers) {
          const layer = model.layers[layerSpec];
          if (seen.has(layer)) continue; // `middle` and its name are one layer: one job
          seen.add(layer);
          for (const method of ordered) add(model, task, seed, method, layer, layerSpec);
        }
        for (const method of spec.methods.filter((m) => methodProtocol(m.name).layerIndependent)) add(model, task, seed, method, ALL_LAYERS, ALL_LAYERS);
      }
    }
  }
  return { spec, jobs, models };
}

/** One of `count` shards of a plan (`index` from 0 to count − 1). */
export interface StudyShard {
  index: number;
  count: number;
}

/** Checks a shard's numbers. */
export function checkShard(shard: StudyShard): void {
  const { index, count } = shard;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`editlab study: a shard is i/n with n ≥ 1 and 0 ≤ i < n (0-based, as Slurm array and Kubernetes job indices), got ${index}/${count}.`);
  }
}

/** Parses `i/n` (0-based i), e.g. from `--shard 0/4` or a scheduler's index. */
export function parseShard(text: string): StudyShard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`editlab study: --shard must be i/n (e.g. 0/4: the first of four shards), got "${text}".`);
  const shard = { index: Number(match[1]), count: Number(match[2]) };
  checkShard(shard);
  return shard;
}

/**
 * The jobs of one shard. A job and the jobs that reuse its edit form a unit that stays together,
 * so every shard runs on its own; units are dealt in run order, each to the shard with the
 * fewest jobs so far (ties: the lowest index), so shards get equal job counts where the units
 * allow and together are the plan.
 */
export function shardJobs(plan: StudyPlan, shard: StudyShard): StudyJob[] {
  checkShard(shard);
  const counts = new Array<number>(shard.count).fill(0);
  const shardOf = new Map<string, number>();
  for (const job of plan.jobs.filter((j) => !j.reuses)) {
    const size = 1 + plan.jobs.filter((j) => j.reuses === job.id).length;
    const target = counts.indexOf(Math.min(...counts));
    shardOf.set(job.id, target);
    counts[target] += size;
  }
  return plan.jobs.filter((j) => shardOf.get(j.reuses ?? j.id) === shard.index);
}
