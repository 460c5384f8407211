// Gradient cost on the embedded model at 128 tokens: one saliency gradient call (forward + backward in one
// graph, batch 1) and one integrated-gradients call (batch m = 16) against one forward pass of the fp32 graph.
// All three are session calls on the main thread, interleaved run by run, so the ratios come from the same
// machine load (the absolute times do not mean much on a shared machine; the ratios do).
import { performance } from 'node:perf_hooks';
import { findWordEmbeddingLookup } from '../engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../engine/grad/objectives';
import { LoadedModel } from '../engine/model';
import type { InputTensor } from '../engine/runtime';

export interface GradBench {
  model: string;
  tokens: number;
  steps: number;
  runs: number;
  warmup: number;
  forward: { p50: number; mean: number };
  gradient: { p50: number; mean: number };
  integratedGradients: { p50: number; mean: number };
  /** p50 ratios. */
  gradientOverForward: number;
  backwardOverForward: number;
  igOverForward: number;
  buildMs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function benchGradients(
  folder: string,
  label: string,
  makeText: (words: number) => string,
  o: { runs: number; warmup: number; steps?: number },
): Promise<GradBench> {
  const steps = o.steps ?? 16;
  const m = await LoadedModel.load(label, folder, 'fp32');
  try {
    // The longest text of at most 128 tokens.
    let words = 120;
    let enc = await m.tokenizer.encode(makeText(words));
    while (enc.ids.length > 128 && words > 1) enc = await m.tokenizer.encode(makeText(--words));
    const pos = enc.ids.indexOf(m.tokenizer.maskId!);
    const output = m.mlmOutput();
    const t0 = performance.now();
    const { graph, session } = await m.gradientSession('bench', (bytes) => ({
      objective: { kind: 'logprob', output },
      wrt: { internals: [findWordEmbeddingLookup(bytes)!.lookup] },
      scaleInternals: true,
    }));
    const buildMs = performance.now() - t0;
    const lookup = Object.keys(graph.outputs.internals)[0];
    const feeds = (b: number): Record<string, InputTensor> => ({
      ...m.feeds(
        Array.from({ length: b }, () => enc),
        m.plain,
      ),
      [OBJECTIVE_INPUTS.target]: { type: 'int64', data: new BigInt64Array(b).fill(1000n), dims: [b] },
      [OBJECTIVE_INPUTS.position]: { type: 'int64', data: new BigInt64Array(b).fill(BigInt(pos)), dims: [b] },
      [graph.scaleInput!]: {
        type: 'float32',
        data: Float32Array.from({ length: b }, (_, k) => (k + 1) / b),
        dims: [b],
      },
    });
    const outs = [graph.outputs.perExample!, graph.outputs.gradients[lookup], graph.outputs.internals[lookup]];
    const one = feeds(1);
    const many = feeds(steps);
    const fwdFeeds = m.feeds([enc], m.plain);
    const time = async (f: () => Promise<unknown>) => {
      const s = performance.now();
      await f();
      return performance.now() - s;
    };
    const fwd: number[] = [];
    const grad: number[] = [];
    const ig: number[] = [];
    for (let r = 0; r < o.warmup + o.runs; r++) {
      const a = await time(() => m.plain.run(fwdFeeds, [output]));
      const b = await time(() => session.run(one, outs));
      const c = await time(() => session.run(many, outs));
      if (r >= o.warmup) {
        fwd.push(a);
        grad.push(b);
        ig.push(c);
      }
    }
    const f = median(fwd);
    const g = median(grad);
    const i = median(ig);
    return {
      model: label,
      tokens: enc.ids.length,
      steps,
      runs: o.runs,
      warmup: o.warmup,
      forward: { p50: f, mean: mean(fwd) },
      gradient: { p50: g, mean: mean(grad) },
      integratedGradients: { p50: i, mean: mean(ig) },
      gradientOverForward: g / f,
      backwardOverForward: (g - f) / f,
      igOverForward: i / f,
      buildMs,
    };
  } finally {
    await m.dispose();
  }
}

export function gradMarkdown(r: GradBench, date: string, machine: string): string {
  const f = (x: number) => x.toFixed(x < 10 ? 2 : 1);
  return [
    `Machine: ${machine}. Date: ${date}. Command: \`npm run bench -- --only gradients\` (or the full \`npm run bench\`).`,
    '',
    `**Gradient cost** (${r.model}, fp32, ${r.tokens} tokens, one mask; ${r.warmup} warm-up then ${r.runs} timed runs of each call, interleaved run by run in one process; CPU). Lower is better.`,
    '',
    '| Call | p50 (ms) | mean (ms) | Ratio to forward (p50) |',
    '|---|---:|---:|---:|',
    `| Forward (fp32 graph, batch 1) | ${f(r.forward.p50)} | ${f(r.forward.mean)} | 1.00 |`,
    `| Saliency gradient: forward + backward in one graph, batch 1 | ${f(r.gradient.p50)} | ${f(r.gradient.mean)} | **${r.gradientOverForward.toFixed(2)}** (backward alone ≈ ${r.backwardOverForward.toFixed(2)}×) |`,
    `| Integrated gradients, ${r.steps} steps = one call with batch ${r.steps} | ${f(r.integratedGradients.p50)} | ${f(r.integratedGradients.mean)} | **${r.igOverForward.toFixed(2)}** |`,
    '',
    `Building the gradient graph (probe run, rules, session creation) took ${f(r.buildMs)} ms once; the session is cached with the model. "Backward alone" is (gradient − forward) / forward.`,
  ].join('\n');
}
