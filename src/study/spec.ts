/**
 * The study spec: which models, tasks, methods (each with its training protocol), layers, α
 * values, evaluation sets, images per set and seeds make up a study. Specs are data (JSON or a
 * TS object); {@link validateStudySpec} checks one and fills in the defaults, with errors that
 * name the field and the expected form. The first stage of the study pipeline
 * (spec → jobs → run → store → stats).
 */
// The edits index, not the registry alone: importing it registers every method.
import { getEditMethod, listEditMethods, listTasks } from '../edits';
import { BENCHMARK_CORRUPTIONS, listShifts } from '../shifts';
import { listEmbeddedModels } from '../models/embedded';
import { LAYER_DEPTHS } from '../models/surgery';
import { cloudHardSubset, sameEnsemble } from '../cloud/hard-subset';

/** How one method is trained: its name and protocol (the options `edit()` gets). */
export interface StudyMethod {
  name: string;
  /** Optimisation steps. */
  steps: number;
  learning_rate: number;
  /** Rank r (rewrite, lowrank). */
  rank?: number;
  /** rewrite: whiten with the covariance instead of the raw second moment. */
  center?: boolean;
  /** rewrite: projection interval in steps. */
  project_every?: number;
}

/** An editing task and the size of its edit set. */
export interface StudyTask {
  name: string;
  /** Edit exemplars (the edit set). */
  exemplars: number;
}

/** The evaluation sets of every job. */
export interface StudySets {
  /** The clean test sample. */
  clean: boolean;
  /** Corruptions evaluated at every severity below. */
  corruptions: string[];
  /** Corruption severities (1–5; default all five). */
  severities: number[];
  /** Renditions (no severity). */
  renditions: string[];
  /**
   * The models whose strict majority must misclassify a test image for it to be in the hard
   * subset: the cloud's ensemble (its committed subset; `hard: true`) or embedded models, never a
   * model the study edits; [] = no hard set.
   */
  hard: string[];
  /** Each task's own sets: its exemplars (edit success) and its held-out splits. */
  task_splits: boolean;
  /** Test images per held-out split of a task (default `images`). */
  task_images: number;
  /**
   * Test images per corruption × severity and per rendition, by family (default `images`). Each
   * shifted set takes the next slice of the clean sample (wrapping round), so a family's sets
   * together cover the whole sample, while the clean set, whose accuracy places every shift's
   * baseline, keeps all `images`.
   */
  shift_images: ShiftImages;
}

/** Images per shifted set, by shift family. */
export interface ShiftImages {
  corruption: number;
  rendition: number;
}

/** A complete, validated study spec (every default filled in): what {@link validateStudySpec} returns. */
export interface StudySpec {
  /** Embedded model names, or model folders. */
  models: string[];
  tasks: StudyTask[];
  methods: StudyMethod[];
  /** Layer names, or `early`, `middle`, `late` (resolved per model). */
  layers: string[];
  /** Interpolation coefficients: 0 = original, 1 = edited, > 1 extrapolates. */
  alphas: number[];
  sets: StudySets;
  /** Test images per evaluation set (a seeded sample; task splits draw this many per split). */
  images: number;
  /** Seeds: each seed draws the task's exemplars and held-out splits and seeds the edit's training. */
  seeds: number[];
  /** Seed of the test sample and of the corruptions' randomness (the same images for every job). */
  sample_seed: number;
}

/** What a spec file may hold: {@link StudySpec} with shorthands (a method or task by name, `"all"`, `hard: true`) and omitted defaults. */
export interface StudySpecInput {
  models?: string[];
  tasks?: Array<string | Partial<StudyTask>>;
  methods?: Array<string | Partial<StudyMethod>>;
  layers?: string[];
  alphas?: number[];
  sets?: Partial<Omit<StudySets, 'corruptions' | 'renditions' | 'hard' | 'shift_images'>> & {
    /** One number for both families, or per family (an omitted family gets `images`). */
    shift_images?: number | Partial<ShiftImages>;
    corruptions?: string[] | 'all' | 'benchmark';
    renditions?: string[] | 'all';
    hard?: boolean | string[];
  };
  images?: number;
  seeds?: number[];
  sample_seed?: number;
}


