// Reverse-mode gradients of every fixture against PyTorch autograd (gradients.json, computed through an
// independent evaluation of the same ONNX graph): the loss, every parameter's L2 norm (1e-3 relative) and its
// listed entries (1e-3·‖g‖ + 1e-7), the parameters the loss does not reach, and the three saliency methods
// (1e-4 + 1e-3·|ref|).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import {
  buildGradientGraph,
  findWordEmbeddingLookup,
  readParameters,
  type Objective,
} from '../../src/engine/grad/gradient';
import { DT_FLOAT, parseModel, encodeInitializer, encodeNode, encodeValueInfo } from '../../src/engine/grad/onnxModel';
import { concatBytes, lenField, stringField, varintField } from '../../src/engine/onnx/protobuf';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { type InputTensor, openSession } from '../../src/engine/runtime';
import { EMBEDDED, FIXTURES, fixture, readJson } from '../helpers';

const names = fs
  .readdirSync(FIXTURES)
  .filter((n) => fs.existsSync(`${FIXTURES}/${n}/gradients.json`))
  .sort();

test('every fixture with reference gradients is covered', () => {
  assert.deepEqual(names, [
    'albert-mlm',
    'bert-feature',
    'bert-mlm',
    'bert-ner',
    'bert-nli',
    'bert-pretraining',
    'bert-qa',
    'distilbert-mlm',
    'electra-discriminator',
    'electra-generator',
    'gpt2-clm',
    'roberta-mlm',
  ]);
});

const i64 = (xs: number[], dims: number[]): InputTensor => ({
  type: 'int64',
  data: BigInt64Array.from(xs.map(BigInt)),
  dims,
});

function modelFeeds(ref: any, inputNames: readonly string[], batch = 1): Record<string, InputTensor> {
  const s = ref.input_ids.length;
  const rep = (xs: number[]) => Array.from({ length: batch }, () => xs).flat();
  const feeds: Record<string, InputTensor> = {};
  if (inputNames.includes('input_ids')) feeds.input_ids = i64(rep(ref.input_ids), [batch, s]);
  if (inputNames.includes('attention_mask')) feeds.attention_mask = i64(rep(ref.attention_mask), [batch, s]);
  if (inputNames.includes('token_type_ids'))
    feeds.token_type_ids = i64(rep(ref.token_type_ids ?? ref.input_ids.map(() => 0)), [batch, s]);
  return feeds;
}

/** The fixture's loss as an objective, and the inputs it needs. */
function lossObjective(ref: any): { objective: Objective; feeds: Record<string, InputTensor> } {
  const loss = ref.loss;
  const s = ref.input_ids.length;
  const atPositions = () => {
    const labels = new Array(s).fill(-100);
    loss.positions.forEach((p: number, i: number) => (labels[p] = loss.labels[i]));
    return i64(labels, [1, s]);
  };
  switch (loss.kind) {
    case 'masked-lm':
    case 'token-classification':
    case 'causal-lm':
      return {
        objective: { kind: 'cross-entropy', outputs: [loss.output] },
        feeds: { [OBJECTIVE_INPUTS.labels(0)]: atPositions() },
      };
    case 'replaced-token-detection':
      return {
        objective: { kind: 'binary-cross-entropy', output: loss.output },
        feeds: { [OBJECTIVE_INPUTS.labels(0)]: atPositions() },
      };
    case 'sequence-classification':
      return {
        objective: { kind: 'cross-entropy', outputs: [loss.output] },
        feeds: { [OBJECTIVE_INPUTS.labels(0)]: i64(loss.labels, [1]) },
      };
    case 'question-answering':
      return {
        objective: { kind: 'cross-entropy', outputs: loss.outputs },
        feeds: {
          [OBJECTIVE_INPUTS.labels(0)]: i64([loss.labels[0]], [1]),
          [OBJECTIVE_INPUTS.labels(1)]: i64([loss.labels[1]], [1]),
        },
      };
    case 'feature-probe': {
      const h = loss.w.length;
      const seed = new Float32Array(s * h);
      seed.set(loss.w, 0);
      return {
        objective: { kind: 'weighted-sum', outputs: [loss.output] },
        feeds: { [OBJECTIVE_INPUTS.seed(0)]: { type: 'float32', data: seed, dims: [1, s, h] } },
      };
    }
  }
  throw new Error(`unknown loss kind ${loss.kind}`);
}

