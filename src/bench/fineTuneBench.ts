// Fine-tuning measurements for docs/training.md (a benchmark, not a test; run by `npm run bench:finetune`, finetune.ts):
//  1. throughput at 128 tokens on the embedded model: a training step (forward + backward + AdamW, the same
//     TrainStep code the training loop runs) against a forward pass of the same fine-tuning network, batch 16,
//     interleaved in one process so that both see the same machine load;
//  2. token classification on a synthetic CoNLL-style set (lower case; person and city names of the test split
//     never occur in training): entity F1 of fine-tuning vs a head on the frozen encoder (--train-layers head).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LoadedModel } from '../engine/model';
import { VARIANT_FILES } from '../engine/models/modelFolder';
import { findHiddenStateOutputs, inspectGraph } from '../engine/onnx/graph';
import { openSession } from '../engine/runtime';
import { OBJECTIVE_INPUTS } from '../engine/grad/objectives';
import { buildFineTuneModel, readParameters } from '../engine/training/fineTuneGraph';
import { fineTune } from '../engine/training/fineTune';
import { dropoutMasks, headDropoutRate, headDropoutSites } from '../engine/training/dropout';
import { fuseLayerNorms } from '../engine/training/fuseLayerNorm';
import { fuseLinears } from '../engine/training/fuseLinear';
import { TrainStep, openTrainingGraph } from '../engine/training/trainStep';
import { createRng } from '../engine/training/random';
import { loadTaskData } from '../engine/training/taskData';

export interface ThroughputResult {
  trainExamplesPerSecond: number;
  inferenceExamplesPerSecond: number;
  /** Step cost / inference cost per example. */
  ratio: number;
  rounds: number;
  /** Calls of each side in a row per round (the first of each run untimed; 1: every call timed, alternating). */
  block: number;
  /** Median milliseconds per batch over the rounds: inference, the whole step, its session run (forward +
   *  backward) and AdamW (medians, because the machine's load moves during a run). */
  ms: { inference: number; step: number; run: number; optimizer: number };
  /** The same step on the graph as exported (LayerNorms not fused), when measured (`compareUnfused`). */
  unfused?: { trainExamplesPerSecond: number; ratio: number; ms: { step: number; run: number; optimizer: number } };
  fusedLayerNorms: number;
  fusedLinears: number;
}

/** Training step (the production TrainStep: fused graph, accumulator, AdamW) against inference (the fine-tuning
 *  network's forward pass, as evaluation and the saved model run it), batch × tokens, rounds interleaved. */
