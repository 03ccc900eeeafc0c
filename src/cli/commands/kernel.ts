import * as path from 'node:path';
import type { Command } from '../command';

/** scripts/kernel-install.js, the same three folders up from src/cli/commands and dist/cli/commands. */
const INSTALLER = path.join(__dirname, '..', '..', '..', 'scripts', 'kernel-install.js');

export const kernelCommand: Command = {
  name: 'kernel',
  summary: 'register the "TypeScript (editlab)" Jupyter kernel (tslab with editlab in its cells)',
  usage: `editlab kernel install [--user | --sys-prefix | --prefix DIR | --dest DIR] [--python PY]

  Registers this installation's tslab, started by this node, as the Jupyter kernel "editlab"
  (--user by default; re-running replaces it). --dest DIR only writes the spec folder. Works from a
  checkout (same as \`npm run kernel:install\`) and from a project that installed editlab with npm.`,
  options: {
    user: { type: 'boolean' },
    'sys-prefix': { type: 'boolean' },
    prefix: { type: 'string' },
    dest: { type: 'string' },
    python: { type: 'string' },
  },
  async run(v, positionals) {
    if (positionals.length !== 1 || positionals[0] !== 'install') {
      throw new Error(`kernel: expected \`editlab kernel install\`, got \`editlab kernel ${positionals.join(' ')}\`.`);
    }
    const args: string[] = [];
    if (v.user) args.push('--user');
    if (v['sys-prefix']) args.push('--sys-prefix');
    for (const flag of ['prefix', 'dest', 'python'] as const) {
      if (typeof v[flag] === 'string') args.push(`--${flag}`, v[flag] as string);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const installer = require(INSTALLER) as { main(argv: string[]): number };
    return installer.main(args);
  },
};
