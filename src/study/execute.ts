/**
 * Runs one job: makes its edit (trains it, or for 1-layer interpolation interpolates the
 * stored local fine-tuning edit of the same layer), predicts every evaluation set at every α
 * (the layers before the edit once per image), and returns the job's rows for the store.
 */
import type { tf } from '../engine/backend';
import type { Edit } from '../edits/edit';
import { edit as runEditMethod, protocolOptions } from '../edits/registry';
import { interpolateOneLayer } from '../edits/one-layer-interp';
import { accuracyFromCounts } from '../metrics/accuracy';
import { progressFor, type Progress, type ProgressOption } from '../engine/progress';
import { ALL_LAYERS, type StudyJob } from './jobs';
import { imageSetDigest, type EvaluationSets } from './sets';
import type { StudySpec } from './spec';
import { editFromStored, type JobRows, type StoredEdit, type StudyCell } from './store';
import { openAlphaPredictions, packCorrect, type AlphaPredictions, type AlphaPredictionsOptions, type OriginalPredictions } from './sweep';

/** What a job needs besides itself. */
export interface JobContext {
  spec: StudySpec;
  /** The job's model, loaded (not owned: the caller disposes it). */
  model: tf.LayersModel;
  sets: EvaluationSets;
  /** The stored edit of the job this job reuses (`job.reuses`), as data. */
  source?: StoredEdit;
  /** The original model's predictions, shared by the model's jobs as their α = 0 (else each job computes its own). */
  original?: OriginalPredictions;
  /** Evaluation engine and ONNX Runtime threads. */
  evaluation?: Pick<AlphaPredictionsOptions, 'engine' | 'threads' | 'spinning'>;
  /** Bars for the edit's steps and the sweep's cells. */
  progress?: ProgressOption;
  /** The compute backend's name, recorded with the job. */
  backend: string;
}

/** The job's edit: trained with its method's protocol, or derived from the stored edit it reuses. */
async function makeEdit(job: StudyJob, ctx: JobContext): Promise<Edit> {
  const task = ctx.sets.task(job.task, job.seed);
  const { name } = job.method;
  const train = (method: string) => runEditMethod(ctx.model, task.editSet, method, {
    ...protocolOptions(job.method), layer: job.layer, seed: job.seed, progress: ctx.progress && `edit: ${name} ${job.layer === ALL_LAYERS ? 'all layers' : job.layer}`,
  });
  if (name !== 'one-layer-interp') return train(name);
  if (job.reuses && ctx.source?.job_id !== job.reuses) throw new Error(`job ${job.id} reuses job ${job.reuses}, whose stored edit was not given.`);
  const local = job.reuses ? editFromStored(ctx.source!, ctx.model) : await train('local-ft');
  try {
    const result = await interpolateOneLayer(local, ctx.sets.validation(job.task, job.seed));
    if (job.reuses) result.info.reused = job.reuses;
    return result;
  } finally {
    local.dispose();
  }
}

/**
 * Runs a job: its edit, then every evaluation set at every α, scored per example.
 * @returns the rows to commit (see `commitStudyJob`)
 */
export async function runStudyJob(job: StudyJob, ctx: JobContext): Promise<JobRows> {
  const started = performance.now();
  const edit = await makeEdit(job, ctx);
  const editSeconds = (performance.now() - started) / 1000;
  const { alphas } = ctx.spec;
  const rows: JobRows = {
    edit: {
      layers: edit.layers.join('+'), changed_params: edit.changedParams, changed_fraction: edit.changedFraction, seconds: editSeconds,
      protocol: { task: job.task, method: job.method, layer: job.layer, seed: job.seed }, info: edit.info,
    },
    weights: edit.changes.map((c) => ({ weight_index: c.index, layer: c.layer, shape: c.edited.shape, edited: Float32Array.from(c.edited.dataSync() as Float32Array) })),
    sets: [], cells: [], bits: [], seconds: 0, sets_seconds: 0, backend: ctx.backend, engine: '',
  };
  // α = 0 is the original model: taken from the shared predictions when there are some.
  const zero = ctx.original ? alphas.indexOf(0) : -1;
  const swept = alphas.filter((_, k) => k !== zero);
  let predictions: AlphaPredictions | undefined;
  let bar: Progress | undefined;
  try {
    if (swept.length) predictions = await openAlphaPredictions(edit, swept, ctx.evaluation);
    rows.engine = predictions?.engine ?? '';
    const images = ctx.progress ? alphas.length * await ctx.sets.imageCount(job.task, job.seed) : 0;
    bar = progressFor(ctx.progress, images, `sweep: ${job.method.name} ${job.layer} × ${alphas.length} α`, 'img');
    const sets = ctx.sets.forJob(job.task, job.seed);
    for (;;) {
      const making = performance.now();
      const next = await sets.next();
      rows.sets_seconds += (performance.now() - making) / 1000;
      if (next.done) break;
      const s = next.value;
      if (s.images.n === 0) continue; // e.g. a hard subset nothing is hard enough for: no accuracy to report
      const tick = (n: number) => bar!.tick(n);
      const digest = imageSetDigest(s.images);
      const perAlpha = predictions ? await predictions.predict(s.images, tick) : [];
      if (zero >= 0) perAlpha.splice(zero, 0, await ctx.original!.predict(s.images, digest, tick));
      rows.sets.push({ set: s.set, family: s.family, severity: s.severity, n: s.images.n, sha256: digest });
      perAlpha.forEach((predicted, k) => {
        const { bits, correct } = packCorrect(predicted, s.images.labels);
        const a = accuracyFromCounts(correct, s.images.n);
        const cell: StudyCell = {
          model: job.model, task: job.task.name, method: job.method.name, layer: job.layer, seed: job.seed, alpha: alphas[k],
          set: s.set, family: s.family, severity: s.severity, accuracy: a.accuracy, n: a.n, correct, ci_lo: a.ci_lo, ci_hi: a.ci_hi,
        };
        rows.cells.push(cell);
        rows.bits.push(bits);
      });
    }
    rows.engine ||= ctx.original?.engine ?? '';
  } finally {
    bar?.done();
    await predictions?.close();
    edit.dispose();
  }
  rows.seconds = (performance.now() - started) / 1000;
  return rows;
}
