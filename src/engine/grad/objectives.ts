// Objectives: the scalar the gradient graph differentiates, and its gradient with respect to the model outputs
// it reads (the seed of the reverse pass), written directly: softmax − one-hot for cross-entropy, one-hot −
// softmax for a log-probability, and so on, so the loss ops themselves need no rules.
import { EngineError } from '../errors';
import type { Emitter } from './emitter';
import { DT_FLOAT, DT_INT64, encodeNode } from './onnxModel';

export type Objective =
  /** log_softmax(output[b, position_b])[target_b] (output [batch, seq, classes]) or log_softmax(output[b])[target_b]
   *  (output [batch, classes]); the loss is the sum over the batch. Inputs: target (int64 [batch]) and, for
   *  rank-3 outputs, position (int64 [batch]). */
  | { kind: 'logprob'; output: string }
  /** log σ(output[b, position_b]) for a binary per-token output [batch, seq] (ELECTRA's replaced-token logit). */
  | { kind: 'log-sigmoid'; output: string }
  /** Mean cross-entropy of each output against int64 labels shaped like the output without its last axis;
   *  entries equal to ignoreIndex (default -100) are left out; several outputs (QA start/end) are averaged.
   *  With weights, a float [batch] input weighs each example: Σ w·CE / Σ w over the kept entries. With
   *  classWeights, a float [classes] input c weighs each entry by its label's class, Σ c[y]·CE / Σ c[y] (torch's
   *  CrossEntropyLoss(weight=c, ignore_index), mean reduction; per tag for token classification). */
  | { kind: 'cross-entropy'; outputs: string[]; ignoreIndex?: number; weights?: boolean; classWeights?: boolean }
  /** Mean binary cross-entropy with logits against int64 0/1 labels shaped like the output (ignoreIndex left out). */
  | { kind: 'binary-cross-entropy'; output: string; ignoreIndex?: number; weights?: boolean }
  /** Σ output · seed, with a float seed input shaped like each output: a vector-Jacobian product. */
  | { kind: 'weighted-sum'; outputs: string[] }
  /** Knowledge distillation of a [batch, classes] output (Hinton et al.): the batch mean of
   *  α·T²·KL(softmax(teacher/T) ‖ softmax(output/T)) + (1−α)·CE(output, label). Inputs: the teacher's logits
   *  (float [batch, classes]) and the gold labels (int64 [batch]). */
  | { kind: 'distillation'; output: string; temperature: number; alpha: number };

export const OBJECTIVE_INPUTS = {
  position: 'bertlens_target_position',
  target: 'bertlens_target',
  weights: 'bertlens_weights',
  classWeights: 'bertlens_class_weights',
  labels: (k: number) => `bertlens_labels_${k}`,
  teacher: 'bertlens_teacher_logits',
  seed: (k: number) => `bertlens_seed_${k}`,
};

export const LOSS_OUTPUT = 'bertlens_loss';
export const PER_EXAMPLE_OUTPUT = 'bertlens_objective';

export interface ObjectiveInput {
  role: string;
  name: string;
  elemType: number;
  dims: (number | string)[];
}

export interface ObjectiveNodes {
  /** Model output → tensor holding d(loss)/d(output). */
  seeds: Record<string, string>;
  loss: string;
  perExample?: string;
  inputs: ObjectiveInput[];
}

interface Ctx {
  dims(t: string): number[] | undefined;
  isOutput(t: string): boolean;
}

function rankOf(ctx: Ctx, t: string): number {
  if (!ctx.isOutput(t))
    throw new EngineError(
      'grad-objective',
      `The model has no output or tensor named "${t}".`,
      'Name one of the model outputs (e.g. logits).',
    );
  return ctx.dims(t)!.length;
}

const symDims = (rank: number, last?: string) =>
  Array.from({ length: rank }, (_, i) => (i === 0 ? 'batch' : i === rank - 1 && last ? last : `d${i}`));

