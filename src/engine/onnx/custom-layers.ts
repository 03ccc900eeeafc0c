/**
 * Converters for editlab's own layer classes (src/models/layers.ts: the transformer pieces),
 * registered in the same table as the tfjs layers. Each mirrors the layer's `call` exactly.
 */
import { A } from './builder';
import { registerOnnxConverter, type ConverterContext, type OnnxValue } from './converters';

/** [batch, tokens, dim] input in tfjs layout; fails otherwise. */
function sequence(ctx: ConverterContext): OnnxValue {
  const x = ctx.toLayout(ctx.inputs[0], 'tf');
  if (x.shape.length !== 3) ctx.fail(`expected a [batch, tokens, dim] input, got shape [${x.shape}]`);
  return x;
}

// Prepends the learned token: concat([tile(token, [batch, 1, 1]), x], axis 1).
registerOnnxConverter('ClassToken', (ctx) => {
  const g = ctx.g, b = ctx.base;
  const x = sequence(ctx);
  const token = ctx.requireWeight('token');
  const dim = token.shape[2];
  const batch = g.op('Slice', [g.op('Shape', [x.name], `${b}/shape`), g.constant([0], [1], 'int64'), g.constant([1], [1], 'int64')], `${b}/batch`);
  const shape = g.op('Concat', [batch, g.constant([1, dim], [2], 'int64')], `${b}/token_shape`, { axis: A.i(0) });
  const tiled = g.op('Expand', [token.name, shape], `${b}/tokens`);
  return ctx.out(g.op('Concat', [tiled, x.name], b, { axis: A.i(1) }), 'tf');
});

registerOnnxConverter('PositionEmbedding', (ctx) => {
  const x = sequence(ctx);
  return ctx.out(ctx.g.op('Add', [x.name, ctx.requireWeight('embedding').name], ctx.base), 'tf');
});

// softmax(QKᵀ/√d_head)V per head, then the output projection; as MultiHeadSelfAttention.call.
registerOnnxConverter('MultiHeadSelfAttention', (ctx) => {
  const g = ctx.g, b = ctx.base;
  const x = sequence(ctx);
  const heads = Number(ctx.config.heads);
  const dim = ctx.requireWeight('query/kernel').shape[0];
  const dh = dim / heads;
  if (!Number.isInteger(heads) || heads < 1 || !Number.isInteger(dh)) ctx.fail(`dim ${dim} is not divisible by ${heads} heads`);
  const outProjection = (v: string) => g.op('Add', [g.op('MatMul', [v, ctx.requireWeight('out/kernel').name], `${b}/out_matmul`), ctx.requireWeight('out/bias').name], `${b}/out`);
  if (ctx.operators === 'onnxruntime') {
    // ONNX Runtime's fused self-attention: one projection to [Q K V], scaled by 1/√d_head, no transposes.
    const qkv = (suffix: string, axis: number) => g.op('Concat', ['query', 'key', 'value'].map((p) => ctx.requireWeight(`${p}/${suffix}`).name), `${b}/qkv_${suffix}`, { axis: A.i(axis) });
    const [attention] = g.node('Attention', [x.name, qkv('kernel', 1), qkv('bias', 0)], `${b}/attention`, { num_heads: A.i(heads) }, 1, 'com.microsoft');
    return ctx.out(outProjection(attention), 'tf');
  }
  const project = (p: string, v: string) => g.op('Add', [g.op('MatMul', [v, ctx.requireWeight(`${p}/kernel`).name], `${b}/${p}_matmul`), ctx.requireWeight(`${p}/bias`).name], `${b}/${p}`);
  const headsShape = g.constant([0, 0, heads, dh], [4], 'int64');
  const split = (p: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [project(p, x.name), headsShape], `${b}/${p}_heads`)], `${b}/${p}_t`, { perm: A.ints(perm) });
  const q = split('query', [0, 2, 1, 3]); // [b, h, t, dh]
  const kT = split('key', [0, 2, 3, 1]); // [b, h, dh, t]
  const v = split('value', [0, 2, 1, 3]);
  const scores = g.op('Mul', [g.op('MatMul', [q, kT], `${b}/qk`), g.scalar(1 / Math.sqrt(dh))], `${b}/scores`);
  const attention = g.op('Softmax', [scores], `${b}/softmax`, { axis: A.i(-1) });
  const merged = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [attention, v], `${b}/av`)], `${b}/av_t`, { perm: A.ints([0, 2, 1, 3]) }), g.constant([0, 0, dim], [3], 'int64')], `${b}/merged`);
  return ctx.out(outProjection(merged), 'tf');
});

// x·σ(1.702x).
registerOnnxConverter('QuickGelu', (ctx) => {
  const g = ctx.g, x = ctx.inputs[0];
  const s = g.op('Sigmoid', [g.op('Mul', [x.name, g.scalar(1.702)], `${ctx.base}/scaled`)], `${ctx.base}/sigmoid`);
  return ctx.out(g.op('Mul', [x.name, s], ctx.base), x.layout);
});

registerOnnxConverter('TakeClassToken', (ctx) => {
  const x = sequence(ctx);
  return ctx.out(ctx.g.op('Gather', [x.name, ctx.g.constant([0], [], 'int64')], ctx.base, { axis: A.i(1) }), 'tf');
});

// x / (√Σx² + 1e-12) over the last axis.
registerOnnxConverter('L2Normalize', (ctx) => {
  const g = ctx.g, b = ctx.base;
  const x = ctx.toLayout(ctx.inputs[0], 'tf');
  const norm = g.op('Sqrt', [g.op('ReduceSumSquare', [x.name], `${b}/sumsq`, { axes: A.ints([-1]), keepdims: A.i(1) })], `${b}/norm`);
  return ctx.out(g.op('Div', [x.name, g.op('Add', [norm, g.scalar(1e-12)], `${b}/norm_eps`)], b), 'tf');
});

registerOnnxConverter('FixedScale', (ctx) => {
  const x = ctx.inputs[0];
  return ctx.out(ctx.g.op('Mul', [x.name, ctx.g.scalar(Number(ctx.config.scale))], ctx.base), x.layout);
});
