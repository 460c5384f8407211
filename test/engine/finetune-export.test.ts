// Export of a fine-tuned network in hub layout: config with the standard architecture and labels, fp32 and
// int8 ONNX files; transformers.js loads the folder and gives BERT Lens's probabilities; classify / ner / qa run
// on it; nothing is overwritten.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { LoadedModel } from '../../src/engine/model';
import { readModelFolder } from '../../src/engine/models/modelFolder';
import { findHiddenStateOutputs, inspectGraph } from '../../src/engine/onnx/graph';
import { classify } from '../../src/engine/tasks/sequenceClassification';
import { questionAnswering } from '../../src/engine/tasks/questionAnswering';
import { tokenClassification } from '../../src/engine/tasks/tokenClassification';
import { architectureFor, quantizeDynamic, saveFineTuned } from '../../src/engine/training/fineTuneExport';
import { buildFineTuneModel } from '../../src/engine/training/fineTuneGraph';
import type { FineTuneTask } from '../../src/engine/training/taskData';
import { EMBEDDED } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-ft-export-'));
const opened: LoadedModel[] = [];
after(async () => {
  for (const m of opened) await m.dispose?.();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const source = readModelFolder(EMBEDDED);
const encoder = new Uint8Array(fs.readFileSync(path.join(EMBEDDED, 'onnx', 'model.onnx')));
const hidden = findHiddenStateOutputs(inspectGraph(encoder), source.numLayers)!;

function exportTask(task: FineTuneTask, labels: string[], name: string, skipQuantized = true): string {
  const m = buildFineTuneModel(encoder, {
    family: 'bert',
    task,
    hiddenTensor: hidden[source.numLayers],
    hiddenSize: source.hiddenSize,
    numLabels: labels.length || 2,
    seed: 11,
    initializerRange: 0.2,
  });
  // Non-zero biases, so that the labels' order matters.
  m.head[m.head.length - 1].data.forEach((_, i, a) => (a[i] = 0.3 * i));
  const bytes = buildFineTuneModel(
    encoder,
    {
      family: 'bert',
      task,
      hiddenTensor: hidden[source.numLayers],
      hiddenSize: source.hiddenSize,
      numLabels: labels.length || 2,
      seed: 11,
    },
    m.head,
  ).bytes;
  return saveFineTuned({ dir: path.join(tmp, name), source, task, labels, bytes, maxLength: 128, skipQuantized });
}

async function load(dir: string, variant: 'fp32' | 'quantized' = 'fp32'): Promise<LoadedModel> {
  const m = await LoadedModel.load(`test:${path.basename(dir)}:${variant}`, dir, variant, 'cpu');
  opened.push(m);
  return m;
}

test('architectures follow transformers: <Family>For<Task>', () => {
  assert.equal(architectureFor('bert', 'bert', 'sequence'), 'BertForSequenceClassification');
  assert.equal(architectureFor('distilbert', 'distilbert', 'token'), 'DistilBertForTokenClassification');
  assert.equal(architectureFor('xlm-roberta', 'roberta', 'qa'), 'XLMRobertaForQuestionAnswering');
  assert.equal(architectureFor('electra', 'electra', 'pair'), 'ElectraForSequenceClassification');
});

test('sequence export: hub layout, config labels, classify on the folder equals transformers.js within 1e-4; int8 variant close', async () => {
  const dir = exportTask('sequence', ['business', 'sport', 'tech'], 'seq', false);
  for (const f of [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'onnx/model.onnx',
    'onnx/model_quantized.onnx',
    'MODEL_CARD.md',
  ])
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(cfg.id2label, { 0: 'business', 1: 'sport', 2: 'tech' });
  assert.deepEqual(cfg.label2id, { business: 0, sport: 1, tech: 2 });
  const folder = readModelFolder(dir);
  assert.equal(folder.head, 'sequence-classification');
  assert.deepEqual(folder.variants.sort(), ['fp32', 'quantized']);

  const texts = ['the striker scored twice in the final.', 'shares fell after the quarterly results were published.'];
  const m = await load(dir);
  const ours = [];
  for (const text of texts) ours.push(await classify(m, { text }));

  const hf = require('@huggingface/transformers');
  hf.env.allowRemoteModels = false;
  hf.env.allowLocalModels = true;
  hf.env.localModelPath = path.dirname(dir) + path.sep;
  const pipe = await hf.pipeline('text-classification', path.basename(dir), { dtype: 'fp32', local_files_only: true });
  for (let i = 0; i < texts.length; i++) {
    const theirs: { label: string; score: number }[] = await pipe(texts[i], { top_k: null });
    assert.equal(theirs.length, 3);
    for (const t of theirs) {
      const o = ours[i].labels.find((l) => l.label === t.label)!;
      assert.ok(Math.abs(o.score - t.score) < 1e-4, `${t.label}: ${o.score} vs ${t.score}`);
    }
    // Not a degenerate check: the probabilities differ between labels.
    assert.ok(Math.max(...theirs.map((t) => t.score)) - Math.min(...theirs.map((t) => t.score)) > 0.01);
  }
  await pipe.dispose?.();

  const q = await load(dir, 'quantized');
  for (let i = 0; i < texts.length; i++) {
    const r = await classify(q, { text: texts[i] });
    for (const l of r.labels)
      assert.ok(Math.abs(l.score - ours[i].labels.find((o) => o.label === l.label)!.score) < 0.05, `int8 ${l.label}`);
  }
  const size = (f: string) => fs.statSync(path.join(dir, 'onnx', f)).size;
  // The MatMul weights (≈ 13 MB of 21) are stored in one byte each; the word-embedding table stays float.
  assert.ok(
    size('model_quantized.onnx') < size('model.onnx') * 0.6,
    `${size('model_quantized.onnx')} vs ${size('model.onnx')}`,
  );
  const g32 = inspectGraph(new Uint8Array(fs.readFileSync(path.join(dir, 'onnx', 'model.onnx'))));
  const g8 = inspectGraph(new Uint8Array(fs.readFileSync(path.join(dir, 'onnx', 'model_quantized.onnx'))));
  const weightMatMuls = g32.nodes.filter((n) => n.opType === 'MatMul' && g32.initializers.has(n.inputs[1])).length;
  assert.equal(weightMatMuls, 4 * 6 + 2); // 6 per layer (Q, K, V, output, FFN in, FFN out) + the head's two
  assert.equal(g8.nodes.filter((n) => n.opType === 'MatMulInteger').length, weightMatMuls);
  assert.equal(g8.nodes.filter((n) => n.opType === 'MatMul').length, 4 * 2); // attention scores and context stay float
});

test('token and QA exports: ner and qa run on the saved folders', async () => {
  const tdir = exportTask('token', ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER'], 'tok');
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(tdir, 'config.json'), 'utf8')).architectures, [
    'BertForTokenClassification',
  ]);
  const tm = await load(tdir);
  const ents = await tokenClassification(tm, { text: 'ada lovelace lived in london.', aggregation: 'none' });
  assert.ok(ents.entities.length > 0);
  for (const e of ents.entities) assert.match(e.label, /^(B|I)-(LOC|PER)$/);
  const qdir = exportTask('qa', [], 'qa');
  const qcfg = JSON.parse(fs.readFileSync(path.join(qdir, 'config.json'), 'utf8'));
  assert.deepEqual(qcfg.architectures, ['BertForQuestionAnswering']);
  assert.equal(qcfg.id2label, undefined);
  const qm = await load(qdir);
  const context = 'the tower was built in paris in 1889.';
  const a = await questionAnswering(qm, { question: 'where was it built?', context });
  assert.ok(a.answers.length > 0);
  assert.equal(context.slice(a.answers[0].start, a.answers[0].end), a.answers[0].text);
});

