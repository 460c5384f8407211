// Gradients of whole subgraphs (grad/patterns.ts) against the node-by-node rules, an independent path: the exact
// GELU is found in every export that has one (one per Erf), and all parameter gradients agree with the
// node-by-node graph; PyTorch's references are checked through the default graph in gradients.test.ts. The GELU
// that a training graph's linear layer hands u = h/√2 (training/fuseLinear.ts) is checked the same way, against
// the export differentiated node by node.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { type GradientGraph, buildGradientGraph } from '../../src/engine/grad/gradient';
import { OBJECTIVE_INPUTS } from '../../src/engine/grad/objectives';
import { parseModel } from '../../src/engine/grad/onnxModel';
import { findGeluPatterns, findScaledGelus } from '../../src/engine/grad/patterns';
import { type InputTensor, openSession } from '../../src/engine/runtime';
import { fuseLinears } from '../../src/engine/training/fuseLinear';
import { fixture, readJson } from '../helpers';

const i64 = (xs: number[], dims: number[]): InputTensor => ({
  type: 'int64',
  data: BigInt64Array.from(xs.map(BigInt)),
  dims,
});

/** The fixture's own loss: sequence classification (one label) or masked LM (labels at its positions), and the
 *  feeds of one run of a gradient graph on the fixture's input. */
function fixtureLoss(ref: any) {
  const s = ref.input_ids.length;
  const labels =
    ref.loss.kind === 'sequence-classification'
      ? i64(ref.loss.labels, [1])
      : i64(
          Array.from({ length: s }, (_, p) => {
            const k = ref.loss.positions.indexOf(p);
            return k >= 0 ? ref.loss.labels[k] : -100;
          }),
          [1, s],
        );
  const objective = { kind: 'cross-entropy' as const, outputs: [ref.loss.output as string] };
  const run = async (g: GradientGraph) => {
    const session = await openSession(g.bytes);
    const feeds: Record<string, InputTensor> = {
      input_ids: i64(ref.input_ids, [1, s]),
      attention_mask: i64(ref.attention_mask, [1, s]),
      [OBJECTIVE_INPUTS.labels(0)]: labels,
    };
    if (session.inputNames.includes('token_type_ids'))
      feeds.token_type_ids = i64(ref.token_type_ids ?? ref.input_ids.map(() => 0), [1, s]);
    const out = await session.run(feeds, [g.outputs.loss, ...Object.values(g.outputs.gradients)]);
    await session.dispose();
    return out;
  };
  return { objective, run };
}

/** Every graph after the first gives the fixture's loss and the first graph's gradients (the reference). */
async function assertSameGradients(
  name: string,
  ref: any,
  graphs: GradientGraph[],
  run: ReturnType<typeof fixtureLoss>['run'],
) {
  const outs = [];
  for (const g of graphs) outs.push(await run(g));
  for (let k = 1; k < graphs.length; k++) {
    assert.ok(Math.abs(outs[k][graphs[k].outputs.loss].data[0] - ref.loss.value) < 1e-4, `${name}: loss`);
    assert.deepEqual(Object.keys(graphs[k].outputs.gradients), Object.keys(graphs[0].outputs.gradients));
    for (const p of Object.keys(graphs[0].outputs.gradients)) {
      const a = outs[k][graphs[k].outputs.gradients[p]].data;
      const b = outs[0][graphs[0].outputs.gradients[p]].data;
      const scale = b.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      for (let i = 0; i < b.length; i++)
        assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * scale + 1e-9, `${name} ${p}[${i}] (${k}): ${a[i]} vs ${b[i]}`);
    }
  }
}

test('exact GELU: one pattern per Erf of the export (none in ALBERT, whose gelu_new is tanh-based)', () => {
  for (const [name, n] of [
    ['bert-nli', 2],
    ['bert-mlm', 4],
    ['distilbert-mlm', 3],
    ['roberta-mlm', 3],
    ['electra-discriminator', 3],
    ['albert-mlm', 0],
  ] as const) {
    const m = parseModel(new Uint8Array(fs.readFileSync(`${fixture(name)}/onnx/model.onnx`)));
    assert.equal(m.nodes.filter((x) => x.opType === 'Erf').length, n, `${name}: Erf nodes`);
    const found = findGeluPatterns(m, () => false);
    assert.equal(found.size, n, `${name}: GELU patterns`);
    for (const p of found.values()) assert.equal(p.nodes.length, 5);
    // A tensor the caller keeps (a requested internal) leaves its GELU to the node-by-node rules.
    const first = [...found.values()][0];
    if (first) assert.equal(findGeluPatterns(m, (t) => t === first.a).size, n - 1);
  }
});

