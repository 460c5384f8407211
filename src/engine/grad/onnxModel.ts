// Reads an ONNX model into the parts the gradient builder needs (nodes with their attributes, initializer
// names/types/dims, graph inputs and outputs, opsets) and writes a new model from the original bytes plus
// additions. Weights are never decoded: initializers are copied byte for byte (or dropped when they become
// graph inputs). Uses the schema-free protobuf helpers.
import {
  type Field,
  WT_LEN,
  WT_VARINT,
  concatBytes,
  fieldBytes,
  fieldFloat,
  fieldString,
  floatField,
  lenField,
  readFields,
  stringField,
  varintField,
} from '../onnx/protobuf';

// ONNX field numbers (onnx.proto).
const MODEL_IR_VERSION = 1;
const MODEL_OPSET = 8;
const MODEL_GRAPH = 7;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_NAME = 3;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTR_NAME = 1;
const ATTR_F = 2;
const ATTR_I = 3;
const ATTR_S = 4;
const ATTR_T = 5;
const ATTR_INTS = 8;
const ATTR_TYPE = 20;
const ATTR_TYPE_FLOAT = 1;
const ATTR_TYPE_INT = 2;
const ATTR_TYPE_STRING = 3;
const ATTR_TYPE_TENSOR = 4;
const ATTR_TYPE_INTS = 7;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_FLOAT_DATA = 4;
const TENSOR_NAME = 8;
const TENSOR_RAW = 9;
const VALUE_NAME = 1;
const VALUE_TYPE = 2;
const TYPE_TENSOR = 1;
const TT_ELEM = 1;
const TT_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;
const DIM_PARAM = 2;

export const DT_FLOAT = 1;
export const DT_BOOL = 9;
export const DT_INT64 = 7;

export interface Attr {
  name: string;
  i?: number;
  f?: number;
  ints?: number[];
  s?: string;
  /** A TensorProto payload (for Constant / ConstantOfShape values). */
  t?: Uint8Array;
}

export interface OnnxNode {
  index: number;
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, Attr>;
  field: Field;
}

export interface InitializerInfo {
  name: string;
  dataType: number;
  dims: number[];
  field: Field;
}

export interface ValueInfo {
  name: string;
  elemType: number;
  /** number = fixed size, string = symbolic, undefined = unknown. */
  dims?: (number | string | undefined)[];
  field: Field;
}

export interface OnnxModel {
  bytes: Uint8Array;
  irVersion: number;
  /** Default-domain opset. */
  opset: number;
  nodes: OnnxNode[];
  initializers: Map<string, InitializerInfo>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  graphField: Field;
  graphFields: Field[];
}

function parseAttr(bytes: Uint8Array, f: Field): Attr {
  const a: Attr = { name: '' };
  for (const af of readFields(bytes, f.valStart, f.valEnd)) {
    if (af.no === ATTR_NAME) a.name = fieldString(bytes, af);
    else if (af.no === ATTR_I) a.i = af.value;
    else if (af.no === ATTR_F) a.f = fieldFloat(bytes, af);
    else if (af.no === ATTR_S) a.s = fieldString(bytes, af);
    else if (af.no === ATTR_T) a.t = fieldBytes(bytes, af);
    else if (af.no === ATTR_INTS) {
      a.ints ??= [];
      if (af.wt === WT_VARINT) a.ints.push(af.value!);
      else if (af.wt === WT_LEN) {
        // packed
        let pos = af.valStart;
        while (pos < af.valEnd) {
          let v = 0n;
          let shift = 0n;
          for (;;) {
            const b = bytes[pos++];
            v |= BigInt(b & 0x7f) << shift;
            if ((b & 0x80) === 0) break;
            shift += 7n;
          }
          a.ints.push(Number(BigInt.asIntN(64, v)));
        }
      }
    }
  }
  return a;
}

