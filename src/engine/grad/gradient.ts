// Reverse-mode differentiation of an ONNX graph: one graph that computes the forward pass, an objective and the
// gradients of the objective with respect to parameters (initializers and their Identity aliases) and/or
// internal tensors, out of standard ONNX operators, so that any ONNX Runtime build (no training kernels) runs it.
//
// How: a probe run of the forward graph (every tensor an output, batch 2, sequence 5) gives each tensor's element
// type and rank; the tensors on a float path from a requested tensor to the objective are differentiated in
// reverse graph order with the rules in rules.ts. The objective's own gradient (its "seed") is written directly
// (softmax − one-hot for cross-entropy) rather than differentiated.
import { EngineError } from '../errors';
import { type InputTensor, type TensorMeta, probeTensors } from '../runtime';
import { addGraphOutputs } from '../onnx/graph';
import { WT_VARINT, concatBytes, readFields } from '../onnx/protobuf';
import { TENSOR_INT64_DATA, TENSOR_RAW, readPackedInt64s } from '../onnx/schema';
import { Emitter, PREFIX } from './emitter';
import {
  DT_FLOAT,
  DT_INT64,
  type OnnxModel,
  type OnnxNode,
  encodeNode,
  encodeValueInfo,
  parseModel,
  readInitializer,
  renameNodeInputs,
  tensorHeader,
  writeModel,
} from './onnxModel';
import {
  type GeluPattern,
  type ScaledGeluPattern,
  findGeluPatterns,
  findScaledGelus,
  geluGradient,
  geluPhiForward,
  geluPhiGradient,
  scaledGeluGradient,
} from './patterns';
import { DIFFERENTIABLE_SLOTS, NON_DIFFERENTIABLE, RULES, type RuleContext } from './rules';
import { buildObjective, type Objective, type ObjectiveNodes } from './objectives';
import { rankQuestions, upgradeToOpset13 } from './upgrade';

export type { Objective } from './objectives';
export { OBJECTIVE_INPUTS } from './objectives';

export interface GradientOptions {
  objective: Objective;
  wrt: {
    /** Initializer names and/or Identity-alias names, or 'all' (every float initializer and alias with more
     *  at least one axis (scalars are constants) that the objective reaches). */
    parameters?: string[] | 'all';
    /** Internal tensors (e.g. the word-embedding lookup, see findWordEmbeddingLookup). */
    internals?: string[];
  };
  /** Make the chosen parameters graph inputs (feed new weights each step without rebuilding the graph). */
  parametersAsInputs?: boolean;
  /** Multiply each internal tensor by the per-example input `bertlens_scale` (float [batch]) before its readers;
   *  the gradient is then the one at the scaled value (integrated gradients in one batched call). */
  scaleInternals?: boolean;
  /** Differentiate known subgraphs (the exact GELU, patterns.ts) as a whole rather than node by node (default
   *  true; false gives the node-by-node graph, the independent path the tests compare with). */
  patterns?: boolean;
  /** Parameters whose gradient is returned as rows (`outputs.sparse`) instead of a dense tensor: an embedding
   *  table [rows, width] whose only reader is one Gather on axis 0 gets the looked-up rows' indices and their
   *  gradients — what a training step adds into the table itself, without the graph writing (and handing back)
   *  a whole zero table. Any other parameter named here keeps its dense gradient. */
  sparseTables?: string[];
  /** Use ONNX Runtime's com.microsoft operators where they save a pass (FusedMatMul for a product with a transposed
   *  operand). Only ORT's CPU provider is sure to have them: the training graphs set it, saliency does not. */
  contribOps?: boolean;
  /** Write each exact GELU's forward as x·Φ(x) (patterns.ts, geluPhiForward): the same node count, and one pass
   *  fewer in its backward. The forward values differ from the export's in the last bits (training graphs). */
  geluAsPhi?: boolean;
  /** Weight gradients xᵀ·g from a transposed copy of x, made once and shared, where the Gemms reading x are wide
   *  enough (rules.ts, Gemm): ORT's MLAS transposes a `transA` operand again for every 128 output columns.
   *  Training graphs set it. */
  sharedTransposes?: boolean;
}