/** A method's protocol fields in a study, their defaults, and how its jobs are formed (data). */
export interface MethodProtocolDefinition {
  /** Default protocol (every field a spec may set for this method). */
  defaults: Omit<StudyMethod, 'name'>;
  /** One job per model, task and seed, not per layer (the method edits every layer). */
  layerIndependent?: boolean;
  /** The method interpolates the edit of this method on the same layer; a study reuses that job's edit. */
  reuses?: string;
}

/** A method's study protocol: its registry entry's protocol without the layer and exemplars (a spec's layers and tasks set those). */
export function methodProtocol(name: string): MethodProtocolDefinition {
  const method = getEditMethod(name);
  const { layer: _layer, exemplars: _exemplars, ...defaults } = method.protocol;
  return { defaults, layerIndependent: method.layerIndependent, reuses: method.reuses };
}

/** The protocols of every registered method, by name (data from the edit methods' registry). */
export const METHOD_PROTOCOLS: Readonly<Record<string, MethodProtocolDefinition>> = Object.fromEntries(listEditMethods().map((m) => [m.name, methodProtocol(m.name)]));

const ELEVEN_ALPHAS = Array.from({ length: 11 }, (_, i) => i / 10);

/**
 * The full default study (the paper's grid on the embedded data): the three embedded models ×
 * the three tasks × the six methods × early/middle/late layers × 11 α (144 jobs: `interp` is one
 * job per model and task), on 1 000 clean test images; the 19 corruptions at 5 severities on 11
 * images each and the 6 renditions on 167 each, every set the next slice of the clean sample
 * (1 045 and 1 002 images per family, covering all 1 000); the cloud's hard subset (up to
 * 1 000); each task's exemplars and its four held-out splits of 100 images. Every shift family
 * thus has at least 1 000 images, and 4 511 images are evaluated per α of a job.
 * About half an hour with two workers on a 2-core CPU (`editlab reproduce --out DIR`; README).
 */
export const DEFAULT_STUDY_SPEC: StudySpecInput = {
  models: ['vgg-small', 'resnet-small', 'vit-tiny'],
  tasks: [{ name: 'snow-background', exemplars: 64 }, { name: 'concept-style', exemplars: 64 }, { name: 'digit-patching', exemplars: 64 }],
  methods: ['rewrite', 'lowrank', 'local-ft', 'global-ft', 'one-layer-interp', 'interp'].map((name) => ({ name, ...methodProtocol(name).defaults })),
  layers: [...LAYER_DEPTHS],
  alphas: ELEVEN_ALPHAS,
  sets: { clean: true, corruptions: 'all', severities: [1, 2, 3, 4, 5], renditions: 'all', hard: true, task_splits: true, task_images: 100, shift_images: { corruption: 11, rendition: 167 } },
  images: 1000,
  seeds: [0],
  sample_seed: 0,
};

/**
 * The quick study (≈ 2–3 minutes on a 2-core CPU; `editlab reproduce --quick`): the embedded
 * vgg-small, the snow-background task, local fine-tuning and 1-layer interpolation (reusing it)
 * at 40 steps, rewriting at 100 and global fine-tuning at 40, at the middle and late layers; 5 α;
 * clean, two corruptions at severity 3, one rendition, the cloud's hard subset and the task's
 * splits, 300 images each. 8 jobs.
 */
export const QUICK_STUDY_SPEC: StudySpecInput = {
  models: ['vgg-small'],
  tasks: [{ name: 'snow-background', exemplars: 32 }],
  methods: [
    // The protocols with fewer steps, to stay quick (the same for local-ft and 1-LI, so 1-LI reuses the local-ft edit).
    { name: 'local-ft', ...METHOD_PROTOCOLS['local-ft'].defaults, steps: 40 },
    { name: 'one-layer-interp', ...METHOD_PROTOCOLS['one-layer-interp'].defaults, steps: 40 },
    { name: 'rewrite', ...METHOD_PROTOCOLS.rewrite.defaults, steps: 100 },
    { name: 'global-ft', ...METHOD_PROTOCOLS['global-ft'].defaults, steps: 40 },
  ],
  layers: ['middle', 'late'],
  alphas: [0, 0.25, 0.5, 0.75, 1],
  sets: { clean: true, corruptions: ['gaussian_noise', 'fog'], severities: [3], renditions: ['sketch'], hard: true, task_splits: true },
  images: 300,
  seeds: [0],
  sample_seed: 0,
};

