// Distillation (#13): the distillation objective of the backward graph equals a hand computation (loss and its
// gradient with respect to the student's logits, checked again by finite differences); a distilled student on a
// tiny fixture lowers its loss, has fewer parameters when cut to fewer layers, and the teacher's reported
// accuracy equals what its own classify task gives; the teacher's logits are cached; bad pairings give one
// clear error each.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildGradientGraph } from '../../src/engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { DT_FLOAT, encodeInitializer, encodeNode, encodeValueInfo } from '../../src/engine/grad/onnxModel';
import { LoadedModel } from '../../src/engine/model';
import { concatBytes, lenField, stringField, varintField } from '../../src/engine/onnx/protobuf';
import { openSession } from '../../src/engine/runtime';
import { classify } from '../../src/engine/tasks/sequenceClassification';
import {
  clearTeacherCache,
  countParameters,
  distill,
  distillationLoss,
  type DistillProgress,
} from '../../src/engine/training/distill';
import { fineTune } from '../../src/engine/training/fineTune';
import { readParameters } from '../../src/engine/training/fineTuneGraph';
import { saveFineTuned } from '../../src/engine/training/fineTuneExport';
import { loadTaskData } from '../../src/engine/training/taskData';
import { assertClose, fixture } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-distill-'));
const models: LoadedModel[] = [];
after(async () => {
  for (const m of models) await m.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});
async function load(dir: string, id = `test:${path.basename(dir)}`): Promise<LoadedModel> {
  const m = await LoadedModel.load(id, dir, 'fp32', 'cpu');
  models.push(m);
  return m;
}

// ---- the loss by hand ----
const logSoftmax = (z: number[]) => {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
};
function handLoss(s: number[][], t: number[][], y: number[], T: number, a: number): number {
  let total = 0;
  s.forEach((row, b) => {
    const lsT = logSoftmax(row.map((v) => v / T));
    const ltT = logSoftmax(t[b].map((v) => v / T));
    const kl = ltT.reduce((acc, l, c) => acc + Math.exp(l) * (l - lsT[c]), 0);
    const ce = -logSoftmax(row)[y[b]];
    total += a * T * T * kl + (1 - a) * ce;
  });
  return total / s.length;
}
function handGrad(s: number[][], t: number[][], y: number[], T: number, a: number): number[][] {
  return s.map((row, b) => {
    const psT = logSoftmax(row.map((v) => v / T)).map(Math.exp);
    const ptT = logSoftmax(t[b].map((v) => v / T)).map(Math.exp);
    const ps = logSoftmax(row).map(Math.exp);
    return row.map((_, c) => (a * T * (psT[c] - ptT[c]) + (1 - a) * (ps[c] - (c === y[b] ? 1 : 0))) / s.length);
  });
}

/** logits = x · W with x = I (batch × batch): the logits are W itself, and d(loss)/dW = d(loss)/d(logits). */
function identityModel(batch: number, k: number, w: number[][]): Uint8Array {
  const parts = [
    encodeNode('MatMul', ['x', 'W'], ['logits'], 'matmul'),
    encodeInitializer('W', [batch, k], Float32Array.from(w.flat())),
    encodeValueInfo('input', 'x', DT_FLOAT, ['batch', batch]),
    encodeValueInfo('output', 'logits', DT_FLOAT, ['batch', k]),
  ];
  const graph = lenField(7, concatBytes([...parts, stringField(2, 'g')]));
  return concatBytes([varintField(1, 7), lenField(8, varintField(2, 14)), graph]);
}

