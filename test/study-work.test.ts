// A job's estimated work, from its model's multiply-adds per layer (checked by hand on
// vgg-small and vit-tiny), and the run's ETA that prices the jobs left at the rates of the jobs done.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../src/engine/backend';
import { resolveModel, layerMultiplyAdds, multiplyAddsFrom } from '../src/models';
import { planStudy, validateStudySpec, jobWork, StudyEta, type StudyPlan } from '../src/study';
import { progressLine } from '../src/engine/progress';

before(async () => {
  await useBackend('wasm');
});

// vgg-small, 28×28×1 input: positions × kh·kw·in·out per convolution, in·out per dense layer.
const VGG = {
  block1_conv1: 28 * 28 * 9 * 1 * 32,
  block1_conv2: 28 * 28 * 9 * 32 * 32,
  block2_conv1: 14 * 14 * 9 * 32 * 64,
  block2_conv2: 14 * 14 * 9 * 64 * 64,
  block3_conv1: 7 * 7 * 9 * 64 * 128,
  block3_conv2: 7 * 7 * 9 * 128 * 128,
  fc1: 1152 * 256,
  predictions: 256 * 10,
};
const VGG_TOTAL = Object.values(VGG).reduce((a, b) => a + b, 0);
const VGG_LATE = VGG.block3_conv2 + VGG.fc1 + VGG.predictions;

test('multiply-adds per layer: vgg-small and vit-tiny by hand', async () => {
  const vgg = (await resolveModel('vgg-small')).model;
  const perLayer = layerMultiplyAdds(vgg);
  for (const [name, n] of Object.entries(VGG)) assert.equal(perLayer.get(name), n, name);
  assert.equal([...perLayer.values()].reduce((a, b) => a + b, 0), VGG_TOTAL, 'pooling, batch norm and activations count nothing');
  assert.equal(multiplyAddsFrom(perLayer, 'block3_conv2'), VGG_LATE);
  assert.throws(() => multiplyAddsFrom(perLayer, 'block9_conv1'), /no layer "block9_conv1"; its layers: input_1, block1_conv1/);
  vgg.dispose();
  const vit = (await resolveModel('vit-tiny')).model;
  const tokens = layerMultiplyAdds(vit);
  assert.equal(tokens.get('patch_embed'), 7 * 7 * 4 * 4 * 1 * 64, '4×4 patches: 49 positions');
  assert.equal(tokens.get('block1_attn'), 50 * 4 * 64 * 64, 'query, key, value and out projections over 50 tokens');
  assert.equal(tokens.get('block1_mlp1'), 50 * 64 * 128);
  assert.equal(tokens.get('head'), 64 * 10);
  assert.equal(tokens.get('pos_embed'), 0, 'an embedding is not a kernel');
  vit.dispose();
});

async function smallPlan(): Promise<StudyPlan> {
  return planStudy(validateStudySpec({
    models: ['vgg-small'],
    tasks: [{ name: 'snow-background', exemplars: 8 }],
    methods: [{ name: 'local-ft', steps: 2 }, { name: 'one-layer-interp', steps: 2 }, { name: 'rewrite', steps: 3 }, { name: 'interp', steps: 2 }],
    layers: ['late'],
    alphas: [0, 0.5, 1],
    sets: { clean: true, task_splits: false },
    images: 16,
  }));
}

test('job work: training steps × batch × 3 passes over what the loss runs through; α ≠ 0 over the layers from ℓ', async () => {
  const plan = await smallPlan();
  const work = Object.fromEntries(plan.jobs.map((j) => [j.method.name, jobWork(plan, j)]));
  assert.deepEqual(work['local-ft'], { train: 3 * 2 * 8 * VGG_LATE, evaluate: 2 * VGG_LATE });
  assert.deepEqual(work['one-layer-interp'], { train: 0, evaluate: 2 * VGG_LATE }, 'it reuses local-ft’s edit');
  assert.deepEqual(work.rewrite, { train: 3 * 3 * 8 * VGG.block3_conv2, evaluate: 2 * VGG_LATE }, 'its loss is at ℓ');
  assert.deepEqual(work.interp, { train: 3 * 2 * 8 * VGG_TOTAL, evaluate: 2 * VGG_TOTAL }, 'every layer');
});

