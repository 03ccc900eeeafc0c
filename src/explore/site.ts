/**
 * The explorer as a set of files: the page (built into dist/explore-page by
 * scripts/build-explorer.mjs), the model, the edit, tfjs's wasm binaries, editlab's kernels and
 * the prepared image sets. The server serves exactly these paths and `--export` writes them;
 * inputs are checked here, before anything is served.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { tf } from '../engine/backend';
import { packageRoot } from '../data/paths';
import { isEditFolder, loadEdit, readEditRecord } from '../edits/store';
import { listEmbeddedModels, resolveModel } from '../models/embedded';
import { modelJsonPath, readModelArtifacts } from '../models/io';
import { explorerSets, packSets, sameImages, type ExplorerSetOptions } from './sets';
import { SITE_PATHS, type ExploreManifest, type NamedSet, type PickMethod, type PickTask } from './format';
import { withImages } from '../data/image-set';
import { listEditMethods } from '../edits/registry';
import { listTasks } from '../edits/tasks/task';
import { protocolSets, type EditProtocol } from '../edits/metrics';
import { defaultRewriteReference } from '../edits/rewrite';
import { editableLayers, resolveLayer } from '../models/surgery';

/** One file of the site: bytes made here, or a file on disk. */
export type SiteFile = { bytes: Uint8Array } | { file: string };

/** A site's files by path (relative, '/'-separated): what the server serves and `--export` writes. */
export interface SiteFiles {
  files: Map<string, SiteFile>;
}

/** The edit explorer's site: its files and the manifest the page reads. */
export interface ExplorerSite extends SiteFiles {
  manifest: ExploreManifest;
}

/** Options of {@link buildExplorerSite}. */
export interface ExplorerSiteOptions extends ExplorerSetOptions {
  /**
   * The edit folder written by `editlab edit --out DIR`; without it the page lets the user pick a
   * task, a method and a layer and runs that edit itself.
   */
  edit?: string;
  /** The model: an embedded name or a model folder/model.json; default the edit's own (metrics.json), or vgg-small without an edit. */
  model?: string;
  /** Where the slider starts (default 1, the edit). */
  alphaStart?: number;
}

/**
 * The slider's step. Each position is computed once (≈ 0.5 s for 1 000 images on vgg-small edited
 * in the middle, on one core) and kept, so 31 positions over 0–1.5 fill in within seconds on two.
 */
export const ALPHA_STEP = 0.05;

