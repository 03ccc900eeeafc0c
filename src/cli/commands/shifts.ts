import { printJson, type Command } from '../command';

export const shiftsCommand: Command = {
  name: 'shifts',
  summary: 'list the distribution shifts (corruptions, renditions) with their family and presets',
  usage: `editlab shifts list [--family corruption|rendition] [--json]
       editlab shifts show NAME [--json]

  list: every shift with its family, group and presets. show: one shift's description and its
  constants per preset and severity. --json gives, per shift, {name, family, group, held_out,
  random, presets, description} (show adds constants): group as in every table (the ImageNet-C
  group, 'held-out' for the 4 held-out corruptions, 'rendition'); presets a list (empty for a
  rendition: any image size, no severity); random whether the result depends on the seed.`,
  options: { family: { type: 'string' }, json: { type: 'boolean' } },
  async run(v, positionals) {
    const { listShifts, getShift, SHIFT_PRESETS } = await import('../../shifts');
    const { shiftGroup } = await import('../../shifts/evaluate');
    const [sub, name] = positionals;
    // One description of a shift for list and show, with the group column every table uses.
    const describe = (s: ReturnType<typeof getShift>) => ({
      name: s.name, family: s.family, group: shiftGroup(s.name), held_out: Boolean(s.heldOut), random: s.random ?? true,
      presets: s.constants ? [...SHIFT_PRESETS] : [], description: s.description,
    });
    if (sub === 'show') {
      if (!name) throw new Error('shifts show: a shift NAME is required.');
      const s = getShift(name);
      if (v.json) {
        printJson({ ...describe(s), constants: s.constants ?? null });
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
    const shifts = listShifts(v.family as 'corruption' | 'rendition' | undefined).map(describe);
    if (v.json) {
      printJson(shifts);
      return 0;
    }
    const rows = shifts.map((s) => ({ ...s, group: s.family === 'rendition' ? '—' : s.group, presets: s.presets.length ? s.presets.join(',') : 'any size' }));
    const w = Math.max(...rows.map((r) => r.name.length));
    console.log(`${'name'.padEnd(w)}  ${'family'.padEnd(10)}  ${'group'.padEnd(8)}  ${'presets'.padEnd(20)}  description`);
    for (const r of rows) console.log(`${r.name.padEnd(w)}  ${r.family.padEnd(10)}  ${r.group.padEnd(8)}  ${r.presets.padEnd(20)}  ${r.description}`);
    if (!v.family) console.log(`${'(hard)'.padEnd(w)}  ${'hard'.padEnd(10)}  ${'—'.padEnd(8)}  ${'any size'.padEnd(20)}  ImageNet-A analog: hardSubset(set, ensemble) keeps the images most models misclassify (a selection, not a transform)`);
    return 0;
  },
};