describe('distillation loss', () => {
  const S = [
    [1.5, -0.3, 0.2],
    [-1.0, 2.0, 0.5],
    [0.0, 0.1, -0.4],
    [3.0, -2.0, 1.0],
  ];
  const Tl = [
    [2.0, 0.0, -1.0],
    [0.3, 1.2, -0.7],
    [-0.5, 0.4, 2.2],
    [1.0, 1.0, 0.0],
  ];
  const Y = [0, 2, 2, 1];

  for (const [T, a] of [
    [2, 0.5],
    [1, 0.3],
    [4, 0.9],
    [2, 0],
  ]) {
    test(`the backward graph's loss and gradient equal the hand computation (T = ${T}, α = ${a})`, async () => {
      const g = await buildGradientGraph(identityModel(4, 3, S), {
        objective: { kind: 'distillation', output: 'logits', temperature: T, alpha: a },
        wrt: { parameters: ['W'] },
      });
      assert.deepEqual(Object.keys(g.objectiveInputs).sort(), ['labels', 'teacher']);
      const s = await openSession(g.bytes);
      try {
        const eye = new Float32Array(16);
        for (let i = 0; i < 4; i++) eye[i * 5] = 1;
        const r = await s.run(
          {
            x: { type: 'float32', data: eye, dims: [4, 4] },
            [OBJECTIVE_INPUTS.teacher]: { type: 'float32', data: Float32Array.from(Tl.flat()), dims: [4, 3] },
            [OBJECTIVE_INPUTS.labels(0)]: { type: 'int64', data: BigInt64Array.from(Y.map(BigInt)), dims: [4] },
          },
          [g.outputs.loss, g.outputs.gradients.W, g.outputs.perExample!],
        );
        const expected = handLoss(S, Tl, Y, T, a);
        assert.ok(
          Math.abs(r[g.outputs.loss].data[0] - expected) < 1e-5,
          `loss ${r[g.outputs.loss].data[0]} vs ${expected}`,
        );
        assert.ok(expected > 0.1, 'a loss that is not trivially zero');
        // The JS loss used for validation is the same function.
        assert.ok(Math.abs(distillationLoss(S, Tl, Y, T, a) - expected) < 1e-12);
        assertClose(r[g.outputs.gradients.W].data, handGrad(S, Tl, Y, T, a).flat(), 1e-6, 'gradient');
        // The closed form is the derivative of the loss: central differences on every logit.
        const h = 1e-4;
        const fd = S.map((row, b) =>
          row.map((_, c) => {
            const up = S.map((r2) => r2.slice());
            const dn = S.map((r2) => r2.slice());
            up[b][c] += h;
            dn[b][c] -= h;
            return (handLoss(up, Tl, Y, T, a) - handLoss(dn, Tl, Y, T, a)) / (2 * h);
          }),
        );
        assertClose(handGrad(S, Tl, Y, T, a).flat(), fd.flat(), 1e-6, 'finite differences');
      } finally {
        await s.dispose();
      }
    });
  }

  test('α = 1 and the teacher equal to the student: zero loss, zero gradient', async () => {
    const g = await buildGradientGraph(identityModel(4, 3, S), {
      objective: { kind: 'distillation', output: 'logits', temperature: 3, alpha: 1 },
      wrt: { parameters: ['W'] },
    });
    const s = await openSession(g.bytes);
    try {
      const eye = new Float32Array(16);
      for (let i = 0; i < 4; i++) eye[i * 5] = 1;
      const r = await s.run(
        {
          x: { type: 'float32', data: eye, dims: [4, 4] },
          [OBJECTIVE_INPUTS.teacher]: { type: 'float32', data: Float32Array.from(S.flat()), dims: [4, 3] },
          [OBJECTIVE_INPUTS.labels(0)]: { type: 'int64', data: BigInt64Array.from(Y.map(BigInt)), dims: [4] },
        },
        [g.outputs.loss, g.outputs.gradients.W],
      );
      assert.ok(Math.abs(r[g.outputs.loss].data[0]) < 1e-6);
      assertClose(r[g.outputs.gradients.W].data, new Array(12).fill(0), 1e-7, 'gradient');
    } finally {
      await s.dispose();
    }
  });

  test('a bad temperature or α is refused', async () => {
    await assert.rejects(
      buildGradientGraph(identityModel(4, 3, S), {
        objective: { kind: 'distillation', output: 'logits', temperature: 0, alpha: 0.5 },
        wrt: { parameters: ['W'] },
      }),
      /temperature > 0/,
    );
    await assert.rejects(
      buildGradientGraph(identityModel(4, 3, S), {
        objective: { kind: 'distillation', output: 'logits', temperature: 2, alpha: 1.5 },
        wrt: { parameters: ['W'] },
      }),
      /0 ≤ α ≤ 1/,
    );
  });
});

