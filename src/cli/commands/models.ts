import { printJson, type Command } from '../command';

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the embedded trained models (list) or the architectures (archs)',
  usage: `editlab models list [--json]     embedded models: name, arch, params, recorded test accuracy
       editlab models archs [--json]    the architecture registry`,
  options: { json: { type: 'boolean' } },
  async run(v, positionals) {
    const { listEmbeddedModels, listArchitectures } = await import('../../models');
    const [what = 'list'] = positionals;
    if (what === 'list') {
      const rows = listEmbeddedModels().map(({ name, arch, params, accuracy }) => ({ name, arch, params, accuracy }));
      if (v.json) printJson(rows);
      else if (!rows.length) console.log('no embedded models yet (datasets/models/ is empty); train one with `editlab train`.');
      else for (const r of rows) console.log(`${r.name.padEnd(20)} ${r.arch.padEnd(14)} ${String(r.params).padStart(10)} params  test accuracy ${r.accuracy === null ? 'n/a' : (100 * r.accuracy).toFixed(2) + '%'}`);
      return 0;
    }
    if (what === 'archs') {
      const rows = listArchitectures().map(({ name, description }) => ({ name, description }));
      if (v.json) printJson(rows);
      else for (const r of rows) console.log(`${r.name.padEnd(14)} ${r.description}`);
      return 0;
    }
    throw new Error(`models: unknown subcommand "${what}"; expected list or archs.`);
  },
};
