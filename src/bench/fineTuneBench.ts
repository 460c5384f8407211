// Fine-tuning measurements for docs/training.md (a benchmark, not a test; run by `npm run bench:finetune`, finetune.ts):
//  1. throughput at 128 tokens on the embedded model: a training step (forward + backward + AdamW) against a
//     forward pass of the same fine-tuning graph, batch 16, interleaved in one process so that both see the same
//     machine load;
//  2. token classification on a synthetic CoNLL-style set (lower case; person and city names of the test split
//     never occur in training): entity F1 of fine-tuning vs a head on the frozen encoder (--train-layers head).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LoadedModel } from '../engine/model';
import { VARIANT_FILES } from '../engine/models/modelFolder';
import { findHiddenStateOutputs, inspectGraph } from '../engine/onnx/graph';
import { openSession } from '../engine/runtime';
import { buildGradientGraph } from '../engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../engine/grad/objectives';
import { buildFineTuneModel, readParameters } from '../engine/training/fineTuneGraph';
import { fineTune } from '../engine/training/fineTune';
import { AdamW } from '../engine/training/optimizer';
import { createRng } from '../engine/training/random';
import { loadTaskData } from '../engine/training/taskData';

export async function throughput(model: LoadedModel, opts: { batch?: number; tokens?: number; rounds?: number } = {}): Promise<{ trainExamplesPerSecond: number; inferenceExamplesPerSecond: number; ratio: number; rounds: number }> {
  const batch = opts.batch ?? 16;
  const tokens = opts.tokens ?? 128;
  const rounds = opts.rounds ?? 5;
  const folder = model.folder;
  const enc = new Uint8Array(fs.readFileSync(path.join(folder.path, VARIANT_FILES.fp32)));
  const hidden = findHiddenStateOutputs(inspectGraph(enc), folder.numLayers)!;
  const net = buildFineTuneModel(enc, { family: folder.family, task: 'sequence', hiddenTensor: hidden[folder.numLayers], hiddenSize: folder.hiddenSize, numLabels: 2, seed: 1 });
  const params = readParameters(net.bytes);
  const g = await buildGradientGraph(net.bytes, { objective: { kind: 'cross-entropy', outputs: ['logits'] }, wrt: { parameters: params.map((p) => p.name) }, parametersAsInputs: true });
  const train = await openSession(g.bytes, 'cpu');
  const infer = await openSession(net.bytes, 'cpu');
  const rng = createRng(3);
  const ids = new BigInt64Array(batch * tokens).map((_, i) => BigInt(i % tokens === 0 ? 2 : i % tokens === tokens - 1 ? 3 : 5 + Math.floor(rng() * 8000)));
  const inputs = { input_ids: { type: 'int64' as const, data: ids, dims: [batch, tokens] }, attention_mask: { type: 'int64' as const, data: new BigInt64Array(batch * tokens).fill(1n), dims: [batch, tokens] }, token_type_ids: { type: 'int64' as const, data: new BigInt64Array(batch * tokens), dims: [batch, tokens] } };
  const feedsFor = (names: readonly string[]) => Object.fromEntries(names.filter((n) => n in inputs).map((n) => [n, inputs[n as keyof typeof inputs]]));
  const opt = new AdamW(params);
  const labels = { [OBJECTIVE_INPUTS.labels(0)]: { type: 'int64' as const, data: BigInt64Array.from({ length: batch }, (_, i) => BigInt(i % 2)), dims: [batch] } };
  const step = async () => {
    const f: Record<string, any> = { ...feedsFor(train.inputNames), ...labels };
    for (const p of params) f[p.name] = { type: 'float32', data: p.data, dims: p.dims };
    const r = await train.run(f, [g.outputs.loss, ...params.map((p) => g.outputs.gradients[p.name]).filter(Boolean)]);
    opt.step(params.map((p) => (g.outputs.gradients[p.name] ? r[g.outputs.gradients[p.name]].data : undefined)), 1e-5);
  };
  const forward = async () => {
    await infer.run(feedsFor(infer.inputNames), ['logits']);
  };
  await step();
  await forward(); // warm-up
  let tTrain = 0;
  let tInfer = 0;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await step();
    tTrain += performance.now() - t;
    t = performance.now();
    await forward();
    tInfer += performance.now() - t;
  }
  await train.dispose();
  await infer.dispose();
  const trainEps = (batch * rounds) / (tTrain / 1000);
  const inferEps = (batch * rounds) / (tInfer / 1000);
  return { trainExamplesPerSecond: trainEps, inferenceExamplesPerSecond: inferEps, ratio: inferEps / trainEps, rounds };
}

