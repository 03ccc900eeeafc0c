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
import { explorerSets, packSets, type ExplorerSetOptions } from './sets';
import { SITE_PATHS, type ExploreManifest } from './format';

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
  /** The edit folder written by `editlab edit --out DIR`. */
  edit: string;
  /** The model: an embedded name or a model folder/model.json; default the edit's own (metrics.json). */
  model?: string;
  /** Where the slider starts (default 1, the edit). */
  alphaStart?: number;
}

/**
 * The slider's step. Each position is computed once (≈ 1.4 s for 1 000 images on vgg-small edited
 * in the middle, on one core) and kept, so 31 positions over 0–1.5 fill in under a minute.
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
 * (same weight names and shapes, else refused), and the image sets are built in Node.
 */
export async function buildExplorerSite(options: ExplorerSiteOptions): Promise<ExplorerSite> {
  const folder = path.resolve(options.edit);
  checkEditFolder(folder);
  const record = readEditRecord(folder);
  const spec = options.model ?? record?.model;
  if (!spec) throw new Error(`editlab explore: --model NAME|PATH is required (${path.join(folder, 'metrics.json')} does not record the edit's model).`);
  const pageDir = pageFolder();
  if (!fs.existsSync(path.join(pageDir, SITE_PATHS.script))) throw new Error(`editlab explore: the page is not built (${pageDir} is missing); run \`npm run build\`.`);

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

  const packed = packSets(explorerSets(record?.protocol, options));
  const modelFile = resolved.source === 'embedded' ? modelJsonPath(listEmbeddedModels().find((m) => m.name === spec)!.path) : modelJsonPath(spec);
  readModelArtifacts(modelFile); // throws unless every shard is present and inside the model's folder
  const shards = (JSON.parse(fs.readFileSync(modelFile, 'utf8')) as tf.io.ModelJSON).weightsManifest.flatMap((g) => g.paths);

  const alphaStart = options.alphaStart ?? 1;
  const manifest: ExploreManifest = {
    format: 'editlab-explore', version: 1, model: spec,
    edit: { ...info, task: record?.protocol?.task ?? null, folder: options.edit },
    ...packed.shape, sets: packed.entries,
    alpha: { min: 0, max: 1.5, step: ALPHA_STEP, start: Number((Math.round(alphaStart / ALPHA_STEP) * ALPHA_STEP).toFixed(3)) }, shards,
  };
  const files = new Map<string, SiteFile>();
  // The study view's files come with --study only (study-site.ts).
  for (const name of fs.readdirSync(pageDir).filter((n) => !n.startsWith('study'))) files.set(name, { file: path.join(pageDir, name) });
  files.set(SITE_PATHS.manifest, { bytes: Buffer.from(JSON.stringify(manifest)) });
  files.set(SITE_PATHS.images, { bytes: bytesOf(packed.images) });
  files.set(SITE_PATHS.labels, { bytes: bytesOf(packed.labels) });
  files.set(SITE_PATHS.model, { file: modelFile });
  for (const shard of shards) files.set(path.posix.join(path.posix.dirname(SITE_PATHS.model), shard), { file: path.join(path.dirname(modelFile), shard) });
  files.set(SITE_PATHS.editManifest, { file: path.join(folder, 'edit.json') });
  files.set(SITE_PATHS.editDeltas, { file: path.join(folder, 'deltas.bin') });
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
