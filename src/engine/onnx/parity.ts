/**
 * Parity of an ONNX export with tfjs: the same batch through both, compared by relative error
 * (max |onnx − tfjs| / max |tfjs|) and argmax agreement.
 */
import { tf } from '../backend';
import { tidyData } from '../tidy-data';
import { exportOnnx, type OnnxExportOptions } from './export';
import { createOnnxSession, onnxRuntime, type OnnxSessionOptions } from './session';

/** max |actual − reference| / max |reference|: the error relative to the reference's scale. */
export function relativeError(reference: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (reference.length !== actual.length) throw new Error(`relativeError: ${reference.length} reference values, ${actual.length} actual.`);
  let diff = 0, scale = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(reference[i] - actual[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  if (Number.isNaN(diff)) return Number.NaN;
  return diff / Math.max(scale, 1e-30);
}

/** Fraction of rows whose argmax agrees. */
export function argmaxAgreement(a: ArrayLike<number>, b: ArrayLike<number>, classes: number): number {
  const n = a.length / classes;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    let ia = 0, ib = 0;
    for (let k = 1; k < classes; k++) {
      if (a[i * classes + k] > a[i * classes + ia]) ia = k;
      if (b[i * classes + k] > b[i * classes + ib]) ib = k;
    }
    if (ia === ib) agree++;
  }
  return n ? agree / n : 1;
}

/** The result of {@link checkOnnxParity}. */
export interface OnnxParity {
  relativeError: number;
  argmaxAgreement: number;
  tfjs: Float32Array;
  onnx: Float32Array;
  classes: number;
}

/**
 * Runs `count` images (NHWC, the model's input shape) through the tfjs model and through its
 * ONNX export on ONNX Runtime, and compares the first outputs.
 */
export async function checkOnnxParity(model: tf.LayersModel, images: Float32Array, count: number, options: OnnxExportOptions & OnnxSessionOptions = {}): Promise<OnnxParity> {
  const shape = [count, ...model.inputs[0].shape.slice(1).map(Number)];
  const reference = tidyData(() => {
    const y = model.predict(tf.tensor(images, shape));
    return Array.isArray(y) ? y[0] : y;
  });
  const exported = exportOnnx(model, options);
  const session = await createOnnxSession(exported.bytes, { threads: 1, ...options });
  try {
    const ort = onnxRuntime();
    const out = await session.run({ [exported.inputs[0].name]: new ort.Tensor('float32', images, shape) });
    const onnx = out[exported.outputs[0].name].data as Float32Array;
    const classes = reference.length / count;
    return { relativeError: relativeError(reference, onnx), argmaxAgreement: argmaxAgreement(reference, onnx, classes), tfjs: reference, onnx, classes };
  } finally {
    await session.release();
  }
}