/** A table's gradient as its looked-up rows: `rows` (int64 [n]) and their gradients `values` (float [n, width]);
 *  the dense gradient is the sum of each values row into its table row (repeated rows add up). */
export interface SparseGradient {
  rows: string;
  values: string;
}

export interface GradientGraph {
  bytes: Uint8Array;
  /** Every graph input of the new graph: the model's, the objective's and the parameters fed as inputs. */
  inputs: string[];
  /** Inputs the objective adds (labels, targets, seeds, weights) by role. */
  objectiveInputs: Record<string, string>;
  /** Name of the scale input when scaleInternals is set. */
  scaleInput?: string;
  outputs: {
    /** Scalar objective: the mean loss, or the sum over the batch of the per-example objective. */
    loss: string;
    /** Per-example objective [batch] (logprob kinds only). */
    perExample?: string;
    /** Requested tensor → graph output holding its gradient. */
    gradients: Record<string, string>;
    /** Parameters of `sparseTables` whose gradient is given as rows (they are not in `gradients`). */
    sparse: Record<string, SparseGradient>;
    /** Internal tensor → graph output holding its (unscaled) value. */
    internals: Record<string, string>;
    /** The model's own outputs, still computed. */
    model: string[];
  };
  /** Parameters differentiated, with their shapes (parameters-as-inputs take these shapes). */
  parameters: Record<string, number[]>;
  /** Requested parameters the objective does not reach (no gradient output). */
  untouched: string[];
}

export const SCALE_INPUT = 'bertlens_scale';

const PROBE_BATCH = 2;
const PROBE_SEQ = 5;

/** Name of the tensor the word-embedding lookup produces: the Gather whose indices are `input_ids`, with its
 *  vocabulary matrix (an initializer or an alias) and the initializer's name. */
export function findWordEmbeddingLookup(
  bytes: Uint8Array | OnnxModel,
): { lookup: string; matrix: string; initializer: string } | undefined {
  const m = bytes instanceof Uint8Array ? parseModel(bytes) : bytes;
  const aliases = aliasMap(m);
  for (const n of m.nodes) {
    if (n.opType !== 'Gather' || n.inputs[1] !== 'input_ids') continue;
    const data = n.inputs[0];
    const init = m.initializers.has(data) ? data : aliases.get(data);
    if (init) return { lookup: n.outputs[0], matrix: data, initializer: init };
  }
  return undefined;
}

/** Identity-alias output → the initializer it names. */
function aliasMap(m: OnnxModel): Map<string, string> {
  const map = new Map<string, string>();
  for (const n of m.nodes)
    if (n.opType === 'Identity' && m.initializers.has(n.inputs[0])) map.set(n.outputs[0], n.inputs[0]);
  return map;
}

const TYPE_NAMES: Record<number, string> = {
  1: 'float32',
  7: 'int64',
  9: 'bool',
  6: 'int32',
  10: 'float16',
  11: 'float64',
};