test('saving never overwrites a non-empty folder', () => {
  const dir = path.join(tmp, 'taken');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  assert.throws(
    () =>
      saveFineTuned({
        dir,
        source,
        task: 'sequence',
        labels: ['a', 'b'],
        bytes: encoder,
        maxLength: 128,
        skipQuantized: true,
      }),
    (e: EngineError) => e.code === 'output-exists' && /nothing was overwritten/.test(e.message),
  );
  assert.deepEqual(fs.readdirSync(dir), ['notes.txt']);
});

test('int8 quantisation: MatMul weights become int8 with one scale each; the graph gives the fp32 answer within int8 error', async () => {
  const m = buildFineTuneModel(encoder, {
    family: 'bert',
    task: 'token',
    hiddenTensor: hidden[source.numLayers],
    hiddenSize: source.hiddenSize,
    numLabels: 3,
    seed: 2,
  });
  const q = quantizeDynamic(m.bytes);
  const ort = require('onnxruntime-node');
  const s32 = await ort.InferenceSession.create(m.bytes);
  const s8 = await ort.InferenceSession.create(q);
  const ids = [2, 100, 200, 300, 400, 3];
  const f = (s: any) => {
    const o: Record<string, unknown> = {};
    for (const n of s.inputNames)
      o[n] = new ort.Tensor(
        'int64',
        BigInt64Array.from(
          (n === 'input_ids' ? ids : n === 'attention_mask' ? ids.map(() => 1) : ids.map(() => 0)).map(BigInt),
        ),
        [1, ids.length],
      );
    return o;
  };
  const a = (await s32.run(f(s32))).logits.data as Float32Array;
  const b = (await s8.run(f(s8))).logits.data as Float32Array;
  let maxA = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++)
    ((maxA = Math.max(maxA, Math.abs(a[i]))), (diff = Math.max(diff, Math.abs(a[i] - b[i]))));
  assert.ok(diff > 0, 'the int8 graph really computes in int8');
  assert.ok(diff < 0.1 * maxA + 0.02, `int8 error ${diff} vs scale ${maxA}`);
});
