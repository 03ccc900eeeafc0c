import * as fs from 'node:fs';
import * as path from 'node:path';
import { QUIET_OPTION, parseBackend, parseInteger, stderrOf, type Command } from '../command';

export const reproduceCommand: Command = {
  name: 'reproduce',
  summary: 'run the study end to end and write figures and tidy results',
  usage: `editlab reproduce --quick --out DIR [--backend auto|wasm|cpu|tensorflow] [--seed N] [--quiet]

  --quick    the thin end-to-end path (about 2 minutes on a 2-core CPU): train the reference
             CNN on Fashion-MNIST, fine-tune one layer on snow-background exemplars,
             interpolate it over α ∈ {0, .25, .5, .75, 1}, evaluate the edit task, clean data
             and gaussian_noise s3
  --out DIR  folder for results.csv, accuracy-vs-alpha.{svg,png,vl.json}, summary.json
             (created; nothing is written outside it). summary.json: {backend, test_accuracy,
             edit: {method, layers, changed_params, changed_fraction}, seconds, files}
  Progress (training and edit steps, sweep images) on stderr; --quiet: none.`,
  options: { quick: { type: 'boolean' }, out: { type: 'string' }, backend: { type: 'string' }, seed: { type: 'string' }, ...QUIET_OPTION },
  async run(v) {
    if (!v.quick) throw new Error('reproduce: only --quick exists so far; run `editlab reproduce --quick --out DIR`.');
    if (typeof v.out !== 'string') throw new Error('reproduce: --out DIR is required.');
    const { useBackend } = await import('../../engine/backend');
    const { quickStudy } = await import('../../reproduce/quick');
    const { writeCsv } = await import('../../frames');
    const { saveFigure } = await import('../../figures');
    const out = path.resolve(v.out);
    fs.mkdirSync(out, { recursive: true });
    const backend = await useBackend(parseBackend(v.backend));
    const stderr = stderrOf(v);
    stderr.log(`editlab: backend ${backend.backend} (${backend.reason})`);
    const study = await quickStudy({ seed: parseInteger(v.seed, 'seed', 0), progress: stderr.progress });
    writeCsv(path.join(out, 'results.csv'), study.rows);
    const saved = await saveFigure(study.figure, path.join(out, 'accuracy-vs-alpha'));
    const summary = {
      backend: study.backend.backend,
      test_accuracy: study.testAccuracy,
      edit: { method: study.edit.method, layers: study.edit.layers, changed_params: study.edit.changedParams, changed_fraction: study.edit.changedFraction },
      seconds: study.seconds,
      files: ['results.csv', ...Object.values(saved).map((f) => path.basename(String(f)))],
    };
    fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    study.edit.dispose();
    study.model.dispose();
    console.log(`wrote ${summary.files.map((f) => path.join(out, f)).join(', ')}`);
    return 0;
  },
};