/** A spec error: names the field, what it must be, and what it was. */
function fail(field: string, expected: string, got?: unknown): never {
  const text = typeof got === 'number' && !Number.isFinite(got) ? String(got) : (JSON.stringify(got) ?? String(got));
  const shown = got === undefined ? '' : `, got ${text}`;
  throw new Error(`editlab study: ${field} must be ${expected}${shown}.`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rejects keys outside `allowed`, naming the first unknown one. */
function checkKeys(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const unknown = Object.keys(value).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new Error(`editlab study: ${where ? `${where}.` : ''}${unknown} is not a spec field; ${where || 'the spec'} takes ${allowed.join(', ')}.`);
}

function list<T>(value: unknown, field: string, what: string, each: (item: unknown, field: string) => T, allowEmpty = false): T[] {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0)) fail(field, `a${allowEmpty ? '' : ' non-empty'} list of ${what}`, value);
  const out = value.map((item, i) => each(item, `${field}[${i}]`));
  const keyOf = (x: T) => JSON.stringify(isObject(x) ? (x as { name?: unknown }).name : x);
  out.forEach((x, i) => {
    const first = out.findIndex((y) => keyOf(y) === keyOf(x));
    if (first !== i) throw new Error(`editlab study: ${field}[${i}] repeats ${field}[${first}] (${keyOf(x)}); each may appear once.`);
  });
  return out;
}

function integer(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function oneOf(value: unknown, field: string, names: readonly string[], what: string): string {
  if (typeof value !== 'string' || !names.includes(value)) fail(field, `${what}: one of ${names.join(', ')}`, value);
  return value as string;
}

function validateMethod(value: unknown, field: string): StudyMethod {
  const names = listEditMethods().map((m) => m.name);
  const given = typeof value === 'string' ? { name: value } : value;
  if (!isObject(given)) fail(field, 'a method name or {name, steps, learning_rate, …}', value);
  const name = oneOf(given.name, `${field}${typeof value === 'string' ? '' : '.name'}`, names, 'an edit method');
  const { defaults } = methodProtocol(name);
  checkKeys(given, ['name', ...Object.keys(defaults)], field);
  const method: StudyMethod = { name, ...defaults };
  if (given.steps !== undefined) method.steps = integer(given.steps, `${field}.steps`, 1);
  if (given.learning_rate !== undefined) {
    if (typeof given.learning_rate !== 'number' || !Number.isFinite(given.learning_rate) || given.learning_rate <= 0) fail(`${field}.learning_rate`, 'a finite number > 0', given.learning_rate);
    method.learning_rate = given.learning_rate;
  }
  if (given.rank !== undefined) method.rank = integer(given.rank, `${field}.rank`, 1);
  if (given.center !== undefined) {
    if (typeof given.center !== 'boolean') fail(`${field}.center`, 'true or false', given.center);
    method.center = given.center;
  }
  if (given.project_every !== undefined) method.project_every = integer(given.project_every, `${field}.project_every`, 1);
  return method;
}

function validateTask(value: unknown, field: string): StudyTask {
  const names = listTasks().map((t) => t.name);
  const given = typeof value === 'string' ? { name: value } : value;
  if (!isObject(given)) fail(field, 'a task name or {name, exemplars}', value);
  checkKeys(given, ['name', 'exemplars'], field);
  const name = oneOf(given.name, `${field}${typeof value === 'string' ? '' : '.name'}`, names, 'an editing task');
  return { name, exemplars: given.exemplars === undefined ? 64 : integer(given.exemplars, `${field}.exemplars`, 1, 10000) };
}

function validateModel(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    fail(field, `an embedded model (${listEmbeddedModels().map((m) => m.name).join(', ')}) or a model folder`, value);
  }
  return value;
}

function validateLayer(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(field, `a layer name or one of ${LAYER_DEPTHS.join(', ')}`, value);
  return value;
}

