/**
 * An image classifier on ONNX Runtime: an exported editlab model or an ONNX file from
 * elsewhere (a torchvision ResNet50, a HuggingFace ViT, …), fed NHWC images in [0, 1].
 */
import type { tf } from '../engine/backend';
import { exportOnnx, type OnnxExport, type OnnxExportOptions } from '../engine/onnx/export';
import { createOnnxSession, onnxRuntime, resolveThreads, type OnnxSessionOptions, type OrtSession } from '../engine/onnx/session';
import '../engine/onnx';

/** How a model lays out its image input. */
export type ImageLayout = 'nhwc' | 'nchw';

/** Options of {@link OnnxModel.load} and {@link OnnxModel.fromLayers}. */
export interface OnnxModelOptions extends OnnxSessionOptions {
  /**
   * Layout of the image input: 'nhwc' (editlab's exports, Keras), 'nchw' (PyTorch exports), or
   * 'auto' (default): from the input's static shape (channels of 1 or 3 at axis 1 → 'nchw').
   */
  layout?: ImageLayout | 'auto';
  /** Per-channel normalisation of the [0, 1] images before the model, (x − mean) / std, e.g. ImageNet's. */
  normalize?: { mean: number[]; std: number[] };
  /** The input that takes the images; default: the first. */
  inputName?: string;
  /** The output holding the logits; default: the first. */
  outputName?: string;
}

/** A static dim, or null when dynamic. */
type Dim = number | null;

const staticDims = (shape: ReadonlyArray<number | string>): Dim[] => shape.map((d) => (typeof d === 'number' && d > 0 ? d : null));

/** An ONNX classifier with its session; call {@link OnnxModel.release} when done. */
export class OnnxModel {
  /** Weights (or other inputs) fed on every run, by input name. */
  private fixed: Record<string, OrtTensor> = {};

  private constructor(
    readonly session: OrtSession,
    /** What it was made from: a file name, 'bytes', or the tfjs model's name. */
    readonly source: string,
    readonly inputName: string,
    readonly outputName: string,
    /** The image input's dims as the model declares them (null = dynamic). */
    readonly inputDims: Dim[],
    readonly layout: ImageLayout,
    readonly normalize: { mean: number[]; std: number[] } | undefined,
    /** Intra-op threads of the session. */
    readonly threads: number,
    /** The export, when made from a tfjs model. */
    readonly exported?: OnnxExport,
  ) {}

