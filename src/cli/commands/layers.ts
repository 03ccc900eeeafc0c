import type { Command } from '../command';

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
    const { resolveModel, editableLayers, validCutPoints } = await import('../../models');
    await useBackend('auto');
    const { model } = await resolveModel(v.model, { allowUntrained: true });
    const cuts = new Set(validCutPoints(model));
    const rows = editableLayers(model).map(({ name, kind, weightShape, params }) => ({ name, kind, weight_shape: weightShape, params, cut: cuts.has(name) }));
    if (v.json) console.log(JSON.stringify(rows, null, 2));
    else {
      const width = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.kind.padEnd(22)} ${JSON.stringify(r.weight_shape).padEnd(18)} ${String(r.params).padStart(9)}${r.cut ? '  (cut)' : ''}`);
    }
    model.dispose();
    return 0;
  },
};
