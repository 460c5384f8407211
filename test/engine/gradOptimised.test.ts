// Exports optimised by ONNX Runtime (fused com.microsoft operators) cannot be differentiated: the named error
// says which fused operator and node, and points to the unoptimised onnx/model.onnx.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGradientGraph } from '../../src/engine/grad/gradient';
import { DT_FLOAT, encodeInitializer, encodeNode, encodeValueInfo } from '../../src/engine/grad/onnxModel';
import { concatBytes, lenField, stringField, varintField } from '../../src/engine/onnx/protobuf';

const H = 4;
const f32 = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + k) / 2);

/** h = x·W, then one fused ONNX Runtime operator (what its optimiser writes for BERT's GELU / residual + LayerNorm). */
function fusedModel(fused: 'FastGelu' | 'SkipLayerNormalization'): Uint8Array {
  const tail =
    fused === 'FastGelu'
      ? [encodeNode('FastGelu', ['h', 'bias'], ['y'], 'fused_gelu', [], 'com.microsoft')]
      : [
          encodeNode(
            'SkipLayerNormalization',
            ['h', 'x', 'gamma', 'beta'],
            ['y'],
            'fused_skip_ln',
            [{ name: 'epsilon', f: 1e-12 }],
            'com.microsoft',
          ),
        ];
  const parts = [
    encodeNode('MatMul', ['x', 'W'], ['h'], 'matmul'),
    ...tail,
    encodeInitializer('W', [H, H], f32(H * H, 1)),
    encodeInitializer('bias', [H], f32(H, 2)),
    encodeInitializer('gamma', [H], f32(H, 3)),
    encodeInitializer('beta', [H], f32(H, 4)),
    encodeValueInfo('input', 'x', DT_FLOAT, ['batch', 'seq', H]),
    encodeValueInfo('output', 'y', DT_FLOAT, ['batch', 'seq', H]),
  ];
  const opset = (domain: string, version: number) =>
    lenField(8, concatBytes([...(domain ? [stringField(1, domain)] : []), varintField(2, version)]));
  return concatBytes([
    varintField(1, 8),
    opset('', 14),
    opset('com.microsoft', 1),
    lenField(7, concatBytes([...parts, stringField(2, 'g')])),
  ]);
}

for (const [op, node] of [
  ['FastGelu', 'fused_gelu'],
  ['SkipLayerNormalization', 'fused_skip_ln'],
] as const) {
  test(`an ORT-optimised graph (com.microsoft.${op}) gives the named error and suggests the unoptimised onnx/model.onnx`, async () => {
    await assert.rejects(
      buildGradientGraph(fusedModel(op), {
        objective: { kind: 'weighted-sum', outputs: ['y'] },
        wrt: { parameters: ['W'] },
      }),
      (err: any) => {
        assert.equal(err.code, 'grad-unsupported-op');
        assert.equal(
          err.message,
          `No gradient rule for the ONNX operator com.microsoft.${op} (node "${node}"), a fused operator of ONNX Runtime's optimiser, which lies between the requested tensors and the objective.`,
        );
        assert.match(err.hint, /^Use the unoptimised export, onnx\/model\.onnx of the same hub repository/);
        return true;
      },
    );
    // Before the fused operator (h = x·W) the same graph differentiates.
    const g = await buildGradientGraph(fusedModel(op), {
      objective: { kind: 'weighted-sum', outputs: ['h'] },
      wrt: { parameters: ['W'] },
    });
    assert.deepEqual(Object.keys(g.outputs.gradients), ['W']);
  });
}