/** The folder of the built page. */
export function pageFolder(): string {
  return path.join(packageRoot(), 'dist', 'explore-page');
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Refuses an edit folder that is missing or is not an edit, with what to pass instead. */
function checkEditFolder(folder: string): void {
  if (!fs.existsSync(folder)) throw new Error(`editlab explore: --edit ${folder} does not exist; make an edit with \`editlab edit --model vgg-small --task snow-background --method local-ft --out DIR\` and pass DIR.`);
  if (!fs.statSync(folder).isDirectory() || !isEditFolder(folder)) {
    throw new Error(`editlab explore: --edit ${folder} is not an edit folder (expected edit.json and deltas.bin, as \`editlab edit --out DIR\` writes).`);
  }
  if (!fs.existsSync(path.join(folder, 'deltas.bin'))) throw new Error(`editlab explore: --edit ${folder} has edit.json but no deltas.bin.`);
  // Said before anything else about the folder (e.g. a missing --model): it is not an edit at all.
  let format: unknown;
  try {
    format = (JSON.parse(fs.readFileSync(path.join(folder, 'edit.json'), 'utf8')) as { format?: unknown })?.format;
  } catch (e) {
    throw new Error(`editlab explore: ${path.join(folder, 'edit.json')} is not valid JSON (${(e as Error).message}).`);
  }
  if (format !== 'editlab-edit') throw new Error(`editlab explore: ${path.join(folder, 'edit.json')} is not an editlab edit (format "editlab-edit"); pass a folder written by \`editlab edit --out DIR\`.`);
}

/**
 * Checks the inputs and prepares every file of the explorer: the edit must load onto the model
 * (same weight names and shapes, else refused), and the image sets are built in Node. Without
 * `edit`, the files for the page to run an edit the user picks (see {@link ExplorerSiteOptions.edit}).
 */
export async function buildExplorerSite(options: ExplorerSiteOptions): Promise<ExplorerSite> {
  const pageDir = pageFolder();
  if (!fs.existsSync(path.join(pageDir, SITE_PATHS.script))) throw new Error(`editlab explore: the page is not built (${pageDir} is missing); run \`npm run build\`.`);
  if (options.edit === undefined) return buildPickSite(options);
  const folder = path.resolve(options.edit);
  checkEditFolder(folder);
  const record = readEditRecord(folder);
  const spec = options.model ?? record?.model;
  if (!spec) throw new Error(`editlab explore: --model NAME|PATH is required (${path.join(folder, 'metrics.json')} does not record the edit's model).`);

  const resolved = await resolveModel(spec);
  let edit;
  try {
    edit = loadEdit(folder, resolved.model);
  } catch (e) {
    resolved.model.dispose();
    const made = record?.model && record.model !== spec ? ` It was made with --model ${record.model}.` : '';
    throw new Error(`editlab explore: --edit ${options.edit} cannot be applied to --model ${spec}: ${(e as Error).message.replace(/^editlab: /, '')}${made}`);
  }
  const info = { method: edit.method, layers: edit.layers, changed_params: edit.changedParams, changed_fraction: edit.changedFraction };
  edit.dispose();
  resolved.model.dispose();

  const site = siteFiles(spec, resolved.source, packSets(explorerSets(record?.protocol, options)), options, { ...info, task: record?.protocol?.task ?? null, folder: options.edit });
  site.files.set(SITE_PATHS.editManifest, { file: path.join(folder, 'edit.json') });
  site.files.set(SITE_PATHS.editDeltas, { file: path.join(folder, 'deltas.bin') });
  return withManifest(site);
}

/** The held-out and clean images per task split, as `editlab edit` measures an edit. */
const PICK_TEST_SIZE = 1000;
/** Exemplars of an edit run in the page: every method's protocol uses 64. */
const PICK_EXEMPLARS = 64;

/**
 * The site without an edit: every registered task's sets and exemplars, every method with its
 * protocol and editable layers, and rewrite's reference images, for the page to run the edit
 * the user picks. The tasks are Fashion-MNIST's, so the model must read 28×28×1 images.
 */
async function buildPickSite(options: ExplorerSiteOptions): Promise<ExplorerSite> {
  const spec = options.model ?? 'vgg-small';
  const seed = options.seed ?? 0;
  const resolved = await resolveModel(spec);
  const model = resolved.model;
  try {
    const shape = model.inputs[0].shape.slice(1);
    if (JSON.stringify(shape) !== '[28,28,1]') throw new Error(`editlab explore: without --edit the page edits on the Fashion-MNIST tasks, which need a model reading 28×28×1 images; --model ${spec} reads ${JSON.stringify(shape)}. Make the edit with \`editlab edit\` and pass --edit DIR.`);
    const sets: NamedSet[] = [];
    const indexOf = (named: NamedSet): number => {
      // The clean sample and its shifted sets are the same for every task: listed once.
      const same = sets.findIndex((o) => o.entry.name === named.entry.name && o.entry.group === named.entry.group && sameImages(o.set, named.set));
      return same >= 0 ? same : sets.push(named) - 1;
    };
    const tasks: PickTask[] = listTasks().map((task) => {
      const protocol: EditProtocol = { task: task.name, seed, exemplars: PICK_EXEMPLARS, test_size: PICK_TEST_SIZE, clean_size: PICK_TEST_SIZE };
      const shown = explorerSets(protocol, options).map(indexOf);
      const editSet = protocolSets(protocol).task.editSet;
      const part = (what: string, images: Float32Array | undefined): number | null =>
        images ? sets.push({ entry: { name: `${task.name} exemplars${what}`, group: 'exemplars', description: `${task.name}: the edit's exemplars${what}`, n: editSet.n, offset: 0 }, set: withImages(editSet, images) }) - 1 : null;
      return { name: task.name, description: task.description, sets: shown, exemplars: { images: part('', editSet.images)!, originals: part(' (originals)', editSet.originals), masks: part(' (masks)', editSet.masks) } };
    });
    const methods: PickMethod[] = listEditMethods().map((m) => ({
      name: m.name, description: m.description, steps: m.protocol.steps, learning_rate: m.protocol.learning_rate,
      layer: resolveLayer(model, m.protocol.layer),
      layers: m.layerIndependent ? [] : m.editableLayers?.(model) ?? editableLayers(model).map((l) => l.name),
    }));
    const reference = defaultRewriteReference(model, seed);
    const site = siteFiles(spec, resolved.source, packSets(sets), options, null);
    site.manifest.pick = { tasks, methods, seed, reference: reference.n };
    site.files.set(SITE_PATHS.reference, { bytes: bytesOf(reference.images) });
    return withManifest(site);
  } finally {
    model.dispose();
  }
}

/** The site with its manifest written (data/explore.json). */
function withManifest(site: ExplorerSite): ExplorerSite {
  site.files.set(SITE_PATHS.manifest, { bytes: Buffer.from(JSON.stringify(site.manifest)) });
  return site;
}

/** The files every explorer site has: the page, the manifest, the image sets, the model, the kernels and tfjs's wasm binaries. */
function siteFiles(spec: string, source: string, packed: ReturnType<typeof packSets>, options: ExplorerSiteOptions, edit: ExploreManifest['edit']): ExplorerSite {
  const pageDir = pageFolder();
  const modelFile = source === 'embedded' ? modelJsonPath(listEmbeddedModels().find((m) => m.name === spec)!.path) : modelJsonPath(spec);
  readModelArtifacts(modelFile); // throws unless every shard is present and inside the model's folder
  const shards = (JSON.parse(fs.readFileSync(modelFile, 'utf8')) as tf.io.ModelJSON).weightsManifest.flatMap((g) => g.paths);
  const alphaStart = options.alphaStart ?? 1;
  const manifest: ExploreManifest = {
    format: 'editlab-explore', version: 1, model: spec, edit,
    ...packed.shape, sets: packed.entries,
    alpha: { min: 0, max: 1.5, step: ALPHA_STEP, start: Number((Math.round(alphaStart / ALPHA_STEP) * ALPHA_STEP).toFixed(3)) }, shards,
  };
  const files = new Map<string, SiteFile>();
  // The study view's files come with --study only (study-site.ts); the manifest comes last (withManifest).
  for (const name of fs.readdirSync(pageDir).filter((n) => !n.startsWith('study'))) files.set(name, { file: path.join(pageDir, name) });
  files.set(SITE_PATHS.images, { bytes: bytesOf(packed.images) });
  files.set(SITE_PATHS.labels, { bytes: bytesOf(packed.labels) });
  files.set(SITE_PATHS.model, { file: modelFile });
  for (const shard of shards) files.set(path.posix.join(path.posix.dirname(SITE_PATHS.model), shard), { file: path.join(path.dirname(modelFile), shard) });
  files.set(SITE_PATHS.kernels, { file: path.join(packageRoot(), 'dist', 'kernels.wasm') });
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm'));
  for (const name of fs.readdirSync(wasmDir).filter((n) => n.endsWith('.wasm'))) files.set(SITE_PATHS.wasmFolder + name, { file: path.join(wasmDir, name) });
  return { files, manifest };
}

/** Writes the site into `folder` as a static site (any static file server can host it). */
export function exportExplorerSite(site: SiteFiles, folder: string): void {
  for (const [name, source] of site.files) {
    const target = path.join(folder, ...name.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if ('file' in source) fs.copyFileSync(source.file, target);
    else fs.writeFileSync(target, source.bytes);
  }
}
