// The study spec and its jobs: validation with errors naming the field, the default and quick
// specs as data, layer resolution, content-addressed job ids, reuse links, correctness bitsets.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { useBackend } from '../src/engine/backend';
import { resolveModel, depthLayers } from '../src/models';
import { BENCHMARK_CORRUPTIONS, applyShift, listShifts } from '../src/shifts';
import { subset } from '../src/data/image-set';
import { buildTask, edit, getEditMethod, protocolOptions } from '../src/edits';
import { DEFAULT_HARD_ENSEMBLE } from '../src/cloud';
import {
  validateStudySpec, specDifferences, formatSpecDifferences, planStudy, canonicalJson, studyJobId, weightsDigest,
  packCorrect, unpackCorrect, EvaluationSets, ALL_LAYERS, DEFAULT_STUDY_SPEC, QUICK_STUDY_SPEC, STUDY_CODE_VERSION, type StudySpecInput,
} from '../src/study';

before(async () => {
  await useBackend('wasm');
});

const small: StudySpecInput = { models: ['vgg-small'], tasks: ['snow-background'], methods: ['local-ft', 'one-layer-interp'], layers: ['middle'], alphas: [0, 1], sets: { clean: true }, images: 50 };

test('the default spec is the full grid, written as data', () => {
  const spec = validateStudySpec(DEFAULT_STUDY_SPEC);
  assert.deepEqual(spec.models, ['vgg-small', 'resnet-small', 'vit-tiny']);
  assert.deepEqual(spec.tasks.map((t) => t.name), ['snow-background', 'concept-style', 'digit-patching']);
  assert.deepEqual(spec.methods.map((m) => m.name), ['rewrite', 'lowrank', 'local-ft', 'global-ft', 'one-layer-interp', 'interp']);
  assert.deepEqual(spec.layers, ['early', 'middle', 'late']);
  assert.equal(spec.alphas.length, 11);
  assert.deepEqual([spec.alphas[0], spec.alphas[3], spec.alphas[10]], [0, 0.3, 1]);
  assert.deepEqual(spec.sets.corruptions, listShifts('corruption').map((s) => s.name));
  assert.equal(spec.sets.corruptions.length, 19);
  assert.deepEqual(spec.sets.severities, [1, 2, 3, 4, 5]);
  assert.equal(spec.sets.renditions.length, 6);
  // The hard subset is the cloud's, chosen by cloud members no study edits.
  assert.deepEqual(spec.sets.hard, [...DEFAULT_HARD_ENSEMBLE]);
  assert.ok(spec.sets.hard.every((m) => !spec.models.includes(m)));
  assert.ok(spec.images >= 1000);
  // Every shift family holds ≥ 1 000 evaluations, and its slices together cover every clean test image.
  const families = { corruption: spec.sets.corruptions.length * spec.sets.severities.length, rendition: spec.sets.renditions.length };
  for (const [family, sets] of Object.entries(families)) assert.ok(sets * spec.sets.shift_images[family as keyof typeof families] >= spec.images, family);
  // A task's held-out splits are smaller than the shifted families (edit-task accuracy pools over splits, tasks and models).
  assert.ok(spec.sets.task_images >= 100 && spec.sets.task_images <= spec.images);
  // Validating a validated spec changes nothing (study.json holds this form).
  assert.deepEqual(validateStudySpec(JSON.parse(JSON.stringify(spec))), spec);
  assert.deepEqual(validateStudySpec(JSON.parse(JSON.stringify(validateStudySpec(QUICK_STUDY_SPEC)))), validateStudySpec(QUICK_STUDY_SPEC));
});

