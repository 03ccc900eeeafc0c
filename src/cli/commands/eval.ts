import { parseBackend, parseInteger, type Command } from '../command';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'accuracy of a model on the Fashion-MNIST test set, clean or shifted, with a 95% interval',
  usage: `editlab eval --model NAME|PATH [--shift NAME --severity S] [--limit N] [--seed N] [--backend B] [--json]

  Prints {accuracy, n, ci: [lo, hi]} (accuracy as a fraction, Clopper–Pearson 95% interval)
  on the embedded test split (first --limit images), under a shift when given.`,
  options: {
    model: { type: 'string' }, shift: { type: 'string' }, severity: { type: 'string' }, limit: { type: 'string' }, seed: { type: 'string' },
    backend: { type: 'string' }, json: { type: 'boolean' },
  },
  async run(v) {
    if (typeof v.model !== 'string') throw new Error('eval: --model NAME|PATH is required.');
    if ((v.shift === undefined) !== (v.severity === undefined)) throw new Error('eval: --shift and --severity go together.');
    const { useBackend } = await import('../../engine/backend');
    const { resolveModel, predict } = await import('../../models');
    const { fashionMnistSet, withImages } = await import('../../data');
    const { applyShift } = await import('../../shifts');
    const { accuracy } = await import('../../metrics/accuracy');
    await useBackend(parseBackend(v.backend));
    const { model } = await resolveModel(v.model);
    let set = fashionMnistSet('test', parseInteger(v.limit, 'limit', 10000) || undefined);
    if (typeof v.shift === 'string') {
      set = withImages(set, applyShift(v.shift, set.images, set, { severity: parseInteger(v.severity, 'severity', 1), seed: parseInteger(v.seed, 'seed', 0) }));
    }
    const result = accuracy(predict(model, set).predicted, set.labels);
    const report = { accuracy: result.accuracy, n: result.n, ci: result.ci };
    if (v.json) console.log(JSON.stringify(report));
    else console.log(`accuracy ${(100 * report.accuracy).toFixed(2)}% (95% CI ${(100 * report.ci[0]).toFixed(2)}–${(100 * report.ci[1]).toFixed(2)}%) on ${report.n} images${v.shift ? ` under ${v.shift} s${v.severity}` : ''}`);
    model.dispose();
    return 0;
  },
};
