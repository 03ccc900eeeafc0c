// HuggingFace ViT and CLIP-vision checkpoints in safetensors, loaded into editlab's ViT and
// checked against an independent float64 implementation written from the papers' equations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf, useBackend } from '../src/engine/backend';
import { mulberry32 } from '../src/engine/rng';
import { writeSafetensors, readSafetensors, loadVitCheckpoint, activations } from '../src/models';

type T = { shape: number[]; data: Float32Array };
const rand = mulberry32(77);
const tensor = (shape: number[], scale = 0.3): T => ({ shape, data: Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => (rand() * 2 - 1) * scale) });
const D = 8, HEADS = 2, DEPTH = 2, MLP = 16, P = 4, SIDE = 8, C = 3, CLASSES = 3, TOKENS = (SIDE / P) ** 2 + 1;

/** Random weights under HuggingFace key names (torch layouts: Linear [out, in], Conv [out, in, h, w]). */
function checkpoint(layout: 'vit' | 'clip'): Record<string, T> {
  const t: Record<string, T> = {};
  const pre = layout === 'vit' ? 'vit.' : 'vision_model.';
  const linear = (k: string, out: number, inp: number) => { t[`${k}.weight`] = tensor([out, inp]); t[`${k}.bias`] = tensor([out], 0.1); };
  const norm = (k: string) => { t[`${k}.weight`] = { shape: [D], data: Float32Array.from({ length: D }, () => 1 + (rand() - 0.5) * 0.2) }; t[`${k}.bias`] = tensor([D], 0.1); };
  if (layout === 'vit') {
    t[`${pre}embeddings.cls_token`] = tensor([1, 1, D]);
    t[`${pre}embeddings.position_embeddings`] = tensor([1, TOKENS, D]);
    t[`${pre}embeddings.patch_embeddings.projection.weight`] = tensor([D, C, P, P]);
    t[`${pre}embeddings.patch_embeddings.projection.bias`] = tensor([D], 0.1);
  } else {
    t[`${pre}embeddings.class_embedding`] = tensor([D]);
    t[`${pre}embeddings.position_embedding.weight`] = tensor([TOKENS, D]);
    t[`${pre}embeddings.patch_embedding.weight`] = tensor([D, C, P, P]);
    norm(`${pre}pre_layrnorm`);
  }
  for (let i = 0; i < DEPTH; i++) {
    if (layout === 'vit') {
      const k = `${pre}encoder.layer.${i}.`;
      norm(`${k}layernorm_before`);
      for (const q of ['query', 'key', 'value']) linear(`${k}attention.attention.${q}`, D, D);
      linear(`${k}attention.output.dense`, D, D);
      norm(`${k}layernorm_after`);
      linear(`${k}intermediate.dense`, MLP, D);
      linear(`${k}output.dense`, D, MLP);
    } else {
      const k = `${pre}encoder.layers.${i}.`;
      norm(`${k}layer_norm1`);
      for (const q of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) linear(`${k}self_attn.${q}`, D, D);
      norm(`${k}layer_norm2`);
      linear(`${k}mlp.fc1`, MLP, D);
      linear(`${k}mlp.fc2`, D, MLP);
    }
  }
  if (layout === 'vit') { norm(`${pre}layernorm`); linear('classifier', CLASSES, D); }
  else { norm(`${pre}post_layernorm`); t['visual_projection.weight'] = tensor([5, D]); t['text_model.embeddings.token_embedding.weight'] = tensor([4, D]); }
  return t;
}

// ---- the independent reference (float64, plain arrays) ----
const erf = (x: number) => { let sum = 0, term = x; for (let n = 0; n < 80; n++) { sum += term / (2 * n + 1); term *= -x * x / (n + 1); } return (2 / Math.sqrt(Math.PI)) * sum; };
const at = (t: T, ...i: number[]) => { let o = 0; for (let k = 0; k < i.length; k++) o = o * t.shape[k] + i[k]; return t.data[o]; };
const lin = (x: number[], w: T, b?: T) => Array.from({ length: w.shape[0] }, (_, o) => x.reduce((s, v, i) => s + v * at(w, o, i), b ? b.data[o] : 0));
const layerNorm = (x: number[], g: T, b: T, eps: number) => { const m = x.reduce((s, v) => s + v, 0) / x.length; const v = x.reduce((s, u) => s + (u - m) ** 2, 0) / x.length; return x.map((u, i) => ((u - m) / Math.sqrt(v + eps)) * g.data[i] + b.data[i]); };

