import { backendInfo } from '../engine/backend';
import { setUnfusedConvGradients } from '../engine/gradients';
import { buildModel, listEmbeddedModels, resolveModel } from '../models';
import { edit, listEditMethods, snowBackgroundTask } from '../edits';
import type { ProgressOption } from '../engine/progress';

/** One method's timing in `editlab bench --edits`. */
export interface EditTiming {
  method: string;
  model: string;
  layer: string;
  exemplars: number;
  /** Steps asked for (null: the method's default). */
  steps: number | null;
  seconds: number;
  changed_params: number;
  /** With --fused-baseline: the same edit with tfjs's fused convolution gradients (every input's), right after. */
  fused_baseline_seconds?: number;
}

/** Options of {@link benchEdits}. */
export interface EditBenchOptions {
  log?: (line: string) => void;
  /** Optimisation steps of every method (default: each method's own). */
  steps?: number;
  /** A progress bar per edit, in steps (see {@link ProgressOption}). Default none. */
  progress?: ProgressOption;
  /** Also time each edit with tfjs's fused convolution gradients (see `setUnfusedConvGradients`). */
  fusedBaseline?: boolean;
}

/**
 * Times one edit per method on the snow-background task (64 exemplars, default steps) of the
 * first embedded model, or of an untrained reference CNN when none is embedded (timing does
 * not depend on the weights).
 */
export async function benchEdits(options: EditBenchOptions = {}): Promise<EditTiming[]> {
  const log = options.log ?? (() => {});
  await backendInfo();
  const embedded = listEmbeddedModels()[0];
  const model = embedded ? (await resolveModel(embedded.name)).model : buildModel('reference-cnn');
  const name = embedded?.name ?? 'reference-cnn (untrained)';
  const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D');
  const layer = convs[Math.floor((convs.length - 1) / 2)].name;
  const task = snowBackgroundTask({ exemplars: 64, testSize: 10, seed: 0 });
  const timings: EditTiming[] = [];
  for (const method of listEditMethods().map((m) => m.name)) {
    log(`timing ${method} on ${name} at ${layer}`);
    const timed = async () => {
      const started = performance.now();
      const result = await edit(model, task.editSet, method, { layer, steps: options.steps, progress: options.progress });
      const seconds = (performance.now() - started) / 1000;
      const changed = result.changedParams;
      result.dispose();
      return { seconds, changed };
    };
    const { seconds, changed } = await timed();
    const timing: EditTiming = { method, model: name, layer, exemplars: task.editSet.n, steps: options.steps ?? null, seconds, changed_params: changed };
    if (options.fusedBaseline) {
      log(`timing ${method} again with tfjs's fused convolution gradients`);
      const was = setUnfusedConvGradients(false);
      try {
        timing.fused_baseline_seconds = (await timed()).seconds;
      } finally {
        setUnfusedConvGradients(was);
      }
    }
    timings.push(timing);
  }
  model.dispose();
  return timings;
}