test('the ETA prices the jobs left at the rates of the jobs done', async () => {
  const plan = await smallPlan();
  const [local, oneLayer, rewrite, interp] = ['local-ft', 'one-layer-interp', 'rewrite', 'interp'].map((m) => plan.jobs.find((j) => j.method.name === m)!);
  // Jobs whose seconds are exactly 2 ns per training multiply-add and 5 ns per evaluated one.
  const seconds = (w: { train: number; evaluate: number }) => ({ train: 2e-9 * w.train, evaluate: 5e-9 * w.evaluate });
  const eta = new StudyEta(plan, plan.jobs);
  assert.equal(eta.remaining(10), undefined, 'no job done: no estimate');
  const l = seconds(jobWork(plan, local));
  eta.finished(local, l.train + l.evaluate, l.train);
  const o = seconds(jobWork(plan, oneLayer));
  eta.finished(oneLayer, o.evaluate + 0.5, 0.5); // a reusing job's own seconds all count as evaluation
  const spent = l.train + l.evaluate + o.evaluate + 0.5;
  // Rates learnt: training 2 ns exactly; evaluation (l.evaluate + o.evaluate + 0.5) s over both jobs' evaluation work.
  const evaluateRate = (l.evaluate + o.evaluate + 0.5) / (2 * 2 * VGG_LATE);
  const left = [rewrite, interp].reduce((s, j) => { const w = jobWork(plan, j); return s + 2e-9 * w.train + evaluateRate * w.evaluate; }, 0);
  // One worker, no time lost between jobs: the time left is the priced work left.
  assert.ok(Math.abs(eta.remaining(spent)! - left) < 1e-9 * left, `${eta.remaining(spent)} vs ${left}`);
  // Two workers finish the same work in half the elapsed time: the estimate halves with it.
  assert.ok(Math.abs(eta.remaining(spent / 2)! - left / 2) < 1e-9 * left);
  eta.finished(local, 99, 99); // a job counted twice is ignored
  assert.ok(Math.abs(eta.remaining(spent)! - left) < 1e-9 * left);
});

test('a progress line shows the caller’s ETA where it has one', () => {
  assert.match(progressLine('study', 1, 4, 10, false, 24, 'jobs'), /ETA 30s/, 'the count’s rate: 3 jobs at 10 s each');
  assert.match(progressLine('study', 1, 4, 10, false, 24, 'jobs', 125), /ETA 2m05s/);
  assert.match(progressLine('study', 1, 4, 10, false, 24, 'jobs', undefined), /ETA 30s/);
  assert.doesNotMatch(progressLine('study', 4, 4, 10, true, 24, 'jobs', 125), /ETA/, 'done: the elapsed time instead');
});

test('the ETA learns rates per model, pricing a model not seen yet at the mean job of those seen', async () => {
  const plan = await planStudy(validateStudySpec({
    models: ['vgg-small', 'resnet-small'],
    tasks: [{ name: 'snow-background', exemplars: 8 }, { name: 'concept-style', exemplars: 8 }],
    methods: [{ name: 'local-ft', steps: 2 }],
    layers: ['late'],
    alphas: [0, 1],
    sets: { clean: true, task_splits: false },
    images: 16,
  }));
  const [vgg1, vgg2] = plan.jobs.filter((j) => j.model === 'vgg-small');
  const [resnet1, resnet2] = plan.jobs.filter((j) => j.model === 'resnet-small');
  const w = (j: typeof vgg1) => jobWork(plan, j);
  const eta = new StudyEta(plan, plan.jobs);
  // vgg-small: 1 ns per multiply-add of either kind; resnet-small: 4 ns.
  eta.finished(vgg1, 1e-9 * (w(vgg1).train + w(vgg1).evaluate), 1e-9 * w(vgg1).train);
  const spent1 = 1e-9 * (w(vgg1).train + w(vgg1).evaluate);
  const atVgg = (j: typeof vgg1) => 1e-9 * (w(j).train + w(j).evaluate);
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-9 * b;
  const meanVggJob = (atVgg(vgg1) + atVgg(vgg2)) / 2;
  assert.ok(close(eta.remaining(spent1)!, atVgg(vgg2) + 2 * meanVggJob), 'each resnet-small job at vgg-small’s mean job');
  eta.finished(resnet1, 4 * atVgg(resnet1), 4e-9 * w(resnet1).train);
  const spent2 = spent1 + 4 * atVgg(resnet1);
  assert.ok(close(eta.remaining(spent2)!, atVgg(vgg2) + 4 * atVgg(resnet2)), 'each model at its own rates');
});

test('a running job’s time counts as work done and comes off its price', async () => {
  const plan = await smallPlan();
  const [a, b, c] = plan.jobs;
  let clock = 0;
  const eta = new StudyEta(plan, [a, b, c], () => clock);
  const price = (j: typeof a) => 1e-9 * (jobWork(plan, j).train + jobWork(plan, j).evaluate);
  // Two workers: a and b start at 0; a finishes at its price (1 ns per multiply-add, so every
  // job of the model is priced at its own seconds), b has run as long; c waits.
  eta.started(a);
  eta.started(b);
  clock = 1000 * price(a);
  eta.finished(a, price(a), 1e-9 * jobWork(plan, a).train);
  const elapsed = price(a);
  const left = Math.max(0, price(b) - price(a)) + price(c);
  // Work done: a's seconds and b's so far, both over `elapsed`: two workers' worth.
  const expected = (elapsed * left) / (2 * price(a));
  assert.ok(Math.abs(eta.remaining(elapsed)! - expected) < 1e-9 * expected, `${eta.remaining(elapsed)} vs ${expected}`);
});