function parseNode(bytes: Uint8Array, f: Field, index: number): OnnxNode {
  const n: OnnxNode = { index, name: '', opType: '', domain: '', inputs: [], outputs: [], attrs: new Map(), field: f };
  for (const nf of readFields(bytes, f.valStart, f.valEnd)) {
    switch (nf.no) {
      case NODE_INPUT: n.inputs.push(fieldString(bytes, nf)); break;
      case NODE_OUTPUT: n.outputs.push(fieldString(bytes, nf)); break;
      case NODE_NAME: n.name = fieldString(bytes, nf); break;
      case NODE_OP_TYPE: n.opType = fieldString(bytes, nf); break;
      case NODE_DOMAIN: n.domain = fieldString(bytes, nf); break;
      case NODE_ATTRIBUTE: {
        const a = parseAttr(bytes, nf);
        n.attrs.set(a.name, a);
        break;
      }
    }
  }
  return n;
}

/** Dims and data type of a TensorProto payload (no data decoded). */
export function tensorHeader(bytes: Uint8Array, start: number, end: number): { name: string; dataType: number; dims: number[] } {
  const h = { name: '', dataType: 0, dims: [] as number[] };
  for (const tf of readFields(bytes, start, end)) {
    if (tf.no === TENSOR_NAME) h.name = fieldString(bytes, tf);
    else if (tf.no === TENSOR_DATA_TYPE) h.dataType = tf.value!;
    else if (tf.no === TENSOR_DIMS) {
      if (tf.wt === WT_VARINT) h.dims.push(tf.value!);
      else for (const v of readPackedVarints(bytes, tf.valStart, tf.valEnd)) h.dims.push(v);
    }
  }
  return h;
}

function readPackedVarints(bytes: Uint8Array, start: number, end: number): number[] {
  const out: number[] = [];
  let pos = start;
  while (pos < end) {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[pos++];
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
    }
    out.push(v);
  }
  return out;
}

function parseValueInfo(bytes: Uint8Array, f: Field): ValueInfo {
  const v: ValueInfo = { name: '', elemType: 0, field: f };
  for (const vf of readFields(bytes, f.valStart, f.valEnd)) {
    if (vf.no === VALUE_NAME) v.name = fieldString(bytes, vf);
    else if (vf.no === VALUE_TYPE) {
      for (const tf of readFields(bytes, vf.valStart, vf.valEnd)) {
        if (tf.no !== TYPE_TENSOR) continue;
        for (const tt of readFields(bytes, tf.valStart, tf.valEnd)) {
          if (tt.no === TT_ELEM) v.elemType = tt.value!;
          else if (tt.no === TT_SHAPE) {
            v.dims = [];
            for (const d of readFields(bytes, tt.valStart, tt.valEnd)) {
              if (d.no !== SHAPE_DIM) continue;
              let dim: number | string | undefined;
              for (const df of readFields(bytes, d.valStart, d.valEnd)) {
                if (df.no === DIM_VALUE) dim = df.value;
                else if (df.no === DIM_PARAM) dim = fieldString(bytes, df);
              }
              v.dims.push(dim);
            }
          }
        }
      }
    }
  }
  return v;
}

export function parseModel(bytes: Uint8Array): OnnxModel {
  const top = readFields(bytes);
  const graphs = top.filter((f) => f.no === MODEL_GRAPH && f.wt === WT_LEN);
  if (graphs.length !== 1) throw new Error(graphs.length ? 'ONNX model with a split graph field' : 'not an ONNX model (no graph)');
  let irVersion = 0;
  let opset = 0;
  for (const f of top) {
    if (f.no === MODEL_IR_VERSION) irVersion = f.value!;
    else if (f.no === MODEL_OPSET) {
      let domain = '';
      let version = 0;
      for (const of of readFields(bytes, f.valStart, f.valEnd)) {
        if (of.no === OPSET_DOMAIN) domain = fieldString(bytes, of);
        else if (of.no === OPSET_VERSION) version = of.value!;
      }
      if (domain === '' || domain === 'ai.onnx') opset = version;
    }
  }
  const g = graphs[0];
  const graphFields = readFields(bytes, g.valStart, g.valEnd);
  const model: OnnxModel = { bytes, irVersion, opset, nodes: [], initializers: new Map(), inputs: [], outputs: [], graphField: g, graphFields };
  for (const f of graphFields) {
    if (f.no === GRAPH_NODE) model.nodes.push(parseNode(bytes, f, model.nodes.length));
    else if (f.no === GRAPH_INITIALIZER) {
      const h = tensorHeader(bytes, f.valStart, f.valEnd);
      model.initializers.set(h.name, { name: h.name, dataType: h.dataType, dims: h.dims, field: f });
    } else if (f.no === GRAPH_INPUT) model.inputs.push(parseValueInfo(bytes, f));
    else if (f.no === GRAPH_OUTPUT) model.outputs.push(parseValueInfo(bytes, f));
  }
  model.inputs = model.inputs.filter((i) => !model.initializers.has(i.name));
  return model;
}

