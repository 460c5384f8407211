// Collects the nodes and constants the gradient builder adds to a graph, with fresh tensor names.
import { type Attr, encodeInitializer, encodeNode, tensorPayload } from './onnxModel';

export const PREFIX = 'bertlens_grad/';
export const MS_DOMAIN = 'com.microsoft';

export class Emitter {
  readonly nodes: Uint8Array[] = [];
  readonly initializers: Uint8Array[] = [];
  private counter = 0;
  private readonly consts = new Map<string, string>();
  private readonly shapes = new Map<string, string>();
  /** Operator domains other than the default one that emitted nodes use (the written model imports them). */
  readonly domains = new Set<string>();

  constructor(
    /** Default-domain opset of the written graph (decides ReduceMean's axes form). */
    readonly opset: number,
  ) {}

  fresh(hint: string): string {
    return `${PREFIX}${this.counter++}_${hint}`;
  }

  /** One node with one output; returns the output name. */
  op(type: string, inputs: string[], attrs: Attr[] = [], hint = type): string {
    const out = this.fresh(hint);
    this.nodes.push(encodeNode(type, inputs, [out], `${out}_node`, attrs));
    return out;
  }

  /** One node of ONNX Runtime's contrib domain (com.microsoft, version 1) with one output. */
  msOp(type: string, inputs: string[], attrs: Attr[] = []): string {
    const out = this.fresh(type);
    this.nodes.push(encodeNode(type, inputs, [out], `${out}_node`, attrs, MS_DOMAIN));
    this.domains.add(MS_DOMAIN);
    return out;
  }

  /** One node with `n` outputs. */
  opN(type: string, inputs: string[], n: number, attrs: Attr[] = []): string[] {
    const outs = Array.from({ length: n }, () => this.fresh(type));
    this.nodes.push(encodeNode(type, inputs, outs, `${outs[0]}_node`, attrs));
    return outs;
  }

  /** An int64 constant (1-D unless `scalar`). */
  i64(values: number[], scalar = false): string {
    const key = `i${scalar ? 's' : ''}:${values.join(',')}`;
    let name = this.consts.get(key);
    if (!name) {
      name = this.fresh('const');
      this.initializers.push(
        encodeInitializer(name, scalar ? [] : [values.length], BigInt64Array.from(values.map(BigInt))),
      );
      this.consts.set(key, name);
    }
    return name;
  }

  /** A float32 scalar constant (or 1-D when given several values). */
  f32(...values: number[]): string {
    const key = `f:${values.join(',')}`;
    let name = this.consts.get(key);
    if (!name) {
      name = this.fresh('const');
      this.initializers.push(
        encodeInitializer(name, values.length === 1 ? [] : [values.length], Float32Array.from(values)),
      );
      this.consts.set(key, name);
    }
    return name;
  }

  shape(t: string): string {
    let s = this.shapes.get(t);
    if (!s) {
      s = this.op('Shape', [t]);
      this.shapes.set(t, s);
    }
    return s;
  }

  /** Float zeros of the runtime shape of `t`. */
  zerosLike(t: string): string {
    return this.op(
      'ConstantOfShape',
      [this.shape(t)],
      [{ name: 'value', t: tensorPayload('value', [1], Float32Array.from([0])) }],
    );
  }

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }
  neg(a: string): string {
    return this.op('Neg', [a]);
  }
  reshape(a: string, shape: string): string {
    return this.op('Reshape', [a, shape]);
  }
  transpose(a: string, perm: number[]): string {
    return this.op('Transpose', [a], [{ name: 'perm', ints: perm }]);
  }
  unsqueeze(a: string, axes: number[]): string {
    return this.op('Unsqueeze', [a, this.i64(axes)]);
  }
  reduceSum(a: string, axes: number[] | undefined, keepdims: boolean): string {
    return this.op('ReduceSum', axes ? [a, this.i64(axes)] : [a], [{ name: 'keepdims', i: keepdims ? 1 : 0 }]);
  }
  reduceMean(a: string, axes: number[], keepdims: boolean): string {
    if (this.opset >= 18)
      return this.op('ReduceMean', [a, this.i64(axes)], [{ name: 'keepdims', i: keepdims ? 1 : 0 }]);
    return this.op(
      'ReduceMean',
      [a],
      [
        { name: 'axes', ints: axes },
        { name: 'keepdims', i: keepdims ? 1 : 0 },
      ],
    );
  }
  castFloat(a: string): string {
    return this.op('Cast', [a], [{ name: 'to', i: 1 }]);
  }
}
