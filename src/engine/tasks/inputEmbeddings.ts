// Input embeddings: for every token, the word, position and segment (token-type) vectors that the embedding
// block adds, their norms, their cosines with the sum, and the norm of the block's output after its LayerNorm.
// The tensors are found by graph structure (onnx/embeddingGraph.ts) and read from one run of the model.
import type { InputEmbeddingRow, InputEmbeddingsRequest, InputEmbeddingsResult } from '../api';
import { EngineError } from '../errors';
import type { LoadedModel } from '../model';
import { findEmbeddingTensors } from '../onnx/embeddingGraph';
import type { OutputTensor } from '../runtime';
import { type TaskContext, checkAborted, requireText } from './common';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const l2 = (a: ArrayLike<number>) => Math.sqrt(dot(a, a));
const cos = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  const d = l2(a) * l2(b);
  return d === 0 ? 0 : dot(a, b) / d;
};

/** Row `i` of a [.., seq, width] tensor, or its only row when the graph broadcasts one vector over the
 *  sequence. */
function row(t: OutputTensor, i: number, width: number): Float32Array {
  const data = t.data as Float32Array;
  const rows = data.length / width;
  const r = rows === 1 ? 0 : i;
  return data.subarray(r * width, (r + 1) * width);
}

/** One run of the model with the embedding block's tensors as extra outputs. */
async function runEmbeddingBlock(m: LoadedModel, req: InputEmbeddingsRequest, ctx: TaskContext) {
  const text = requireText(req.text);
  const found = findEmbeddingTensors(m.graphInfo());
  if (!found) {
    throw new EngineError(
      'embeddings-unavailable',
      `The word, position and token-type embeddings of ${m.id} cannot be located in its graph (an optimised export fuses them).`,
      'Use the unoptimised export (onnx/model.onnx or model_quantized.onnx from the same repository).',
    );
  }
  const enc = await m.tokenizer.encode(text, req.pair);
  if (enc.ids.length > m.folder.maxLength) {
    throw new EngineError(
      'too-long',
      `Input embeddings are shown for one window: the text has ${enc.ids.length} tokens, ${m.id} takes ${m.folder.maxLength}.`,
      'Select a sentence or two.',
    );
  }
  checkAborted(ctx);
  const names = [found.word, found.position, ...(found.segment ? [found.segment] : []), found.sum, found.output];
  const s = await m.sessionWithOutputs(names, { preparing: 'input embeddings', onPreparing: ctx.onPreparing });
  const out = await s.run(m.feeds([enc], s), names);
  const last = (t: OutputTensor) => t.dims[t.dims.length - 1];
  const width = last(out[found.word]);
  const hiddenWidth = last(out[found.output]);
  const zero = new Float32Array(width);
  const at = (name: string | undefined, i: number): Float32Array =>
    name ? row(out[name], i, name === found.output ? hiddenWidth : width) : zero;
  return { enc, found, width, at };
}

export async function inputEmbeddings(
  m: LoadedModel,
  req: InputEmbeddingsRequest,
  ctx: TaskContext = {},
): Promise<InputEmbeddingsResult> {
  const { enc, found, width, at } = await runEmbeddingBlock(m, req, ctx);
  const rows: InputEmbeddingRow[] = [];
  const positions: Float32Array[] = [];
  for (let i = 0; i < enc.ids.length; i++) {
    const w = at(found.word, i);
    const p = at(found.position, i);
    const g = at(found.segment, i);
    const sum = at(found.sum, i);
    positions.push(p);
    rows.push({
      token: enc.tokens[i],
      position: i,
      segment: enc.typeIds[i] ?? 0,
      token_norm: l2(w),
      position_norm: l2(p),
      segment_norm: l2(g),
      sum_norm: l2(sum),
      cos_token: cos(w, sum),
      cos_position: cos(p, sum),
      cos_segment: cos(g, sum),
      output_norm: l2(at(found.output, i)),
    });
  }
  const position_similarity = positions.map((a) => positions.map((b) => cos(a, b)));
  const family = m.folder.family;
  const notes: string[] = [];
  if (found.segmentSource === 'none')
    notes.push(`${m.id} (${family}) has no token-type embeddings: segment_norm is 0.`);
  if (found.segmentSource === 'single-row')
    notes.push(
      `${m.id} (${family}) has a single token type: its one row is added to every token, whatever the segment.`,
    );
  if (width !== m.folder.hiddenSize)
    notes.push(
      `Factorised embeddings: the vectors have ${width} dimensions, reported before the projection to the hidden size ${m.folder.hiddenSize}.`,
    );
  return {
    tokens: enc.tokens,
    rows,
    segment_source: found.segmentSource,
    embedding_size: width,
    hidden_size: m.folder.hiddenSize,
    position_similarity,
    note: notes.length ? notes.join(' ') : undefined,
  };
}

/** The raw vectors behind one result (word, position, segment, their graph sum, the LayerNorm output). */
export async function inputEmbeddingVectors(
  m: LoadedModel,
  req: InputEmbeddingsRequest,
): Promise<Record<'word' | 'position' | 'segment' | 'sum' | 'output', number[][]>> {
  const { enc, found, at } = await runEmbeddingBlock(m, req, {});
  const rows = (name: string | undefined) => enc.ids.map((_, i) => Array.from(at(name, i)));
  return {
    word: rows(found.word),
    position: rows(found.position),
    segment: rows(found.segment),
    sum: rows(found.sum),
    output: rows(found.output),
  };
}