/** The float32 values of an initializer (raw_data or float_data). */
export function readInitializer(model: OnnxModel, name: string): { dims: number[]; data: Float32Array } {
  const init = model.initializers.get(name);
  if (!init) throw new Error(`no initializer ${name}`);
  if (init.dataType !== DT_FLOAT) throw new Error(`initializer ${name} is not float32`);
  const b = model.bytes;
  const count = init.dims.reduce((a, d) => a * d, 1);
  for (const tf of readFields(b, init.field.valStart, init.field.valEnd)) {
    if (tf.no === TENSOR_RAW) {
      const raw = b.slice(tf.valStart, tf.valEnd);
      return { dims: init.dims, data: new Float32Array(raw.buffer, 0, count) };
    }
  }
  const data = new Float32Array(count);
  let k = 0;
  for (const tf of readFields(b, init.field.valStart, init.field.valEnd)) {
    if (tf.no !== TENSOR_FLOAT_DATA) continue;
    if (tf.wt === WT_LEN) {
      const dv = new DataView(b.buffer, b.byteOffset + tf.valStart, tf.valEnd - tf.valStart);
      for (let o = 0; o + 4 <= dv.byteLength; o += 4) data[k++] = dv.getFloat32(o, true);
    } else data[k++] = fieldFloat(b, tf);
  }
  return { dims: init.dims, data };
}

// ---- writing ----

export function encodeAttr(a: Attr): Uint8Array {
  const parts = [stringField(ATTR_NAME, a.name)];
  if (a.i !== undefined) parts.push(varintField(ATTR_I, a.i), varintField(ATTR_TYPE, ATTR_TYPE_INT));
  else if (a.f !== undefined) parts.push(floatField(ATTR_F, a.f), varintField(ATTR_TYPE, ATTR_TYPE_FLOAT));
  else if (a.ints) parts.push(...a.ints.map((v) => varintField(ATTR_INTS, v)), varintField(ATTR_TYPE, ATTR_TYPE_INTS));
  else if (a.s !== undefined) parts.push(stringField(ATTR_S, a.s), varintField(ATTR_TYPE, ATTR_TYPE_STRING));
  else if (a.t) parts.push(lenField(ATTR_T, a.t), varintField(ATTR_TYPE, ATTR_TYPE_TENSOR));
  return lenField(NODE_ATTRIBUTE, concatBytes(parts));
}

export function encodeNode(op: string, inputs: string[], outputs: string[], name: string, attrs: Attr[] = [], domain = ''): Uint8Array {
  return lenField(
    GRAPH_NODE,
    concatBytes([
      ...inputs.map((i) => stringField(NODE_INPUT, i)),
      ...outputs.map((o) => stringField(NODE_OUTPUT, o)),
      stringField(NODE_NAME, name),
      stringField(NODE_OP_TYPE, op),
      ...attrs.map(encodeAttr),
      ...(domain ? [stringField(NODE_DOMAIN, domain)] : []),
    ]),
  );
}

/** A TensorProto payload (without the field tag), for initializers and Constant/ConstantOfShape values. */
export function tensorPayload(name: string, dims: number[], data: Float32Array | BigInt64Array): Uint8Array {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return concatBytes([...dims.map((d) => varintField(TENSOR_DIMS, d)), varintField(TENSOR_DATA_TYPE, data instanceof Float32Array ? DT_FLOAT : DT_INT64), stringField(TENSOR_NAME, name), lenField(TENSOR_RAW, raw)]);
}

export function encodeInitializer(name: string, dims: number[], data: Float32Array | BigInt64Array): Uint8Array {
  return lenField(GRAPH_INITIALIZER, tensorPayload(name, dims, data));
}

