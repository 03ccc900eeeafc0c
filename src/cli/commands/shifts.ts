import type { Command } from '../command';

export const shiftsCommand: Command = {
  name: 'shifts',
  summary: 'list the distribution shifts (corruptions, renditions) with their family and presets',
  usage: `editlab shifts list [--family corruption|rendition] [--json]
       editlab shifts show NAME [--json]

  list: every shift with its family, group and presets. show: one shift's description and its
  constants per preset and severity.`,
  options: { family: { type: 'string' }, json: { type: 'boolean' } },
  async run(v, positionals) {
    const { listShifts, getShift, SHIFT_PRESETS } = await import('../../shifts');
    const [sub, name] = positionals;
    if (sub === 'show') {
      if (!name) throw new Error('shifts show: a shift NAME is required.');
      const s = getShift(name);
      if (v.json) {
        console.log(JSON.stringify({ name: s.name, family: s.family, group: s.group ?? null, held_out: Boolean(s.heldOut), random: s.random ?? true, description: s.description, constants: s.constants ?? null }, null, 2));
        return 0;
      }
      console.log(`${s.name} (${s.family}${s.group ? `, ${s.group}` : ''}${s.heldOut ? ', held out' : ''}${s.random === false ? ', deterministic' : ', seeded'}): ${s.description}`);
      if (s.constants) {
        for (const p of SHIFT_PRESETS) console.log(`  ${p.padEnd(9)} ${s.constants[p].map((c, i) => `s${i + 1} ${JSON.stringify(c)}`).join('  ')}`);
      } else console.log('  no severities or presets: any image size');
      return 0;
    }
    if (sub !== 'list' && sub !== undefined) throw new Error(`shifts: unknown subcommand "${sub}"; expected list or show.`);
    if (v.family !== undefined && v.family !== 'corruption' && v.family !== 'rendition') throw new Error(`shifts: --family must be corruption or rendition, got "${String(v.family)}".`);
    const shifts = listShifts(v.family as 'corruption' | 'rendition' | undefined);
    const rows = shifts.map((s) => ({
      name: s.name, family: s.family, group: s.heldOut ? 'held-out' : (s.group ?? '—'),
      presets: s.constants ? SHIFT_PRESETS.join(',') : 'any size', seeded: s.random ?? true, description: s.description,
    }));
    if (v.json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    const w = Math.max(...rows.map((r) => r.name.length));
    console.log(`${'name'.padEnd(w)}  ${'family'.padEnd(10)}  ${'group'.padEnd(8)}  ${'presets'.padEnd(20)}  description`);
    for (const r of rows) console.log(`${r.name.padEnd(w)}  ${r.family.padEnd(10)}  ${r.group.padEnd(8)}  ${r.presets.padEnd(20)}  ${r.description}`);
    if (!v.family) console.log(`${'(hard)'.padEnd(w)}  ${'hard'.padEnd(10)}  ${'—'.padEnd(8)}  ${'any size'.padEnd(20)}  ImageNet-A analog: hardSubset(set, ensemble) keeps the images most models misclassify (a selection, not a transform)`);
    return 0;
  },
};
