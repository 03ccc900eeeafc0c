import { parseBackend, parseInteger, type Command } from '../command';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'training and inference throughput of the reference CNN, against the tfjs cpu backend',
  usage: `editlab bench [--json] [--backend auto|wasm|cpu|tensorflow] [--steps N] [--workers N] [--baseline-batch N] [--profile]

  Trains the reference CNN (conv32-conv32-pool-conv64-conv64-pool-fc128-fc10, 28×28×1,
  batch 128, SGD) and runs inference on the selected backend; the tfjs cpu backend is
  measured in the same run as the baseline (one step). --workers N also measures
  data-parallel training on N worker threads (one backend instance each, gradients averaged).
  --baseline-batch N sets the cpu baseline's batch (default 8: its one step takes seconds
  per image). --profile adds the kernel times of one training step.`,
  options: { json: { type: 'boolean' }, backend: { type: 'string' }, steps: { type: 'string' }, workers: { type: 'string' }, 'baseline-batch': { type: 'string' }, profile: { type: 'boolean' } },
  async run(v) {
    const { bench } = await import('../../bench/train-infer');
    const steps = Math.max(1, parseInteger(v.steps, 'steps', 8));
    const workers = parseInteger(v.workers, 'workers', 1);
    const report = await bench({ backend: parseBackend(v.backend), trainSteps: steps, inferBatches: 2 * steps, profile: Boolean(v.profile), workers, baselineBatch: Math.max(1, parseInteger(v['baseline-batch'], 'baseline-batch', 8)), log: (line: string) => console.error(line) });
    if (v.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      const r = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0)).padStart(7);
      console.log(`model ${report.model}, batch ${report.batch}, backend ${report.backend} (simd ${report.simd}, threads ${report.threads}, gpu ${report.gpu})`);
      console.log(`               train img/s  infer img/s`);
      console.log(`${report.backend.padEnd(14)} ${r(report.train_img_per_s)}      ${r(report.infer_img_per_s)}`);
      console.log(`cpu (batch ${report.baseline.batch})`.padEnd(15) + `${r(report.baseline.train_img_per_s)}      ${r(report.baseline.infer_img_per_s)}`);
      console.log(`speed-up       ${report.train_speedup.toFixed(1).padStart(7)}×     ${report.infer_speedup.toFixed(1).padStart(7)}×`);
      if (report.workers) console.log(`${(report.workers.workers + ' workers').padEnd(14)} ${r(report.workers.train_img_per_s)}      (${report.workers.train_speedup_vs_one_thread.toFixed(2)}× one thread)`);
      if (report.profile) console.log('kernel ms per training step:', Object.entries(report.profile).slice(0, 12).map(([k, ms]) => `${k} ${ms}`).join(', '));
    }
    return 0;
  },
};
