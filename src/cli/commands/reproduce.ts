import * as fs from 'node:fs';
import * as path from 'node:path';
import { QUIET_OPTION, parseBackend, parseInteger, printJson, stderrOf, type Command } from '../command';

export const reproduceCommand: Command = {
  name: 'reproduce',
  summary: "the paper's study end to end: every figure, the tables and its four findings judged with intervals",
  usage: `editlab reproduce --out DIR [--quick] [--workers N] [--samples N] [--backend auto|wasm|cpu|tensorflow] [--json] [--quiet]

  Runs the default study (3 embedded models × 3 tasks × 6 methods × 3 layers × 11 α × every shift
  family; about an hour on a 2-core CPU with --workers 2), or with --quick the quick spec (vgg-small,
  snow task, local-ft, 1-LI, rewrite and global-ft at the middle and late layers, 5 α; about 3
  minutes), in DIR/study, resuming it when DIR holds one, and writes into DIR (created; nothing
  outside it):
    accuracy-vs-alpha, penalty-by-method-layer, accuracy-on-the-line, trade-off   figures 1–4 as .svg, .png, .vl.json
    results.csv/.parquet        per job, α and split (edit task held-out, clean, each shift family): accuracy, n, ci_lo, ci_hi
    cells, penalties, penalties-pooled, paths, comparisons, mce   the study's tables (.csv and .parquet)
    summary.md                  the paper's four findings, each supported, contradicted or inconclusive, with the numbers
                                and intervals that decide it and the figure that shows it
    summary.json                {spec, backend, jobs, cells, seconds, findings: [{id, claim, verdict, figure}], files}
  --workers N runs the study in N local worker processes; --samples N bootstrap resamples (default 1000).
  Progress (a bar over the study's jobs) on stderr; --quiet: none. --json prints summary.json.`,
  options: { quick: { type: 'boolean' }, out: { type: 'string' }, backend: { type: 'string' }, workers: { type: 'string' }, samples: { type: 'string' }, json: { type: 'boolean' }, ...QUIET_OPTION },
  async run(v) {
    if (typeof v.out !== 'string') throw new Error('reproduce: --out DIR is required (e.g. editlab reproduce --quick --out out/quick).');
    const { useBackend } = await import('../../engine/backend');
    const { reproduceStudy } = await import('../../reproduce/study');
    const backend = await useBackend(parseBackend(v.backend));
    const stderr = stderrOf(v);
    stderr.log(`editlab: backend ${backend.backend} (${backend.reason})`);
    const result = await reproduceStudy({
      out: v.out, quick: Boolean(v.quick), progress: stderr.progress, log: stderr.log,
      workers: v.workers === undefined ? undefined : Math.max(1, parseInteger(v.workers, 'workers', 1)),
      samples: v.samples === undefined ? undefined : parseInteger(v.samples, 'samples', 1000),
    });
    if (v.json) printJson(JSON.parse(fs.readFileSync(path.join(result.out, 'summary.json'), 'utf8')));
    else {
      console.log(`${result.out}: ${result.jobs} jobs, ${result.cells} cells, ${result.seconds.toFixed(0)} s`);
      for (const f of result.findings) console.log(`  finding ${f.id}: ${f.verdict.padEnd(12)} ${f.claim}`);
      console.log(`  see ${path.join(result.out, 'summary.md')}`);
    }
    return 0;
  },
};
