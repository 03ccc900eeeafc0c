/**
 * The `editlab` command: a thin caller over the library. Each subcommand is a module in
 * ./commands with its usage text; `editlab --help` lists them.
 */
import { parseArgs } from 'node:util';
import { version } from '../version';
import { QUIET_OPTION, type Command } from './command';
import { reproduceCommand } from './commands/reproduce';
import { benchCommand } from './commands/bench';
import { trainCommand } from './commands/train';
import { modelsCommand } from './commands/models';
import { layersCommand } from './commands/layers';
import { evalCommand } from './commands/eval';
import { editCommand, tasksCommand, methodsCommand } from './commands/edit';
import { corruptCommand } from './commands/corrupt';
import { shiftsCommand } from './commands/shifts';
import { cloudCommand } from './commands/cloud';
import { kernelCommand } from './commands/kernel';
import { studyCommand, workerCommand } from './commands/study';
import { exploreCommand } from './commands/explore';

/** Every command, in the order `editlab --help` lists them. */
const COMMANDS: Record<string, Command> = Object.fromEntries([reproduceCommand, trainCommand, evalCommand, editCommand, modelsCommand, layersCommand, tasksCommand, methodsCommand, exploreCommand, shiftsCommand, corruptCommand, cloudCommand, studyCommand, workerCommand, kernelCommand, benchCommand].map((c) => [c.name, c]));

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
    'every command: --json prints one JSON document on stdout (snake_case keys, rates as fractions, intervals as',
    '              ci_lo/ci_hi: docs/conventions.md); progress and logs go to stderr, --quiet turns them off.',
    '',
    'environment: EDITLAB_BACKEND=auto|tensorflow|wasm|cpu selects the compute backend (training, edits);',
    '             EDITLAB_ENGINE=auto|onnx|tfjs the evaluation engine (eval, sweeps).',
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
    // --quiet is every command's (docs/conventions.md), also where there is nothing to silence.
    parsed = parseArgs({ args: rest, options: { ...QUIET_OPTION, ...command.options }, allowPositionals: true, strict: true });
  } catch (e) {
    console.error(`editlab ${name}: ${(e as Error).message}\nusage: ${command.usage}`);
    return 2;
  }
  return command.run(parsed.values as Record<string, string | boolean | string[] | undefined>, parsed.positionals);
}
