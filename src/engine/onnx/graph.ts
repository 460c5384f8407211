// Reads the structure of an ONNX model (nodes, inputs, outputs) without decoding its weights, finds the
// tensors BERT Lens shows (attention probabilities, per-layer hidden states), and makes the two edits the
// engine needs: extra graph outputs (introspection) and a row gather before the masked-LM head.
import { type Field, WT_LEN, concatBytes, fieldString, lenField, readFields, stringField } from './protobuf';
import {
  ATTR_I,
  ATTR_NAME,
  DT_INT64,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  NODE_DOMAIN,
  NODE_INPUT,
  NODE_NAME,
  NODE_OP_TYPE,
  NODE_OUTPUT,
  TENSOR_NAME,
  VALUE_NAME,
  encodeNode,
  encodeValueInfo,
} from './schema';

export interface GraphNode {
  index: number;
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  intAttrs: Record<string, number>;
  field: Field;
}

export interface GraphInfo {
  nodes: GraphNode[];
  inputs: string[];
  outputs: string[];
  initializers: Set<string>;
  /** Tensor name → indexes of the nodes that read it. */
  consumers: Map<string, number[]>;
  /** Tensor name → index of the node that writes it. */
  producer: Map<string, number>;
}

const FUSED_ATTENTION_OPS = new Set([
  'Attention',
  'MultiHeadAttention',
  'PackedAttention',
  'PackedMultiHeadAttention',
  'GroupQueryAttention',
]);

function graphFieldOf(bytes: Uint8Array): Field {
  const top = readFields(bytes);
  const graphs = top.filter((f) => f.no === MODEL_GRAPH && f.wt === WT_LEN);
  if (graphs.length === 0) throw new Error('not an ONNX model (no graph)');
  return graphs[0];
}

function parseNode(bytes: Uint8Array, f: Field, index: number): GraphNode {
  const node: GraphNode = { index, name: '', opType: '', domain: '', inputs: [], outputs: [], intAttrs: {}, field: f };
  for (const nf of readFields(bytes, f.valStart, f.valEnd)) {
    switch (nf.no) {
      case NODE_INPUT:
        node.inputs.push(fieldString(bytes, nf));
        break;
      case NODE_OUTPUT:
        node.outputs.push(fieldString(bytes, nf));
        break;
      case NODE_NAME:
        node.name = fieldString(bytes, nf);
        break;
      case NODE_OP_TYPE:
        node.opType = fieldString(bytes, nf);
        break;
      case NODE_DOMAIN:
        node.domain = fieldString(bytes, nf);
        break;
      case NODE_ATTRIBUTE: {
        let name = '';
        let i: number | undefined;
        for (const af of readFields(bytes, nf.valStart, nf.valEnd)) {
          if (af.no === ATTR_NAME) name = fieldString(bytes, af);
          else if (af.no === ATTR_I) i = af.value;
        }
        if (name && i !== undefined) node.intAttrs[name] = i;
        break;
      }
    }
  }
  return node;
}

function valueInfoName(bytes: Uint8Array, f: Field): string {
  for (const vf of readFields(bytes, f.valStart, f.valEnd)) if (vf.no === VALUE_NAME) return fieldString(bytes, vf);
  return '';
}

/** Parses node and value names; weights are skipped, not decoded. */
export function inspectGraph(bytes: Uint8Array): GraphInfo {
  graphFieldOf(bytes); // throws when there is no graph at all
  const info: GraphInfo = {
    nodes: [],
    inputs: [],
    outputs: [],
    initializers: new Set(),
    consumers: new Map(),
    producer: new Map(),
  };
  // Several graph fields merge into one (that is how addGraphOutputs works): read them all, in order.
  const fields = readFields(bytes)
    .filter((f) => f.no === MODEL_GRAPH && f.wt === WT_LEN)
    .flatMap((g) => readFields(bytes, g.valStart, g.valEnd));
  for (const f of fields) {
    if (f.no === GRAPH_NODE) info.nodes.push(parseNode(bytes, f, info.nodes.length));
    else if (f.no === GRAPH_INPUT) info.inputs.push(valueInfoName(bytes, f));
    else if (f.no === GRAPH_OUTPUT) info.outputs.push(valueInfoName(bytes, f));
    else if (f.no === GRAPH_INITIALIZER) {
      for (const tf of readFields(bytes, f.valStart, f.valEnd))
        if (tf.no === TENSOR_NAME) info.initializers.add(fieldString(bytes, tf));
    }
  }
  info.inputs = info.inputs.filter((n) => !info.initializers.has(n));
  for (const n of info.nodes) {
    for (const t of n.inputs) {
      if (!t) continue;
      const list = info.consumers.get(t);
      if (list) list.push(n.index);
      else info.consumers.set(t, [n.index]);
    }
    for (const t of n.outputs) info.producer.set(t, n.index);
  }
  return info;
}

