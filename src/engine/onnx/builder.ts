/**
 * A small ONNX graph builder on top of onnx-proto (the maintained protobuf definitions):
 * unique names, nodes with typed attributes, initializers, and weights that are either
 * constants (folded here, in JS) or graph inputs (so a sweep can feed W(α) per run).
 */
import { onnx } from 'onnx-proto';
import { version } from '../../version';

/** The opset every exported graph imports (LayerNormalization needs 17). */
export const ONNX_OPSET = 17;
/** IR version 8 goes with opset 17 (ONNX 1.12). */
export const ONNX_IR_VERSION = 8;

const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

/** An attribute value with its ONNX type made explicit. */
export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] };

/** Typed attribute constructors: `{ kernel_shape: A.ints([3, 3]), epsilon: A.f(1e-3) }`. */
export const A = {
  i: (v: number): Attr => ({ i: v }),
  f: (v: number): Attr => ({ f: v }),
  s: (v: string): Attr => ({ s: v }),
  ints: (v: number[]): Attr => ({ ints: v }),
  floats: (v: number[]): Attr => ({ floats: v }),
};

function toAttribute(name: string, a: Attr): onnx.IAttributeProto {
  if ('i' in a) return { name, type: AttributeType.INT, i: a.i };
  if ('f' in a) return { name, type: AttributeType.FLOAT, f: a.f };
  if ('s' in a) return { name, type: AttributeType.STRING, s: Buffer.from(a.s, 'utf8') };
  if ('ints' in a) return { name, type: AttributeType.INTS, ints: a.ints };
  return { name, type: AttributeType.FLOATS, floats: a.floats };
}

/** A dimension: a size, or null for a dynamic one (named by `dimParam`). */
export type Dim = number | null;

/**
 * A weight in the graph: its value name and shape; `data` is present when it is a constant
 * (an initializer), absent when it is a graph input fed at run time.
 */
export interface WeightRef {
  name: string;
  shape: number[];
  data?: Float32Array;
}

const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Transposes a dense row-major array: output axis j is input axis perm[j]. */
export function transposeData(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) { inStrides[i] = s; s *= shape[i]; }
  const strides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src];
    for (let j = rank - 1; j >= 0; j--) {
      idx[j]++;
      src += strides[j];
      if (idx[j] < outShape[j]) break;
      src -= strides[j] * outShape[j];
      idx[j] = 0;
    }
  }
  return out;
}