export function encodeValueInfo(field: 'input' | 'output', name: string, elemType?: number, dims?: (number | string)[]): Uint8Array {
  const parts = [stringField(VALUE_NAME, name)];
  if (elemType !== undefined) {
    const tt = [varintField(TT_ELEM, elemType)];
    if (dims) tt.push(lenField(TT_SHAPE, concatBytes(dims.map((d) => lenField(SHAPE_DIM, typeof d === 'number' ? varintField(DIM_VALUE, d) : stringField(DIM_PARAM, d))))));
    parts.push(lenField(VALUE_TYPE, lenField(TYPE_TENSOR, concatBytes(tt))));
  }
  return lenField(field === 'input' ? GRAPH_INPUT : GRAPH_OUTPUT, concatBytes(parts));
}

/** Re-encodes a node of the original graph with some inputs renamed. */
export function renameNodeInputs(model: OnnxModel, node: OnnxNode, rename: Map<string, string>): Uint8Array {
  const b = model.bytes;
  const parts = readFields(b, node.field.valStart, node.field.valEnd).map((nf) => {
    if (nf.no === NODE_INPUT) {
      const to = rename.get(fieldString(b, nf));
      if (to !== undefined) return stringField(NODE_INPUT, to);
    }
    return b.subarray(nf.start, nf.end);
  });
  return lenField(GRAPH_NODE, concatBytes(parts));
}

export interface ModelEdits {
  /** Original node index → replacement bytes (a GRAPH_NODE field), or null to drop it. */
  replaceNodes?: Map<number, Uint8Array | null>;
  /** Initializers to drop (they become graph inputs). */
  dropInitializers?: Set<string>;
  /** Encoded GRAPH_NODE fields appended after the original nodes. */
  appendNodes: Uint8Array[];
  appendInitializers: Uint8Array[];
  appendInputs: Uint8Array[];
  /** The full list of graph outputs (replaces the original ones). */
  outputs: Uint8Array[];
  /** Raise the default-domain opset to at least this. */
  minOpset: number;
}

export function writeModel(model: OnnxModel, e: ModelEdits): Uint8Array {
  const b = model.bytes;
  const parts: Uint8Array[] = [];
  let nodeIndex = 0;
  for (const f of model.graphFields) {
    if (f.no === GRAPH_NODE) {
      const i = nodeIndex++;
      const r = e.replaceNodes?.get(i);
      if (r === undefined) parts.push(b.subarray(f.start, f.end));
      else if (r !== null) parts.push(r);
      continue;
    }
    if (f.no === GRAPH_INITIALIZER && e.dropInitializers?.size) {
      const h = tensorHeader(b, f.valStart, f.valEnd);
      if (e.dropInitializers.has(h.name)) continue;
    }
    if (f.no === GRAPH_OUTPUT) continue;
    parts.push(b.subarray(f.start, f.end));
  }
  // Node order must stay topological: the new nodes go after the original ones.
  parts.push(...e.appendNodes, ...e.appendInitializers, ...e.appendInputs, ...e.outputs);
  const graph = lenField(MODEL_GRAPH, concatBytes(parts));
  const opset = Math.max(model.opset, e.minOpset);
  const top: Uint8Array[] = [];
  let sawDefault = false;
  for (const f of readFields(b)) {
    if (f === model.graphField || (f.no === MODEL_GRAPH && f.start === model.graphField.start)) top.push(graph);
    else if (f.no === MODEL_IR_VERSION) top.push(varintField(MODEL_IR_VERSION, Math.max(f.value!, opset >= 17 ? 8 : f.value!)));
    else if (f.no === MODEL_OPSET) {
      let domain = '';
      for (const of of readFields(b, f.valStart, f.valEnd)) if (of.no === OPSET_DOMAIN) domain = fieldString(b, of);
      if (domain === '' || domain === 'ai.onnx') {
        sawDefault = true;
        top.push(lenField(MODEL_OPSET, varintField(OPSET_VERSION, opset)));
      } else top.push(b.subarray(f.start, f.end));
    } else top.push(b.subarray(f.start, f.end));
  }
  if (!sawDefault) top.push(lenField(MODEL_OPSET, varintField(OPSET_VERSION, opset)));
  return concatBytes(top);
}