export async function throughput(
  model: LoadedModel,
  opts: { batch?: number; tokens?: number; rounds?: number; compareUnfused?: boolean; block?: number } = {},
): Promise<ThroughputResult> {
  const batch = opts.batch ?? 16;
  const tokens = opts.tokens ?? 128;
  const rounds = opts.rounds ?? 5;
  const folder = model.folder;
  const enc = new Uint8Array(fs.readFileSync(path.join(folder.path, VARIANT_FILES.fp32)));
  const hidden = findHiddenStateOutputs(inspectGraph(enc), folder.numLayers)!;
  const net = buildFineTuneModel(enc, {
    family: folder.family,
    task: 'sequence',
    hiddenTensor: hidden[folder.numLayers],
    hiddenSize: folder.hiddenSize,
    numLabels: 2,
    seed: 1,
    pooling: 'mean',
  });
  const objective = { kind: 'cross-entropy' as const, outputs: ['logits'] };
  // The head's dropout, as training runs it: its masks are drawn inside the timed step.
  const sites = headDropoutSites(folder.family, 'sequence', hidden[folder.numLayers]);
  const rate = headDropoutRate(folder.family, 'sequence', folder.config);
  const fresh = () => readParameters(net.bytes).map((p) => ({ name: p.name, dims: p.dims, data: p.data }));
  const variants = [{ name: 'fused', fuse: true }, ...(opts.compareUnfused ? [{ name: 'unfused', fuse: false }] : [])];
  const steps = await Promise.all(
    variants.map(async (v) => {
      const params = fresh();
      return {
        name: v.name,
        step: new TrainStep(
          await openTrainingGraph(
            net.bytes,
            params.map((p) => p.name),
            objective,
            { fuse: v.fuse, dropout: { sites, hiddenSize: folder.hiddenSize } },
          ),
          params,
        ),
        t: { step: [] as number[], run: [] as number[], optimizer: [] as number[] },
      };
    }),
  );
  const infer = await openSession(net.bytes, 'cpu');
  const rng = createRng(3);
  const ids = new BigInt64Array(batch * tokens).map((_, i) =>
    BigInt(i % tokens === 0 ? 2 : i % tokens === tokens - 1 ? 3 : 5 + Math.floor(rng() * 8000)),
  );
  const inputs = {
    input_ids: { type: 'int64' as const, data: ids, dims: [batch, tokens] },
    attention_mask: { type: 'int64' as const, data: new BigInt64Array(batch * tokens).fill(1n), dims: [batch, tokens] },
    token_type_ids: { type: 'int64' as const, data: new BigInt64Array(batch * tokens), dims: [batch, tokens] },
  };
  const feedsFor = (names: readonly string[]) =>
    Object.fromEntries(names.filter((n) => n in inputs).map((n) => [n, inputs[n as keyof typeof inputs]]));
  const labels = {
    [OBJECTIVE_INPUTS.labels(0)]: {
      type: 'int64' as const,
      data: BigInt64Array.from({ length: batch }, (_, i) => BigInt(i % 2)),
      dims: [batch],
    },
  };
  const runStep = async (s: (typeof steps)[number], record: boolean) => {
    const t0 = performance.now();
    const masks = dropoutMasks(sites, rate, { batch, seq: tokens, hidden: folder.hiddenSize }, s.t.step.length + 1);
    await s.step.micro({ ...feedsFor(s.step.session.inputNames), ...labels, ...masks }, batch);
    const t1 = performance.now();
    s.step.apply(1e-5);
    const t2 = performance.now();
    if (record) (s.t.step.push(t2 - t0), s.t.run.push(t1 - t0), s.t.optimizer.push(t2 - t1));
  };
  const forward = async () => {
    await infer.run(feedsFor(infer.inputNames), ['logits']);
  };
  // Each side runs as it runs in use, back to back: a round is `block` steps of each variant in a row, then `block`
  // forward passes in a row, and only the last `block − 1` of each run of calls are timed (the first one follows
  // the other side's work, with the caches holding the other side's buffers). Rounds alternate so that both sides
  // see the same drift of the machine's load. `block: 1` is the older measurement: one step, one forward, each
  // timed right after the other side's work (cold caches: it flatters the step, see docs/training.md).
  const block = Math.max(1, Math.floor(opts.block ?? 3));
  const timed = (k: number) => block === 1 || k > 0;
  for (const s of steps) await runStep(s, false); // warm-up
  await forward();
  const tInfer: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 ? [...steps].reverse() : steps) for (let k = 0; k < block; k++) await runStep(s, timed(k)); // alternate the order of the variants
    for (let k = 0; k < block; k++) {
      const t = performance.now();
      await forward();
      if (timed(k)) tInfer.push(performance.now() - t);
    }
  }
  for (const s of steps) await s.step.dispose();
  await infer.dispose();
  const median = (xs: number[]) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  };
  const inferMs = median(tInfer);
  const of = (s: (typeof steps)[number]) => {
    const step = median(s.t.step);
    return {
      trainExamplesPerSecond: batch / (step / 1000),
      ratio: step / inferMs,
      ms: { step, run: median(s.t.run), optimizer: median(s.t.optimizer) },
    };
  };
  const main = of(steps[0]);
  const fusedLayerNorms = fuseLayerNorms(net.bytes).fused;
  const fusedLinears = fuseLinears(fuseLayerNorms(net.bytes).bytes).fused;
  return {
    ...main,
    inferenceExamplesPerSecond: batch / (inferMs / 1000),
    rounds,
    block,
    ms: { inference: inferMs, ...main.ms },
    ...(steps[1] ? { unfused: of(steps[1]) } : {}),
    fusedLayerNorms,
    fusedLinears,
  };
}