const l2 = (a: Float32Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));

// roberta-mlm-opset11: the roberta-mlm export rewritten as opset 11 (attribute axes, opset-11 softmax; see its
// downgrade.py), upgraded by the builder and checked against the opset-14 export's reference values.
for (const [name, refName] of [...names.map((n) => [n, n]), ['roberta-mlm-opset11', 'roberta-mlm']]) {
  describe(`gradients: ${name}`, () => {
    const ref = readJson(`${fixture(refName)}/gradients.json`);
    const bytes = new Uint8Array(fs.readFileSync(`${fixture(name)}/onnx/model.onnx`));

    test(`loss ${ref.loss.kind} and every parameter gradient match PyTorch`, async () => {
      const { objective, feeds } = lossObjective(ref);
      const g = await buildGradientGraph(bytes, { objective, wrt: { parameters: 'all' } });
      const session = await openSession(g.bytes);
      try {
        const outputs = [g.outputs.loss, ...Object.values(g.outputs.gradients)];
        const out = await session.run({ ...modelFeeds(ref, session.inputNames), ...feeds }, outputs);
        const loss = out[g.outputs.loss].data[0];
        assert.ok(
          Math.abs(loss - ref.loss.value) <= 1e-4 * Math.max(1, Math.abs(ref.loss.value)),
          `loss ${loss} vs ${ref.loss.value}`,
        );
        const expected = Object.keys(ref.gradients).sort();
        assert.deepEqual(Object.keys(g.outputs.gradients).sort(), expected, 'the parameters with a gradient');
        assert.deepEqual(
          g.untouched.sort(),
          [...ref.untouched_initializers].sort(),
          'the parameters the loss does not reach',
        );
        for (const p of expected) {
          const r = ref.gradients[p];
          const got = out[g.outputs.gradients[p]];
          assert.deepEqual(got.dims, r.shape, `${p} shape`);
          const norm = l2(got.data);
          const tol = 1e-3 * r.l2 + 1e-7;
          // 1e-3 relative; the absolute floor is for gradients that are zero up to rounding (a bias before a
          // softmax-invariant head: both sides are ~1e-9 of noise).
          assert.ok(Math.abs(norm - r.l2) <= tol, `${p}: L2 ${norm} vs ${r.l2}`);
          r.first.forEach((v: number, i: number) =>
            assert.ok(Math.abs(got.data[i] - v) <= tol, `${p}[${i}]: ${got.data[i]} vs ${v}`),
          );
          for (const [i, v] of r.sample)
            assert.ok(Math.abs(got.data[i] - v) <= tol, `${p}[${i}]: ${got.data[i]} vs ${v}`);
        }
      } finally {
        await session.dispose();
      }
    });

    if (ref.saliency) {
      test('saliency: grad-l2, grad×input and integrated gradients (16 steps, one batched call) match PyTorch', async () => {
        const sal = ref.saliency;
        const lookup = findWordEmbeddingLookup(bytes);
        assert.ok(lookup, 'word-embedding lookup found');
        assert.equal(lookup!.initializer, ref.word_embedding_initializer);
        const output = ref.loss.output;
        const seqCls = ref.loss.kind === 'sequence-classification';
        const g = await buildGradientGraph(bytes, {
          objective: { kind: 'logprob', output },
          wrt: { internals: [lookup!.lookup] },
          scaleInternals: true,
        });
        assert.deepEqual(Object.keys(g.outputs.gradients), [lookup!.lookup]);
        const session = await openSession(g.bytes);
        try {
          const run = async (scales: number[]) => {
            const m = scales.length;
            const feeds: Record<string, InputTensor> = {
              ...modelFeeds(ref, session.inputNames, m),
              [OBJECTIVE_INPUTS.target]: i64(new Array(m).fill(sal.target_id), [m]),
              [g.scaleInput!]: { type: 'float32', data: Float32Array.from(scales), dims: [m] },
            };
            if (!seqCls) feeds[OBJECTIVE_INPUTS.position] = i64(new Array(m).fill(sal.position), [m]);
            return session.run(feeds, [
              g.outputs.perExample!,
              g.outputs.gradients[lookup!.lookup],
              g.outputs.internals[lookup!.lookup],
            ]);
          };
          const one = await run([1]);
          const logprob = one[g.outputs.perExample!].data[0];
          assert.ok(
            Math.abs(logprob - sal.logprob) <= 1e-4 + 1e-3 * Math.abs(sal.logprob),
            `logprob ${logprob} vs ${sal.logprob}`,
          );
          const grad = one[g.outputs.gradients[lookup!.lookup]];
          const emb = one[g.outputs.internals[lookup!.lookup]];
          const [, s, h] = grad.dims;
          const close = (got: number[], want: number[], what: string) => {
            assert.equal(got.length, want.length);
            got.forEach((v, i) =>
              assert.ok(Math.abs(v - want[i]) <= 1e-4 + 1e-3 * Math.abs(want[i]), `${what}[${i}]: ${v} vs ${want[i]}`),
            );
          };
          const rows = (f: (i: number) => number) => Array.from({ length: s }, (_, i) => f(i));
          close(
            rows((i) => Math.sqrt(grad.data.subarray(i * h, (i + 1) * h).reduce((a, x) => a + x * x, 0))),
            sal.grad_l2,
            'grad_l2',
          );
          close(
            rows((i) => grad.data.subarray(i * h, (i + 1) * h).reduce((a, x, j) => a + x * emb.data[i * h + j], 0)),
            sal.grad_input,
            'grad_input',
          );
          const m = sal.integrated_gradients.steps;
          const ig = await run(Array.from({ length: m }, (_, k) => (k + 1) / m));
          const gi = ig[g.outputs.gradients[lookup!.lookup]];
          assert.deepEqual(gi.dims, [m, s, h]);
          const igv = rows((i) => {
            let acc = 0;
            for (let j = 0; j < h; j++) {
              let mean = 0;
              for (let k = 0; k < m; k++) mean += gi.data[(k * s + i) * h + j];
              acc += (mean / m) * emb.data[i * h + j];
            }
            return acc;
          });
          close(igv, sal.integrated_gradients.values, 'integrated_gradients');
        } finally {
          await session.dispose();
        }
      });
    }
  });
}

