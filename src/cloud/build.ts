/**
 * Building the reference cloud: train every member (resumably, per epoch), evaluate it on the
 * clean test set, every corruption × severity, every rendition and the hard subset, and write
 * the tidy table after each member, so an interrupted build resumes where it stopped.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backendInfo } from '../engine/backend';
import { fashionMnistSet, sample, subset } from '../data/image-set';
import { writeFileAtomic } from '../data/write-atomic';
// The shifts' index registers every corruption and rendition; the models' registers every architecture.
import { getShift, hardSubset, listShifts, shiftCells, type ShiftCell } from '../shifts';
import { getArchitecture, listEmbeddedModels, loadLayersModel, trainToFolder } from '../models';
import { evaluateCells, predictSets } from '../evaluate/shift-cells';
import { progressFor, type ProgressOption } from '../engine/progress';
import { toCsv } from '../frames/to-csv';
import { CLOUD_MEMBERS, type CloudMember } from './members';
import { CLOUD_COLUMNS, defaultCloudCsv, parseCloudCsv, type CloudRow } from './table';

/** How the table's cells were made; a table is only extended with the same settings. */
export interface CloudSettings {
  /** Test images (a seeded sample) under each corruption and rendition; clean and hard use all 10 000. */
  shiftSize: number;
  /** Seed of that sample and of the corruptions. */
  seed: number;
  /** Embedded models the hard subset was filtered against (a strict majority wrong); none = no hard rows. */
  hardEnsemble: string[];
  /** Data-parallel training replicas (results depend on it through per-replica batch norm). */
  workers: number;
}

/** Options of {@link buildCloud}. */
export interface CloudBuildOptions extends Partial<CloudSettings> {
  // Settings left out come from the table's sidecar when it exists (a rerun resumes), else the defaults.
  /** Default {@link CLOUD_MEMBERS}. */
  members?: readonly CloudMember[];
  /** The table to write (and resume); default the committed `datasets/cloud/reference-cloud.csv`. */
  csv?: string;
  /** Folder of the trained members (checkpoints; resumable); default `.cache/cloud` in the working directory. */
  work?: string;
  /** ONNX Runtime threads for evaluation (default all cores). */
  threads?: number;
  onProgress?: (event: CloudEvent) => void;
  /**
   * Progress bars (see {@link ProgressOption}): making the cells (images), then per member its
   * training steps and its evaluation (images). Default none.
   */
  progress?: ProgressOption;
}

/** Progress of {@link buildCloud}. */
export type CloudEvent =
  | { type: 'cached'; member: CloudMember; index: number; total: number }
  | { type: 'cells'; cells: number; seconds: number }
  | { type: 'step'; member: CloudMember; index: number; total: number; step: number; steps: number }
  | { type: 'done'; member: CloudMember; index: number; total: number; accuracy: number; trainSeconds: number; evalSeconds: number };

/** What {@link buildCloud} did. */
export interface CloudBuildResult {
  csv: string;
  rows: CloudRow[];
  /** Members trained and evaluated now. */
  built: string[];
  /** Members already in the table. */
  cached: string[];
  seconds: number;
}

/** The sidecar of a table (`reference-cloud.json` beside `reference-cloud.csv`). */
interface CloudMeta {
  settings: CloudSettings;
  machine: string;
  members: Record<string, CloudMember & { trainSeconds: number; evalSeconds: number }>;
}

function metaPath(csv: string): string {
  return csv.replace(/\.csv$/i, '') + '.json';
}

/**
 * The settings a cloud table was built with (from its sidecar; default the committed table), or
 * undefined when there is none: the defaults of {@link cloudCells} and {@link buildCloud}, so
 * other models are scored on exactly the table's images.
 */
export function cloudSettings(csv: string = defaultCloudCsv()): CloudSettings | undefined {
  const file = metaPath(csv);
  if (!fs.existsSync(file)) return undefined;
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as CloudMeta).settings;
  } catch (e) {
    throw new Error(`editlab: ${file} is not valid JSON (${(e as Error).message}); rebuild the cloud table or delete it.`);
  }
}

