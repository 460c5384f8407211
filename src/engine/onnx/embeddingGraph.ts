// Finds, by graph structure, the three vectors that a BERT-family embedding block adds before its LayerNorm:
// the rows of the word, position and token-type embedding tables. The first LayerNorm's input is a tree of Adds
// whose leaves are Gathers from weight tables (through DequantizeLinear in int8 exports); each leaf is told
// apart by what indexes it: input_ids → word, token_type_ids → segment, anything else → position (RoBERTa's
// padding-aware position ids are computed from input_ids; its single token type is a constant index).
import { findLayerNormOutputs, type GraphInfo, type GraphNode } from './graph';

export interface EmbeddingTensors {
  word: string;
  position: string;
  /** Absent when the model adds no token-type vector (DistilBERT). */
  segment?: string;
  /** 'token_type_ids' when a graph input indexes the segment table, 'single-row' when a constant does. */
  segmentSource: 'token_type_ids' | 'single-row' | 'none';
  /** The sum fed to the first LayerNorm. */
  sum: string;
  /** The first LayerNorm's output (the embedding block's output, before any projection). */
  output: string;
}

const PASS_THROUGH = new Set(['Cast', 'Identity', 'DequantizeLinear', 'Reshape', 'Squeeze', 'Unsqueeze']);

/** The first LayerNorm's input: LayerNormalization's first input, or the decomposition's ReduceMean input. */
function firstLayerNormInput(info: GraphInfo): string | undefined {
  for (const n of info.nodes) {
    if (n.opType === 'LayerNormalization') return n.inputs[0];
    if (n.opType === 'ReduceMean') {
      const x = n.inputs[0];
      const readers = (info.consumers.get(x) ?? []).map((i) => info.nodes[i]);
      if (readers.some((r) => r.opType === 'Sub' && r.inputs.includes(n.outputs[0]))) return x;
    }
  }
  return undefined;
}

/** The Gather (from a weight table) behind a leaf tensor, following casts and dequantisation. */
function tableGather(info: GraphInfo, t: string): GraphNode | undefined {
  for (let step = 0; step < 6; step++) {
    const p = info.producer.get(t);
    if (p === undefined) return undefined;
    const n = info.nodes[p];
    if (n.opType === 'Gather') return n;
    if (!PASS_THROUGH.has(n.opType)) return undefined;
    t = n.inputs[0];
  }
  return undefined;
}

/** Follows single-input pass-through ops back from `t`; returns the graph input reached, if any. */
function directInput(info: GraphInfo, t: string): string | undefined {
  for (let step = 0; step < 6; step++) {
    if (info.inputs.includes(t)) return t;
    const p = info.producer.get(t);
    if (p === undefined) return undefined;
    const n = info.nodes[p];
    if (n.opType !== 'Cast' && n.opType !== 'Identity') return undefined;
    t = n.inputs[0];
  }
  return undefined;
}

function dependsOn(info: GraphInfo, t: string, input: string): boolean {
  const seen = new Set<string>();
  const stack = [t];
  while (stack.length) {
    const x = stack.pop()!;
    if (x === input) return true;
    if (seen.has(x)) continue;
    seen.add(x);
    const p = info.producer.get(x);
    if (p !== undefined) for (const i of info.nodes[p].inputs) if (i) stack.push(i);
  }
  return false;
}

export function findEmbeddingTensors(info: GraphInfo): EmbeddingTensors | undefined {
  const sum = firstLayerNormInput(info);
  const output = findLayerNormOutputs(info)[0];
  if (!sum || !output) return undefined;
  const leaves: string[] = [];
  const expand = (t: string, depth: number) => {
    const p = info.producer.get(t);
    const n = p !== undefined ? info.nodes[p] : undefined;
    if (
      n &&
      n.opType === 'Add' &&
      depth < 4 &&
      n.inputs.every((i) => !info.initializers.has(i)) &&
      n.inputs.every((i) => tableGather(info, i) || info.nodes[info.producer.get(i) ?? -1]?.opType === 'Add')
    ) {
      for (const i of n.inputs) expand(i, depth + 1);
    } else leaves.push(t);
  };
  expand(sum, 0);
  if (leaves.length < 2 || leaves.length > 3) return undefined;
  const gathers = leaves.map((t) => ({ t, g: tableGather(info, t) }));
  if (gathers.some((x) => !x.g)) return undefined;
  const word = gathers.find((x) => directInput(info, x.g!.inputs[1]) === 'input_ids');
  if (!word) return undefined;
  const rest = gathers.filter((x) => x !== word);
  let segment = rest.find(
    (x) => directInput(info, x.g!.inputs[1]) === 'token_type_ids' || dependsOn(info, x.g!.inputs[1], 'token_type_ids'),
  );
  let source: EmbeddingTensors['segmentSource'] = segment ? 'token_type_ids' : 'none';
  let position: (typeof rest)[number] | undefined;
  if (segment) position = rest.find((x) => x !== segment);
  else if (rest.length === 1) position = rest[0];
  else if (rest.length === 2) {
    // No token_type_ids input: the position ids are computed from input_ids (RoBERTa) or sliced from a constant
    // range; the segment index is a constant. Table names break a tie when both are constants.
    const fromIds = rest.filter((x) => dependsOn(info, x.g!.inputs[1], 'input_ids'));
    if (fromIds.length === 1) position = fromIds[0];
    else
      position =
        rest.find((x) => /position/i.test(x.g!.inputs[0])) ??
        rest.find((x) => !/token_type|segment/i.test(x.g!.inputs[0]));
    segment = rest.find((x) => x !== position);
    source = 'single-row';
  }
  if (!position) return undefined;
  return { word: word.t, position: position.t, segment: segment?.t, segmentSource: source, sum, output };
}