function validateAlpha(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(field, 'a finite number ≥ 0 (0 = original, 1 = edited, > 1 extrapolates)', value);
  return value;
}

/** A list of shift names of one family, or a group name (`all`; for corruptions also `benchmark`). */
function shiftNames(value: unknown, field: string, family: 'corruption' | 'rendition'): string[] {
  const names = listShifts(family).map((s) => s.name);
  const groups: Record<string, readonly string[]> = family === 'corruption' ? { all: names, benchmark: BENCHMARK_CORRUPTIONS } : { all: names };
  if (typeof value === 'string') {
    if (!(value in groups)) fail(field, `a list of ${family}s or ${Object.keys(groups).map((g) => `"${g}"`).join(' or ')}`, value);
    return [...groups[value]];
  }
  return list(value, field, `${family} names`, (item, f) => oneOf(item, f, names, `a ${family}`), true);
}

/** A hard subset's ensemble: embedded models, or exactly the cloud's (its committed subset). */
function validateHardEnsemble(value: unknown[], field: string): string[] {
  const embedded = listEmbeddedModels().map((m) => m.name);
  if (value.every((m) => embedded.includes(m as string))) return list(value, field, 'embedded model names', (m, f) => oneOf(m, f, embedded, 'an embedded model'), true);
  const cloud = cloudHardSubset().ensemble;
  if (sameEnsemble(value as string[], cloud)) return cloud;
  return list(value, field, `embedded model names, or the cloud's ensemble ${JSON.stringify(cloud)} (or true)`, (m, f) => oneOf(m, f, embedded, 'an embedded model'), true);
}

function validateSets(value: unknown, field: string, images: number): StudySets {
  if (!isObject(value)) fail(field, 'an object {clean, corruptions, severities, renditions, hard, task_splits, task_images, shift_images}', value);
  checkKeys(value, ['clean', 'corruptions', 'severities', 'renditions', 'hard', 'task_splits', 'task_images', 'shift_images'], field);
  const flag = (key: string, fallback: boolean) => {
    const v = value[key];
    if (v !== undefined && typeof v !== 'boolean') fail(`${field}.${key}`, 'true or false', v);
    return v === undefined ? fallback : (v as boolean);
  };
  const corruptions = value.corruptions === undefined ? [] : shiftNames(value.corruptions, `${field}.corruptions`, 'corruption');
  const severities = value.severities === undefined ? [1, 2, 3, 4, 5] : list(value.severities, `${field}.severities`, 'severities 1–5', (s, f) => integer(s, f, 1, 5));
  const renditions = value.renditions === undefined ? [] : shiftNames(value.renditions, `${field}.renditions`, 'rendition');
  let hard: string[] = [];
  if (value.hard === true) hard = cloudHardSubset().ensemble;
  else if (Array.isArray(value.hard) && value.hard.length) hard = validateHardEnsemble(value.hard, `${field}.hard`);
  else if (value.hard !== undefined && value.hard !== false && !(Array.isArray(value.hard) && !value.hard.length)) fail(`${field}.hard`, 'true (the cloud\'s hard subset), false or a list of embedded model names (the ensemble)', value.hard);
  const sets: StudySets = {
    clean: flag('clean', true), corruptions, severities, renditions, hard, task_splits: flag('task_splits', true),
    task_images: value.task_images === undefined ? images : integer(value.task_images, `${field}.task_images`, 1, images), shift_images: validateShiftImages(value.shift_images, `${field}.shift_images`, images),
  };
  if (!sets.clean && !corruptions.length && !renditions.length && !hard.length && !sets.task_splits) fail(field, 'at least one evaluation set (clean, corruptions, renditions, hard or task_splits)', value);
  return sets;
}

function validateShiftImages(value: unknown, field: string, images: number): ShiftImages {
  if (value === undefined || typeof value === 'number') {
    const n = value === undefined ? images : integer(value, field, 1, images);
    return { corruption: n, rendition: n };
  }
  if (!isObject(value)) fail(field, `an integer from 1 to ${images} (\`images\`), or {corruption, rendition} of such integers`, value);
  checkKeys(value, ['corruption', 'rendition'], field);
  const each = (family: keyof ShiftImages) => (value[family] === undefined ? images : integer(value[family], `${field}.${family}`, 1, images));
  return { corruption: each('corruption'), rendition: each('rendition') };
}