/** Builds one ONNX graph. */
export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly reserved = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly domains = new Set<string>();

  constructor(readonly graphName: string) {}

  /** A fresh value name based on `base`. */
  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let name = clean;
    for (let k = 1; this.used.has(name); k++) name = `${clean}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Reserves a name exactly as given (graph inputs and outputs); throws if it is taken. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`editlab onnx: value name "${name}" is used twice.`);
    this.used.add(name);
    this.reserved.add(name);
    return name;
  }

  /**
   * Adds a node; returns its output names (fresh names based on `base`). `domain`: an operator
   * set other than ONNX's own, e.g. ONNX Runtime's contrib ops ('com.microsoft').
   */
  node(op: string, inputs: string[], base: string, attrs: Record<string, Attr> = {}, outputs = 1, domain = ''): string[] {
    const outs = Array.from({ length: outputs }, (_, k) => this.unique(outputs > 1 ? `${base}:${k}` : base));
    if (domain) this.domains.add(domain);
    this.nodes.push({
      domain: domain || undefined,
      opType: op,
      name: this.unique(`${base}/${op}`),
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return outs;
  }

  /** Adds a one-output node. */
  op(op: string, inputs: string[], base: string, attrs: Record<string, Attr> = {}): string {
    return this.node(op, inputs, base, attrs)[0];
  }

  /** A float32 initializer. */
  floatInit(base: string, shape: readonly number[], data: Float32Array): string {
    if (data.length !== size(shape)) throw new Error(`editlab onnx: initializer ${base}: ${data.length} values for shape [${shape}].`);
    const name = this.unique(base);
    const bytes = new Uint8Array(data.byteLength);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.initializers.push({ name, dims: [...shape], dataType: DataType.FLOAT, rawData: bytes });
    return name;
  }

  /** A small constant (deduplicated): float32 or int64. */
  constant(values: readonly number[], shape: readonly number[] = [values.length], type: 'float' | 'int64' = 'float'): string {
    const key = `${type}|${shape.join(',')}|${values.join(',')}`;
    const hit = this.constants.get(key);
    if (hit) return hit;
    let name: string;
    if (type === 'float') {
      name = this.floatInit('const', shape, Float32Array.from(values));
    } else {
      name = this.unique('const_i64');
      const data = BigInt64Array.from(values.map((v) => BigInt(v)));
      this.initializers.push({ name, dims: [...shape], dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) });
    }
    this.constants.set(key, name);
    return name;
  }

  /** A float scalar constant. */
  scalar(value: number): string {
    return this.constant([value], []);
  }

  /** Declares a float32 graph input named exactly `name` (reserve it first, or it must be unused). */
  input(name: string, dims: readonly Dim[]): string {
    if (!this.reserved.has(name)) this.reserve(name);
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Declares a float32 graph output (the value must be produced by a node or be an input). */
  output(name: string, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, dims));
  }

  /** Names of the declared graph outputs. */
  get outputNames(): string[] {
    return this.outputs.map((o) => o.name as string);
  }

  /** Makes `value` available under the reserved `name` (an Identity node), e.g. to name a graph output. */
  rename(value: string, name: string): string {
    if (!this.reserved.has(name)) this.reserve(name);
    this.nodes.push({ opType: 'Identity', name: this.unique(`${name}/Identity`), input: [value], output: [name] });
    return name;
  }

  // Weights: constants are folded in JS, graph inputs get nodes.

  /**
   * A weight stored in the graph. The initializer is added when its name is first read, so a
   * weight only used transposed or reshaped (folded here) is stored once, in its final form.
   */
  weightConstant(base: string, shape: number[], data: Float32Array): WeightRef {
    let name: string | undefined;
    const builder = this;
    return {
      get name() {
        name ??= builder.floatInit(base, shape, data);
        return name;
      },
      shape,
      data,
    };
  }

  /** A weight fed at run time under `name`. */
  weightInput(name: string, shape: number[]): WeightRef {
    const unique = this.unique(name);
    this.reserved.add(unique);
    return { name: this.input(unique, shape), shape };
  }

  /** Transposed weight (folded when constant). */
  transposeWeight(w: WeightRef, perm: number[], base: string): WeightRef {
    const shape = perm.map((p) => w.shape[p]);
    if (perm.every((p, i) => p === i)) return w;
    if (w.data) return this.weightConstant(base, shape, transposeData(w.data, w.shape, perm));
    return { name: this.op('Transpose', [w.name], base, { perm: A.ints(perm) }), shape };
  }

  /** Reshaped weight (folded when constant). */
  reshapeWeight(w: WeightRef, shape: number[], base: string): WeightRef {
    if (size(shape) !== size(w.shape)) throw new Error(`editlab onnx: cannot reshape [${w.shape}] to [${shape}].`);
    if (shape.length === w.shape.length && shape.every((d, i) => d === w.shape[i])) return w;
    if (w.data) return this.weightConstant(base, shape, w.data);
    return { name: this.op('Reshape', [w.name, this.constant(shape, [shape.length], 'int64')], base), shape };
  }

  /** Elementwise op on same-shaped weights (or scalars), folded when every operand is constant. */
  weightMath(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: WeightRef, b: WeightRef | number, base: string): WeightRef {
    const bRef: WeightRef = typeof b === 'number' ? { name: '', shape: [], data: Float32Array.of(b) } : b;
    const shape = a.shape.length >= bRef.shape.length ? a.shape : bRef.shape;
    if (a.data && bRef.data) {
      const n = size(shape);
      const out = new Float32Array(n);
      const at = (d: Float32Array, i: number) => (d.length === 1 ? d[0] : d[i]);
      for (let i = 0; i < n; i++) {
        const x = at(a.data, i), y = at(bRef.data, i);
        out[i] = op === 'Add' ? x + y : op === 'Sub' ? x - y : op === 'Mul' ? x * y : x / y;
      }
      return this.weightConstant(base, shape, out);
    }
    const bName = typeof b === 'number' ? this.scalar(b) : b.name;
    return { name: this.op(op, [a.name, bName], base), shape };
  }

  /** Elementwise unary op on a weight, folded when constant. */
  weightUnary(op: 'Sqrt', a: WeightRef, base: string): WeightRef {
    if (a.data) return this.weightConstant(base, a.shape, a.data.map((v) => Math.sqrt(v)));
    return { name: this.op(op, [a.name], base), shape: a.shape };
  }

  /** Serialises the graph as an ONNX model (protobuf bytes). */
  encode(docString = ''): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }, ...[...this.domains].map((domain) => ({ domain, version: 1 }))],
      producerName: 'editlab',
      producerVersion: version,
      docString,
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, dims: readonly Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d, i) => (d === null || d === undefined ? { dimParam: i === 0 ? 'batch' : `d${i}` } : { dimValue: d })) },
      },
    },
  };
}