function checkMembers(members: readonly CloudMember[]): void {
  const names = new Set<string>();
  for (const m of members) {
    const where = `cloud member "${m.name}"`;
    if (!/^[A-Za-z0-9._-]+$/.test(m.name ?? '')) throw new Error(`editlab: cloud member name ${JSON.stringify(m.name)} must be letters, digits, '.', '_' or '-' (it names a folder).`);
    if (names.has(m.name)) throw new Error(`editlab: ${where} appears twice.`);
    names.add(m.name);
    getArchitecture(m.arch);
    if (!(m.width > 0)) throw new Error(`editlab: ${where}: width must be > 0, got ${m.width}.`);
    if (!Number.isInteger(m.epochs) || m.epochs < 1) throw new Error(`editlab: ${where}: epochs must be a positive integer, got ${m.epochs}.`);
    if (!Number.isInteger(m.trainSize) || m.trainSize < 1 || m.trainSize > 60000) throw new Error(`editlab: ${where}: trainSize must be an integer from 1 to 60000, got ${m.trainSize}.`);
    if (!Number.isInteger(m.seed)) throw new Error(`editlab: ${where}: seed must be an integer, got ${m.seed}.`);
  }
}

/** Which of the cloud's cells to make (see {@link cloudCells}). */
export interface CloudCellOptions extends Partial<Pick<CloudSettings, 'shiftSize' | 'seed' | 'hardEnsemble'>> {
  /** The table whose settings are the defaults (default the committed one). */
  csv?: string;
  /** Corruptions and renditions (default all). */
  shifts?: readonly string[];
  /** Corruption severities (default 1–5). */
  severities?: readonly number[];
  /** ONNX Runtime threads for the hard subset's ensemble. */
  threads?: number;
  /** A progress bar in images made and scored (`true`, or its label); see {@link ProgressOption}. Default none. */
  progress?: ProgressOption;
}

/**
 * The cloud's evaluation cells: clean (all 10 000 test images), each corruption × severity and
 * rendition (the same seeded sample of `shiftSize` test images), and the hard subset (the test
 * images a strict majority of the embedded models get wrong). Score your own or edited models
 * on them (`evaluateCells`) to compare them with the cloud.
 */
export async function cloudCells(options: CloudCellOptions = {}): Promise<ShiftCell[]> {
  const table = cloudSettings(options.csv ?? defaultCloudCsv());
  const {
    shiftSize = table?.shiftSize ?? 1000, seed = table?.seed ?? 0, hardEnsemble = table?.hardEnsemble ?? listEmbeddedModels().map((m) => m.name),
  } = options;
  await backendInfo();
  const test = fashionMnistSet('test');
  const shifts = options.shifts ?? [...listShifts('corruption'), ...listShifts('rendition')].map((s) => s.name);
  const severities = options.severities ?? [1, 2, 3, 4, 5];
  const shiftedCells = shifts.reduce((n, name) => {
    const s = getShift(name);
    return n + ((s.usesSeverity ?? s.family === 'corruption') ? severities.length : 1);
  }, 0);
  const bar = progressFor(options.progress, shiftedCells * shiftSize + hardEnsemble.length * test.n, 'cloud cells', 'img');
  const cells: ShiftCell[] = [...shiftCells(test, { shifts: [] })];
  if (shifts.length) {
    for (const cell of shiftCells(sample(test, shiftSize, seed), { shifts, severities, seed, clean: false })) {
      cells.push(cell);
      bar.tick(cell.set.n);
    }
  }
  if (hardEnsemble.length) {
    const embedded = listEmbeddedModels();
    const predictions: Int32Array[] = [];
    for (const name of hardEnsemble) {
      const found = embedded.find((m) => m.name === name);
      if (!found) throw new Error(`editlab: the hard subset's ensemble names "${name}", which is not an embedded model (${embedded.map((m) => m.name).join(', ') || 'none'}).`);
      const model = await loadLayersModel(found.path);
      predictions.push((await predictSets(model, [test], { threads: options.threads, onBatch: (b) => bar.tick(b.count) }))[0]);
      model.dispose();
    }
    const hard = hardSubset(test, predictions.map((p) => () => p));
    cells.push({ shift: 'hard', family: 'hard', group: 'hard', severity: 0, set: hard.set });
  }
  bar.done();
  return cells;
}

function readExisting(csv: string, settings: CloudSettings): { rows: CloudRow[]; meta: CloudMeta } {
  const empty = { rows: [], meta: { settings, machine: '', members: {} } };
  if (!fs.existsSync(csv)) return empty;
  const meta = fs.existsSync(metaPath(csv)) ? JSON.parse(fs.readFileSync(metaPath(csv), 'utf8')) as CloudMeta : undefined;
  if (!meta) throw new Error(`editlab: ${csv} exists without its ${path.basename(metaPath(csv))}; cannot tell how it was built (delete it or pass another --csv).`);
  if (JSON.stringify(meta.settings) !== JSON.stringify(settings)) {
    throw new Error(`editlab: ${csv} was built with ${JSON.stringify(meta.settings)}, not ${JSON.stringify(settings)}; pass another --csv or the same settings.`);
  }
  return { rows: parseCloudCsv(fs.readFileSync(csv, 'utf8'), csv), meta };
}

