import { printJson, stderrOf, type Command } from '../command';

export const layersCommand: Command = {
  name: 'layers',
  summary: 'list the editable layers of a model (name, kind, weight shape, parameters)',
  usage: `editlab layers --model NAME|PATH [--json]

  NAME is an embedded model or an architecture (e.g. vgg16, resnet50, vit-b16); PATH a model
  folder or model.json. Layers whose output is a valid split point are marked (cut).`,
  options: { model: { type: 'string' }, json: { type: 'boolean' } },
  async run(v) {
    if (typeof v.model !== 'string') throw new Error('layers: --model NAME|PATH is required.');
    const { useBackend } = await import('../../engine/backend');
    const { resolveModel, editableLayers, validCutPoints, listArchitectures, listEmbeddedModels } = await import('../../models');
    await useBackend('auto');
    // Building a full-size architecture (vgg16: 138 M weights to initialise) takes seconds, in one call.
    const fs = await import('node:fs');
    if (!listEmbeddedModels().some((m) => m.name === v.model) && !fs.existsSync(v.model) && listArchitectures().some((a) => a.name === v.model)) {
      stderrOf(v).log(`layers: building the untrained ${v.model} architecture to list its layers…`);
    }
    const { model } = await resolveModel(v.model, { allowUntrained: true });
    const cuts = new Set(validCutPoints(model));
    const rows = editableLayers(model).map(({ name, kind, weight_shape, params }) => ({ name, kind, weight_shape, params, cut: cuts.has(name) }));
    if (v.json) printJson(rows);
    else {
      const width = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.kind.padEnd(22)} ${JSON.stringify(r.weight_shape).padEnd(18)} ${String(r.params).padStart(9)}${r.cut ? '  (cut)' : ''}`);
    }
    model.dispose();
    return 0;
  },
};
