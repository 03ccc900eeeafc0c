/**
 * Saving and loading an edit as its deltas alone: edit.json (method, info, which weights) and
 * deltas.bin (ΔW = W₁ − W₀ as float32, in the order of edit.json). Loading applies them to the
 * same model: every weight is checked by name and shape.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../engine/backend';
import { tidyData } from '../engine/tidy-data';
import { Edit } from './edit';
import type { EditProtocol } from './metrics';

interface StoredChange { layer: string; weight: string; shape: number[] }
interface StoredEdit { format: 'editlab-edit'; version: 1; method: string; info: Record<string, unknown>; model: string; changes: StoredChange[] }

/** An edit's two files as bytes: edit.json's text and deltas.bin (what {@link saveEdit} writes; the explorer page sends them between its workers). */
export function editFiles(edit: Edit): { json: string; deltas: Uint8Array } {
  const deltas = edit.changes.map((c) => tidyData(() => c.edited.sub(c.original)));
  const manifest: StoredEdit = {
    format: 'editlab-edit', version: 1, method: edit.method, info: edit.info, model: edit.model.name,
    changes: edit.changes.map((c) => ({ layer: c.layer, weight: edit.model.weights[c.index].originalName, shape: c.original.shape })),
  };
  const bytes = new Uint8Array(deltas.reduce((n, d) => n + d.byteLength, 0));
  let at = 0;
  for (const d of deltas) {
    bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return { json: JSON.stringify(manifest, null, 2) + '\n', deltas: bytes };
}

/** Writes an edit's deltas into a folder (created). */
export function saveEdit(edit: Edit, folder: string): void {
  fs.mkdirSync(folder, { recursive: true });
  const { json, deltas } = editFiles(edit);
  fs.writeFileSync(path.join(folder, 'deltas.bin'), deltas);
  fs.writeFileSync(path.join(folder, 'edit.json'), json);
}

/** Reads an edit saved by {@link saveEdit} and applies its deltas to `model` (not modified). */
export function loadEdit(folder: string, model: tf.LayersModel): Edit {
  const file = path.join(folder, 'edit.json');
  if (!fs.existsSync(file)) throw new Error(`editlab: no edit at ${folder} (expected edit.json and deltas.bin).`);
  let manifest: StoredEdit;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`editlab: ${file} is not valid JSON (${(e as Error).message}).`);
  }
  if (manifest.format !== 'editlab-edit' || !Array.isArray(manifest.changes)) throw new Error(`editlab: ${file} is not an editlab edit (format "editlab-edit" with a changes list).`);
  const bytes = fs.readFileSync(path.join(folder, 'deltas.bin'));
  const need = manifest.changes.reduce((n, c) => n + 4 * c.shape.reduce((p, d) => p * d, 1), 0);
  if (bytes.length !== need) throw new Error(`editlab: ${folder}/deltas.bin has ${bytes.length} bytes; edit.json describes ${need}.`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let offset = 0;
  const changes = manifest.changes.map((c) => {
    const index = model.weights.findIndex((w) => w.originalName === c.weight);
    const misfit = `editlab: the edit in ${folder} does not fit model "${model.name}" (it was made on "${manifest.model}")`;
    if (index < 0) throw new Error(`${misfit}: the model has no weight "${c.weight}".`);
    if (JSON.stringify(model.weights[index].shape) !== JSON.stringify(c.shape)) {
      throw new Error(`${misfit}: weight "${c.weight}" is ${JSON.stringify(model.weights[index].shape)} in the model, ${JSON.stringify(c.shape)} in the edit.`);
    }
    const size = c.shape.reduce((p, d) => p * d, 1);
    const delta = all.subarray(offset, offset + size);
    offset += size;
    const original = model.weights[index].read().clone();
    const edited = tf.tidy(() => original.add(tf.tensor(delta, c.shape)));
    return { layer: c.layer, index, original, edited };
  });
  return new Edit(manifest.method, model, changes, manifest.info ?? {});
}

/**
 * What `editlab edit` records beside an edit in metrics.json: the model it was made on (as
 * given to --model), the task and how it was measured, and the metrics (see `editlab edit --help`).
 */
export interface EditRecord {
  method?: string;
  /** The model as given to `editlab edit --model` (an embedded name or a path). */
  model?: string;
  task?: string;
  protocol?: EditProtocol;
  [key: string]: unknown;
}

/** Whether a folder holds an edit (edit.json). */
export function isEditFolder(folder: string): boolean {
  return fs.existsSync(path.join(folder, 'edit.json'));
}

/** The record `editlab edit` wrote beside an edit (metrics.json), or undefined when there is none. */
export function readEditRecord(folder: string): EditRecord | undefined {
  const file = path.join(folder, 'metrics.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as EditRecord;
  } catch (e) {
    throw new Error(`editlab: ${file} is not valid JSON (${(e as Error).message}).`);
  }
}
