import { parseBackend, parseInteger, type Command } from '../command';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'accuracy of a model on the Fashion-MNIST test set, clean or shifted, with a 95% interval',
  usage: `editlab eval --model NAME|PATH|FILE.onnx [--shift NAME --severity S] [--limit N] [--seed N]
                    [--engine auto|onnx|tfjs] [--threads N] [--backend B] [--json]

  Prints {accuracy, n, ci: [lo, hi]} (accuracy as a fraction, Clopper–Pearson 95% interval)
  on the embedded test split (first --limit images), under a shift when given. --engine auto
  (default) evaluates on ONNX Runtime when the model exports, else on the tfjs backend.`,
  options: {
    model: { type: 'string' }, shift: { type: 'string' }, severity: { type: 'string' }, limit: { type: 'string' }, seed: { type: 'string' },
    engine: { type: 'string' }, threads: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' },
  },
  async run(v) {
    if (typeof v.model !== 'string') throw new Error('eval: --model NAME|PATH is required.');
    if ((v.shift === undefined) !== (v.severity === undefined)) throw new Error('eval: --shift and --severity go together.');
    const { useBackend } = await import('../../engine/backend');
    const { resolveModel } = await import('../../models');
    const { evaluate } = await import('../../evaluate');
    const { fashionMnistSet, withImages } = await import('../../data');
    const { applyShift } = await import('../../shifts');
    await useBackend(parseBackend(v.backend));
    const onnxFile = v.model.endsWith('.onnx');
    const model = onnxFile ? undefined : (await resolveModel(v.model)).model;
    let set = fashionMnistSet('test', parseInteger(v.limit, 'limit', 10000) || undefined);
    if (typeof v.shift === 'string') {
      set = withImages(set, applyShift(v.shift, set.images, set, { severity: parseInteger(v.severity, 'severity', 1), seed: parseInteger(v.seed, 'seed', 0) }));
    }
    const engine = (v.engine ?? 'auto') as 'auto' | 'onnx' | 'tfjs';
    const threads = v.threads === undefined ? undefined : Math.max(1, parseInteger(v.threads, 'threads', 1));
    const result = await evaluate(model ?? v.model, set, { engine, threads });
    const report = { accuracy: result.accuracy!.accuracy, n: result.n, ci: result.accuracy!.ci };
    if (!v.json) console.error(`engine ${result.engine} (${result.reason})`);
    if (v.json) console.log(JSON.stringify(report));
    else console.log(`accuracy ${(100 * report.accuracy).toFixed(2)}% (95% CI ${(100 * report.ci[0]).toFixed(2)}–${(100 * report.ci[1]).toFixed(2)}%) on ${report.n} images${v.shift ? ` under ${v.shift} s${v.severity}` : ''}`);
    model?.dispose();
    return 0;
  },
};