function reference(layout: 'vit' | 'clip', w: Record<string, T>, image: Float32Array): number[] {
  const pre = layout === 'vit' ? 'vit.' : 'vision_model.';
  const eps = layout === 'vit' ? 1e-12 : 1e-5;
  const act = layout === 'vit' ? (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2)) : (x: number) => x / (1 + Math.exp(-1.702 * x));
  const patchW = w[`${pre}${layout === 'vit' ? 'embeddings.patch_embeddings.projection.weight' : 'embeddings.patch_embedding.weight'}`];
  const patchB = layout === 'vit' ? w[`${pre}embeddings.patch_embeddings.projection.bias`] : undefined;
  const tokens: number[][] = [Array.from(layout === 'vit' ? w[`${pre}embeddings.cls_token`].data : w[`${pre}embeddings.class_embedding`].data)];
  for (let pi = 0; pi < SIDE / P; pi++) for (let pj = 0; pj < SIDE / P; pj++) {
    tokens.push(Array.from({ length: D }, (_, d) => {
      let s = patchB ? patchB.data[d] : 0;
      for (let c = 0; c < C; c++) for (let u = 0; u < P; u++) for (let v = 0; v < P; v++) s += at(patchW, d, c, u, v) * image[((pi * P + u) * SIDE + pj * P + v) * C + c];
      return s;
    }));
  }
  const pos = w[`${pre}${layout === 'vit' ? 'embeddings.position_embeddings' : 'embeddings.position_embedding.weight'}`];
  let x = tokens.map((t, i) => t.map((v, d) => v + pos.data[i * D + d]));
  if (layout === 'clip') x = x.map((t) => layerNorm(t, w[`${pre}pre_layrnorm.weight`], w[`${pre}pre_layrnorm.bias`], eps));
  const names = (i: number) => layout === 'vit'
    ? { k: `${pre}encoder.layer.${i}.`, ln1: 'layernorm_before', ln2: 'layernorm_after', q: 'attention.attention.query', kk: 'attention.attention.key', v: 'attention.attention.value', o: 'attention.output.dense', f1: 'intermediate.dense', f2: 'output.dense' }
    : { k: `${pre}encoder.layers.${i}.`, ln1: 'layer_norm1', ln2: 'layer_norm2', q: 'self_attn.q_proj', kk: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.out_proj', f1: 'mlp.fc1', f2: 'mlp.fc2' };
  for (let i = 0; i < DEPTH; i++) {
    const n = names(i);
    const W = (s: string) => w[`${n.k}${s}.weight`], B = (s: string) => w[`${n.k}${s}.bias`];
    const h = x.map((t) => layerNorm(t, W(n.ln1), B(n.ln1), eps));
    const q = h.map((t) => lin(t, W(n.q), B(n.q))), k = h.map((t) => lin(t, W(n.kk), B(n.kk))), v = h.map((t) => lin(t, W(n.v), B(n.v)));
    const dh = D / HEADS;
    const merged = x.map(() => new Array(D).fill(0));
    for (let hd = 0; hd < HEADS; hd++) {
      for (let a = 0; a < x.length; a++) {
        const scores = x.map((_, b) => { let s = 0; for (let e = 0; e < dh; e++) s += q[a][hd * dh + e] * k[b][hd * dh + e]; return s / Math.sqrt(dh); });
        const m = Math.max(...scores); const ex = scores.map((s) => Math.exp(s - m)); const z = ex.reduce((s, u) => s + u, 0);
        for (let e = 0; e < dh; e++) merged[a][hd * dh + e] = ex.reduce((s, u, b) => s + (u / z) * v[b][hd * dh + e], 0);
      }
    }
    x = x.map((t, a) => lin(merged[a], W(n.o), B(n.o)).map((u, d) => u + t[d]));
    x = x.map((t) => { const m = lin(layerNorm(t, W(n.ln2), B(n.ln2), eps), W(n.f1), B(n.f1)).map(act); return lin(m, W(n.f2), B(n.f2)).map((u, d) => u + t[d]); });
  }
  const finalName = layout === 'vit' ? 'layernorm' : 'post_layernorm';
  const pooled = layerNorm(x[0], w[`${pre}${finalName}.weight`], w[`${pre}${finalName}.bias`], eps);
  return layout === 'vit' ? lin(pooled, w['classifier.weight'], w['classifier.bias']) : lin(pooled, w['visual_projection.weight']);
}