function probeFeeds(m: OnnxModel): Record<string, InputTensor> {
  const feeds: Record<string, InputTensor> = {};
  for (const inp of m.inputs) {
    const dims = (inp.dims ?? [undefined, undefined]).map((d, i) =>
      typeof d === 'number' && d > 0 ? d : i === 0 ? PROBE_BATCH : PROBE_SEQ,
    );
    const size = dims.reduce((a, b) => a * b, 1);
    if (inp.elemType === DT_FLOAT) {
      feeds[inp.name] = { type: 'float32', data: new Float32Array(size).fill(0.5), dims };
      continue;
    }
    if (inp.elemType !== DT_INT64)
      throw new EngineError(
        'grad-inputs',
        `The graph input ${inp.name} has an element type BERT Lens cannot probe (${TYPE_NAMES[inp.elemType] ?? inp.elemType}).`,
        'Use a standard BERT-family export (int64 ids and masks).',
      );
    const data = new BigInt64Array(size);
    const last = dims[dims.length - 1];
    for (let i = 0; i < size; i++) {
      if (inp.name === 'attention_mask') data[i] = 1n;
      else if (inp.name === 'position_ids') data[i] = BigInt(i % last);
      else if (inp.name === 'input_ids') data[i] = BigInt(5 + (i % 7));
      else data[i] = 0n;
    }
    feeds[inp.name] = { type: 'int64', data, dims };
  }
  return feeds;
}

function constIntsOf(m: OnnxModel, producers: Map<string, OnnxNode>, t: string): number[] | undefined {
  const n = producers.get(t);
  let payload: { bytes: Uint8Array; start: number; end: number } | undefined;
  if (n?.opType === 'Constant') {
    const v = n.attrs.get('value');
    if (v?.t) payload = { bytes: v.t, start: 0, end: v.t.length };
    else if (n.attrs.get('value_ints')?.ints) return n.attrs.get('value_ints')!.ints;
    else if (n.attrs.get('value_int')?.i !== undefined) return [n.attrs.get('value_int')!.i!];
  } else if (m.initializers.has(t)) {
    const f = m.initializers.get(t)!.field;
    payload = { bytes: m.bytes, start: f.valStart, end: f.valEnd };
  }
  if (!payload) return undefined;
  const h = tensorHeader(payload.bytes, payload.start, payload.end);
  if (h.dataType !== DT_INT64) return undefined;
  return readInt64s(payload.bytes, payload.start, payload.end);
}

function readInt64s(bytes: Uint8Array, start: number, end: number): number[] | undefined {
  // raw_data or int64_data (packed or not)
  const out: number[] = [];
  for (const f of readFields(bytes, start, end)) {
    if (f.no === TENSOR_RAW) {
      const dv = new DataView(bytes.buffer, bytes.byteOffset + f.valStart, f.valEnd - f.valStart);
      for (let o = 0; o + 8 <= dv.byteLength; o += 8) out.push(Number(dv.getBigInt64(o, true)));
    } else if (f.no === TENSOR_INT64_DATA) {
      if (f.wt === WT_VARINT) out.push(f.value!);
      else out.push(...readPackedInt64s(bytes, f.valStart, f.valEnd));
    }
  }
  return out;
}

/** Builds the gradient graph. Throws EngineError('grad-unsupported-op') naming the first operator on the path
 *  without a rule, 'grad-int8' for quantized graphs, 'grad-objective' when the objective does not depend on the
 *  requested tensors or names an unknown output. `load.externalDataFolder`: where a model whose weights are
 *  external data (a skeleton, see onnx/scan.ts) reads them from, for the probe run. */
