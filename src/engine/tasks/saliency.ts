// Saliency: which input tokens drove a prediction, from gradients of f = log p(target) with respect to the
// word-embedding lookup e_i (before positions and segments are added), computed on the fp32 graph:
//   grad-l2               ‖∂f/∂e_i‖₂
//   grad-input            ∂f/∂e_i · e_i
//   integrated-gradients  e_i · (1/m) Σ_k ∂f/∂e_i at (k/m)·e, k = 1..m — one session call with batch m.
// Long texts: the window that contains the target is explained (the result says which).
import type { Offset, SaliencyMethod, SaliencyRequest, SaliencyResult } from '../api';
import { EngineError } from '../errors';
import { softmax } from '../math';
import { type GradientGraph, findWordEmbeddingLookup, type Objective } from '../grad/gradient';
import { OBJECTIVE_INPUTS } from '../grad/objectives';
import type { LoadedModel } from '../model';
import type { InputTensor, OutputTensor, RuntimeSession } from '../runtime';
import type { Encoded } from '../tokenizer';
import { type TaskContext, checkAborted, encodeFull, requireText, windowsFor } from './common';

const METHODS: SaliencyMethod[] = ['grad-l2', 'grad-input', 'integrated-gradients'];
const MAX_STEPS = 256;

type Kind =
  'masked-lm' | 'sequence-classification' | 'token-classification' | 'question-answering' | 'replaced-token-detection';

function kindOf(m: LoadedModel): Kind {
  const h = m.folder.head;
  if (h === 'masked-lm' || h === 'pretraining') return 'masked-lm';
  if (
    h === 'sequence-classification' ||
    h === 'token-classification' ||
    h === 'question-answering' ||
    h === 'replaced-token-detection'
  )
    return h;
  throw new EngineError(
    'unsupported-head',
    `Saliency is not available for a ${h} model (${m.id}).`,
    'Use a masked-LM, sequence-classification, token-classification, question-answering or ELECTRA discriminator model.',
  );
}

function outputFor(m: LoadedModel, kind: Kind): string {
  const names = m.plain.outputNames;
  if (kind === 'masked-lm') return m.mlmOutput();
  if (kind === 'question-answering') return names.find((n) => n.includes('start')) ?? names[0];
  return names.find((n) => n === 'logits') ?? names[0];
}

const argmax = (xs: ArrayLike<number>, keep: (i: number) => boolean = () => true) => {
  let best = -1;
  for (let i = 0; i < xs.length; i++) if (keep(i) && (best < 0 || xs[i] > xs[best])) best = i;
  return best;
};

async function targetId(m: LoadedModel, word: string): Promise<number> {
  const direct = [word, `Ġ${word}`, `▁${word}`].map((t) => m.tokenizer.tokenToId(t)).find((id) => id !== undefined);
  if (direct !== undefined) return direct;
  const pieces = (await m.tokenizer.encode(word, undefined, false)).tokens;
  throw new EngineError(
    'saliency-target',
    `"${word}" is not a single vocabulary piece of ${m.id} (it is ${pieces.length ? pieces.join(' ') : 'no piece at all'}).`,
    'Give one of those pieces, or another word, as the target.',
  );
}

function labelIndex(m: LoadedModel, label: string, count: number): number {
  const labels = m.folder.labels ?? Array.from({ length: count }, (_, i) => `LABEL_${i}`);
  let i = labels.indexOf(label);
  if (i < 0) i = labels.findIndex((l) => l.toLowerCase() === label.toLowerCase());
  if (i < 0)
    throw new EngineError('saliency-label', `${m.id} has no label "${label}".`, `Use one of: ${labels.join(', ')}.`);
  return i;
}

/** Replaces every non-special piece overlapping a span by the mask token (as fill-mask does with spans). */
function maskSpans(e: Encoded, spans: Offset[], maskId: number, maskToken: string): void {
  e.ids.forEach((_, i) => {
    if (e.specialTokensMask[i]) return;
    if (spans.some((s) => e.offsets[i][0] < s[1] && e.offsets[i][1] > s[0])) {
      e.ids[i] = maskId;
      e.tokens[i] = maskToken;
    }
  });
}

