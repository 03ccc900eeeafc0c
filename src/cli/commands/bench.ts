import { QUIET_OPTION, imagesOptions, parseBackend, parseImages, parseInteger, printJson, stderrOf, type Command } from '../command';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'training and inference throughput of the reference CNN, against the tfjs cpu backend',
  usage: `editlab bench [--json] [--quiet] [--backend auto|wasm|cpu|tensorflow] [--steps N] [--workers N] [--baseline-batch N]
                     [--profile] [--sweep [--sweep-alphas N] [--sweep-sets N] [--images N] [--sweep-threads N]]
       editlab bench --shifts [--images N] [--json] [--quiet]
       editlab bench --edits [--steps N] [--fused-baseline] [--json] [--quiet]
       editlab bench --study [--spec quick|default|FILE] [--modes process,workers,queue] [--workers N]
                     [--memory-jobs N] [--json] [--quiet]

  Trains the reference CNN (conv32-conv32-pool-conv64-conv64-pool-fc128-fc10, 28×28×1,
  batch 128, SGD) and runs inference on the selected backend; the tfjs cpu backend is
  measured in the same run as the baseline (one step). Where the wasm backend's convolutions
  run on ONNX Runtime (onnx_kernels), the same backend on its SIMD kernels alone is measured
  too (simd_only), with the training ratio; on wasm, also with every convolution computed
  directly instead of 3×3 ones by Winograd's F(4×4, 3×3) (simd_direct), with both ratios. --workers N also measures
  data-parallel training on N worker threads (one backend instance each, gradients averaged).
  --baseline-batch N sets the cpu baseline's batch (default 8: its one step takes seconds
  per image). --profile adds the kernel times of one training step ([{kernel, ms}], largest first).
  ONNX Runtime inference of the same CNN is measured on one thread and on every core
  (onnx_infer_img_per_s, onnx_infer_img_per_s_all). --sweep also times an interpolation
  sweep's evaluation (default 11 α × 20 noisy test sets × --images 1000 images per set,
  --sweep-images is an alias; conv4 edited) on
  ONNX Runtime (--sweep-threads, default every core) and on the tfjs backend, and reports
  the ratio.
  --shifts instead times every corruption × severity (19 × 5, preset small) on the first
  --images N Fashion-MNIST test images (default all 10 000), one thread, in images per second
  (target: all 10 000 in under 2 minutes).
  --edits instead times one edit per method (snow-background task, 64 exemplars, --steps N or
  each method's default) of the first embedded model at its middle conv layer (target: ≤ 30 s
  each).
  --study instead runs a study spec (default the quick one) in this process, with --workers N
  local worker processes (default 2), and on a BullMQ queue on a private redis-server with N
  \`editlab worker\`s, and reports per mode jobs, cells, seconds, images evaluated per second,
  the shares of job time spent training edits, making shifted sets and evaluating, the speed-up
  over the one-process run and whether its cells equal it; then a cheap study of ≥ --memory-jobs
  jobs (default 200; 0: none) in this process with tf.memory().numTensors, the RSS and the JS heap
  after jobs 1, 10, 50, 100, 200, each after a full garbage collection, and the RSS's and heap's
  trend (least-squares MiB per 100 jobs from job 10). Progress of every timed loop on stderr; --quiet: none.`,
  options: { json: { type: 'boolean' }, backend: { type: 'string' }, steps: { type: 'string' }, workers: { type: 'string' }, 'baseline-batch': { type: 'string' }, profile: { type: 'boolean' }, sweep: { type: 'boolean' }, 'sweep-alphas': { type: 'string' }, 'sweep-sets': { type: 'string' }, ...imagesOptions('sweep-images'), 'sweep-threads': { type: 'string' }, shifts: { type: 'boolean' }, edits: { type: 'boolean' }, study: { type: 'boolean' }, 'fused-baseline': { type: 'boolean' }, spec: { type: 'string' }, modes: { type: 'string' }, 'memory-jobs': { type: 'string' }, ...QUIET_OPTION },
  async run(v) {
    const stderr = stderrOf(v);
    if (v.shifts) {
      const { benchShifts, formatShiftBench } = await import('../../bench/shifts');
      const images = parseImages(v, ['sweep-images'], 10000);
      if (images < 1 || images > 10000) throw new Error(`bench: --images must be from 1 to 10000 with --shifts, got ${images}.`);
      const report = benchShifts({ images, log: stderr.log, progress: stderr.progress });
      if (v.json) printJson(report);
      else console.log(formatShiftBench(report));
      return 0;
    }
    if (v.study) {
      const { benchStudy, formatStudyBench } = await import('../../bench/study');
      const { DEFAULT_STUDY_SPEC, QUICK_STUDY_SPEC, readStudySpecFile } = await import('../../study');
      const name = typeof v.spec === 'string' ? v.spec : 'quick';
      const spec = name === 'quick' ? QUICK_STUDY_SPEC : name === 'default' ? DEFAULT_STUDY_SPEC : readStudySpecFile(name);
      const modes = typeof v.modes === 'string' ? v.modes.split(',').map((m) => m.trim()) : undefined;
      const unknown = modes?.filter((m) => !['process', 'workers', 'queue'].includes(m)) ?? [];
      if (unknown.length) throw new Error(`bench: --modes takes process, workers and queue, got ${unknown.join(', ')}.`);
      const report = await benchStudy({
        spec, specName: name, modes: modes as Array<'process' | 'workers' | 'queue'> | undefined,
        workers: v.workers === undefined ? undefined : Math.max(1, parseInteger(v.workers, 'workers', 2)),
        memoryJobs: v['memory-jobs'] === undefined ? undefined : parseInteger(v['memory-jobs'], 'memory-jobs', 200),
        log: stderr.log, progress: stderr.progress,
      });
      if (v.json) printJson(report);
      else console.log(formatStudyBench(report));
      return 0;
    }
    if (v.edits) {
      const { benchEdits } = await import('../../bench/edits');
      const edits = await benchEdits({ log: stderr.log, progress: stderr.progress, fusedBaseline: Boolean(v['fused-baseline']), steps: v.steps === undefined ? undefined : Math.max(1, parseInteger(v.steps, 'steps', 1)) });
      if (v.json) printJson({ edits });
      else for (const e of edits) {
        const baseline = e.fused_baseline_seconds === undefined ? '' : `; fused gradients ${e.fused_baseline_seconds.toFixed(1)} s (${(e.fused_baseline_seconds / e.seconds).toFixed(2)}×)`;
        console.log(`${e.method.padEnd(18)} ${e.seconds.toFixed(1).padStart(6)} s  ${e.model} at ${e.layer}, ${e.changed_params} parameters changed${baseline}`);
      }
      return 0;
    }
    const { bench } = await import('../../bench/train-infer');
    const steps = Math.max(1, parseInteger(v.steps, 'steps', 8));
    const workers = parseInteger(v.workers, 'workers', 1);
    const sweep = v.sweep ? { alphas: Math.max(1, parseInteger(v['sweep-alphas'], 'sweep-alphas', 11)), sets: Math.max(1, parseInteger(v['sweep-sets'], 'sweep-sets', 20)), images: Math.max(1, parseImages(v, ['sweep-images'], 1000)), ...(v['sweep-threads'] === undefined ? {} : { threads: Math.max(1, parseInteger(v['sweep-threads'], 'sweep-threads', 1)) }) } : undefined;
    const report = await bench({ backend: parseBackend(v.backend), trainSteps: steps, inferBatches: 2 * steps, profile: Boolean(v.profile), workers, baselineBatch: Math.max(1, parseInteger(v['baseline-batch'], 'baseline-batch', 8)), sweep, log: stderr.log, progress: stderr.progress });
    if (v.json) {
      printJson(report);
    } else {
      const r = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0)).padStart(7);
      console.log(`model ${report.model}, batch ${report.batch}, backend ${report.backend} (simd ${report.simd}, threads ${report.threads}, gpu ${report.gpu})`);
      console.log(`               train img/s  infer img/s`);
      console.log(`${report.backend.padEnd(14)} ${r(report.train_img_per_s)}      ${r(report.infer_img_per_s)}${report.onnx_kernels.length ? `  (convolutions on ONNX Runtime)` : ''}`);
      if (report.simd_only) console.log(`${'SIMD only'.padEnd(14)} ${r(report.simd_only.train_img_per_s)}      ${r(report.simd_only.infer_img_per_s)}  (${(report.train_img_per_s / report.simd_only.train_img_per_s).toFixed(2)}× training with ONNX Runtime's)`);
      if (report.simd_direct) {
        const winograd = report.simd_only ?? report;
        console.log(`${'SIMD direct'.padEnd(14)} ${r(report.simd_direct.train_img_per_s)}      ${r(report.simd_direct.infer_img_per_s)}  (Winograd 3×3 convolutions: ${(winograd.train_img_per_s / report.simd_direct.train_img_per_s).toFixed(2)}× training, ${(winograd.infer_img_per_s / report.simd_direct.infer_img_per_s).toFixed(2)}× inference)`);
      }
      console.log(`cpu (batch ${report.baseline.batch})`.padEnd(15) + `${r(report.baseline.train_img_per_s)}      ${r(report.baseline.infer_img_per_s)}`);
      console.log(`speed-up       ${report.train_speedup.toFixed(1).padStart(7)}×     ${report.infer_speedup.toFixed(1).padStart(7)}×`);
      if (report.workers) console.log(`${(report.workers.workers + ' workers').padEnd(14)} ${r(report.workers.train_img_per_s)}      (${report.workers.train_speedup_vs_one_thread.toFixed(2)}× one thread)`);
      if (report.onnx_infer_img_per_s !== undefined) console.log(`${'onnxruntime'.padEnd(14)}       —      ${r(report.onnx_infer_img_per_s)}  (1 thread; ${r(report.onnx_infer_img_per_s_all ?? 0).trim()} on ${report.onnx_threads_all} threads)`);
      else if (report.onnx_error) console.log(`onnxruntime: ${report.onnx_error}`);
      if (report.sweep) {
        const w = report.sweep;
        console.log(`sweep ${w.alphas} α × ${w.sets} sets × ${w.images} images (${w.layer} edited): onnxruntime ${w.onnx.seconds.toFixed(1)} s (${w.onnx.threads} threads)` +
          (w.tfjs ? `, tfjs ${w.tfjs.backend} ${w.tfjs.seconds.toFixed(1)} s, ${w.speedup?.toFixed(1)}× faster, ${w.cells_differing} of ${w.alphas * w.sets} cells differ (max ${w.max_accuracy_diff})` : ''));
      }
      if (report.profile) console.log('kernel ms per training step:', report.profile.slice(0, 12).map((k) => `${k.kernel} ${k.ms}`).join(', '));
    }
    return 0;
  },
};
