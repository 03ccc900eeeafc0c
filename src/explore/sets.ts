/**
 * The explorer's image sets, prepared in Node: the edit task's held-out splits as the edit
 * recorded them, the clean test sample, and that sample under each shift family. Shifts run
 * here, with the library's shift code, because some need Node (jpeg_compression uses sharp);
 * the page receives the resulting float32 pixels, so it sees the very images Node evaluates.
 */
import { fashionMnistSet, firstImages, withImages, type ImageSet } from '../data/image-set';
import { protocolSets, editMetricSplits, EDIT_METRIC_SPLITS, type EditProtocol } from '../edits/metrics';
import { applyShift, listShifts, BENCHMARK_CORRUPTIONS } from '../shifts';
import type { ExploreManifest, NamedSet, SetEntry, SetGroup } from './format';

/** Options of {@link explorerSets}. */
export interface ExplorerSetOptions {
  /** Images per set (the first N of each split; default 200). */
  images?: number;
  /** Severity of the corruptions in the shift families (default 3). */
  severity?: number;
  /** Seed of the shifts (default 0). */
  seed?: number;
}

/** The shift families shown, each a list of registered shifts: ImageNet-C's four groups and the renditions. */
export function shiftFamilies(): { name: string; shifts: string[] }[] {
  const benchmark = listShifts('corruption').filter((s) => BENCHMARK_CORRUPTIONS.includes(s.name));
  const groups = ['noise', 'blur', 'weather', 'digital'] as const;
  return [
    ...groups.map((group) => ({ name: group, shifts: benchmark.filter((s) => s.group === group).map((s) => s.name) })),
    { name: 'renditions', shifts: listShifts('rendition').map((s) => s.name) },
  ];
}

/**
 * A shift family's set: image i of `set` under the family's shift i mod k (k shifts), so every
 * member is represented equally and image i is exactly what `applyShift(member, set)` gives it.
 */
export function familySet(set: ImageSet, shifts: readonly string[], severity: number, seed: number): ImageSet {
  const size = set.height * set.width * set.channels;
  const images = new Float32Array(set.images.length);
  shifts.forEach((name, k) => {
    const shifted = applyShift(name, set.images, set, { severity, seed });
    for (let i = k; i < set.n; i += shifts.length) images.set(shifted.subarray(i * size, (i + 1) * size), i * size);
  });
  return withImages(set, images);
}

/** Whether two sets hold the same labels and pixels. */
export function sameImages(a: ImageSet, b: ImageSet): boolean {
  return a.n === b.n && a.labels.every((l, i) => l === b.labels[i]) && a.images.every((v, i) => v === b.images[i]);
}

function named(name: string, group: SetGroup, description: string, set: ImageSet): NamedSet {
  return { entry: { name, group, description, n: set.n, offset: 0 }, set };
}

/**
 * The sets the page shows, in order: the task's held-out splits (when the edit recorded its
 * protocol), the clean sample, then one set per shift family built from the clean sample.
 * Without a protocol the clean sample is the first N Fashion-MNIST test images.
 */
export function explorerSets(protocol: EditProtocol | undefined, options: ExplorerSetOptions = {}): NamedSet[] {
  const count = options.images ?? 200;
  const severity = options.severity ?? 3;
  const seed = options.seed ?? 0;
  const out: NamedSet[] = [];
  let clean: ImageSet;
  if (protocol) {
    const splits = editMetricSplits(protocolSets(protocol));
    for (const [name, full] of Object.entries(splits)) {
      if (name === EDIT_METRIC_SPLITS.edit_success || name === EDIT_METRIC_SPLITS.original_accuracy) continue;
      const set = firstImages(full, count);
      // A task may list its held-out images again under their own name: show them once.
      const same = out.find((o) => sameImages(o.set, set));
      if (same) {
        same.entry.description += ` (also called "${name}")`;
        continue;
      }
      const what = name === EDIT_METRIC_SPLITS.generalization ? `held-out images of the edited concept (${protocol.task})` : `${protocol.task}: ${name}`;
      out.push(named(name, 'task', what, set));
    }
    clean = firstImages(splits[EDIT_METRIC_SPLITS.original_accuracy], count);
  } else {
    clean = fashionMnistSet('test', count);
  }
  out.push(named('clean', 'clean', 'clean Fashion-MNIST test images (the original task)', clean));
  for (const family of shiftFamilies()) {
    const what = family.name === 'renditions' ? 'the clean images as renditions' : `the clean images under ${family.name} corruptions, severity ${severity}`;
    out.push(named(family.name, 'shift', `${what}: ${family.shifts.join(', ')} in turn`, familySet(clean, family.shifts, severity, seed)));
  }
  return out;
}

/** The sets as one float32 image binary, one int32 label binary and their manifest entries (offsets filled). */
export function packSets(sets: readonly NamedSet[]): { entries: SetEntry[]; images: Float32Array; labels: Int32Array; shape: Pick<ExploreManifest, 'height' | 'width' | 'channels' | 'classes'> } {
  if (!sets.length) throw new Error('editlab explore: no image sets to pack.');
  const first = sets[0].set;
  const size = first.height * first.width * first.channels;
  const total = sets.reduce((n, s) => n + s.set.n, 0);
  const images = new Float32Array(total * size);
  const labels = new Int32Array(total);
  let offset = 0;
  const entries = sets.map(({ entry, set }) => {
    if (set.height !== first.height || set.width !== first.width || set.channels !== first.channels) {
      throw new Error(`editlab explore: set "${entry.name}" has ${set.height}×${set.width}×${set.channels} images, the first set ${first.height}×${first.width}×${first.channels}.`);
    }
    images.set(set.images, offset * size);
    labels.set(set.labels, offset);
    const placed = { ...entry, n: set.n, offset };
    offset += set.n;
    return placed;
  });
  return { entries, images, labels, shape: { height: first.height, width: first.width, channels: first.channels, classes: [...first.classes] } };
}
