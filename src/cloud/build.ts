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
import { getArchitecture, loadLayersModel, trainToFolder } from '../models';
import { evaluateCells, predictSets } from '../evaluate/shift-cells';
import { progressFor, type ProgressOption } from '../engine/progress';
import { toCsv } from '../frames/to-csv';
import { CLOUD_MEMBERS, type CloudMember } from './members';
import { DEFAULT_HARD_ENSEMBLE, cloudHardSubset, hardSubsetFileOf, hardSubsetImages, hardSubsetPath, readHardSubsetFile, sameEnsemble, writeHardSubsetFile } from './hard-subset';
import { CLOUD_COLUMNS, defaultCloudCsv, parseCloudCsv, type CloudRow } from './table';

/** How the table's cells were made; a table is only extended with the same settings. */
export interface CloudSettings {
  /** Test images (a seeded sample) under each corruption and rendition; clean and hard use all 10 000. */
  shiftSize: number;
  /** Seed of that sample and of the corruptions. */
  seed: number;
  /** Cloud members whose strict majority chose the hard subset (see `hard-subset.ts`); none = no hard rows. */
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
  /** A progress bar in images made and scored (`true`, or its label); see {@link ProgressOption}. Default none. */
  progress?: ProgressOption;
}

/**
 * The cloud's evaluation cells: clean (all 10 000 test images), each corruption × severity and
 * rendition (the same seeded sample of `shiftSize` test images), and the hard subset (the test
 * images a strict majority of `hardEnsemble`'s cloud members get wrong, read from the file the
 * cloud's build wrote beside its table). Score your own or edited models
 * on them (`evaluateCells`) to compare them with the cloud.
 */
export async function cloudCells(options: CloudCellOptions = {}): Promise<ShiftCell[]> {
  const csvPath = options.csv ?? defaultCloudCsv();
  const table = cloudSettings(csvPath);
  const {
    shiftSize = table?.shiftSize ?? 1000, seed = table?.seed ?? 0, hardEnsemble = table?.hardEnsemble ?? DEFAULT_HARD_ENSEMBLE,
  } = options;
  await backendInfo();
  const test = fashionMnistSet('test');
  const shifts = options.shifts ?? [...listShifts('corruption'), ...listShifts('rendition')].map((s) => s.name);
  const severities = options.severities ?? [1, 2, 3, 4, 5];
  const shiftedCells = shifts.reduce((n, name) => {
    const s = getShift(name);
    return n + ((s.usesSeverity ?? s.family === 'corruption') ? severities.length : 1);
  }, 0);
  const bar = progressFor(options.progress, shiftedCells * shiftSize, 'cloud cells', 'img');
  const cells: ShiftCell[] = [...shiftCells(test, { shifts: [] })];
  if (shifts.length) {
    for (const cell of shiftCells(sample(test, shiftSize, seed), { shifts, severities, seed, clean: false })) {
      cells.push(cell);
      bar.tick(cell.set.n);
    }
  }
  if (hardEnsemble.length) cells.push({ shift: 'hard', family: 'hard', group: 'hard', severity: 0, set: hardSubsetImages(test, cloudHardSubset(csvPath, hardEnsemble)) });
  bar.done();
  return cells;
}

/**
 * Writes the hard subset's file for `ensemble` unless it is already there: trains (or finds) the
 * ensemble's members (of the cloud being built, or the standard ones) and keeps the test images
 * a strict majority of them misclassifies.
 */
async function chooseHardSubset(ensemble: readonly string[], members: readonly CloudMember[], trainMember: (m: CloudMember, index: number, total: number) => Promise<{ folder: string }>, csv: string, threads?: number): Promise<void> {
  const file = hardSubsetPath(csv);
  const existing = readHardSubsetFile(file);
  if (existing && sameEnsemble(existing.ensemble, ensemble)) return;
  // The subset depends on the ensemble and the test set only: the committed one serves any table.
  const committed = readHardSubsetFile(hardSubsetPath(defaultCloudCsv()));
  if (committed && sameEnsemble(committed.ensemble, ensemble)) return writeHardSubsetFile(file, committed);
  const test = fashionMnistSet('test');
  const predictions: Int32Array[] = [];
  for (const [index, name] of ensemble.entries()) {
    const member = members.find((m) => m.name === name) ?? CLOUD_MEMBERS.find((m) => m.name === name);
    if (!member) throw new Error(`editlab: the hard subset's ensemble names "${name}", which is not a cloud member (see \`editlab cloud list\`).`);
    const { folder } = await trainMember(member, index, ensemble.length);
    const model = await loadLayersModel(folder);
    predictions.push((await predictSets(model, [test], { threads }))[0]);
    model.dispose();
  }
  writeHardSubsetFile(file, hardSubsetFileOf(ensemble, hardSubset(test, predictions.map((p) => () => p))));
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
    hardEnsemble: [...(options.hardEnsemble ?? table?.hardEnsemble ?? DEFAULT_HARD_ENSEMBLE)],
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
  /** Trains a member into the work folder, or finds it trained there. */
  const trainMember = async (member: CloudMember, index: number, total: number) => {
    const folder = path.join(work, member.name);
    const trained = await trainToFolder({
      arch: member.arch, out: folder, train: member.trainSize < train.n ? subset(train, Array.from({ length: member.trainSize }, (_, i) => i)) : train,
      epochs: member.epochs, width: member.width, seed: member.seed, workers: settings.workers,
      progress: options.progress && `[${index + 1}/${total}] train ${member.name}`,
      onStep: (step, steps) => options.onProgress?.({ type: 'step', member, index, total, step, steps }),
    });
    return { folder, trained };
  };
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
      if (settings.hardEnsemble.length) await chooseHardSubset(settings.hardEnsemble, members, trainMember, csv, options.threads);
      cells = await cloudCells({ ...settings, csv, progress: options.progress && 'cloud cells' });
      options.onProgress?.({ type: 'cells', cells: cells.length, seconds: (performance.now() - t) / 1000 });
    }
    const { folder, trained } = await trainMember(member, index, total);
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