for (const layout of ['vit', 'clip'] as const) {
  test(`a HuggingFace ${layout === 'vit' ? 'ViT' : 'CLIP vision'} safetensors checkpoint loads and matches an independent forward pass`, async () => {
    await useBackend('wasm');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-st-'));
    const file = path.join(dir, 'model.safetensors');
    const weights = checkpoint(layout);
    writeSafetensors(file, weights, { format: 'pt' });
    assert.equal((await loadVitCheckpoint(file, { classes: 4 })).config.heads, 1, 'no config.json: dim / 64 heads, at least 1');
    // HuggingFace saves config.json beside the weights (a full CLIP config nests the tower's under vision_config).
    const vision = { hidden_size: D, num_attention_heads: HEADS, hidden_act: layout === 'vit' ? 'gelu' : 'quick_gelu', layer_norm_eps: layout === 'vit' ? 1e-12 : 1e-5 };
    const writeConfig = (v: object) => fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(layout === 'vit' ? v : { text_config: { hidden_size: 5 }, vision_config: v }));
    writeConfig({ ...vision, hidden_size: D * 2 });
    await assert.rejects(loadVitCheckpoint(file), new RegExp(`config\\.json: "${layout === 'vit' ? '' : 'vision_config\\.'}hidden_size" is ${D * 2} but model\\.safetensors's patch embedding is ${D} wide`));
    writeConfig({ ...vision, hidden_act: 'relu' });
    await assert.rejects(loadVitCheckpoint(file), /hidden_act" is "relu"; editlab builds a hf-(vit|clip) checkpoint with "(gelu|quick_gelu)"/);
    writeConfig(vision);
    const loaded = await loadVitCheckpoint(file, { classes: 4 });
    assert.deepEqual([loaded.config.heads, loaded.configFile], [HEADS, path.join(dir, 'config.json')], 'heads from config.json');
    assert.equal(loaded.layout, layout === 'vit' ? 'hf-vit' : 'hf-clip');
    assert.deepEqual(loaded.config.depth, DEPTH);
    if (layout === 'clip') assert.deepEqual(loaded.unused, ['text_model.embeddings.token_embedding.weight']);
    const image = Float32Array.from({ length: SIDE * SIDE * C }, () => rand());
    const x = tf.tensor4d(image, [1, SIDE, SIDE, C]);
    const ours = (layout === 'vit' ? loaded.model.predict(x) : activations(loaded.model, 'projection', x)) as tf.Tensor;
    const expected = reference(layout, weights, image);
    const got = Array.from(ours.dataSync());
    const scale = Math.max(...expected.map(Math.abs));
    got.forEach((g, i) => assert.ok(Math.abs(g - expected[i]) <= 1e-4 * scale, `output ${i}: ${g} vs ${expected[i]}`));
    loaded.model.dispose();
  });
}

test('safetensors files that lie are refused with the tensor named', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-st-'));
  const good = path.join(dir, 'good.safetensors');
  writeSafetensors(good, { a: tensor([2, 3]), b: tensor([4]) });
  const bytes = fs.readFileSync(good);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString());
  const rewrite = (name: string, h: unknown, extra = 0) => {
    const json = Buffer.from(JSON.stringify(h));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length + extra));
    const file = path.join(dir, name);
    fs.writeFileSync(file, Buffer.concat([len, json, bytes.subarray(8 + headerLength)]));
    return file;
  };
  assert.throws(() => readSafetensors(rewrite('long.safetensors', header, 1e6)), /header length \d+ runs past the end of the file/);
  assert.throws(() => readSafetensors(rewrite('dtype.safetensors', { ...header, a: { ...header.a, dtype: 'Q4' } })), /tensor "a" has unsupported dtype "Q4"/);
  assert.throws(() => readSafetensors(rewrite('offsets.safetensors', { ...header, b: { ...header.b, data_offsets: [24, 999] } })), /tensor "b" has data_offsets \[24,999\] outside/);
  assert.throws(() => readSafetensors(rewrite('size.safetensors', { ...header, a: { ...header.a, shape: [3, 3] } })), /tensor "a" \(F32 \[3,3\]\) needs 36 bytes but its data_offsets span 24/);
  assert.throws(() => readSafetensors(rewrite('overlap.safetensors', { ...header, b: { ...header.b, data_offsets: [8, 24] } })), /overlap/);
  const partial = path.join(dir, 'partial.safetensors');
  const w = checkpoint('vit');
  delete w['vit.encoder.layer.1.output.dense.bias'];
  writeSafetensors(partial, w);
  await assert.rejects(loadVitCheckpoint(partial, { heads: HEADS }), /no tensor for block2_mlp2\/bias/);
  const wrong = checkpoint('vit');
  wrong['vit.encoder.layer.0.intermediate.dense.weight'] = tensor([MLP, D + 1]);
  writeSafetensors(partial, wrong);
  await assert.rejects(loadVitCheckpoint(partial, { heads: HEADS }), /"vit\.encoder\.layer\.0\.intermediate\.dense\.weight" has shape \[16,9\]; block1_mlp1\/kernel needs \[8,16\]/);
});