// ---- distilling on a tiny fixture ----
const POS = ['good', 'great', 'fine', 'nice', 'happy', 'love'];
const NEG = ['bad', 'awful', 'poor', 'sad', 'hate', 'wrong'];
const csv = path.join(tmp, 'sentiment.csv');
{
  const rows = ['text,label'];
  for (let i = 0; i < 18; i++) {
    rows.push(`"a ${POS[i % 6]} day and a ${POS[(i + 2) % 6]} time",pos`);
    rows.push(`"a ${NEG[i % 6]} day and a ${NEG[(i + 3) % 6]} time",neg`);
  }
  fs.writeFileSync(csv, rows.join('\n') + '\n');
}
const teacherDir = path.join(tmp, 'teacher');

describe('distill', () => {
  before(async () => {
    // The teacher: bert-mlm fine-tuned on the data, saved as `train --mode fine-tune` saves it.
    const base = await load(fixture('bert-mlm'));
    const data = loadTaskData(csv);
    const out = await fineTune(base, data, {
      learningRate: 3e-3,
      batchSize: 8,
      epochs: 4,
      evaluateQuantized: false,
      baselines: false,
      checkpointDir: path.join(tmp, 'ck'),
    });
    saveFineTuned({
      dir: teacherDir,
      source: base.folder,
      task: out.task,
      labels: out.labels,
      bytes: out.bytes,
      maxLength: out.maxLength,
      skipQuantized: true,
    });
  });

  test('a student cut to 1 layer learns from the teacher: the loss goes down, fewer parameters, the teacher measured as classify sees it', async () => {
    const teacher = await load(teacherDir, 'teacher');
    const student = await load(fixture('bert-mlm'));
    const data = loadTaskData(csv);
    const steps: number[] = [];
    const phases = new Set<string>();
    clearTeacherCache();
    const cacheDir = path.join(tmp, 'logits');
    const r = await distill(
      teacher,
      student,
      data,
      { epochs: 8, learningRate: 1e-2, batchSize: 8, studentLayers: 1, cacheDir },
      {
        onProgress: (p: DistillProgress) => {
          phases.add(p.phase);
          if (p.phase === 'step') steps.push(p.loss);
        },
      },
    );
    assert.deepEqual([...phases].sort(), ['epoch', 'evaluating', 'loading', 'step', 'teacher']);
    assert.equal(r.teacherLogits, 'computed');
    assert.deepEqual(r.labels, ['neg', 'pos']);
    assert.equal(r.history.length, 8);
    const perEpoch = Math.ceil(r.trainSize / 8);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(
      mean(steps.slice(-perEpoch)) < 0.8 * mean(steps.slice(0, perEpoch)),
      `loss ${mean(steps.slice(0, perEpoch))} → ${mean(steps.slice(-perEpoch))}`,
    );
    assert.ok(r.history[7].train_loss < 0.8 * r.history[0].train_loss);
    assert.ok(r.bestEpoch > 1, `best epoch ${r.bestEpoch}`);
    // The soft targets carry the teacher's confidence: the student ends close to its test accuracy.
    assert.ok(r.student.accuracy >= 0.95 * r.teacher.accuracy, `${r.student.accuracy} vs ${r.teacher.accuracy}`);

    // The student: one of bert-mlm's three layers, a fresh 2-class head.
    assert.equal(r.student.layers, 1);
    assert.equal(r.teacher.layers, 3);
    assert.ok(r.student.parameters < r.teacher.parameters, `${r.student.parameters} vs ${r.teacher.parameters}`);
    assert.equal(
      r.student.parameters,
      readParameters(r.bytes)
        .filter((p) => !p.aliasOf)
        .reduce((s, p) => s + p.data.length, 0),
    );
    assert.equal(r.teacher.size_bytes, fs.statSync(path.join(teacherDir, 'onnx', 'model.onnx')).size);
    assert.equal(r.student.size_bytes, r.bytes.byteLength);
    assert.ok(r.teacher.ms_per_example > 0 && r.student.ms_per_example > 0);
    assert.equal(r.studentFolder.config.num_hidden_layers, 1);

    // The teacher's accuracy is what its own classify task gives on the test split.
    const test = data.split.test.map((i) => data.dataset.examples[i] as { text: string; label: string });
    let correct = 0;
    for (const e of test) if ((await classify(teacher, { text: e.text })).labels[0].label === e.label) correct++;
    assert.equal(r.teacher.accuracy, correct / test.length);
    assert.equal(r.testSize, test.length);

    // The saved student graph classifies: its test accuracy re-computed from a fresh session.
    const s = await openSession(r.bytes);
    try {
      let ok = 0;
      for (const e of test) {
        const enc = await student.tokenizer.encode(e.text);
        const i64 = (xs: number[]) => ({
          type: 'int64' as const,
          data: BigInt64Array.from(xs.map(BigInt)),
          dims: [1, xs.length],
        });
        const out = await s.run(
          { input_ids: i64(enc.ids), attention_mask: i64(enc.ids.map(() => 1)), token_type_ids: i64(enc.typeIds) },
          ['logits'],
        );
        const z = Array.from(out.logits.data);
        if (r.labels[z.indexOf(Math.max(...z))] === e.label) ok++;
      }
      assert.equal(r.student.accuracy, ok / test.length);
    } finally {
      await s.dispose();
    }

    // Teacher logits are cached: in memory for the next run, on disk once memory is cleared.
    const again = await distill(teacher, student, data, {
      epochs: 1,
      learningRate: 3e-3,
      batchSize: 8,
      studentLayers: 1,
      cacheDir,
    });
    assert.equal(again.teacherLogits, 'memory');
    clearTeacherCache();
    const third = await distill(teacher, student, data, {
      epochs: 1,
      learningRate: 3e-3,
      batchSize: 8,
      studentLayers: 1,
      cacheDir,
    });
    assert.equal(third.teacherLogits, 'disk');
    assert.equal(third.teacher.accuracy, r.teacher.accuracy);
  });

  test('a non-classification teacher, a student with another label set, and data the teacher cannot label give clear errors', async () => {
    const data = loadTaskData(csv);
    const mlm = await load(fixture('bert-mlm'));
    const nli = await load(fixture('bert-nli'));
    const teacher = await load(teacherDir, 'teacher');
    await assert.rejects(distill(mlm, mlm, data), (e: any) => {
      assert.equal(e.code, 'distill-teacher');
      assert.match(
        e.message,
        /The teacher must be a sequence-classification model; test:bert-mlm is a masked-lm model/,
      );
      assert.match(e.hint, /train --mode fine-tune/);
      return true;
    });
    await assert.rejects(distill(teacher, nli, data), (e: any) => {
      assert.equal(e.code, 'distill-labels');
      assert.match(
        e.message,
        /different label sets: student test:bert-nli has \[entailment, neutral, contradiction\], the teacher has \[neg, pos\]/,
      );
      return true;
    });
    await assert.rejects(distill(nli, mlm, data), (e: any) => {
      assert.equal(e.code, 'distill-labels');
      assert.match(e.message, /label\(s\) the teacher does not know: neg, pos/);
      return true;
    });
    await assert.rejects(distill(teacher, mlm, data, { studentLayers: 7 }), /between 1 and 3/);
    await assert.rejects(distill(teacher, mlm, data, { alpha: 2 }), /α must be between 0 and 1/);
  });

  test("a classifier student with the teacher's labels keeps its head; parameters are counted per tensor", async () => {
    const teacher = await load(teacherDir, 'teacher');
    const data = loadTaskData(csv);
    const r = await distill(teacher, teacher, data, { epochs: 1, learningRate: 1e-4, batchSize: 8, cacheDir: false });
    assert.equal(r.studentHead, 'classifier');
    assert.equal(r.student.parameters, r.teacher.parameters);
    // Distilling a teacher into itself barely moves it: the same test accuracy.
    assert.equal(r.student.accuracy, r.teacher.accuracy);
    const bytes = new Uint8Array(fs.readFileSync(path.join(teacherDir, 'onnx', 'model.onnx')));
    assert.equal(
      countParameters(bytes),
      readParameters(bytes)
        .filter((p) => !p.aliasOf)
        .reduce((s, p) => s + p.data.length, 0),
    );
  });
});