const SPEC_FIELDS = ['models', 'tasks', 'methods', 'layers', 'alphas', 'sets', 'images', 'seeds', 'sample_seed'] as const;

/**
 * Checks a study spec and returns it complete: shorthands expanded (a method or task by name
 * gets its default protocol, `"all"` lists the shifts, `hard: true` names the cloud's
 * hard-subset ensemble), omitted fields set to their defaults ({@link DEFAULT_STUDY_SPEC}'s, except `sets`,
 * whose omitted families are off). Errors name the field, e.g.
 * `editlab study: alphas[2] must be a finite number ≥ 0 …, got -1.`
 * Model layers are checked when the jobs are planned (they depend on the model).
 * @param input the spec (a parsed study.json, or a TS object)
 * @returns the validated spec
 */
export function validateStudySpec(input: unknown): StudySpec {
  if (!isObject(input)) fail('the spec', 'a JSON object with fields ' + SPEC_FIELDS.join(', '), input);
  checkKeys(input, SPEC_FIELDS, '');
  const d = DEFAULT_STUDY_SPEC;
  const field = <K extends (typeof SPEC_FIELDS)[number]>(k: K) => (input[k] === undefined ? d[k] : input[k]);
  const spec: StudySpec = {
    models: list(field('models'), 'models', 'model names', validateModel),
    tasks: list(field('tasks'), 'tasks', 'tasks', validateTask),
    methods: list(field('methods'), 'methods', 'methods', validateMethod),
    layers: list(field('layers'), 'layers', `layer names or ${LAYER_DEPTHS.join('/')}`, validateLayer),
    alphas: list(field('alphas'), 'alphas', 'numbers ≥ 0', validateAlpha),
    sets: validateSets(field('sets'), 'sets', integer(field('images'), 'images', 1, 10000)),
    images: integer(field('images'), 'images', 1, 10000),
    seeds: list(field('seeds'), 'seeds', 'integers ≥ 0', (s, f) => integer(s, f, 0, 0xffffffff)),
    sample_seed: integer(field('sample_seed'), 'sample_seed', 0, 0xffffffff),
  };
  const chooser = spec.sets.hard.find((m) => spec.models.includes(m));
  // A subset the edited model chose starts it below the line: almost any edit would then score as a gain.
  if (chooser) fail('sets.hard', `an ensemble without the models the study edits (${chooser} is one; \`hard: true\` uses the cloud's ensemble)`, spec.sets.hard);
  return spec;
}

/** One field where two specs differ: its path and both values. */
export interface SpecDifference {
  /** e.g. `alphas`, `methods[1].steps`. */
  field: string;
  stored: unknown;
  given: unknown;
}

/** The fields where two (validated) specs differ, as paths into the spec. */
export function specDifferences(stored: unknown, given: unknown, at = ''): SpecDifference[] {
  if (JSON.stringify(stored) === JSON.stringify(given)) return [];
  // Lists of scalars (alphas, seeds, shift names) read better whole than element by element.
  const scalars = (v: unknown) => Array.isArray(v) && v.every((x) => !isObject(x) && !Array.isArray(x));
  if (isObject(stored) && isObject(given)) {
    const keys = [...new Set([...Object.keys(stored), ...Object.keys(given)])];
    return keys.flatMap((k) => specDifferences(stored[k], given[k], at ? `${at}.${k}` : k));
  }
  if (Array.isArray(stored) && Array.isArray(given) && stored.length === given.length && !(scalars(stored) && scalars(given))) {
    return stored.flatMap((s, i) => specDifferences(s, given[i], `${at}[${i}]`));
  }
  return [{ field: at || 'the spec', stored, given }];
}

/** The differences as one readable line each: `alphas: [0,0.5,1] in the study, [0,1] given`. */
export function formatSpecDifferences(differences: readonly SpecDifference[]): string {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  return differences.map((d) => `  ${d.field}: ${show(d.stored)} in the study, ${show(d.given)} given`).join('\n');
}
