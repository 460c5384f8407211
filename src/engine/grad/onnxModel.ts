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
  lenField,
  readFields,
  stringField,
  varintField,
} from '../onnx/protobuf';
import {
  type Attr,
  ATTR_F,
  ATTR_I,
  ATTR_INTS,
  ATTR_NAME,
  ATTR_S,
  ATTR_T,
  DIM_PARAM,
  DIM_VALUE,
  DT_FLOAT,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  MODEL_GRAPH,
  MODEL_IR_VERSION,
  MODEL_OPSET,
  NODE_ATTRIBUTE,
  NODE_DOMAIN,
  NODE_INPUT,
  NODE_NAME,
  NODE_OP_TYPE,
  NODE_OUTPUT,
  OPSET_DOMAIN,
  OPSET_VERSION,
  SHAPE_DIM,
  TENSOR_FLOAT_DATA,
  TENSOR_RAW,
  TT_ELEM,
  TT_SHAPE,
  TYPE_TENSOR,
  VALUE_NAME,
  VALUE_TYPE,
  readPackedInt64s,
  tensorHeader,
} from '../onnx/schema';

// Field numbers, data types and the encoders live in ../onnx/schema.ts (one copy); re-exported here for the
// gradient builder's modules.
export {
  type Attr,
  DT_BOOL,
  DT_FLOAT,
  DT_INT64,
  encodeAttr,
  encodeInitializer,
  encodeNode,
  encodeValueInfo,
  tensorHeader,
  tensorPayload,
} from '../onnx/schema';

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
      else if (af.wt === WT_LEN) a.ints.push(...readPackedInt64s(bytes, af.valStart, af.valEnd)); // packed
    }
  }
  return a;
}

function parseNode(bytes: Uint8Array, f: Field, index: number): OnnxNode {
  const n: OnnxNode = { index, name: '', opType: '', domain: '', inputs: [], outputs: [], attrs: new Map(), field: f };
  for (const nf of readFields(bytes, f.valStart, f.valEnd)) {
    switch (nf.no) {
      case NODE_INPUT:
        n.inputs.push(fieldString(bytes, nf));
        break;
      case NODE_OUTPUT:
        n.outputs.push(fieldString(bytes, nf));
        break;
      case NODE_NAME:
        n.name = fieldString(bytes, nf);
        break;
      case NODE_OP_TYPE:
        n.opType = fieldString(bytes, nf);
        break;
      case NODE_DOMAIN:
        n.domain = fieldString(bytes, nf);
        break;
      case NODE_ATTRIBUTE: {
        const a = parseAttr(bytes, nf);
        n.attrs.set(a.name, a);
        break;
      }
    }
  }
  return n;
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

/** Who produces each tensor and who reads it (in node order; a node reading a tensor twice is listed twice). */
export function nodeLinks(m: OnnxModel): { producers: Map<string, OnnxNode>; readers: Map<string, OnnxNode[]> } {
  const producers = new Map<string, OnnxNode>();
  const readers = new Map<string, OnnxNode[]>();
  for (const n of m.nodes) {
    for (const o of n.outputs) producers.set(o, n);
    for (const i of n.inputs) {
      if (!i) continue;
      const r = readers.get(i);
      if (r) r.push(n);
      else readers.set(i, [n]);
    }
  }
  return { producers, readers };
}

export function parseModel(bytes: Uint8Array): OnnxModel {
  const top = readFields(bytes);
  const graphs = top.filter((f) => f.no === MODEL_GRAPH && f.wt === WT_LEN);
  if (graphs.length !== 1)
    throw new Error(graphs.length ? 'ONNX model with a split graph field' : 'not an ONNX model (no graph)');
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
  const model: OnnxModel = {
    bytes,
    irVersion,
    opset,
    nodes: [],
    initializers: new Map(),
    inputs: [],
    outputs: [],
    graphField: g,
    graphFields,
  };
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
  /** Other operator domains the new nodes use (imported at version 1 when the model does not import them). */
  domains?: Iterable<string>;
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
  const missing = new Set(e.domains ?? []);
  for (const f of readFields(b)) {
    if (f === model.graphField || (f.no === MODEL_GRAPH && f.start === model.graphField.start)) top.push(graph);
    else if (f.no === MODEL_IR_VERSION)
      top.push(varintField(MODEL_IR_VERSION, Math.max(f.value!, opset >= 17 ? 8 : f.value!)));
    else if (f.no === MODEL_OPSET) {
      let domain = '';
      for (const of of readFields(b, f.valStart, f.valEnd)) if (of.no === OPSET_DOMAIN) domain = fieldString(b, of);
      missing.delete(domain);
      if (domain === '' || domain === 'ai.onnx') {
        sawDefault = true;
        top.push(lenField(MODEL_OPSET, varintField(OPSET_VERSION, opset)));
      } else top.push(b.subarray(f.start, f.end));
    } else top.push(b.subarray(f.start, f.end));
  }
  if (!sawDefault) top.push(lenField(MODEL_OPSET, varintField(OPSET_VERSION, opset)));
  for (const d of missing)
    top.push(lenField(MODEL_OPSET, concatBytes([stringField(OPSET_DOMAIN, d), varintField(OPSET_VERSION, 1)])));
  return concatBytes(top);
}