export async function buildGradientGraph(
  modelBytes: Uint8Array,
  options: GradientOptions,
  load: { externalDataFolder?: string } = {},
): Promise<GradientGraph> {
  let m = parseModel(modelBytes);
  const quantOps = m.nodes.filter((n) =>
    /^(DynamicQuantizeLinear|MatMulInteger|QuantizeLinear|DequantizeLinear|QLinearMatMul|ConvInteger|DynamicQuantizeMatMul|MatMulIntegerToFloat)$/.test(
      n.opType,
    ),
  );
  if (quantOps.length) {
    throw new EngineError(
      'grad-int8',
      `Gradients need the fp32 variant; this model has the int8 (quantized) variant loaded (${quantOps[0].opType} operators).`,
      'Use the fp32 variant (onnx/model.onnx), e.g. --variant fp32.',
    );
  }
  if (m.opset < 13) {
    // The gradient graph runs at opset 17; before 13, Squeeze/Unsqueeze/Split/ReduceSum took attributes that
    // became inputs and Softmax flattened to 2-D, so the graph is first rewritten with opset-13 semantics (the
    // ranks of softmax inputs from a probe run decide whether a softmax is on its last axis).
    const old = m;
    const asked = rankQuestions(modelBytes).filter((t) => !old.inputs.some((i) => i.name === t));
    const outputs = new Set(old.outputs.map((o) => o.name));
    const ranks: Record<string, TensorMeta> = asked.length
      ? await probeTensors(
          addGraphOutputs(
            modelBytes,
            asked.filter((t) => !outputs.has(t)),
          ),
          probeFeeds(old),
          asked,
          load.externalDataFolder,
        )
      : {};
    modelBytes = upgradeToOpset13(
      modelBytes,
      (t) => ranks[t]?.dims.length ?? old.inputs.find((i) => i.name === t)?.dims?.length,
    );
    m = parseModel(modelBytes);
  }
  const producers = new Map<string, OnnxNode>();
  for (const n of m.nodes) for (const o of n.outputs) if (o) producers.set(o, n);
  const aliases = aliasMap(m);

  // ---- probe: element type and shape of every tensor ----
  const names = [...new Set(m.nodes.flatMap((n) => n.outputs).filter((o) => o && !m.initializers.has(o)))];
  const existing = new Set(m.outputs.map((o) => o.name));
  const probeBytes = addGraphOutputs(
    modelBytes,
    names.filter((n) => !existing.has(n)),
  );
  const meta: Record<string, TensorMeta> = await probeTensors(
    probeBytes,
    probeFeeds(m),
    names,
    load.externalDataFolder,
  );
  for (const [name, init] of m.initializers)
    meta[name] = { type: TYPE_NAMES[init.dataType] ?? String(init.dataType), dims: init.dims };
  const feedsMeta = probeFeeds(m);
  for (const [name, f] of Object.entries(feedsMeta)) meta[name] = { type: f.type, dims: f.dims };
  const isFloat = (t: string) => meta[t]?.type === 'float32';

  // ---- requested tensors ----
  const wantedParams: string[] = [];
  const requested = options.wrt.parameters;
  if (requested === 'all') {
    for (const [name, init] of m.initializers)
      if (init.dataType === DT_FLOAT && init.dims.length > 0) wantedParams.push(name);
    for (const [alias, init] of aliases)
      if (m.initializers.get(init)!.dataType === DT_FLOAT && m.initializers.get(init)!.dims.length > 0)
        wantedParams.push(alias);
  } else if (requested) {
    for (const p of requested) {
      if (!m.initializers.has(p) && !aliases.has(p))
        throw new EngineError(
          'grad-wrt',
          `The model has no parameter named "${p}".`,
          'Name an initializer of the graph or an Identity alias of one.',
        );
      wantedParams.push(p);
    }
  }
  const internals = options.wrt.internals ?? [];
  for (const t of internals) {
    if (!producers.has(t) || !isFloat(t))
      throw new EngineError(
        'grad-wrt',
        `The model has no float tensor named "${t}" to differentiate against.`,
        'Name the output of a node of the graph (e.g. the word-embedding lookup).',
      );
  }
  const e = new Emitter(Math.max(m.opset, 17));
  const replaceNodes = new Map<number, Uint8Array | null>();

  // Integrated gradients: scale each internal tensor by a per-example factor right after its producer.
  const leafOf = new Map<string, string>(); // requested internal → tensor whose gradient is read
  if (options.scaleInternals && internals.length) {
    const renames = new Map<string, string>();
    const extraAfter = new Map<number, Uint8Array[]>();
    for (const t of internals) {
      const rank = meta[t].dims.length;
      const scaled = `${PREFIX}scaled/${t}`;
      const shape = e.i64([-1, ...Array.from({ length: rank - 1 }, () => 1)]);
      const scaleR = `${PREFIX}scale_r/${t}`;
      const p = producers.get(t)!;
      const list = extraAfter.get(p.index) ?? [];
      list.push(
        encodeNode('Reshape', [SCALE_INPUT, shape], [scaleR], `${scaleR}_node`),
        encodeNode('Mul', [t, scaleR], [scaled], `${scaled}_node`),
      );
      extraAfter.set(p.index, list);
      renames.set(t, scaled);
      leafOf.set(t, scaled);
      meta[scaled] = meta[t];
    }
    for (const n of m.nodes) {
      const extra = extraAfter.get(n.index);
      const touches = n.inputs.some((i) => renames.has(i));
      if (!extra && !touches) continue;
      const self = touches ? renameNodeInputs(m, n, renames) : m.bytes.subarray(n.field.start, n.field.end);
      replaceNodes.set(n.index, extra ? concatBytes([self, ...extra]) : self);
    }
  } else for (const t of internals) leafOf.set(t, t);

  // ---- which tensors carry gradient: reached from a requested tensor along differentiable slots ----
  const reached = new Set<string>([...wantedParams, ...leafOf.values()]);
  const reachedNodes = new Set<number>();
  const readersOf = (n: OnnxNode): string[] =>
    leafOf.size && options.scaleInternals ? n.inputs.map((i) => (leafOf.has(i) ? leafOf.get(i)! : i)) : n.inputs;
  for (const n of m.nodes) {
    if (n.opType === 'Identity' && m.initializers.has(n.inputs[0])) continue; // an alias is its own parameter
    if (NON_DIFFERENTIABLE.has(n.opType)) continue;
    const slots = DIFFERENTIABLE_SLOTS[n.opType];
    const ins = readersOf(n);
    if (!ins.some((t, i) => t && reached.has(t) && (!slots || slots.includes(i)))) continue;
    reachedNodes.add(n.index);
    for (const o of n.outputs) if (o && isFloat(o)) reached.add(o);
  }

  // ---- objective ----
  const obj: ObjectiveNodes = buildObjective(e, options.objective, {
    dims: (t) => meta[t]?.dims,
    isOutput: (t) => producers.has(t) || m.initializers.has(t),
  });
  const seeds = obj.seeds;
  // needed: ancestors of the objective outputs
  const needed = new Set<string>();
  const stack = Object.keys(seeds);
  while (stack.length) {
    const t = stack.pop()!;
    if (needed.has(t)) continue;
    needed.add(t);
    const p = producers.get(t);
    if (p) for (const i of readersOf(p)) if (i) stack.push(i);
    if (leafOf.size && options.scaleInternals) for (const [orig, sc] of leafOf) if (t === sc) stack.push(orig);
  }
  if (!Object.keys(seeds).some((t) => reached.has(t))) {
    throw new EngineError(
      'grad-objective',
      `The objective (${Object.keys(seeds).join(', ')}) does not depend on the requested tensors.`,
      'Differentiate against parameters or tensors that lead to the objective.',
    );
  }

  // ---- reverse pass ----
  const contributions = new Map<string, string[]>();
  const finalGrad = new Map<string, string>();
  const push = (t: string, g: string) => {
    const l = contributions.get(t);
    if (l) l.push(g);
    else contributions.set(t, [g]);
  };
  const gradOf = (t: string): string | undefined => {
    const done = finalGrad.get(t);
    if (done) return done;
    const l = contributions.get(t);
    if (!l) return undefined;
    // A chain of Adds rather than one Sum: ORT's Sum of four [2048, 256] tensors took 0.43 ms, three Adds 0.19.
    const g = l.slice(1).reduce((acc, x) => e.add(acc, x), l[0]);
    finalGrad.set(t, g);
    return g;
  };
  for (const [t, s] of Object.entries(seeds)) if (reached.has(t)) push(t, s);
  const ctx: RuleContext = {
    e,
    dims: (t) => {
      const d = meta[t]?.dims;
      if (!d)
        throw new EngineError(
          'grad-probe',
          `The probe run did not report the shape of ${t}.`,
          'Report this model; its graph could not be analysed.',
        );
      return d;
    },
    wants: (t) => !!t && reached.has(t) && needed.has(t),
    constInts: (t) => constIntsOf(m, producers, t),
    opset: m.opset,
    contrib: options.contribOps,
    transposed: options.sharedTransposes ? (t) => sharedTranspose(t) : undefined,
  };
  // Shared transposes: x [M, K] of plain Gemms x·W whose weight gradients (N columns in all) are wanted. On this
  // 2-core CPU, MLAS's transA costs ~0.07 ms more per [2048, 256] × [2048, 256] product and ~0.21 ms per
  // [2048, 256] × [2048, 1024] (ORT's profile); one Transpose of [2048, 256] costs ~0.10 ms. So x is transposed
  // once when N ≥ 3K: the query, key and value layers' input, and the intermediate layer's.
  const widths = new Map<string, number>();
  for (const n of options.sharedTransposes ? m.nodes : []) {
    if (n.opType !== 'Gemm' || n.domain || !reachedNodes.has(n.index)) continue;
    if ((n.attrs.get('transA')?.i ?? 0) !== 0 || (n.attrs.get('transB')?.i ?? 0) !== 0) continue;
    const [x, w] = n.inputs;
    if (!ctx.wants(w)) continue;
    const wd = meta[w]?.dims;
    if (wd?.length === 2) widths.set(x, (widths.get(x) ?? 0) + wd[1]);
  }
  const transposes = new Map<string, string>();
  const sharedTranspose = (x: string): string | undefined => {
    const done = transposes.get(x);
    if (done) return done;
    const xd = meta[x]?.dims;
    if (xd?.length !== 2 || (widths.get(x) ?? 0) < 3 * xd[1]) return undefined;
    // [1, M, K] → [K, 1, M] → [K, M]: ORT folds a 2-D Transpose feeding a Gemm back into its transA.
    const t = e.reshape(e.transpose(e.unsqueeze(x, [0]), [2, 0, 1]), e.i64([xd[1], -1]));
    transposes.set(x, t);
    return t;
  };
  // Sparse tables: a wanted parameter [rows, width] that reaches the objective through one node only, a Gather on
  // axis 0.
  const sparseGather = new Map<number, string>();
  const sparseRows = new Map<string, SparseGradient>();
  for (const t of options.sparseTables ?? []) {
    if (!wantedParams.includes(t)) continue;
    // Readers whose outputs lead to the objective (a tied decoder that the objective does not read adds nothing).
    const r = m.nodes.filter(
      (n) => n.inputs.includes(t) && reachedNodes.has(n.index) && n.outputs.some((o) => needed.has(o)),
    );
    const g = r[0];
    if (r.length !== 1 || g.opType !== 'Gather' || g.domain || g.inputs[0] !== t || g.inputs[1] === t) continue;
    const axis = g.attrs.get('axis')?.i ?? 0;
    if (ctx.dims(t).length !== 2 || (axis !== 0 && axis !== -2)) continue;
    sparseGather.set(g.index, t);
  }
  const kept = new Set([...internals, ...leafOf.values()]);
  const keepTensor = (t: string) => kept.has(t);
  const gelus = options.patterns === false ? new Map<number, GeluPattern>() : findGeluPatterns(m, keepTensor);
  const scaledGelus =
    options.patterns === false ? new Map<number, ScaledGeluPattern>() : findScaledGelus(m, keepTensor);
  for (let k = m.nodes.length - 1; k >= 0; k--) {
    const n = m.nodes[k];
    if (!reachedNodes.has(n.index)) continue;
    if (!n.outputs.some((o) => needed.has(o) && contributions.has(o))) continue;
    const gelu = gelus.get(n.index);
    if (gelu) {
      // Its inner nodes get no gradient, so the loop passes over them.
      if (!ctx.wants(gelu.x)) continue;
      if (options.geluAsPhi) {
        const f = geluPhiForward(e, gelu, n.outputs[0]);
        for (const inner of gelu.nodes) replaceNodes.set(inner.index, null);
        replaceNodes.set(n.index, concatBytes(f.bytes));
        push(gelu.x, geluPhiGradient(e, gelu.x, f.u, f.phi, gradOf(n.outputs[0])!));
      } else push(gelu.x, geluGradient(e, gelu, gradOf(n.outputs[0])!));
      continue;
    }
    const scaled = scaledGelus.get(n.index);
    if (scaled) {
      if (ctx.wants(scaled.u)) push(scaled.u, scaledGeluGradient(e, scaled, gradOf(n.outputs[0])!));
      continue;
    }
    const table = sparseGather.get(n.index);
    if (table) {
      // The rows a table's only Gather read and their gradients (rules.ts's Gather scatters them into a table).
      const [, idx] = readersOf(n);
      const width = ctx.dims(table)[1];
      sparseRows.set(table, {
        rows: e.reshape(idx, e.i64([-1])),
        values: e.reshape(gradOf(n.outputs[0])!, e.i64([-1, width])),
      });
      continue;
    }
    const rule = RULES[n.opType];
    if (!rule || n.domain) {
      if (n.domain === 'com.microsoft') {
        // Fused operators (Attention, SkipLayerNormalization, FastGelu, BiasGelu, EmbedLayerNormalization…) come
        // from ONNX Runtime's graph optimiser: the same model exported without it differentiates.
        throw new EngineError(
          'grad-unsupported-op',
          `No gradient rule for the ONNX operator com.microsoft.${n.opType} (node "${n.name}"), a fused operator of ONNX Runtime's optimiser, which lies between the requested tensors and the objective.`,
          'Use the unoptimised export, onnx/model.onnx of the same hub repository (not a *_optimized.onnx or optimum -O2/-O3/-O4 file), or re-export without ONNX Runtime optimisation.',
        );
      }
      throw new EngineError(
        'grad-unsupported-op',
        `No gradient rule for the ONNX operator ${n.domain ? `${n.domain}.` : ''}${n.opType} (node "${n.name}"), which lies between the requested tensors and the objective.`,
        'Use a standard (unoptimised) BERT-family export, e.g. onnx/model.onnx from the same repository.',
      );
    }
    const gy = n.outputs.map((o) => gradOf(o));
    const view: OnnxNode = { ...n, inputs: readersOf(n) };
    const gx = rule(view, gy, ctx);
    view.inputs.forEach((x, i) => {
      const g = gx[i];
      if (g && x && ctx.wants(x)) push(x, g);
    });
  }

  // ---- outputs ----
  const gradients: Record<string, string> = {};
  const sparse: Record<string, SparseGradient> = {};
  const parameters: Record<string, number[]> = {};
  const untouched: string[] = [];
  const outputFields: Uint8Array[] = m.outputs.map((o) => m.bytes.subarray(o.field.start, o.field.end));
  const outName = (t: string) => `${PREFIX}grad/${t}`;
  const emitOutput = (t: string, g: string) => {
    const name = outName(t);
    e.nodes.push(encodeNode('Identity', [g], [name], `${name}_node`));
    outputFields.push(encodeValueInfo('output', name, DT_FLOAT));
    gradients[t] = name;
  };
  for (const p of wantedParams) {
    const init = m.initializers.get(p) ?? m.initializers.get(aliases.get(p)!)!;
    const rows = sparseRows.get(p);
    if (rows) {
      parameters[p] = init.dims;
      sparse[p] = { rows: `${PREFIX}grad_rows/${p}`, values: `${PREFIX}grad_values/${p}` };
      e.nodes.push(encodeNode('Identity', [rows.rows], [sparse[p].rows], `${sparse[p].rows}_node`));
      e.nodes.push(encodeNode('Identity', [rows.values], [sparse[p].values], `${sparse[p].values}_node`));
      outputFields.push(encodeValueInfo('output', sparse[p].rows, DT_INT64));
      outputFields.push(encodeValueInfo('output', sparse[p].values, DT_FLOAT));
      continue;
    }
    const g = gradOf(p);
    if (!g) {
      untouched.push(p);
      continue;
    }
    parameters[p] = init.dims;
    emitOutput(p, g);
  }
  const internalOutputs: Record<string, string> = {};
  for (const t of internals) {
    const g = gradOf(leafOf.get(t)!);
    if (g) emitOutput(t, g);
    else {
      const z = e.zerosLike(t);
      emitOutput(t, z);
    }
    const vname = `${PREFIX}value/${t}`;
    e.nodes.push(encodeNode('Identity', [t], [vname], `${vname}_node`));
    outputFields.push(encodeValueInfo('output', vname, DT_FLOAT));
    internalOutputs[t] = vname;
  }
  outputFields.push(encodeValueInfo('output', obj.loss, DT_FLOAT));
  if (obj.perExample) outputFields.push(encodeValueInfo('output', obj.perExample, DT_FLOAT));

  // ---- inputs: objective inputs, scale, parameters-as-inputs ----
  const appendInputs: Uint8Array[] = obj.inputs.map((i) => encodeValueInfo('input', i.name, i.elemType, i.dims));
  const dropInitializers = new Set<string>();
  const inputs = [...m.inputs.map((i) => i.name), ...obj.inputs.map((i) => i.name)];
  if (options.scaleInternals && internals.length) {
    appendInputs.push(encodeValueInfo('input', SCALE_INPUT, DT_FLOAT, ['batch']));
    inputs.push(SCALE_INPUT);
  }
  if (options.parametersAsInputs) {
    for (const p of Object.keys(parameters)) {
      if (aliases.has(p)) {
        const idn = producers.get(p)!;
        replaceNodes.set(idn.index, null);
      } else dropInitializers.add(p);
      appendInputs.push(encodeValueInfo('input', p, DT_FLOAT, parameters[p]));
      inputs.push(p);
    }
    // An initializer fed as an input but still read through an alias that is not a parameter: keep it readable.
    for (const [alias, init] of aliases) {
      if (dropInitializers.has(init) && !parameters[alias] && replaceNodes.get(producers.get(alias)!.index) === null)
        replaceNodes.delete(producers.get(alias)!.index);
    }
  }
  const bytes = writeModel(m, {
    replaceNodes,
    dropInitializers,
    appendNodes: e.nodes,
    appendInitializers: e.initializers,
    appendInputs,
    outputs: outputFields,
    minOpset: 17,
    domains: e.domains,
  });
  return {
    bytes,
    inputs,
    objectiveInputs: Object.fromEntries(obj.inputs.map((i) => [i.role, i.name])),
    scaleInput: options.scaleInternals && internals.length ? SCALE_INPUT : undefined,
    outputs: {
      loss: obj.loss,
      perExample: obj.perExample,
      gradients,
      sparse,
      internals: internalOutputs,
      model: m.outputs.map((o) => o.name),
    },
    parameters,
    untouched,
  };
}

/** Float32 values of initializers (a training loop's starting weights when parameters are inputs). */
export function readParameters(
  modelBytes: Uint8Array,
  names: string[],
): Record<string, { dims: number[]; data: Float32Array }> {
  const m = parseModel(modelBytes);
  const aliases = aliasMap(m);
  const out: Record<string, { dims: number[]; data: Float32Array }> = {};
  for (const n of names) out[n] = readInitializer(m, m.initializers.has(n) ? n : (aliases.get(n) ?? n));
  return out;
}