describe('gradients: errors', () => {
  /** A hand-built graph: y = Softsign(x · W) — an operator with no gradient rule on the path. */
  function softsignModel(): Uint8Array {
    const parts = [
      encodeNode('MatMul', ['x', 'W'], ['h'], 'matmul'),
      encodeNode('Softsign', ['h'], ['y'], 'the_softsign'),
      encodeInitializer('W', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6])),
      encodeValueInfo('input', 'x', DT_FLOAT, ['batch', 3]),
      encodeValueInfo('output', 'y', DT_FLOAT, ['batch', 2]),
    ];
    const graph = lenField(7, concatBytes([...parts, stringField(2, 'g')]));
    const opset = lenField(8, varintField(2, 14));
    return concatBytes([varintField(1, 7), opset, graph]);
  }

  test('an operator without a rule on the path gives a named error; off the path it is fine', async () => {
    const bytes = softsignModel();
    await assert.rejects(
      buildGradientGraph(bytes, { objective: { kind: 'weighted-sum', outputs: ['y'] }, wrt: { parameters: ['W'] } }),
      (err: any) => {
        assert.equal(err.code, 'grad-unsupported-op');
        assert.match(err.message, /No gradient rule for the ONNX operator Softsign \(node "the_softsign"\)/);
        return true;
      },
    );
    // Differentiating h (before the Softsign) against W never meets it: x·W's gradient is xᵀ·seed.
    const g = await buildGradientGraph(bytes, {
      objective: { kind: 'weighted-sum', outputs: ['h'] },
      wrt: { parameters: ['W'] },
    });
    const s = await openSession(g.bytes);
    try {
      const out = await s.run(
        {
          x: { type: 'float32', data: Float32Array.from([1, 2, 3]), dims: [1, 3] },
          [OBJECTIVE_INPUTS.seed(0)]: { type: 'float32', data: Float32Array.from([1, -1]), dims: [1, 2] },
        },
        [g.outputs.gradients.W, g.outputs.loss],
      );
      assert.deepEqual(Array.from(out[g.outputs.gradients.W].data), [1, -1, 2, -2, 3, -3]);
      assert.equal(out[g.outputs.loss].data[0], 1 * 1 + 2 * 3 + 3 * 5 - (1 * 2 + 2 * 4 + 3 * 6));
    } finally {
      await s.dispose();
    }
  });

  test('an export older than opset 9 is refused with one line (9–12 are upgraded, see opsetUpgrade.test.ts)', async () => {
    const bytes = softsignModel();
    // the same graph declared as opset 8
    const old = concatBytes([
      varintField(1, 7),
      lenField(8, varintField(2, 8)),
      bytes.subarray(concatBytes([varintField(1, 7), lenField(8, varintField(2, 14))]).length),
    ]);
    await assert.rejects(
      buildGradientGraph(old, { objective: { kind: 'weighted-sum', outputs: ['h'] }, wrt: { parameters: ['W'] } }),
      (err: any) => {
        assert.equal(err.code, 'grad-opset');
        assert.match(
          err.message,
          /^Gradients need an ONNX export of opset 13 or later, or one BERT Lens can upgrade \(opset 9–12 without operators older than opset 9\); this model is opset 8\.$/,
        );
        assert.match(err.hint, /Re-export the model with opset 14/);
        return true;
      },
    );
  });

  test('the int8 variant gives one clear line', async () => {
    const bytes = new Uint8Array(fs.readFileSync(`${EMBEDDED}/onnx/model_quantized.onnx`));
    await assert.rejects(
      buildGradientGraph(bytes, { objective: { kind: 'logprob', output: 'logits' }, wrt: { parameters: 'all' } }),
      (err: any) => {
        assert.equal(err.code, 'grad-int8');
        assert.match(err.message, /^Gradients need the fp32 variant; this model has /);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      },
    );
  });

  test('parameters as inputs: fed weights replace the initializers (and each alias is its own input)', async () => {
    const name = 'bert-nli';
    const ref = readJson(`${fixture(name)}/gradients.json`);
    const bytes = new Uint8Array(fs.readFileSync(`${fixture(name)}/onnx/model.onnx`));
    const { objective, feeds } = lossObjective(ref);
    const g = await buildGradientGraph(bytes, { objective, wrt: { parameters: 'all' }, parametersAsInputs: true });
    const params = Object.keys(g.parameters);
    assert.ok(params.every((p) => g.inputs.includes(p)));
    const inits = parseModel(bytes).initializers;
    assert.ok(
      params.some((p) => !inits.has(p)),
      'an Identity alias is a parameter of its own',
    );
    const values = readParameters(bytes, params);
    const s = await openSession(g.bytes);
    try {
      const paramFeeds = Object.fromEntries(
        params.map((p) => [p, { type: 'float32' as const, data: values[p].data, dims: values[p].dims }]),
      );
      const out = await s.run(
        { ...modelFeeds(ref, ['input_ids', 'attention_mask', 'token_type_ids']), ...feeds, ...paramFeeds },
        [g.outputs.loss, g.outputs.gradients['m.classifier.weight']],
      );
      assert.ok(Math.abs(out[g.outputs.loss].data[0] - ref.loss.value) < 1e-4);
      assert.ok(
        Math.abs(l2(out[g.outputs.gradients['m.classifier.weight']].data) - ref.gradients['m.classifier.weight'].l2) <=
          1e-3 * ref.gradients['m.classifier.weight'].l2,
      );
      // Doubling the classifier's weights changes the loss: the fed values are used, not the file's.
      const w = values['m.classifier.weight'].data.map((x) => 2 * x);
      const out2 = await s.run(
        {
          ...modelFeeds(ref, ['input_ids', 'attention_mask', 'token_type_ids']),
          ...feeds,
          ...paramFeeds,
          'm.classifier.weight': { type: 'float32', data: w, dims: values['m.classifier.weight'].dims },
        },
        [g.outputs.loss],
      );
      assert.ok(Math.abs(out2[g.outputs.loss].data[0] - ref.loss.value) > 1e-4);
    } finally {
      await s.dispose();
    }
  });
});