export async function saliency(m: LoadedModel, req: SaliencyRequest, ctx: TaskContext = {}): Promise<SaliencyResult> {
  const kind = kindOf(m);
  const text = requireText(req.text);
  const method = req.method ?? 'grad-l2';
  if (!METHODS.includes(method))
    throw new EngineError(
      'saliency-method',
      `Unknown saliency method "${String(method)}".`,
      `Use one of: ${METHODS.join(', ')}.`,
    );
  const steps = req.steps ?? 16;
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS)
    throw new EngineError(
      'saliency-steps',
      `--steps must be a whole number from 1 to ${MAX_STEPS} (got ${steps}).`,
      'The default is 16.',
    );
  const output = outputFor(m, kind);

  // ---- tokens, target position and the window that contains it ----
  let enc: Encoded;
  let position: number | undefined; // in the window
  let window: SaliencyResult['window'];
  let qaStart = 0; // QA: the predicted answer's start token in the window
  if (kind === 'question-answering') {
    const context = requireText(req.pair, 'context (--context)');
    const ws = await windowsFor(m, context, text);
    // The predicted answer as the QA task finds it (best start·end span over all windows): its window is the
    // one explained, and its start token the target.
    let best = { score: -1, w: 0, start: 0 };
    for (const [wi, w] of ws.entries()) {
      checkAborted(ctx);
      const span = await bestSpanStart(m, w.encoded);
      if (span.score > best.score) best = { score: span.score, w: wi, start: span.start };
    }
    enc = ws[best.w].encoded;
    qaStart = best.start;
    if (ws.length > 1) {
      const plain = (await m.tokenizer.encode(context, undefined, false)).offsets;
      const chosen = ws[best.w];
      const start = plain.findIndex((o) => o[1] > chosen.start);
      const end = plain.filter((o) => o[0] < chosen.end).length;
      window = { start, end, totalTokens: plain.length };
    }
  } else if (req.pair !== undefined) {
    enc = await m.tokenizer.encode(text, requireText(req.pair, 'second text'));
    if (enc.ids.length > m.folder.maxLength)
      throw new EngineError(
        'too-long',
        `The pair is ${enc.ids.length} tokens; saliency explains at most ${m.folder.maxLength}.`,
        'Shorten the texts.',
      );
  } else {
    const { full, windows, where } = await encodeFull(m, text);
    const spans = (req.spans ?? []).filter((sp) => sp[1] > sp[0]);
    if (spans.length) {
      if (kind !== 'masked-lm' || m.tokenizer.maskId === undefined)
        throw new EngineError(
          'saliency-spans',
          'Masking spans needs a masked-LM model.',
          'Remove the spans, or select a masked-LM model.',
        );
      maskSpans(full, spans, m.tokenizer.maskId, m.tokenizer.maskToken ?? '');
      for (const w of windows)
        if (w.encoded !== full) maskSpans(w.encoded, spans, m.tokenizer.maskId, m.tokenizer.maskToken ?? '');
    }
    let p = req.position;
    if (p !== undefined && (!Number.isInteger(p) || p < 0 || p >= full.ids.length)) {
      throw new EngineError(
        'bad-position',
        `--position ${p} is outside the text's ${full.ids.length} tokens (0–${full.ids.length - 1}).`,
        'Count tokens from 0, special tokens included (bert-lens tokenize shows them).',
      );
    }
    if (kind === 'masked-lm' && p === undefined) {
      const { maskId, maskToken } = m.tokenizer;
      p = maskId === undefined ? -1 : full.ids.indexOf(maskId);
      if (p < 0)
        throw new EngineError(
          'no-mask',
          `The text has no ${maskToken ?? 'mask token'}.`,
          `Write ${maskToken ?? 'a mask token'} where a word should be predicted, or pass --position N.`,
        );
    }
    const w = p === undefined ? 0 : where[p].w;
    enc = windows[w].encoded;
    if (p !== undefined) position = where[p].i;
    if (windows.length > 1) {
      // The whole text's token range (content tokens) this window covers.
      const inner = enc.ids.map((_, i) => i).filter((i) => !enc.specialTokensMask[i]);
      const at = (i: number) =>
        full.offsets.findIndex((o, j) => !full.specialTokensMask[j] && o[0] === enc.offsets[i][0]);
      window = { start: Math.max(0, at(inner[0])), end: at(inner[inner.length - 1]) + 1, totalTokens: full.ids.length };
    }
  }
  if ((kind === 'question-answering' || req.pair !== undefined) && req.position !== undefined) {
    if (!Number.isInteger(req.position) || req.position < 0 || req.position >= enc.ids.length)
      throw new EngineError(
        'bad-position',
        `--position ${req.position} is outside the ${enc.ids.length} tokens.`,
        'Count tokens from 0, special tokens included.',
      );
    position = req.position;
  }
  if (kind === 'masked-lm' && position === undefined) {
    const { maskId, maskToken } = m.tokenizer;
    position = maskId === undefined ? -1 : enc.ids.indexOf(maskId);
    if (position < 0)
      throw new EngineError(
        'no-mask',
        `The text has no ${maskToken ?? 'mask token'}.`,
        `Write ${maskToken ?? 'a mask token'} where a word should be predicted, or pass --position N.`,
      );
  }
  if (req.target !== undefined && kind !== 'masked-lm')
    throw new EngineError(
      'saliency-target',
      '--target WORD is for masked-LM models.',
      kind === 'replaced-token-detection'
        ? 'Pick the token with --position N.'
        : 'Use --label LABEL to choose the label to explain.',
    );
  if (
    req.label !== undefined &&
    (kind === 'masked-lm' || kind === 'question-answering' || kind === 'replaced-token-detection')
  ) {
    throw new EngineError(
      'saliency-label',
      `--label is for classification models; ${m.id} is a ${kind} model.`,
      kind === 'masked-lm' ? 'Use --target WORD.' : 'Pick the token with --position N.',
    );
  }

  // ---- the gradient graph (built once per model and objective) ----
  const objective: Objective =
    kind === 'replaced-token-detection' ? { kind: 'log-sigmoid', output } : { kind: 'logprob', output };
  let lookupName = '';
  const { graph, session } = await m.gradientSession(
    `saliency:${objective.kind}:${output}`,
    (bytes) => {
      const lookup = findWordEmbeddingLookup(bytes);
      if (!lookup)
        throw new EngineError(
          'grad-no-embedding',
          `The word-embedding lookup of ${m.id} could not be found (a Gather of input_ids on a vocabulary matrix).`,
          'Use a standard BERT-family export.',
        );
      return { objective, wrt: { internals: [lookup.lookup] }, scaleInternals: true };
    },
    { preparing: 'saliency', onPreparing: ctx.onPreparing },
  );
  lookupName = Object.keys(graph.outputs.internals)[0];
  checkAborted(ctx);

  const needsPosition = graph.inputs.includes(OBJECTIVE_INPUTS.position);
  const run = (scales: number[], target: number, pos: number) =>
    runBatch(m, session, graph, enc, scales, target, pos, needsPosition, lookupName, output);

  // ---- target: the prediction unless one is given ----
  const s = enc.ids.length;
  let target = 0;
  let targetOut: SaliencyResult['target'];
  const probe = (pos: number) => run([1], 0, pos);
  const lastDim = (t: OutputTensor) => t.dims[t.dims.length - 1];
  switch (kind) {
    case 'masked-lm': {
      const pos = position!;
      if (req.target !== undefined) target = await targetId(m, req.target);
      else {
        const o = (await probe(pos))[output];
        const v = lastDim(o);
        target = argmax(o.data.subarray(pos * v, (pos + 1) * v));
      }
      targetOut = { position: pos, id: target, token: m.tokenizer.idToToken(target) };
      break;
    }
    case 'sequence-classification': {
      const o = (await probe(0))[output];
      const c = lastDim(o);
      target = req.label !== undefined ? labelIndex(m, req.label, c) : argmax(o.data.subarray(0, c));
      targetOut = { label: m.folder.labels?.[target] ?? `LABEL_${target}`, index: target };
      break;
    }
    case 'token-classification': {
      const o = (await probe(0))[output];
      const c = lastDim(o);
      const labels = m.folder.labels ?? [];
      const predicted = (i: number) => argmax(o.data.subarray(i * c, (i + 1) * c));
      let pos = position;
      if (pos === undefined) {
        const outside = labels.findIndex((l) => l === 'O');
        pos = enc.ids.findIndex((_, i) => !enc.specialTokensMask[i] && predicted(i) !== outside);
        if (pos < 0)
          throw new EngineError(
            'no-entity',
            'The model finds no entity in this text.',
            'Pick a token with --position N.',
          );
      }
      position = pos;
      target = req.label !== undefined ? labelIndex(m, req.label, c) : predicted(pos);
      targetOut = { label: labels[target] ?? `LABEL_${target}`, index: target, position: pos };
      break;
    }
    case 'question-answering': {
      target = qaStart;
      targetOut = { label: 'answer start', index: target, position: target };
      break;
    }
    case 'replaced-token-detection': {
      let pos = position;
      if (pos === undefined) {
        const o = (await probe(0))[output];
        pos = argmax(o.data.subarray(0, s), (i) => !enc.specialTokensMask[i]);
      }
      position = pos;
      targetOut = { position: pos, id: enc.ids[pos], token: enc.tokens[pos] };
      break;
    }
  }
  checkAborted(ctx);

  // ---- gradients ----
  const pos = position ?? 0;
  const one = await run([1], target, pos);
  const logprob = one.perExample.data[0];
  const grad = one.grad;
  const emb = one.emb;
  const h = grad.dims[2];
  const dot = (a: Float32Array, ai: number, b: Float32Array, bi: number) => {
    let acc = 0;
    for (let j = 0; j < h; j++) acc += a[ai + j] * b[bi + j];
    return acc;
  };
  let scores: number[];
  if (method === 'grad-l2')
    scores = Array.from({ length: s }, (_, i) => Math.sqrt(dot(grad.data, i * h, grad.data, i * h)));
  else if (method === 'grad-input')
    scores = Array.from({ length: s }, (_, i) => dot(grad.data, i * h, emb.data, i * h));
  else {
    checkAborted(ctx);
    const ig = await run(
      Array.from({ length: steps }, (_, k) => (k + 1) / steps),
      target,
      pos,
    );
    const g = ig.grad.data;
    const mean = new Float32Array(s * h);
    for (let k = 0; k < steps; k++) for (let t = 0; t < s * h; t++) mean[t] += g[k * s * h + t] / steps;
    scores = Array.from({ length: s }, (_, i) => dot(mean, i * h, emb.data, i * h));
  }
  ctx.onProgress?.({ done: 1, total: 1 });
  return {
    tokens: enc.tokens,
    offsets: enc.offsets,
    sequenceIds: enc.sequenceIds,
    method,
    target: targetOut!,
    logprob,
    scores,
    ...(method === 'integrated-gradients' ? { steps } : {}),
    variant: 'fp32',
    ...(window ? { window } : {}),
  };
}

