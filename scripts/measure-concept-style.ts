/**
 * Measures how the embedded models classify every class re-rendered in every concept style, to
 * choose the concept–style task's pairing (a class and train style the models get wrong before
 * editing, so an edit has something to fix).
 *
 *   npx tsx scripts/measure-concept-style.ts [--n 200] [--seed 0]
 *
 * For each class 0..9 × each style in CONCEPT_STYLES, renders `n` seeded test images of that class
 * in that style (renderStyle, as the task does) and runs vgg-small, resnet-small and vit-tiny on
 * them. Writes datasets/tasks/concept-style-pairings.csv (class, class_name, style, model,
 * accuracy, n) and prints, per (class, style), the highest accuracy over the three models, with
 * each class's accuracy from its silhouette alone (printed only: the lowest over the models on the
 * object filled flat, so a class the models cannot tell from the mask is not chosen), then
 * each model's accuracy on the default task's target splits (the numbers in
 * CONCEPT_STYLE_BEFORE_ACCURACY).
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { tf, useBackend } from '../src/engine/backend';
import { fashionMnistSet, sample, withImages, type ImageSet } from '../src/data/image-set';
import { packageRoot } from '../src/data/paths';
import { CONCEPT_STYLES, conceptStyleTask, renderStyle } from '../src/edits/tasks/concept-style';
import { resolveModel, predict } from '../src/models';
import { accuracy } from '../src/metrics/accuracy';
import { writeCsv } from '../src/frames';

/** The embedded models every pairing is measured on. */
const MODELS = ['vgg-small', 'resnet-small', 'vit-tiny'] as const;

/** One measured cell of the table (a type alias, so it is a frames Row as it stands). */
type PairingRow = {
  class: number;
  class_name: string;
  style: string;
  model: string;
  accuracy: number;
  n: number;
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: 'string', default: '200' }, seed: { type: 'string', default: '0' } } });
  const n = Number(values.n), seed = Number(values.seed);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`editlab: --n must be a positive integer, got "${values.n}".`);
  // The tests' backend: deterministic, no native TensorFlow needed.
  await useBackend('wasm');
  const test = fashionMnistSet('test');
  const styles = Object.keys(CONCEPT_STYLES);
  const models = await Promise.all(MODELS.map(async (name) => ({ name, model: (await resolveModel(name)).model })));
  const rows: PairingRow[] = [];
  const maskOnly = new Map<number, number>();
  for (let cls = 0; cls < test.classes.length; cls++) {
    // The same images for every style, so styles compare on equal terms.
    const images = sample(test, n, seed + cls, (l) => l === cls);
    const flat = silhouette(images);
    maskOnly.set(cls, Math.min(...models.map(({ model }) => accuracy(predict(model, flat).predicted, flat.labels).accuracy)));
    for (const style of styles) {
      const styled = renderStyle(images, style);
      for (const { name, model } of models) {
        const acc = accuracy(predict(model, styled).predicted, styled.labels).accuracy;
        rows.push({ class: cls, class_name: test.classes[cls], style, model: name, accuracy: acc, n });
      }
    }
  }
  const file = path.join(packageRoot(), 'datasets', 'tasks', 'concept-style-pairings.csv');
  await writeCsv(file, rows, ['class', 'class_name', 'style', 'model', 'accuracy', 'n']);
  printSummary(rows, styles, maskOnly);
  printDefaultTask(models);
  for (const { model } of models) model.dispose();
  console.log(`\nwrote ${path.relative(process.cwd(), file)} (${rows.length} rows)`);
}

/** The object's region (the pixels renderStyle re-renders) filled flat at 0.6: its shape, no shading. */
function silhouette(set: ImageSet): ImageSet {
  return withImages(set, set.images.map((v) => (v >= 0.15 ? 0.6 : v)));
}

/**
 * Per (class, style): the highest accuracy over the models, the candidates (< 0.30) marked; and
 * per class the lowest accuracy over the models from the silhouette alone.
 */
function printSummary(rows: readonly PairingRow[], styles: readonly string[], maskOnly: ReadonlyMap<number, number>): void {
  const best = new Map<string, number>();
  for (const r of rows) best.set(`${r.class}/${r.style}`, Math.max(best.get(`${r.class}/${r.style}`) ?? 0, r.accuracy));
  const pad = (s: string, w: number) => s.padEnd(w);
  console.log('max accuracy over models (* < 0.30: a candidate train style)');
  console.log(pad('class', 16) + styles.map((s) => pad(s, 10)).join('') + '| mask only (min over models)');
  const classes = [...new Map(rows.map((r) => [r.class, r.class_name])).entries()];
  for (const [cls, name] of classes) {
    const cells = styles.map((s) => {
      const a = best.get(`${cls}/${s}`)!;
      return pad(a.toFixed(3) + (a < 0.3 ? '*' : ''), 10);
    });
    console.log(pad(`${cls} ${name}`, 16) + cells.join('') + `| ${maskOnly.get(cls)!.toFixed(3)}`);
  }
}

/** Each model's accuracy on the default task's target splits, before any edit. */
function printDefaultTask(models: readonly { name: string; model: tf.LayersModel }[]): void {
  const task = conceptStyleTask();
  console.log(`\ndefault task, before editing: ${task.description}`);
  for (const split of ['target, train style', 'target, held-out styles']) {
    const set = task.splits![split];
    for (const { name, model } of models) {
      const a = accuracy(predict(model, set).predicted, set.labels);
      console.log(`  ${split.padEnd(24)} ${name.padEnd(13)} ${a.correct}/${a.n} = ${(100 * a.accuracy).toFixed(1)}%`);
    }
  }
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exitCode = 1;
});