describe('gradients: rules against finite differences', () => {
  // A hand-built graph that runs every rule the fixtures do not (LayerNormalization, the IsNaN guard, Slice,
  // Gather on axis 1 with a scalar index, ReduceMean keepdims=0, Gemm transB with alpha, Expand, Split with an
  // unused output, Concat, Transpose), checked entry by entry against central differences of its own loss.
  const rnd = (n: number, seed: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 0.8);
  const i64t = (name: string, dims: number[], v: number[]) =>
    encodeInitializer(name, dims, BigInt64Array.from(v.map(BigInt)));
  function rulesModel(): Uint8Array {
    const nodes = [
      encodeNode('MatMul', ['x', 'W'], ['h'], 'mm'),
      encodeNode('LayerNormalization', ['h', 'g', 'b'], ['ln'], 'ln', [
        { name: 'axis', i: -1 },
        { name: 'epsilon', f: 1e-5 },
      ]),
      encodeNode('Tanh', ['ln'], ['t'], 'tanh'),
      encodeNode('Softmax', ['t'], ['sm'], 'softmax', [{ name: 'axis', i: -1 }]),
      encodeNode('IsNaN', ['sm'], ['nan'], 'isnan'),
      encodeNode('Where', ['nan', 'zero', 'sm'], ['guarded'], 'where'),
      encodeNode('Slice', ['guarded', 'starts', 'ends', 'axes1'], ['sl'], 'slice'),
      encodeNode('Concat', ['sl', 't'], ['cc'], 'concat', [{ name: 'axis', i: 1 }]),
      encodeNode('Transpose', ['cc'], ['tr'], 'transpose', [{ name: 'perm', ints: [0, 2, 1] }]),
      encodeNode('ReduceMean', ['tr'], ['rm'], 'reducemean', [
        { name: 'axes', ints: [2] },
        { name: 'keepdims', i: 0 },
      ]),
      encodeNode('Gather', ['cc', 'two'], ['gt'], 'gather', [{ name: 'axis', i: 1 }]),
      encodeNode('Add', ['rm', 'gt'], ['s2'], 'add'),
      encodeNode('Mul', ['s2', 's2'], ['sq0'], 'square'),
      encodeNode('Add', ['sq0', 'one'], ['sq1'], 'plus1'),
      encodeNode('Sqrt', ['sq1'], ['sq'], 'sqrt'),
      encodeNode('Gemm', ['sq', 'V', 'c'], ['gm'], 'gemm', [
        { name: 'transB', i: 1 },
        { name: 'alpha', f: 0.7 },
      ]),
      encodeNode('Pow', ['gm', 'twof'], ['pw'], 'pow'),
      encodeNode('Expand', ['c', 'shape25'], ['ex'], 'expand'),
      encodeNode('Add', ['pw', 'ex'], ['sum'], 'add2'),
      encodeNode('Split', ['sum', 'split'], ['sp1', 'sp2'], 'split', [{ name: 'axis', i: 1 }]),
      encodeNode('Unsqueeze', ['sp2', 'axes0'], ['u'], 'unsqueeze'),
      encodeNode('Squeeze', ['u', 'axes0'], ['y'], 'squeeze'),
    ];
    const inits = [
      encodeInitializer('W', [3, 6], rnd(18, 1)),
      encodeInitializer(
        'g',
        [6],
        rnd(6, 2).map((v) => 1 + v / 2),
      ),
      encodeInitializer('b', [6], rnd(6, 3)),
      encodeInitializer('V', [5, 6], rnd(30, 4)),
      encodeInitializer('c', [5], rnd(5, 5)),
      encodeInitializer('zero', [], Float32Array.from([0])),
      encodeInitializer('one', [], Float32Array.from([1])),
      encodeInitializer('twof', [], Float32Array.from([2])),
      i64t('starts', [1], [1]),
      i64t('ends', [1], [4]),
      i64t('axes1', [1], [1]),
      i64t('two', [], [2]),
      i64t('shape25', [2], [2, 5]),
      i64t('split', [2], [2, 3]),
      i64t('axes0', [1], [0]),
    ];
    const graph = lenField(
      7,
      concatBytes([
        ...nodes,
        ...inits,
        stringField(2, 'rules'),
        encodeValueInfo('input', 'x', DT_FLOAT, [2, 4, 3]),
        encodeValueInfo('output', 'y', DT_FLOAT, [2, 3]),
      ]),
    );
    return concatBytes([varintField(1, 8), lenField(8, varintField(2, 17)), graph]);
  }

  test('every parameter entry matches a central difference', async () => {
    const bytes = rulesModel();
    const g = await buildGradientGraph(bytes, {
      objective: { kind: 'weighted-sum', outputs: ['y'] },
      wrt: { parameters: 'all' },
      parametersAsInputs: true,
    });
    assert.deepEqual(Object.keys(g.parameters).sort(), ['V', 'W', 'b', 'c', 'g']);
    const values = readParameters(bytes, Object.keys(g.parameters));
    const s = await openSession(g.bytes);
    try {
      const x = { type: 'float32' as const, data: rnd(24, 6), dims: [2, 4, 3] };
      const seed = { type: 'float32' as const, data: rnd(6, 7), dims: [2, 3] };
      const run = async (override?: { p: string; i: number; d: number }) => {
        const feeds: Record<string, InputTensor> = { x, [OBJECTIVE_INPUTS.seed(0)]: seed };
        for (const [p, v] of Object.entries(values)) {
          const data = Float32Array.from(v.data);
          if (override?.p === p) data[override.i] += override.d;
          feeds[p] = { type: 'float32', data, dims: v.dims };
        }
        return s.run(feeds, [g.outputs.loss, ...Object.values(g.outputs.gradients)]);
      };
      const base = await run();
      const h = 1e-2;
      for (const [p, v] of Object.entries(values)) {
        const grad = base[g.outputs.gradients[p]].data;
        const scale = Math.max(...Array.from(grad, Math.abs));
        assert.ok(scale > 1e-3, `${p} has a gradient`);
        for (let i = 0; i < v.data.length; i++) {
          const up = (await run({ p, i, d: h }))[g.outputs.loss].data[0];
          const down = (await run({ p, i, d: -h }))[g.outputs.loss].data[0];
          const fd = (up - down) / (2 * h);
          assert.ok(
            Math.abs(fd - grad[i]) <= 2e-2 * scale + 1e-3,
            `${p}[${i}]: analytic ${grad[i]} vs finite difference ${fd}`,
          );
        }
      }
    } finally {
      await s.dispose();
    }
  });
});
