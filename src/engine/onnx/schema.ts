// The one copy of the ONNX schema that BERT Lens reads and writes with the schema-free protobuf helpers
// (./protobuf.ts): field numbers of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto, TypeProto), data types, and the encoders and readers built on them. Used by onnx/graph.ts,
// onnx/scan.ts, grad/onnxModel.ts, grad/gradient.ts and training/ (onnxHead, fineTuneGraph, fineTuneExport).
import {
  WT_VARINT,
  concatBytes,
  fieldString,
  floatField,
  lenField,
  readFields,
  stringField,
  varintField,
} from './protobuf';

// ModelProto
export const MODEL_IR_VERSION = 1;
export const MODEL_GRAPH = 7;
export const MODEL_OPSET = 8;
// OperatorSetIdProto
export const OPSET_DOMAIN = 1;
export const OPSET_VERSION = 2;
// GraphProto
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
export const GRAPH_VALUE_INFO = 13;
// NodeProto
export const NODE_INPUT = 1;
export const NODE_OUTPUT = 2;
export const NODE_NAME = 3;
export const NODE_OP_TYPE = 4;
export const NODE_ATTRIBUTE = 5;
export const NODE_DOMAIN = 7;
// AttributeProto and its AttributeType values
export const ATTR_NAME = 1;
export const ATTR_F = 2;
export const ATTR_I = 3;
export const ATTR_S = 4;
export const ATTR_T = 5;
export const ATTR_INTS = 8;
export const ATTR_TYPE = 20;
export const ATTR_TYPE_FLOAT = 1;
export const ATTR_TYPE_INT = 2;
export const ATTR_TYPE_STRING = 3;
export const ATTR_TYPE_TENSOR = 4;
export const ATTR_TYPE_INTS = 7;
// TensorProto
export const TENSOR_DIMS = 1;
export const TENSOR_DATA_TYPE = 2;
export const TENSOR_FLOAT_DATA = 4;
export const TENSOR_INT64_DATA = 7;
export const TENSOR_NAME = 8;
export const TENSOR_RAW = 9;
export const TENSOR_EXTERNAL_DATA = 13;
export const TENSOR_DATA_LOCATION = 14;
// StringStringEntryProto (external_data), TensorProto.DataLocation
export const ENTRY_KEY = 1;
export const ENTRY_VALUE = 2;
export const LOCATION_EXTERNAL = 1;
// ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, its Dimension
export const VALUE_NAME = 1;
export const VALUE_TYPE = 2;
export const TYPE_TENSOR = 1;
export const TT_ELEM = 1;
export const TT_SHAPE = 2;
export const SHAPE_DIM = 1;
export const DIM_VALUE = 1;
export const DIM_PARAM = 2;
// TensorProto.DataType
export const DT_FLOAT = 1;
export const DT_INT8 = 3;
export const DT_INT64 = 7;
export const DT_BOOL = 9;

/** One attribute to write: the first of i, f, ints, s, t that is set. */
export interface Attr {
  name: string;
  i?: number;
  f?: number;
  ints?: number[];
  s?: string;
  /** A TensorProto payload (tensorPayload). */
  t?: Uint8Array;
}

/** A NodeProto's `attribute` field. */
export function encodeAttr(a: Attr): Uint8Array {
  const parts = [stringField(ATTR_NAME, a.name)];
  if (a.i !== undefined) parts.push(varintField(ATTR_I, a.i), varintField(ATTR_TYPE, ATTR_TYPE_INT));
  else if (a.f !== undefined) parts.push(floatField(ATTR_F, a.f), varintField(ATTR_TYPE, ATTR_TYPE_FLOAT));
  else if (a.ints) parts.push(...a.ints.map((v) => varintField(ATTR_INTS, v)), varintField(ATTR_TYPE, ATTR_TYPE_INTS));
  else if (a.s !== undefined) parts.push(stringField(ATTR_S, a.s), varintField(ATTR_TYPE, ATTR_TYPE_STRING));
  else if (a.t) parts.push(lenField(ATTR_T, a.t), varintField(ATTR_TYPE, ATTR_TYPE_TENSOR));
  return lenField(NODE_ATTRIBUTE, concatBytes(parts));
}

/** A GraphProto's `node` field. */
export function encodeNode(
  op: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attrs: Attr[] = [],
  domain = '',
): Uint8Array {
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
  return concatBytes([
    ...dims.map((d) => varintField(TENSOR_DIMS, d)),
    varintField(TENSOR_DATA_TYPE, data instanceof Float32Array ? DT_FLOAT : DT_INT64),
    stringField(TENSOR_NAME, name),
    lenField(TENSOR_RAW, raw),
  ]);
}

/** A GraphProto's `initializer` field (raw data). */
export function encodeInitializer(name: string, dims: number[], data: Float32Array | BigInt64Array): Uint8Array {
  return lenField(GRAPH_INITIALIZER, tensorPayload(name, dims, data));
}

/** A GraphProto's `input` or `output` field: the name, and the element type and shape when given. */
export function encodeValueInfo(
  field: 'input' | 'output',
  name: string,
  elemType?: number,
  dims?: (number | string)[],
): Uint8Array {
  const parts = [stringField(VALUE_NAME, name)];
  if (elemType !== undefined) {
    const tt = [varintField(TT_ELEM, elemType)];
    if (dims)
      tt.push(
        lenField(
          TT_SHAPE,
          concatBytes(
            dims.map((d) =>
              lenField(SHAPE_DIM, typeof d === 'number' ? varintField(DIM_VALUE, d) : stringField(DIM_PARAM, d)),
            ),
          ),
        ),
      );
    parts.push(lenField(VALUE_TYPE, lenField(TYPE_TENSOR, concatBytes(tt))));
  }
  return lenField(field === 'input' ? GRAPH_INPUT : GRAPH_OUTPUT, concatBytes(parts));
}

/** Packed unsigned varints (dims) in bytes[start, end). */
export function readPackedVarints(bytes: Uint8Array, start: number, end: number): number[] {
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

/** Packed varints read as signed 64-bit integers (int64 attributes and int64_data, which may be negative). */
export function readPackedInt64s(bytes: Uint8Array, start: number, end: number): number[] {
  const out: number[] = [];
  let pos = start;
  while (pos < end) {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[pos++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    out.push(Number(BigInt.asIntN(64, v)));
  }
  return out;
}

/** Name, data type and dims of a TensorProto payload in bytes[start, end) (no data decoded). */
export function tensorHeader(
  bytes: Uint8Array,
  start: number,
  end: number,
): { name: string; dataType: number; dims: number[] } {
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