export function hasFusedAttention(info: GraphInfo): boolean {
  return info.nodes.some((n) => FUSED_ATTENTION_OPS.has(n.opType));
}

/** The attention-probability tensors, one per layer, in layer order: Softmax over the last axis. */
export function findAttentionOutputs(info: GraphInfo, numLayers: number): string[] | undefined {
  if (hasFusedAttention(info)) return undefined;
  const softmaxes = info.nodes.filter(
    (n) => n.opType === 'Softmax' && (n.intAttrs.axis === undefined || n.intAttrs.axis === -1 || n.intAttrs.axis === 3),
  );
  if (softmaxes.length < numLayers) return undefined;
  return softmaxes.slice(0, numLayers).map((n) => n.outputs[0]);
}

function consumersOf(info: GraphInfo, t: string): GraphNode[] {
  return (info.consumers.get(t) ?? []).map((i) => info.nodes[i]);
}

/** Output tensors of every LayerNorm, in graph order: the LayerNormalization op, or the decomposition that
 *  opset-14 exports produce (… Sqrt → Div → Mul(gamma) → Add(beta)). */
export function findLayerNormOutputs(info: GraphInfo): string[] {
  return findLayerNorms(info).map((o) => o.t);
}

/** Every LayerNorm's output `t` and the tensor it normalises (`input`), in graph order. */
function findLayerNorms(info: GraphInfo): { t: string; input?: string; at: number }[] {
  const outs: { t: string; input?: string; at: number }[] = [];
  for (const n of info.nodes) {
    if (n.opType === 'LayerNormalization') {
      outs.push({ t: n.outputs[0], input: n.inputs[0], at: n.index });
      continue;
    }
    if (n.opType !== 'Sqrt') continue;
    const div = consumersOf(info, n.outputs[0]).find((c) => c.opType === 'Div');
    if (!div) continue;
    const mul = consumersOf(info, div.outputs[0]).find((c) => c.opType === 'Mul');
    if (!mul) continue;
    const add = consumersOf(info, mul.outputs[0]).find((c) => c.opType === 'Add');
    if (!add) continue;
    // x - mean(x) feeds the Div; its first input is x.
    const sub = info.producer.get(div.inputs[0]);
    const input = sub !== undefined && info.nodes[sub].opType === 'Sub' ? info.nodes[sub].inputs[0] : undefined;
    outs.push({ t: add.outputs[0], input, at: add.index });
  }
  return outs.sort((a, b) => a.at - b.at);
}

/** Hidden states of a pre-LayerNorm decoder (GPT-2), as transformers reports them: the input of each block
 *  (embeddings for block 1, the residual stream after block l for l < L), then the final LayerNorm's output
 *  (ln_f applied to the last block). Each block opens with its first LayerNorm (ln_1), and ln_f comes last. */
export function findPreLnHiddenStateOutputs(info: GraphInfo, numLayers: number): string[] | undefined {
  const ln = findLayerNorms(info);
  if (ln.length < 2 * numLayers + 1) return undefined;
  const states: string[] = [];
  for (let l = 0; l < numLayers; l++) {
    const input = ln[2 * l].input;
    if (!input) return undefined;
    states.push(input);
  }
  states.push(ln[ln.length - 1].t);
  return states;
}

const LINEAR_OPS = new Set(['MatMul', 'Gemm', 'MatMulInteger', 'DynamicQuantizeLinear']);

/** Hidden states as transformers reports them: [embeddings, layer 1 … layer L]. Each layer ends in its second
 *  LayerNorm; the embeddings' LayerNorm gives state 0, followed through a projection when the model has one
 *  (ALBERT's embedding_hidden_mapping_in, ELECTRA's embeddings_project). */
