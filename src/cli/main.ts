/**
 * The `editlab` command: a thin caller over the library. Each command is one entry of
 * COMMANDS with its usage text; `editlab --help` lists them.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { version } from '../version';

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  reproduce: {
    summary: 'run the study end to end and write figures and tidy results',
    usage: `editlab reproduce --quick --out DIR [--backend auto|wasm|cpu|tensorflow] [--seed N]

  --quick    the thin end-to-end path (about 2 minutes on a 2-core CPU): train the reference
             CNN on Fashion-MNIST, fine-tune one layer on snow-background exemplars,
             interpolate it over α ∈ {0, .25, .5, .75, 1}, evaluate the edit task, clean data
             and gaussian_noise s3
  --out DIR  folder for results.csv, accuracy-vs-alpha.{svg,png,vl.json}, summary.json
             (created; nothing is written outside it)`,
    options: { quick: { type: 'boolean' }, out: { type: 'string' }, backend: { type: 'string' }, seed: { type: 'string' } },
    async run(v) {
      if (!v.quick) throw new Error('reproduce: only --quick exists so far; run `editlab reproduce --quick --out DIR`.');
      if (typeof v.out !== 'string') throw new Error('reproduce: --out DIR is required.');
      const { useBackend } = await import('../engine/backend');
      const { quickStudy } = await import('../reproduce/quick');
      const { writeCsv } = await import('../frames');
      const { saveFigure } = await import('../figures');
      const out = path.resolve(v.out);
      fs.mkdirSync(out, { recursive: true });
      const backend = await useBackend(parseBackend(v.backend));
      console.error(`editlab: backend ${backend.backend} (${backend.reason})`);
      const study = await quickStudy({ seed: parseInteger(v.seed, 'seed', 0) });
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
  },
  bench: {
    summary: 'training and inference throughput of the reference CNN, against the tfjs cpu backend',
    usage: `editlab bench [--json] [--backend auto|wasm|cpu|tensorflow] [--steps N] [--profile]

  Trains the reference CNN (conv32-conv32-pool-conv64-conv64-pool-fc128-fc10, 28×28×1,
  batch 128, SGD) and runs inference on the selected backend; the tfjs cpu backend is
  measured in the same run as the baseline (one step). --profile adds the kernel times of
  one training step.`,
    options: { json: { type: 'boolean' }, backend: { type: 'string' }, steps: { type: 'string' }, profile: { type: 'boolean' } },
    async run(v) {
      const { bench } = await import('../bench/train-infer');
      const steps = parseInteger(v.steps, 'steps', 8);
      const report = await bench({ backend: parseBackend(v.backend), trainSteps: steps, inferBatches: 2 * steps, profile: Boolean(v.profile), log: (l) => console.error(l) });
      if (v.json) {
        console.log(JSON.stringify(report, null, 2));
      } else {
        const r = (x: number) => x.toFixed(0).padStart(7);
        console.log(`model ${report.model}, batch ${report.batch}, backend ${report.backend} (simd ${report.simd}, threads ${report.threads}, gpu ${report.gpu})`);
        console.log(`               train img/s  infer img/s`);
        console.log(`${report.backend.padEnd(14)} ${r(report.train_img_per_s)}      ${r(report.infer_img_per_s)}`);
        console.log(`cpu baseline   ${r(report.baseline.train_img_per_s)}      ${r(report.baseline.infer_img_per_s)}`);
        console.log(`speed-up       ${report.train_speedup.toFixed(1).padStart(7)}×     ${report.infer_speedup.toFixed(1).padStart(7)}×`);
        if (report.profile) console.log('kernel ms per training step:', Object.entries(report.profile).slice(0, 12).map(([k, ms]) => `${k} ${ms}`).join(', '));
      }
      return 0;
    },
  },
};

function parseBackend(value: unknown): 'auto' | 'tensorflow' | 'wasm' | 'cpu' {
  if (value === undefined) return 'auto';
  const names = ['auto', 'tensorflow', 'wasm', 'cpu'];
  if (typeof value !== 'string' || !names.includes(value)) throw new Error(`--backend must be one of ${names.join(', ')}, got "${String(value)}".`);
  return value as 'auto';
}

function parseInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${String(value)}".`);
  return n;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    `editlab ${version} — edit trained image classifiers and measure their robustness under distribution shift`,
    '',
    'usage: editlab <command> [options]      editlab <command> --help',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'environment: EDITLAB_BACKEND=auto|tensorflow|wasm|cpu selects the compute backend.',
  ].join('\n');
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`editlab: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')} (see editlab --help).`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: ${command.usage}`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
  } catch (e) {
    console.error(`editlab ${name}: ${(e as Error).message}\nusage: ${command.usage}`);
    return 2;
  }
  return command.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
}