export function buildObjective(e: Emitter, o: Objective, ctx: Ctx): ObjectiveNodes {
  const inputs: ObjectiveInput[] = [];
  const seeds: Record<string, string> = {};
  const name = (t: string, final: string) => {
    e.nodes.push(encodeNode('Identity', [t], [final], `${final}_node`));
    return final;
  };
  const lastDim = (z: string) => e.op('Slice', [e.shape(z), e.i64([-1]), e.i64([2 ** 53])]);
  /** [batch, 2] (b, position_b) for GatherND/ScatterND over the first two axes. */
  const rowIndex = (z: string) => {
    inputs.push({ role: 'position', name: OBJECTIVE_INPUTS.position, elemType: DT_INT64, dims: ['batch'] });
    const b = e.op('Gather', [e.shape(z), e.i64([0], true)]);
    const range = e.op('Range', [e.i64([0], true), b, e.i64([1], true)]);
    return e.op(
      'Concat',
      [e.unsqueeze(range, [1]), e.unsqueeze(OBJECTIVE_INPUTS.position, [1])],
      [{ name: 'axis', i: 1 }],
    );
  };
  const oneHot = (idx: string, depth: string) => e.op('OneHot', [idx, depth, e.f32(0, 1)], [{ name: 'axis', i: -1 }]);

  switch (o.kind) {
    case 'logprob': {
      const z = o.output;
      const rank = rankOf(ctx, z);
      if (rank !== 2 && rank !== 3)
        throw new EngineError(
          'grad-objective',
          `A log-probability objective needs an output shaped [batch, classes] or [batch, seq, classes]; ${z} has rank ${rank}.`,
        );
      inputs.push({ role: 'target', name: OBJECTIVE_INPUTS.target, elemType: DT_INT64, dims: ['batch'] });
      const idx = rank === 3 ? rowIndex(z) : undefined;
      const row = idx ? e.op('GatherND', [z, idx]) : z;
      const lsm = e.op('LogSoftmax', [row], [{ name: 'axis', i: -1 }]);
      const oh = oneHot(OBJECTIVE_INPUTS.target, lastDim(z));
      const per = e.reduceSum(e.mul(oh, lsm), [-1], false);
      const gRow = e.sub(oh, e.op('Exp', [lsm]));
      seeds[z] = idx ? e.op('ScatterND', [e.zerosLike(z), idx, gRow]) : gRow;
      const perExample = name(per, PER_EXAMPLE_OUTPUT);
      return { seeds, inputs, perExample, loss: name(e.reduceSum(per, undefined, false), LOSS_OUTPUT) };
    }
    case 'log-sigmoid': {
      const z = o.output;
      const rank = rankOf(ctx, z);
      if (rank !== 2)
        throw new EngineError(
          'grad-objective',
          `A log-sigmoid objective needs an output shaped [batch, seq]; ${z} has rank ${rank}.`,
        );
      const idx = rowIndex(z);
      const x = e.op('GatherND', [z, idx]);
      const per = e.neg(e.op('Softplus', [e.neg(x)]));
      seeds[z] = e.op('ScatterND', [e.zerosLike(z), idx, e.op('Sigmoid', [e.neg(x)])]);
      const perExample = name(per, PER_EXAMPLE_OUTPUT);
      return { seeds, inputs, perExample, loss: name(e.reduceSum(per, undefined, false), LOSS_OUTPUT) };
    }
    case 'cross-entropy':
    case 'binary-cross-entropy': {
      const outs = o.kind === 'cross-entropy' ? o.outputs : [o.output];
      if (!outs.length) throw new EngineError('grad-objective', 'A cross-entropy objective needs at least one output.');
      const ignore = o.ignoreIndex ?? -100;
      if (o.weights)
        inputs.push({ role: 'weights', name: OBJECTIVE_INPUTS.weights, elemType: DT_FLOAT, dims: ['batch'] });
      const classWeights = o.kind === 'cross-entropy' && o.classWeights;
      if (classWeights)
        inputs.push({
          role: 'classWeights',
          name: OBJECTIVE_INPUTS.classWeights,
          elemType: DT_FLOAT,
          dims: ['classes'],
        });
      const losses: string[] = [];
      const k = outs.length;
      outs.forEach((z, j) => {
        const rank = rankOf(ctx, z);
        const labelRank = o.kind === 'cross-entropy' ? rank - 1 : rank;
        if (labelRank < 1)
          throw new EngineError('grad-objective', `The output ${z} has no batch axis to put labels on.`);
        const labels = OBJECTIVE_INPUTS.labels(j);
        inputs.push({
          role: j === 0 ? 'labels' : `labels_${j}`,
          name: labels,
          elemType: DT_INT64,
          dims: symDims(labelRank),
        });
        const valid = e.op('Not', [e.op('Equal', [labels, e.i64([ignore], true)])]);
        const safe = e.op('Where', [valid, labels, e.i64([0], true)]);
        let vw = e.castFloat(valid);
        if (o.weights)
          vw = e.mul(
            vw,
            e.reshape(OBJECTIVE_INPUTS.weights, e.i64([-1, ...Array.from({ length: labelRank - 1 }, () => 1)])),
          );
        // The weight of each entry's class (ignored entries read class 0, then count 0 through `valid`).
        if (classWeights)
          vw = e.mul(vw, e.op('Gather', [OBJECTIVE_INPUTS.classWeights, safe], [{ name: 'axis', i: 0 }]));
        const den = e.op('Max', [e.reduceSum(vw, undefined, false), e.f32(1e-12)]);
        let lossEach: string;
        let gEach: string;
        if (o.kind === 'cross-entropy') {
          const lsm = e.op('LogSoftmax', [z], [{ name: 'axis', i: -1 }]);
          const oh = oneHot(safe, lastDim(z));
          lossEach = e.neg(e.reduceSum(e.mul(oh, lsm), [-1], false));
          gEach = e.mul(
            e.sub(e.op('Softmax', [z], [{ name: 'axis', i: -1 }]), oh),
            e.unsqueeze(e.div(vw, e.mul(den, e.f32(k))), [-1]),
          );
        } else {
          const y = e.castFloat(safe);
          lossEach = e.sub(e.op('Softplus', [z]), e.mul(z, y));
          gEach = e.mul(e.sub(e.op('Sigmoid', [z]), y), e.div(vw, e.mul(den, e.f32(k))));
        }
        seeds[z] = gEach;
        losses.push(e.div(e.reduceSum(e.mul(lossEach, vw), undefined, false), den));
      });
      const total = losses.length === 1 ? losses[0] : e.div(e.op('Sum', losses), e.f32(k));
      return { seeds, inputs, loss: name(total, LOSS_OUTPUT) };
    }
    case 'distillation': {
      const z = o.output;
      const rank = rankOf(ctx, z);
      if (rank !== 2)
        throw new EngineError(
          'grad-objective',
          `Distillation needs an output shaped [batch, classes]; ${z} has rank ${rank}.`,
        );
      if (!(o.temperature > 0) || !(o.alpha >= 0 && o.alpha <= 1))
        throw new EngineError(
          'grad-objective',
          `Distillation needs a temperature > 0 and 0 ≤ α ≤ 1 (got T = ${o.temperature}, α = ${o.alpha}).`,
        );
      const t = OBJECTIVE_INPUTS.teacher;
      const labels = OBJECTIVE_INPUTS.labels(0);
      inputs.push({ role: 'teacher', name: t, elemType: DT_FLOAT, dims: ['batch', 'classes'] });
      inputs.push({ role: 'labels', name: labels, elemType: DT_INT64, dims: ['batch'] });
      const T = e.f32(o.temperature);
      const sm = (x: string) => e.op('LogSoftmax', [x], [{ name: 'axis', i: -1 }]);
      const lsT = sm(e.div(z, T));
      const ltT = sm(e.div(t, T));
      const ptT = e.op('Exp', [ltT]);
      const kl = e.reduceSum(e.mul(ptT, e.sub(ltT, lsT)), [-1], false);
      const ls = sm(z);
      const oh = oneHot(labels, lastDim(z));
      const ce = e.neg(e.reduceSum(e.mul(oh, ls), [-1], false));
      const per = e.add(e.mul(kl, e.f32(o.alpha * o.temperature * o.temperature)), e.mul(ce, e.f32(1 - o.alpha)));
      const batch = e.castFloat(e.op('Gather', [e.shape(z), e.i64([0], true)]));
      // d/dz: (α·T·(softmax(z/T) − softmax(t/T)) + (1−α)·(softmax(z) − onehot)) / batch.
      const soft = e.mul(e.sub(e.op('Exp', [lsT]), ptT), e.f32(o.alpha * o.temperature));
      const hard = e.mul(e.sub(e.op('Exp', [ls]), oh), e.f32(1 - o.alpha));
      seeds[z] = e.div(e.add(soft, hard), batch);
      const perExample = name(per, PER_EXAMPLE_OUTPUT);
      return { seeds, inputs, perExample, loss: name(e.div(e.reduceSum(per, undefined, false), batch), LOSS_OUTPUT) };
    }
    case 'weighted-sum': {
      const parts: string[] = [];
      o.outputs.forEach((z, j) => {
        const rank = rankOf(ctx, z);
        const seed = OBJECTIVE_INPUTS.seed(j);
        inputs.push({ role: j === 0 ? 'seed' : `seed_${j}`, name: seed, elemType: DT_FLOAT, dims: symDims(rank) });
        seeds[z] = seed;
        parts.push(e.reduceSum(e.mul(z, seed), undefined, false));
      });
      const total = parts.length === 1 ? parts[0] : e.op('Sum', parts);
      return { seeds, inputs, loss: name(total, LOSS_OUTPUT) };
    }
  }
}