const MAX_ANSWER_TOKENS = 30; // as the question-answering task

/** The best answer span of one QA window (softmax over its context tokens of start and of end, as the QA task
 *  scores them): its score and start token. */
async function bestSpanStart(m: LoadedModel, e: Encoded): Promise<{ score: number; start: number }> {
  const out = await m.run([e]);
  const names = m.plain.outputNames;
  const startLogits = out[names.find((n) => n.includes('start')) ?? names[0]].data;
  const endLogits = out[names.find((n) => n.includes('end')) ?? names[1]].data;
  const ctxTokens = e.ids.map((_, i) => i).filter((i) => e.sequenceIds[i] === 1 && !e.specialTokensMask[i]);
  const ps = softmax(ctxTokens.map((i) => startLogits[i]));
  const pe = softmax(ctxTokens.map((i) => endLogits[i]));
  let best = { score: -1, start: ctxTokens[0] ?? 0 };
  for (let a = 0; a < ctxTokens.length; a++) {
    for (let b = a; b < Math.min(ctxTokens.length, a + MAX_ANSWER_TOKENS); b++) {
      if (ps[a] * pe[b] > best.score) best = { score: ps[a] * pe[b], start: ctxTokens[a] };
    }
  }
  return best;
}

interface BatchResult {
  [name: string]: OutputTensor;
  perExample: OutputTensor;
  grad: OutputTensor;
  emb: OutputTensor;
}

async function runBatch(
  m: LoadedModel,
  session: RuntimeSession,
  graph: GradientGraph,
  enc: Encoded,
  scales: number[],
  target: number,
  pos: number,
  needsPosition: boolean,
  lookup: string,
  output: string,
): Promise<BatchResult> {
  const b = scales.length;
  const feeds: Record<string, InputTensor> = m.feeds(
    Array.from({ length: b }, () => enc),
    m.plain,
  );
  if (graph.inputs.includes(OBJECTIVE_INPUTS.target))
    feeds[OBJECTIVE_INPUTS.target] = { type: 'int64', data: new BigInt64Array(b).fill(BigInt(target)), dims: [b] };
  if (needsPosition)
    feeds[OBJECTIVE_INPUTS.position] = { type: 'int64', data: new BigInt64Array(b).fill(BigInt(pos)), dims: [b] };
  feeds[graph.scaleInput!] = { type: 'float32', data: Float32Array.from(scales), dims: [b] };
  const names = [graph.outputs.perExample!, graph.outputs.gradients[lookup], graph.outputs.internals[lookup], output];
  const out = await session.run(feeds, names);
  return { ...out, perExample: out[names[0]], grad: out[names[1]], emb: out[names[2]] };
}