test('shorthands expand and omitted fields take their defaults', () => {
  const rewrite = getEditMethod('rewrite').protocol;
  const spec = validateStudySpec({ ...small, methods: ['rewrite', { name: 'local-ft', steps: 7 }], sets: { corruptions: 'benchmark', renditions: 'all', hard: true } });
  assert.deepEqual(spec.methods, [
    // A name alone takes the method's registry protocol, less the layer and exemplars (the spec's layers and tasks set those).
    { name: 'rewrite', steps: rewrite.steps, learning_rate: rewrite.learning_rate, rank: rewrite.rank, center: rewrite.center, project_every: rewrite.project_every },
    { name: 'local-ft', steps: 7, learning_rate: getEditMethod('local-ft').protocol.learning_rate },
  ]);
  assert.deepEqual(spec.tasks, [{ name: 'snow-background', exemplars: 64 }]);
  assert.deepEqual(spec.sets.corruptions, [...BENCHMARK_CORRUPTIONS]);
  assert.equal(spec.sets.clean, true);
  assert.equal(spec.sets.task_splits, true);
  assert.deepEqual(spec.seeds, [0]);
  assert.equal(spec.sample_seed, 0);
  // shift_images: one number for both families, or per family; an omitted family gets `images`.
  assert.deepEqual(spec.sets.shift_images, { corruption: 50, rendition: 50 });
  assert.deepEqual(validateStudySpec({ ...small, sets: { shift_images: 20 } }).sets.shift_images, { corruption: 20, rendition: 20 });
  assert.deepEqual(validateStudySpec({ ...small, sets: { shift_images: { corruption: 5 } } }).sets.shift_images, { corruption: 5, rendition: 50 });
  // task_images: the held-out split size, `images` when omitted.
  assert.equal(spec.sets.task_images, 50);
  assert.equal(validateStudySpec({ ...small, sets: { task_images: 12 } }).sets.task_images, 12);
});

test('each shifted set is the next slice of the clean sample, wrapping round, shifted as on its own', async () => {
  const spec = validateStudySpec({ ...small, images: 10, sets: { clean: true, corruptions: ['gaussian_noise', 'fog'], severities: [2, 4], renditions: ['sketch'], task_splits: false, shift_images: { corruption: 4, rendition: 6 } } });
  const sets = new EvaluationSets(spec);
  const got = [];
  for await (const s of sets.forJob(spec.tasks[0], 0)) got.push(s);
  const clean = got[0].images;
  // By hand: corruption slices 0–3, 4–7, 8–9 + 0–1, 2–5 (in shift × severity order); the rendition's own count starts at 0.
  const expected: Array<[string, number, number[]]> = [
    ['gaussian_noise', 2, [0, 1, 2, 3]], ['gaussian_noise', 4, [4, 5, 6, 7]], ['fog', 2, [8, 9, 0, 1]], ['fog', 4, [2, 3, 4, 5]], ['sketch', 0, [0, 1, 2, 3, 4, 5]],
  ];
  assert.deepEqual(got.map((s) => [s.set, s.severity]), [['clean', 0], ...expected.map(([name, severity]) => [name, severity])]);
  expected.forEach(([name, severity, indices], k) => {
    const slice = subset(clean, indices);
    const shifted = applyShift(name, slice.images, slice, { severity: severity || 1, seed: spec.sample_seed });
    assert.deepEqual([...got[k + 1].images.labels], [...slice.labels], name);
    assert.deepEqual(got[k + 1].images.images, shifted, `${name} ${severity}`);
  });
  assert.equal(await sets.imageCount(spec.tasks[0], 0), 10 + 4 * 4 + 6);
});

test("a task's held-out splits hold task_images images each, the exemplars their own count", async () => {
  const spec = validateStudySpec({ ...small, images: 20, sets: { clean: false, task_splits: true, task_images: 7 } });
  const got = [];
  for await (const s of new EvaluationSets(spec).forJob(spec.tasks[0], 0)) got.push(s);
  assert.equal(got[0].set, 'exemplars');
  assert.equal(got[0].images.n, spec.tasks[0].exemplars);
  assert.ok(got.length > 1);
  for (const s of got.slice(1)) assert.equal(s.images.n, 7, s.set);
});