/**
 * Trains and evaluates every cloud member missing from the table, writing the table (and its
 * sidecar) after each. Members already there are kept; checkpoints in `work` resume training.
 * @example await buildCloud({ onProgress: console.log })
 */
export async function buildCloud(options: CloudBuildOptions = {}): Promise<CloudBuildResult> {
  const started = performance.now();
  await backendInfo();
  const members = options.members ?? CLOUD_MEMBERS;
  checkMembers(members);
  const csv = path.resolve(options.csv ?? defaultCloudCsv());
  const work = path.resolve(options.work ?? path.join('.cache', 'cloud'));
  const table = cloudSettings(csv);
  const settings: CloudSettings = {
    shiftSize: options.shiftSize ?? table?.shiftSize ?? 1000,
    seed: options.seed ?? table?.seed ?? 0,
    hardEnsemble: [...(options.hardEnsemble ?? table?.hardEnsemble ?? listEmbeddedModels().map((m) => m.name))],
    workers: options.workers ?? table?.workers ?? 2,
  };
  if (!Number.isInteger(settings.shiftSize) || settings.shiftSize < 1 || settings.shiftSize > 10000) throw new Error(`editlab: shiftSize must be an integer from 1 to 10000, got ${settings.shiftSize}.`);
  const { rows: existing, meta } = readExisting(csv, settings);
  const rowsOf = new Map<string, CloudRow[]>();
  for (const r of existing) {
    if (!rowsOf.has(r.model)) rowsOf.set(r.model, []);
    rowsOf.get(r.model)!.push(r);
  }
  const train = fashionMnistSet('train');
  let cells: ShiftCell[] | undefined;
  const built: string[] = [], cached: string[] = [];
  for (const [index, member] of members.entries()) {
    const total = members.length;
    if (rowsOf.has(member.name)) {
      cached.push(member.name);
      options.onProgress?.({ type: 'cached', member, index, total });
      continue;
    }
    if (!cells) {
      const t = performance.now();
      cells = await cloudCells({ ...settings, csv, threads: options.threads, progress: options.progress && 'cloud cells' });
      options.onProgress?.({ type: 'cells', cells: cells.length, seconds: (performance.now() - t) / 1000 });
    }
    const folder = path.join(work, member.name);
    const trained = await trainToFolder({
      arch: member.arch, out: folder, train: member.trainSize < train.n ? subset(train, Array.from({ length: member.trainSize }, (_, i) => i)) : train,
      epochs: member.epochs, width: member.width, seed: member.seed, workers: settings.workers,
      progress: options.progress && `[${index + 1}/${total}] train ${member.name}`,
      onStep: (step, steps) => options.onProgress?.({ type: 'step', member, index, total, step, steps }),
    });
    const t = performance.now();
    const model = await loadLayersModel(folder);
    const bar = progressFor(options.progress, cells.reduce((n, c) => n + c.set.n, 0), `[${index + 1}/${total}] evaluate ${member.name}`, 'img');
    const scored = await evaluateCells(model, cells, { threads: options.threads, onBatch: (b) => bar.tick(b.count) });
    bar.done();
    const rows = scored.map((row): CloudRow => ({
      model: member.name, arch: member.arch, width: member.width, epochs: member.epochs, seed: member.seed, train_size: member.trainSize, params: trained.params, ...row,
    }));
    model.dispose();
    const evalSeconds = (performance.now() - t) / 1000;
    rowsOf.set(member.name, rows);
    meta.members[member.name] = { ...member, trainSeconds: Math.round(trained.seconds), evalSeconds: Math.round(evalSeconds) };
    meta.machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores`;
    const ordered = [...members.map((m) => m.name).filter((n) => rowsOf.has(n)), ...[...rowsOf.keys()].filter((n) => !members.some((m) => m.name === n))];
    writeFileAtomic(csv, toCsv(ordered.flatMap((n) => rowsOf.get(n) ?? []), CLOUD_COLUMNS));
    writeFileAtomic(metaPath(csv), JSON.stringify(meta, null, 2) + '\n');
    built.push(member.name);
    options.onProgress?.({ type: 'done', member, index, total, accuracy: rows[0].accuracy, trainSeconds: trained.seconds, evalSeconds });
  }
  const rows = [...rowsOf.values()].flat();
  return { csv, rows, built, cached, seconds: (performance.now() - started) / 1000 };
}
