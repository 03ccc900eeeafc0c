/**
 * What the explorer's server hands the page, shared by both sides: the URLs of the site, and the
 * image sets as one JSON manifest plus two binaries (float32 images, int32 labels), so the page
 * evaluates exactly the bytes Node prepared. No Node or DOM imports: this module runs in both.
 */
import type { ImageSet } from '../data/image-set';

/** Where every file of the site lives (paths relative to the site's root). */
export const SITE_PATHS = {
  page: 'index.html',
  script: 'app.js',
  style: 'style.css',
  manifest: 'data/explore.json',
  images: 'data/images.f32',
  labels: 'data/labels.i32',
  /** The model's model.json; its weight shards sit beside it under their own names. */
  model: 'model/model.json',
  editManifest: 'edit/edit.json',
  editDeltas: 'edit/deltas.bin',
  /** rewrite's reference images (float32), when the page runs edits itself; fetched only for rewrite. */
  reference: 'data/reference.f32',
  /** editlab's SIMD kernels (dist/kernels.wasm), the same the wasm backend uses in Node. */
  kernels: 'kernels.wasm',
  /** tfjs-backend-wasm's binaries, by their own file names. */
  wasmFolder: 'wasm/',
  /** The study view (`--study`): its page, its script and the figures it shows. */
  studyPage: 'study.html',
  studyScript: 'study.js',
  study: 'data/study.json',
} as const;

/**
 * Which part of the story a set tells (its chart colour and its place in the list); `exemplars`:
 * what an edit run in the page learns from (its images, their originals, their masks), not shown.
 */
export type SetGroup = 'task' | 'clean' | 'shift' | 'exemplars';

/** One image set as the manifest lists it: a slice of the images and labels binaries. */
export interface SetEntry {
  /** The split's name, as `editlab eval --split` names it, or a shift family's. */
  name: string;
  group: SetGroup;
  /** One line saying what the images are. */
  description: string;
  /** Images in the set. */
  n: number;
  /** Index of the set's first image in the binaries. */
  offset: number;
}

/** The manifest the page reads first (data/explore.json). */
export interface ExploreManifest {
  format: 'editlab-explore';
  version: 1;
  /** The model as the user named it (an embedded name or a path). */
  model: string;
  /** The edit served (`--edit`), or null when the page runs one itself (see {@link pick}). */
  edit: { method: string; layers: string[]; changed_params: number; changed_fraction: number; task: string | null; folder: string } | null;
  /** Without `--edit`: the tasks, methods and layers the user picks an edit from, which the page then runs. */
  pick?: PickManifest;
  height: number;
  width: number;
  channels: number;
  classes: string[];
  sets: SetEntry[];
  /** The slider's range and the α it starts at. */
  alpha: { min: number; max: number; step: number; start: number };
  /** File names of the model's weight shards (beside model/model.json). */
  shards: string[];
  /** The study view's page when `--study` is served too (the page links to it). */
  study?: string;
}

/** A task the page can edit with: the sets it shows and the exemplars (indices into the manifest's sets). */
export interface PickTask {
  name: string;
  description: string;
  /** The sets shown and evaluated for an edit on this task, in order. */
  sets: number[];
  /** The exemplars' images, their untransformed originals and their masks (each a set; null: none). */
  exemplars: { images: number; originals: number | null; masks: number | null };
}

/** An edit method as the page offers it: its protocol (the defaults) and the layers it can edit. */
export interface PickMethod {
  name: string;
  description: string;
  steps: number;
  learning_rate: number;
  /** The protocol's layer resolved on the model. */
  layer: string;
  /** The layers it can edit; empty for a method that edits every layer (the layer is then only its protocol's). */
  layers: string[];
}

/** What the page picks an edit from. */
export interface PickManifest {
  tasks: PickTask[];
  methods: PickMethod[];
  /** Seed of the edits (the exemplars were drawn with it). */
  seed: number;
  /** Images in data/reference.f32 (rewrite's second moment, `defaultRewriteReference`). */
  reference: number;
}

/** One figure of the study view: a Vega-Lite spec with the highlight selection added. */
export interface StudyFigure {
  /** The figure's file name in `editlab reproduce` (e.g. 'trade-off'). */
  name: string;
  /** Its number in the paper's order (1–4). */
  number: number;
  /** One line saying what it shows. */
  caption: string;
  /** The field the highlight selects on (method, layer or label), or null when none. */
  field: string | null;
  spec: Record<string, unknown>;
}

/** What the study view reads (data/study.json). */
export interface StudyManifest {
  format: 'editlab-explore-study';
  version: 1;
  /** The study folder as given. */
  study: string;
  models: string[];
  tasks: string[];
  methods: string[];
  alphas: number[];
  jobs: { done: number; total: number };
  cells: number;
  /** Bootstrap resamples of the penalties' intervals. */
  samples: number;
  /** The edit explorer's page when `--edit` is served too. */
  explorer: string | null;
  figures: StudyFigure[];
}

/** An image set with its manifest entry. */
export interface NamedSet {
  entry: SetEntry;
  set: ImageSet;
}

/** The sets of a manifest as image sets viewing the two binaries (no copies). */
export function unpackSets(manifest: ExploreManifest, images: Float32Array, labels: Int32Array): NamedSet[] {
  const size = manifest.height * manifest.width * manifest.channels;
  const total = manifest.sets.reduce((n, s) => n + s.n, 0);
  if (images.length !== total * size || labels.length !== total) {
    throw new Error(`editlab explore: the data holds ${labels.length} labels and ${images.length / size} images; the manifest lists ${total}.`);
  }
  return manifest.sets.map((entry) => ({
    entry,
    set: {
      images: images.subarray(entry.offset * size, (entry.offset + entry.n) * size),
      labels: labels.subarray(entry.offset, entry.offset + entry.n),
      n: entry.n,
      height: manifest.height,
      width: manifest.width,
      channels: manifest.channels,
      classes: manifest.classes,
    },
  }));
}