test('bad specs fail with the field named and the expected form', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ ...small, alphas: [0, 0.5, -1] }, /alphas\[2\] must be a finite number ≥ 0.*got -1/],
    [{ ...small, alphas: [0, Infinity] }, /alphas\[1\] must be a finite number ≥ 0.*got Infinity/],
    [{ ...small, alphas: [0, NaN] }, /alphas\[1\] must be a finite number ≥ 0.*got NaN/],
    [{ ...small, alphas: [] }, /alphas must be a non-empty list of numbers ≥ 0, got \[\]/],
    [{ ...small, alphas: [0.5, 0.5] }, /alphas\[1\] repeats alphas\[0\]/],
    [{ ...small, methods: ['local-ft', 'retrain'] }, /methods\[1\] must be an edit method: one of .*local-ft.*got "retrain"/],
    [{ ...small, methods: [{ name: 'rewrite', rnak: 2 }] }, /methods\[0\]\.rnak is not a spec field; methods\[0\] takes name, steps, learning_rate, rank, center, project_every/],
    [{ ...small, methods: [{ name: 'local-ft', steps: 0 }] }, /methods\[0\]\.steps must be an integer ≥ 1, got 0/],
    [{ ...small, methods: [{ name: 'local-ft', learning_rate: -1 }] }, /methods\[0\]\.learning_rate must be a finite number > 0/],
    [{ ...small, tasks: [{ name: 'snow' }] }, /tasks\[0\]\.name must be an editing task: one of snow-background, concept-style, digit-patching/],
    [{ ...small, sets: { corruptions: ['fgo'] } }, /sets\.corruptions\[0\] must be a corruption: one of gaussian_noise.*got "fgo"/],
    [{ ...small, sets: { renditions: ['fog'] } }, /sets\.renditions\[0\] must be a rendition: one of/],
    [{ ...small, sets: { corruptions: 'most' } }, /sets\.corruptions must be a list of corruptions or "all" or "benchmark", got "most"/],
    [{ ...small, sets: { severities: [6] } }, /sets\.severities\[0\] must be an integer from 1 to 5, got 6/],
    [{ ...small, sets: { hard: ['resnet50'] } }, /sets\.hard\[0\] must be an embedded model/],
    [{ ...small, models: ['vgg-small'], sets: { hard: ['resnet-small', 'vgg-small', 'vit-tiny'] } }, /sets\.hard must be an ensemble without the models the study edits \(vgg-small is one/],
    [{ ...small, sets: { clean: false, task_splits: false } }, /sets must be at least one evaluation set/],
    [{ ...small, sets: { shift_images: 51 } }, /sets\.shift_images must be an integer from 1 to 50, got 51/],
    [{ ...small, sets: { task_images: 0 } }, /sets\.task_images must be an integer from 1 to 50, got 0/],
    [{ ...small, sets: { shift_images: { corruption: 0 } } }, /sets\.shift_images\.corruption must be an integer from 1 to 50, got 0/],
    [{ ...small, sets: { shift_images: { renditions: 5 } } }, /sets\.shift_images\.renditions is not a spec field; sets\.shift_images takes corruption, rendition/],
    [{ ...small, sets: { shift_images: '20' } }, /sets\.shift_images must be an integer from 1 to 50 \(`images`\), or \{corruption, rendition\}/],
    [{ ...small, images: 0 }, /images must be an integer from 1 to 10000, got 0/],
    [{ ...small, seeds: [-1] }, /seeds\[0\] must be an integer from 0/],
    [{ ...small, modles: ['vgg-small'] }, /modles is not a spec field; the spec takes models, tasks, methods/],
    [{ ...small, models: [''] }, /models\[0\] must be an embedded model \(.*vgg-small.*\) or a model folder, got ""/],
    ['vgg-small', /the spec must be a JSON object/],
  ];
  for (const [spec, message] of bad) assert.throws(() => validateStudySpec(spec), message, JSON.stringify(spec));
});