const FIRST = ['anna', 'boris', 'clara', 'dmitri', 'elena', 'felix', 'greta', 'hugo', 'irene', 'jonas', 'karla', 'lukas', 'marta', 'nils', 'olga', 'pavel', 'rosa', 'stefan', 'tanja', 'viktor'];
const LAST = ['berg', 'kowalski', 'moreau', 'novak', 'rossi', 'schmidt', 'dubois', 'jensen', 'horvat', 'silva', 'meyer', 'costa'];
const CITIES = ['lisbon', 'oslo', 'prague', 'vienna', 'dublin', 'krakow', 'lyon', 'porto', 'bergen', 'graz', 'turin', 'ghent'];
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
  const pick = <T>(a: T[], half: 0 | 1) => a[Math.floor(a.length / 2) * half + Math.floor(rng() * Math.floor(a.length / 2))];
  const sentence = (half: 0 | 1) => {
    const [t] = TEMPLATES[Math.floor(rng() * TEMPLATES.length)];
    const lines: string[] = [];
    let pIndex = 0;
    for (const w of t.split(' ')) {
      if (w === 'P') lines.push(`${pIndex === 0 ? pick(FIRST, half) : pick(LAST, half)} ${pIndex++ === 0 ? 'B-PER' : 'I-PER'}`);
      else if (w === 'C') lines.push(`${pick(CITIES, half)} B-LOC`);
      else lines.push(`${w} O`);
    }
    return lines.join('\n');
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train.conll'), Array.from({ length: nTrain }, () => sentence(0)).join('\n\n') + '\n');
  fs.writeFileSync(path.join(dir, 'test.conll'), Array.from({ length: nTest }, () => sentence(1)).join('\n\n') + '\n');
  return dir;
}

export async function tokenF1(model: LoadedModel, opts: { nTrain?: number; nTest?: number; epochs?: number; lr?: number; frozenLr?: number; frozenEpochs?: number; skipFineTune?: boolean; log?: (l: string) => void } = {}) {
  const dir = syntheticConll(fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-conll-')), opts.nTrain ?? 300, opts.nTest ?? 100);
  const data = loadTaskData(dir);
  const common = { epochs: opts.epochs ?? 3, evaluateQuantized: true, checkpointDir: path.join(dir, 'ck') };
  const log = (p: { phase: string; epoch?: number; step?: number; totalSteps?: number; loss?: number }) => p.phase === 'step' && p.step! % 20 === 0 && opts.log?.(`  step ${p.step}/${p.totalSteps} loss ${p.loss!.toFixed(4)}`);
  const ft = opts.skipFineTune ? undefined : await fineTune(model, data, { ...common, learningRate: opts.lr ?? 1e-4 }, { onProgress: log });
  const frozen = await fineTune(model, data, { ...common, epochs: opts.frozenEpochs ?? common.epochs, patience: 100, learningRate: opts.frozenLr ?? 1e-3, trainLayers: 'head' }, { onProgress: log });
  fs.rmSync(dir, { recursive: true, force: true });
  return { data: { train: data.split.train.length, val: data.split.val.length, test: data.split.test.length }, fineTuned: ft, frozen };
}