const FIRST = [
  'anna',
  'boris',
  'clara',
  'dmitri',
  'elena',
  'felix',
  'greta',
  'hugo',
  'irene',
  'jonas',
  'karla',
  'lukas',
  'marta',
  'nils',
  'olga',
  'pavel',
  'rosa',
  'stefan',
  'tanja',
  'viktor',
];
const LAST = [
  'berg',
  'kowalski',
  'moreau',
  'novak',
  'rossi',
  'schmidt',
  'dubois',
  'jensen',
  'horvat',
  'silva',
  'meyer',
  'costa',
];
const CITIES = [
  'lisbon',
  'oslo',
  'prague',
  'vienna',
  'dublin',
  'krakow',
  'lyon',
  'porto',
  'bergen',
  'graz',
  'turin',
  'ghent',
];
const TEMPLATES: [string, string][] = [
  ['P P moved to C last year .', ''],
  ['yesterday P P visited C with friends .', ''],
  ['the mayor of C met P P on monday .', ''],
  ['P P said that C is expensive .', ''],
  ['after the match , P P flew back to C .', ''],
  ['we saw P P near the station in C .', ''],
];

/** Synthetic CoNLL-style data: train names/cities from the first halves of the lists, test from the second. */
export function syntheticConll(dir: string, nTrain: number, nTest: number, seed = 1): string {
  const rng = createRng(seed);
  const pick = <T>(a: T[], half: 0 | 1) =>
    a[Math.floor(a.length / 2) * half + Math.floor(rng() * Math.floor(a.length / 2))];
  const sentence = (half: 0 | 1) => {
    const [t] = TEMPLATES[Math.floor(rng() * TEMPLATES.length)];
    const lines: string[] = [];
    let pIndex = 0;
    for (const w of t.split(' ')) {
      if (w === 'P')
        lines.push(`${pIndex === 0 ? pick(FIRST, half) : pick(LAST, half)} ${pIndex++ === 0 ? 'B-PER' : 'I-PER'}`);
      else if (w === 'C') lines.push(`${pick(CITIES, half)} B-LOC`);
      else lines.push(`${w} O`);
    }
    return lines.join('\n');
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'train.conll'),
    Array.from({ length: nTrain }, () => sentence(0)).join('\n\n') + '\n',
  );
  fs.writeFileSync(path.join(dir, 'test.conll'), Array.from({ length: nTest }, () => sentence(1)).join('\n\n') + '\n');
  return dir;
}

export async function tokenF1(
  model: LoadedModel,
  opts: {
    nTrain?: number;
    nTest?: number;
    epochs?: number;
    lr?: number;
    frozenLr?: number;
    frozenEpochs?: number;
    skipFineTune?: boolean;
    /** Also fine-tune without class weights (`classWeights: 'none'`; the default weighs the tags), same split
     *  and settings. */
    unweighted?: boolean;
    log?: (l: string) => void;
  } = {},
) {
  const dir = syntheticConll(
    fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-conll-')),
    opts.nTrain ?? 300,
    opts.nTest ?? 100,
  );
  const data = loadTaskData(dir);
  const common = { epochs: opts.epochs ?? 3, evaluateQuantized: true, checkpointDir: path.join(dir, 'ck') };
  const log = (p: { phase: string; epoch?: number; step?: number; totalSteps?: number; loss?: number }) =>
    p.phase === 'step' &&
    p.step! % 20 === 0 &&
    opts.log?.(`  step ${p.step}/${p.totalSteps} loss ${p.loss!.toFixed(4)}`);
  const ft = opts.skipFineTune
    ? undefined
    : await fineTune(model, data, { ...common, learningRate: opts.lr ?? 1e-4 }, { onProgress: log });
  const unweighted = opts.unweighted
    ? await fineTune(
        model,
        data,
        { ...common, learningRate: opts.lr ?? 1e-4, classWeights: 'none' },
        { onProgress: log },
      )
    : undefined;
  const frozen = await fineTune(
    model,
    data,
    {
      ...common,
      epochs: opts.frozenEpochs ?? common.epochs,
      patience: 100,
      learningRate: opts.frozenLr ?? 1e-3,
      trainLayers: 'head',
    },
    { onProgress: log },
  );
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    data: { train: data.split.train.length, val: data.split.val.length, test: data.split.test.length },
    fineTuned: ft,
    unweighted,
    frozen,
  };
}