export function findHiddenStateOutputs(info: GraphInfo, numLayers: number): string[] | undefined {
  const ln = findLayerNormOutputs(info);
  if (ln.length < 1 + 2 * numLayers) return undefined;
  let h0 = ln[0];
  // Walk a single-consumer chain: if it runs through a linear op and then an Add, that Add is the projection.
  let t = h0;
  let sawLinear = false;
  for (let step = 0; step < 12; step++) {
    const cs = consumersOf(info, t).filter((c) => c.opType !== 'Shape'); // shape reads do not use the values
    if (cs.length !== 1) break;
    const c = cs[0];
    if (LINEAR_OPS.has(c.opType)) sawLinear = true;
    t = c.outputs[0];
    if (sawLinear && c.opType === 'Add') {
      h0 = t;
      break;
    }
  }
  const states = [h0];
  for (let l = 1; l <= numLayers; l++) states.push(ln[2 * l]);
  return states;
}

/** Appends `ModelProto{graph{output:[{name}…]}}`: protobuf merges it into the existing graph, so the model gains
 *  outputs without re-encoding anything (ORT infers their type and shape). */
export function addGraphOutputs(bytes: Uint8Array, names: string[]): Uint8Array {
  const outputs = names.map((n) => lenField(GRAPH_OUTPUT, stringField(VALUE_NAME, n)));
  return concatBytes([bytes, lenField(MODEL_GRAPH, concatBytes(outputs))]);
}

/** The nodes from which `target` can be reached (its ancestors, target's producer included). */
function ancestorsOf(info: GraphInfo, target: string): Set<number> {
  const seen = new Set<number>();
  const stack = [target];
  while (stack.length) {
    const t = stack.pop()!;
    const p = info.producer.get(t);
    if (p === undefined || seen.has(p)) continue;
    seen.add(p);
    for (const i of info.nodes[p].inputs) if (i) stack.push(i);
  }
  return seen;
}

export const GATHER_POSITIONS_INPUT = 'bertlens_positions';

/** Inserts `Gather(hidden, positions, axis=1)` between the last hidden state and the head that computes
 *  `headOutput`, with `positions` (int64 [k]) as a new graph input. The head then runs for k rows instead of
 *  every position: for fill-mask, only the masked ones. Other readers of the hidden state (a pooler, say) are
 *  left alone. */
export function gatherBeforeHead(bytes: Uint8Array, hidden: string, headOutput: string): Uint8Array {
  const info = inspectGraph(bytes);
  const headNodes = ancestorsOf(info, headOutput);
  const targets = new Set((info.consumers.get(hidden) ?? []).filter((i) => headNodes.has(i)));
  if (targets.size === 0) throw new Error(`no node between ${hidden} and ${headOutput}`);
  const gathered = `${hidden}/bertlens_gathered`;
  const gatherNode = encodeNode('Gather', [hidden, GATHER_POSITIONS_INPUT], [gathered], 'bertlens_gather_rows', [
    { name: 'axis', i: 1 },
  ]);
  const positionsInput = encodeValueInfo('input', GATHER_POSITIONS_INPUT, DT_INT64, ['num_positions']);

  const g = graphFieldOf(bytes);
  const first = Math.min(...targets);
  const parts: Uint8Array[] = [];
  let nodeIndex = 0;
  for (const f of readFields(bytes, g.valStart, g.valEnd)) {
    if (f.no !== GRAPH_NODE) {
      parts.push(bytes.subarray(f.start, f.end));
      continue;
    }
    const i = nodeIndex++;
    if (i === first) parts.push(gatherNode);
    if (!targets.has(i)) {
      parts.push(bytes.subarray(f.start, f.end));
      continue;
    }
    const nodeParts = readFields(bytes, f.valStart, f.valEnd).map((nf) =>
      nf.no === NODE_INPUT && fieldString(bytes, nf) === hidden
        ? stringField(NODE_INPUT, gathered)
        : bytes.subarray(nf.start, nf.end),
    );
    parts.push(lenField(GRAPH_NODE, concatBytes(nodeParts)));
  }
  parts.push(positionsInput);
  const newGraph = lenField(MODEL_GRAPH, concatBytes(parts));
  // Keep every other top-level field (opsets, IR version, metadata) byte for byte.
  const out: Uint8Array[] = [];
  for (const f of readFields(bytes))
    out.push(f === g || (f.no === MODEL_GRAPH && f.start === g.start) ? newGraph : bytes.subarray(f.start, f.end));
  return concatBytes(out);
}
