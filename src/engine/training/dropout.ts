// Dropout while fine-tuning, where the family's *ForSequenceClassification / *ForTokenClassification puts it:
// on the head's input features, never at inference. Only the graph that trains carries it: each site tensor X is
// multiplied by a mask input (0 or 1/(1−p) per value) before its readers see it, and the exported graph stays the
// standard one. Masks come from a generator seeded by (seed, epoch, batch), so a run is deterministic and a resume
// from an epoch checkpoint replays the same masks.
import {
  DT_FLOAT,
  encodeNode,
  encodeValueInfo,
  nodeLinks,
  parseModel,
  renameNodeInputs,
  writeModel,
} from '../grad/onnxModel';
import { concatBytes } from '../onnx/protobuf';
import type { Family } from '../api';
import type { InputTensor } from '../runtime';
import type { FineTuneTask } from './taskData';
import { createRng } from './random';

/** A tensor the head reads through dropout: [batch, hidden] ('bh') or [batch, seq, hidden] ('bsh'). */
export interface DropoutSite {
  tensor: string;
  shape: 'bh' | 'bsh';
}

/** The mask input that multiplies a site. */
export const dropoutMaskInput = (k: number) => `bertlens_dropout/mask_${k}`;

/** Where the family's head applies dropout (tensor names of fineTuneGraph's head):
 *  - BERT, ALBERT: on the pooled output (after the pooler's tanh), before the classifier;
 *  - DistilBERT: after pre_classifier's ReLU;
 *  - RoBERTa, ELECTRA: on the first token's state before classifier.dense, and again before out_proj;
 *  - token classification: on the last hidden state, before the classifier;
 *  - QA heads have none. */
export function headDropoutSites(family: Family, task: FineTuneTask, hiddenTensor: string): DropoutSite[] {
  if (task === 'qa') return [];
  if (task === 'token') return [{ tensor: hiddenTensor, shape: 'bsh' }];
  const act = { tensor: 'bertlens_head/act', shape: 'bh' as const };
  if (family === 'roberta' || family === 'electra') return [{ tensor: 'bertlens_head/cls', shape: 'bh' }, act];
  return [act];
}

/** The family's dropout rate for the head (transformers' config keys and defaults). */
export function headDropoutRate(family: Family, task: FineTuneTask, config: Record<string, unknown>): number {
  const num = (k: string) => (typeof config[k] === 'number' ? (config[k] as number) : undefined);
  if (family === 'distilbert') return task === 'token' ? (num('dropout') ?? 0.1) : (num('seq_classif_dropout') ?? 0.2);
  if (family === 'albert') return num('classifier_dropout_prob') ?? 0.1;
  return num('classifier_dropout') ?? num('hidden_dropout_prob') ?? 0.1;
}

/** The graph with each site read through Mul(site, mask input). The Mul goes just before the site's first reader,
 *  so the nodes stay in topological order. */
export function addDropoutInputs(bytes: Uint8Array, sites: DropoutSite[], hiddenSize: number): Uint8Array {
  if (!sites.length) return bytes;
  const m = parseModel(bytes);
  const { readers } = nodeLinks(m);
  const replaceNodes = new Map<number, Uint8Array | null>();
  const appendInputs: Uint8Array[] = [];
  sites.forEach((s, k) => {
    const r = readers.get(s.tensor);
    if (!r?.length) throw new Error(`dropout: no node reads ${s.tensor}`);
    const dropped = `bertlens_dropout/${k}`;
    const rename = new Map([[s.tensor, dropped]]);
    const mul = encodeNode('Mul', [s.tensor, dropoutMaskInput(k)], [dropped], `bertlens_dropout/Mul_${k}`);
    r.forEach((n, j) => {
      const renamed = replaceNodes.get(n.index) ?? renameNodeInputs(m, n, rename);
      replaceNodes.set(n.index, j === 0 ? concatBytes([mul, renamed]) : renamed);
    });
    appendInputs.push(
      encodeValueInfo(
        'input',
        dropoutMaskInput(k),
        DT_FLOAT,
        s.shape === 'bh' ? ['batch_size', hiddenSize] : ['batch_size', 'sequence_length', hiddenSize],
      ),
    );
  });
  return writeModel(m, {
    replaceNodes,
    appendNodes: [],
    appendInitializers: [],
    appendInputs,
    outputs: m.outputs.map((o) => bytes.subarray(o.field.start, o.field.end)),
    minOpset: m.opset,
  });
}

/** The masks of one micro-batch: each value 0 with probability p, else 1/(1−p) (inverted dropout, as torch). */
export function dropoutMasks(
  sites: DropoutSite[],
  p: number,
  dims: { batch: number; seq: number; hidden: number },
  seed: number,
): Record<string, InputTensor> {
  const rng = createRng(seed);
  const keep = 1 / (1 - p);
  const out: Record<string, InputTensor> = {};
  sites.forEach((s, k) => {
    const shape = s.shape === 'bh' ? [dims.batch, dims.hidden] : [dims.batch, dims.seq, dims.hidden];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng() < p ? 0 : keep;
    out[dropoutMaskInput(k)] = { type: 'float32', data, dims: shape };
  });
  return out;
}

/** The seed of one micro-batch's masks: a function of the run's seed, the epoch and the batch only. */
export const dropoutSeed = (seed: number, epoch: number, batch: number) =>
  (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca77) ^ Math.imul(batch + 1, 0xc2b2ae3d)) >>> 0;