  /**
   * Loads an ONNX model (a .onnx file or its bytes). Errors say when the file is missing, is not
   * ONNX, or has no image-like input.
   */
  static async load(model: string | Uint8Array, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    const session = await createOnnxSession(model, options);
    const source = typeof model === 'string' ? model : 'bytes';
    try {
      return OnnxModel.wrap(session, source, options);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  /**
   * Exports a tfjs model and opens a session on it. `weightInputs` makes those weights graph
   * inputs, set with {@link OnnxModel.setInputs} (as a sweep does per α).
   */
  static async fromLayers(model: tf.LayersModel, options: OnnxModelOptions & Pick<OnnxExportOptions, 'weightInputs'> = {}): Promise<OnnxModel> {
    const exported = exportOnnx(model, { weightInputs: options.weightInputs, operators: 'onnxruntime' });
    const session = await createOnnxSession(exported.bytes, options);
    return OnnxModel.wrap(session, `tfjs model "${model.name}"`, { ...options, layout: 'nhwc' }, exported);
  }

  private static wrap(session: OrtSession, source: string, options: OnnxModelOptions, exported?: OnnxExport): OnnxModel {
    const inputName = options.inputName ?? session.inputNames[0];
    const outputName = options.outputName ?? session.outputNames[0];
    if (!session.inputNames.includes(inputName)) throw new Error(`editlab: the ONNX model ${source} has no input "${inputName}"; inputs: ${session.inputNames.join(', ')}.`);
    if (!session.outputNames.includes(outputName)) throw new Error(`editlab: the ONNX model ${source} has no output "${outputName}"; outputs: ${session.outputNames.join(', ')}.`);
    const meta = session.inputMetadata?.find((m) => m.name === inputName);
    const dims: Dim[] = meta && meta.isTensor ? staticDims(meta.shape) : [];
    if (meta && meta.isTensor && meta.type !== 'float32') throw new Error(`editlab: the ONNX model ${source} takes ${meta.type} input "${inputName}"; editlab feeds float32 images.`);
    if (dims.length && dims.length !== 4) throw new Error(`editlab: the ONNX model ${source} takes input "${inputName}" of rank ${dims.length} ([${fmt(dims)}]); editlab feeds images as a rank-4 batch.`);
    let layout = options.layout ?? 'auto';
    if (layout === 'auto') layout = dims.length === 4 && (dims[1] === 1 || dims[1] === 3) && dims[3] !== dims[1] ? 'nchw' : 'nhwc';
    if (options.normalize) {
      const { mean, std } = options.normalize;
      if (mean.length !== std.length || !mean.length) throw new Error('editlab: normalize needs mean and std of the same, non-zero length.');
    }
    return new OnnxModel(session, source, inputName, outputName, dims, layout, options.normalize, resolveThreads(options.threads), exported);
  }

  /** Other inputs fed on every run (e.g. weights made inputs by `weightInputs`), by name. */
  setInputs(values: Record<string, { data: Float32Array; shape: readonly number[] }>): void {
    const ort = onnxRuntime();
    for (const [name, v] of Object.entries(values)) {
      if (!this.session.inputNames.includes(name)) throw new Error(`editlab: the ONNX model ${this.source} has no input "${name}".`);
      this.fixed[name] = new ort.Tensor('float32', v.data, [...v.shape]);
    }
  }

  /** The batch size the model requires (when its batch dim is static), else undefined. */
  get fixedBatch(): number | undefined {
    return this.inputDims[0] ?? undefined;
  }

  /** Throws a clear error unless images of height × width × channels fit the model's input. */
  checkImages(height: number, width: number, channels: number): void {
    if (!this.inputDims.length) return;
    const want = this.layout === 'nchw' ? [this.inputDims[2], this.inputDims[3], this.inputDims[1]] : this.inputDims.slice(1);
    const have = [height, width, channels];
    if (want.some((d, i) => d !== null && d !== have[i]) || (this.normalize && this.normalize.mean.length !== 1 && this.normalize.mean.length !== channels)) {
      throw new Error(`editlab: the ONNX model ${this.source} expects input "${this.inputName}" of shape [${fmt(this.inputDims)}] (${this.layout.toUpperCase()}, i.e. ` +
        `${want.map((d) => d ?? '?').join('×')} images), but the dataset has ${height}×${width}×${channels} images` +
        (this.normalize && this.normalize.mean.length !== channels ? ` and normalize has ${this.normalize.mean.length} channels` : '') + '.');
    }
  }

  /**
   * Logits of `count` NHWC images in [0, 1] (`images` holds exactly count·h·w·c values):
   * count × classes, with `classes` = output size per example.
   */
  async run(images: Float32Array, count: number, height: number, width: number, channels: number): Promise<{ logits: Float32Array; classes: number }> {
    this.checkImages(height, width, channels);
    const ort = onnxRuntime();
    const batch = this.fixedBatch ?? count;
    const size = height * width * channels;
    const parts: Float32Array[] = [];
    let classes = 0;
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      let x = images.subarray(start * size, (start + n) * size);
      if (n < batch) {
        const padded = new Float32Array(batch * size);
        padded.set(x);
        x = padded;
      }
      const input = this.prepare(x, batch, height, width, channels);
      const dims = this.layout === 'nchw' ? [batch, channels, height, width] : [batch, height, width, channels];
      let out;
      try {
        out = await this.session.run({ ...this.fixed, [this.inputName]: new ort.Tensor('float32', input, dims) }, [this.outputName]);
      } catch (e) {
        throw new Error(`editlab: ONNX Runtime failed on ${this.source} with input [${dims}]: ${(e as Error).message.split('\n')[0]}`);
      }
      const y = out[this.outputName];
      const data = y.data as Float32Array;
      if (y.type !== 'float32') throw new Error(`editlab: the ONNX model ${this.source} gives ${y.type} output "${this.outputName}", expected float32 logits.`);
      classes = data.length / batch;
      parts.push(n < batch ? data.subarray(0, n * classes) : data);
    }
    const logits = parts.length === 1 ? parts[0] : concat(parts);
    return { logits, classes };
  }

  /** NHWC [0, 1] images → the model's layout, normalised. */
  private prepare(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
    const norm = this.normalize;
    if (this.layout === 'nhwc' && !norm) return x;
    const mean = norm ? norm.mean : [0];
    const inv = norm ? norm.std.map((s) => 1 / s) : [1];
    const m = (k: number) => mean[mean.length === 1 ? 0 : k];
    const s = (k: number) => inv[inv.length === 1 ? 0 : k];
    const out = new Float32Array(x.length);
    const hw = h * w;
    if (this.layout === 'nhwc') {
      for (let i = 0; i < x.length; i++) { const k = i % c; out[i] = (x[i] - m(k)) * s(k); }
      return out;
    }
    for (let b = 0; b < n; b++) {
      for (let k = 0; k < c; k++) {
        const mk = m(k), sk = s(k);
        const dst = (b * c + k) * hw;
        let src = b * hw * c + k;
        for (let p = 0; p < hw; p++, src += c) out[dst + p] = (x[src] - mk) * sk;
      }
    }
    return out;
  }

  /** Frees the session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

type OrtTensor = InstanceType<ReturnType<typeof onnxRuntime>['Tensor']>;

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function fmt(dims: Dim[]): string {
  return dims.map((d, i) => d ?? (i === 0 ? 'batch' : '?')).join(', ');
}
