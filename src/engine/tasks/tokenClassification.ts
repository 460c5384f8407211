// Token classification (NER): per-token labels, then entities with exact character spans, decoded from IOB/BIO
// tags with transformers' aggregation strategies.
import type { Aggregation, Entity, TokenClassificationResult } from '../api';
import { EngineError } from '../errors';
import { parseTag } from '../bio';
import { argmax, softmax } from '../math';
import type { LoadedModel } from '../model';
import { type TaskContext, checkAborted, encodeFull, requireHead, requireText } from './common';

interface TokenScores {
  index: number;
  probs: Float64Array;
  word: number | null;
}

export async function tokenClassification(
  m: LoadedModel,
  req: { text: string; aggregation?: Aggregation },
  ctx: TaskContext = {},
): Promise<TokenClassificationResult> {
  requireHead(m, 'Entity recognition', ['token-classification']);
  const text = requireText(req.text);
  const aggregation = req.aggregation ?? 'simple';
  if (!['none', 'simple', 'first', 'average', 'max'].includes(aggregation)) {
    throw new EngineError(
      'bad-aggregation',
      `Unknown aggregation "${aggregation}".`,
      'Use none, simple, first, average or max.',
    );
  }
  const labels = m.folder.labels ?? [];
  const { full, windows, where } = await encodeFull(m, text);
  const perWindow: Float32Array[] = [];
  let classes = 0;
  for (const w of windows) {
    checkAborted(ctx);
    const out = await m.run([w.encoded]);
    const t = out[m.plain.outputNames[0]];
    classes = t.dims[t.dims.length - 1];
    perWindow.push(t.data);
    ctx.onProgress?.({ done: perWindow.length, total: windows.length });
  }
  const label = (i: number) => labels[i] ?? `LABEL_${i}`;
  const scores: TokenScores[] = full.ids.map((_, j) => {
    const { w, i } = where[j];
    return { index: j, probs: softmax(perWindow[w].subarray(i * classes, (i + 1) * classes)), word: full.wordIds[j] };
  });
  const tokenLabels = scores.map((s) => ({ label: label(argmax(s.probs)), score: s.probs[argmax(s.probs)] }));
  const content = scores.filter((s) => !full.specialTokensMask[s.index]);

  const entity = (tokens: number[], lab: string, score: number): Entity => {
    const start = full.offsets[tokens[0]][0];
    const end = full.offsets[tokens[tokens.length - 1]][1];
    return { label: lab, start, end, text: text.slice(start, end), score, tokens };
  };

  if (aggregation === 'none') {
    const entities = content
      .map((s) => ({ s, l: argmax(s.probs) }))
      .filter(({ l }) => label(l) !== 'O')
      .map(({ s, l }) => entity([s.index], label(l), s.probs[l]));
    return { entities, tokens: full.tokens, offsets: full.offsets, tokenLabels };
  }

  // One (label, score, tokens) unit per token ('simple') or per word (the word strategies).
  type Unit = { tokens: number[]; label: string; score: number };
  let units: Unit[];
  if (aggregation === 'simple') {
    units = content.map((s) => ({ tokens: [s.index], label: label(argmax(s.probs)), score: s.probs[argmax(s.probs)] }));
  } else {
    const words = new Map<number, TokenScores[]>();
    const order: number[] = [];
    for (const s of content) {
      const w = s.word ?? -1 - s.index;
      if (!words.has(w)) {
        words.set(w, []);
        order.push(w);
      }
      words.get(w)!.push(s);
    }
    units = order.map((w) => {
      const ts = words.get(w)!;
      let probs: Float64Array;
      if (aggregation === 'first') probs = ts[0].probs;
      else if (aggregation === 'max')
        probs = ts.reduce((b, t) => (Math.max(...t.probs) > Math.max(...b.probs) ? t : b)).probs;
      else {
        probs = new Float64Array(classes);
        for (const t of ts) for (let c = 0; c < classes; c++) probs[c] += t.probs[c] / ts.length;
      }
      const l = argmax(probs);
      return { tokens: ts.map((t) => t.index), label: label(l), score: probs[l] };
    });
  }

  // Group units into entities: B- starts one, I- of the same type continues it, O ends it.
  const entities: Entity[] = [];
  let cur: { type: string; tokens: number[]; scores: number[] } | undefined;
  const flush = () => {
    if (cur) entities.push(entity(cur.tokens, cur.type, cur.scores.reduce((a, b) => a + b, 0) / cur.scores.length));
    cur = undefined;
  };
  for (const u of units) {
    const { bio, type } = parseTag(u.label);
    if (bio === 'O') {
      flush();
      continue;
    }
    if (bio === 'I' && cur && cur.type === type) {
      cur.tokens.push(...u.tokens);
      cur.scores.push(u.score);
      continue;
    }
    flush();
    cur = { type, tokens: [...u.tokens], scores: [u.score] };
  }
  flush();
  return { entities, tokens: full.tokens, offsets: full.offsets, tokenLabels };
}