test('an unknown model or layer fails when planning, naming the field', async () => {
  await assert.rejects(planStudy(validateStudySpec({ ...small, models: ['vgg-small', 'vgg-huge'] })), /models\[1\]: no model "vgg-huge": not an embedded model/);
  await assert.rejects(planStudy(validateStudySpec({ ...small, models: ['vit-tiny'], layers: ['middle', 'block2_conv2'] })),
    /layers\[1\] must be one of early, middle, late or a layer of every model; model "vit-tiny" has no editable layer "block2_conv2" \(its editable layers: patch_embed/);
});

test("every job of the default spec can run: a protocol's rank is capped at what the layer allows, and each method starts on each layer", async () => {
  const plan = await planStudy(validateStudySpec(DEFAULT_STUDY_SPEC));
  const ranked = plan.jobs.filter((j) => j.method.rank !== undefined);
  assert.ok(ranked.length > 0);
  const models = new Map<string, Awaited<ReturnType<typeof resolveModel>>['model']>();
  for (const name of plan.spec.models) models.set(name, (await resolveModel(name)).model);
  try {
    for (const job of ranked) {
      // Independently: the kernel's input channels (rewrite), or the smaller side of U·V (lowrank).
      const shape = models.get(job.model)!.getLayer(job.layer).getWeights()[0].shape;
      const cin = shape[shape.length - 2];
      const allowed = job.method.name === 'rewrite' ? cin : Math.min(cin, shape.reduce((p, d) => p * d, 1) / cin);
      const asked = plan.spec.methods.find((m) => m.name === job.method.name)!.rank!;
      assert.equal(job.method.rank, Math.min(asked, allowed), `${job.model} ${job.method.name} ${job.layer}`);
    }
    // By hand: resnet-small's early layer has 16 input channels, fewer than rewrite's rank 32.
    assert.equal(ranked.find((j) => j.model === 'resnet-small' && j.layer_spec === 'early' && j.method.name === 'rewrite')!.method.rank, 16);
    // One optimiser step of every method on every planned layer (1-LI reuses local-ft's edit).
    const task = buildTask('snow-background', { exemplars: 8, testSize: 1, seed: 0 });
    const tried = new Set<string>();
    for (const job of plan.jobs.filter((j) => j.method.name !== 'one-layer-interp')) {
      const key = JSON.stringify([job.model, job.method.name, job.layer]);
      if (tried.has(key)) continue;
      tried.add(key);
      const model = models.get(job.model)!;
      const made = await edit(model, task.editSet, job.method.name, { ...protocolOptions({ ...job.method, steps: 1 }), layer: job.layer === ALL_LAYERS ? 'middle' : job.layer, seed: 0 });
      made.dispose();
    }
    assert.equal(tried.size, 3 * (4 * 3 + 1));
  } finally {
    for (const model of models.values()) model.dispose();
  }
});

test('early, middle and late are the conv/dense layers at 1/6, 1/2 and 5/6 of the depth (head excluded)', async () => {
  const expected: Record<string, string[]> = {
    'vgg-small': ['block1_conv2', 'block2_conv2', 'block3_conv2'],
    'resnet-small': ['conv2_block1_2_conv', 'conv3_block1_2_conv', 'conv4_block1_2_conv'], // 15 convs: positions 2, 7, 12,
    'vit-tiny': ['block1_mlp1', 'block2_mlp2', 'block4_mlp1'],
  };
  for (const [name, layers] of Object.entries(expected)) {
    const { model } = await resolveModel(name);
    assert.deepEqual(Object.values(depthLayers(model)), layers, name);
    model.dispose();
  }
});

test('the default spec plans 144 jobs: 5 layer-wise methods × 3 layers + interp once, per model and task', async () => {
  const plan = await planStudy(validateStudySpec(DEFAULT_STUDY_SPEC));
  assert.equal(plan.jobs.length, 3 * 3 * (5 * 3 + 1));
  assert.equal(new Set(plan.jobs.map((j) => j.id)).size, plan.jobs.length, 'distinct ids');
  const interp = plan.jobs.filter((j) => j.method.name === 'interp');
  assert.equal(interp.length, 9);
  assert.ok(interp.every((j) => j.layer === 'all'));
  // Every 1-LI job reuses the local-ft job of its model, task, seed and layer, which runs first.
  const oneLayer = plan.jobs.filter((j) => j.method.name === 'one-layer-interp');
  assert.equal(oneLayer.length, 27);
  for (const j of oneLayer) {
    const source = plan.jobs.find((s) => s.id === j.reuses)!;
    assert.ok(source && source.method.name === 'local-ft' && source.layer === j.layer && source.model === j.model && source.task === j.task);
    assert.ok(source.position < j.position);
  }
});

test('job ids hash the job content: stable, and changed by α, protocol, model weights or code version', async () => {
  const a = await planStudy(validateStudySpec(small));
  const again = await planStudy(validateStudySpec(small));
  assert.deepEqual(a.jobs.map((j) => j.id), again.jobs.map((j) => j.id));
  const alphas = await planStudy(validateStudySpec({ ...small, alphas: [0, 0.5] }));
  assert.ok(a.jobs.every((j, i) => j.id !== alphas.jobs[i].id));
  const localSteps = getEditMethod('local-ft').protocol.steps;
  const steps = await planStudy(validateStudySpec({ ...small, methods: [{ name: 'local-ft', steps: localSteps + 1 }, 'one-layer-interp'] }));
  assert.notEqual(steps.jobs[0].id, a.jobs[0].id);
  assert.equal(steps.jobs[1].id, a.jobs[1].id, '1-LI itself did not change');
  assert.equal(steps.jobs[1].reuses, null, `but its protocol (${localSteps} steps) no longer matches local-ft (${localSteps + 1}): it trains its own`);
  assert.equal(a.jobs[1].reuses, a.jobs[0].id);
  // The id is SHA-256 of the canonical content with the code version in it.
  const { model } = await resolveModel('vgg-small');
  const sha = weightsDigest(model);
  const expected = createHash('sha256').update(Buffer.concat(model.weights.map((w) => {
    const v = w.read().dataSync() as Float32Array;
    return Buffer.concat([Buffer.from(JSON.stringify(w.shape)), Buffer.from(v.buffer, v.byteOffset, v.byteLength)]);
  }))).digest('hex');
  model.dispose();
  assert.equal(sha, expected);
  assert.equal(a.jobs[0].model_sha256, sha);
  const content = { b: 1, a: { d: [1, 2], c: 'x' } };
  assert.equal(canonicalJson(content), '{"a":{"c":"x","d":[1,2]},"b":1}');
  assert.equal(studyJobId(content), createHash('sha256').update(`{"a":{"c":"x","d":[1,2]},"b":1,"code":${JSON.stringify(STUDY_CODE_VERSION)}}`).digest('hex'));
});

test('specDifferences names the fields that differ', () => {
  const stored = validateStudySpec(small);
  const given = validateStudySpec({ ...small, alphas: [0, 0.5, 1], methods: [{ name: 'local-ft', steps: 10 }, 'one-layer-interp'] });
  const diffs = specDifferences(stored, given);
  assert.deepEqual(diffs.map((d) => d.field), ['methods[0].steps', 'alphas']);
  assert.match(formatSpecDifferences(diffs), /alphas: \[0,1\] in the study, \[0,0\.5,1\] given/);
  assert.deepEqual(specDifferences(stored, validateStudySpec(small)), []);
});

test('correctness bitsets: bit i of byte i/8, least significant first', () => {
  const labels = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];
  const predicted = [1, 0, 3, 0, 0, 0, 0, 8, 9, 1]; // correct: 0, 2, 7, 8
  const { bits, correct } = packCorrect(predicted, labels);
  assert.deepEqual([...bits], [0b10000101, 0b00000001]);
  assert.equal(correct, 4);
  assert.deepEqual([...unpackCorrect(bits, 10)], [1, 0, 1, 0, 0, 0, 0, 1, 1, 0]);
  assert.throws(() => unpackCorrect(bits, 17), /2 bytes cannot hold exactly 17 examples/);
});