test('exact GELU: the pattern gradient, and the x·Φ(x) rewrite of training graphs, equal the node-by-node gradient for every parameter', async () => {
  for (const name of ['bert-nli', 'bert-mlm', 'distilbert-mlm']) {
    const ref = readJson(`${fixture(name)}/gradients.json`);
    const bytes = new Uint8Array(fs.readFileSync(`${fixture(name)}/onnx/model.onnx`));
    const { objective, run } = fixtureLoss(ref);
    // Node by node (the reference), the pattern's backward, and the pattern with the forward written as x·Φ(x).
    const graphs = await Promise.all(
      [{ patterns: false }, { patterns: true }, { patterns: true, geluAsPhi: true }].map((o) =>
        buildGradientGraph(bytes, { objective, wrt: { parameters: 'all' }, ...o }),
      ),
    );
    const nodes = (b: Uint8Array) => parseModel(b).nodes;
    const count = (b: Uint8Array, op: string) => nodes(b).filter((x) => x.opType === op).length;
    const gelus = findGeluPatterns(parseModel(bytes), () => false).size;
    assert.ok(gelus > 0);
    assert.ok(count(graphs[1].bytes, 'Mul') < count(graphs[0].bytes, 'Mul'), `${name}: fewer Muls with the pattern`);
    // x·Φ(x): the same forward node count (no Div by √2 left), one backward node fewer per GELU.
    assert.equal(nodes(graphs[2].bytes).length, nodes(graphs[1].bytes).length - gelus, `${name}: nodes`);
    assert.equal(count(graphs[2].bytes, 'Div'), count(graphs[1].bytes, 'Div') - gelus);
    assert.equal(count(graphs[2].bytes, 'Erf'), gelus);
    await assertSameGradients(name, ref, graphs, run);
  }
});

test('GELU after a linear layer (fuseLinears): the layer hands it u = h/√2; four forward passes; gradients equal the export’s node by node', async () => {
  // n GELUs after a linear layer, of which `folded` feed another linear layer (the encoder's; not the masked-LM
  // head's, which feeds a LayerNorm).
  for (const [name, n, folded] of [
    ['bert-nli', 2, 2],
    ['bert-mlm', 4, 3],
    ['distilbert-mlm', 3, 2],
  ] as const) {
    const ref = readJson(`${fixture(name)}/gradients.json`);
    const bytes = new Uint8Array(fs.readFileSync(`${fixture(name)}/onnx/model.onnx`));
    const fused = fuseLinears(bytes);
    assert.equal(fused.scaledGelus, n, `${name}: GELUs after a linear layer`);
    const m = parseModel(fused.bytes);
    assert.equal(findGeluPatterns(m, () => false).size, 0, `${name}: no export-form GELU left`);
    const scaled = findScaledGelus(m, () => false);
    assert.equal(scaled.size, n);
    for (const p of scaled.values()) {
      assert.deepEqual(
        p.nodes.map((x) => x.opType),
        ['Erf', 'Mul', 'Add', 'Mul'],
      );
      // u comes from the layer: its Gemm has alpha 1/√2 and no bias input; the bias Add reads b·(1/√2).
      const reshape = m.nodes.find((x) => x.outputs.includes(p.u))!;
      const add = m.nodes.find((x) => x.outputs.includes(reshape.inputs[0]))!;
      const gemm = m.nodes.find((x) => x.outputs.includes(add.inputs[0]))!;
      assert.equal(gemm.opType, 'Gemm');
      assert.equal(gemm.inputs.length, 2);
      assert.ok(Math.abs(gemm.attrs.get('alpha')!.f! - Math.SQRT1_2) < 1e-7);
      assert.equal(m.nodes.find((x) => x.outputs.includes(add.inputs[1]))!.opType, 'Mul');
      // A GELU read by a linear layer has s = √π/2 (so q′(u) = exp(−u²)) and hands that layer the factor √(2/π)
      // as its alpha; any other has s = 1/√2.
      const y = p.nodes[3].outputs[0];
      // (Its readers in the rewritten graph: the next layer's Reshape to 2-D and Shape.)
      const reshaped = m.nodes.find((x) => x.opType === 'Reshape' && x.inputs[0] === y)?.outputs[0];
      const nextGemm = m.nodes.find((x) => x.opType === 'Gemm' && x.inputs[0] === reshaped);
      if (nextGemm) {
        assert.ok(Math.abs(p.s - Math.sqrt(Math.PI) / 2) < 1e-6, `${name}: s`);
        assert.ok(Math.abs(nextGemm.attrs.get('alpha')!.f! - Math.sqrt(2 / Math.PI)) < 1e-6, `${name}: next alpha`);
      } else assert.ok(Math.abs(p.s - Math.SQRT1_2) < 1e-7, `${name}: s`);
    }
    assert.equal(
      [...scaled.values()].filter((p) => Math.abs(p.s - Math.sqrt(Math.PI) / 2) < 1e-6).length,
      folded,
      `${name}: GELUs whose constant the next layer applies`,
    );
    // Every linear layer's Gemm leaves the bias to a separate Add.
    assert.ok(
      m.nodes
        .filter((x) => x.opType === 'Gemm' && x.name.includes('bertlens_linear'))
        .every((x) => x.inputs.length === 2),
    );
    const { objective, run } = fixtureLoss(ref);
    // The export node by node (the reference), the rewritten graph node by node, and with its pattern.
    const graphs = await Promise.all(
      [
        { b: bytes, patterns: false },
        { b: fused.bytes, patterns: false },
        { b: fused.bytes, patterns: true },
      ].map((o) => buildGradientGraph(o.b, { objective, wrt: { parameters: 'all' }, patterns: o.patterns })),
    );
    const count = (b: Uint8Array, op: string) => parseModel(b).nodes.filter((x) => x.opType === op).length;
    // The pattern's backward: u², Exp, u / exp(u²) (or u·exp(ln c − u²)), +q, gy· (the Erf rule alone is five).
    assert.ok(count(graphs[2].bytes, 'Mul') < count(graphs[1].bytes, 'Mul'), `${name}: fewer Muls with the pattern`);
    assert.equal(count(graphs[2].bytes, 'Exp'), n);
    assert.equal(count(graphs[2].bytes, 'Div') - count(graphs[1].bytes, 'Div'), folded);
    await assertSameGradients(name, ref, graphs, run);
  }
});
