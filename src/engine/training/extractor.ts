// Pooled sentence features from a frozen encoder. The encoder graph is cut after the chosen hidden states and
// given pooling nodes (onnxHead.ts), so the features computed here are computed by exactly the same ONNX nodes
// as in the exported classifier: in-process and exported predictions then differ only by the head's float32
// arithmetic.
import * as fs from 'node:fs';
import { CancelledError, EngineError } from '../errors';
import type { LoadedModel } from '../model';
import { findHiddenStateOutputs } from '../onnx/graph';
import { type RuntimeSession, openSession } from '../runtime';
import { type Encoded, encodeWindows } from '../tokenizer';
import { type HeadWeights, type PoolingKind, type PoolingSpec, buildPooledModel } from './onnxHead';

export interface EmbedOptions {
  signal?: AbortSignal;
  /** Called after each batch with the number of texts done so far. */
  onBatch?: (done: number, total: number) => void;
}

/** What training needs from an encoder: one pooled vector per text (or text pair). Tests use a fake. */
export interface FeatureExtractor {
  /** Identifies model, variant, layers, pooling and truncation: part of the feature-cache key. */
  readonly key: string;
  readonly dim: number;
  embedBatch(texts: string[], pairs: string[] | undefined, opts?: EmbedOptions): Promise<Float32Array[]>;
}

export interface LayerSpec {
  /** Hidden state to pool: 0 = embeddings, 1..L = layers, negative counts from the end (default -1, the last). */
  layer?: number;
  /** Concatenate this many layers ending at `layer` (default 1). */
  lastLayers?: number;
  pooling?: PoolingKind;
  /** Truncate inputs to this many tokens (default min(256, model max)). */
  maxLength?: number;
  batchSize?: number;
  /** Open the pooled graph as a variant of the loaded model (`LoadedModel.openVariant`): it reads the model file's
   *  weights instead of a private copy, and the model owns (and disposes) the session. For a one-off pass beside
   *  other large buffers, such as fine-tuning's candidates. */
  shareWeights?: boolean;
}

/** Resolves a layer spec to hidden-state indexes in [0, numLayers]. */
export function resolveLayers(numLayers: number, layer = -1, lastLayers = 1): number[] {
  const last = layer < 0 ? numLayers + 1 + layer : layer;
  if (!Number.isInteger(last) || last < 0 || last > numLayers) {
    throw new EngineError(
      'bad-layer',
      `Layer ${layer} does not exist: this model has hidden states 0 (embeddings) to ${numLayers}.`,
      `Pick a layer between 0 and ${numLayers} (or -1 for the last).`,
    );
  }
  const n = Math.max(1, Math.min(lastLayers, last + 1));
  return Array.from({ length: n }, (_, i) => last - n + 1 + i);
}

/** HF-style "longest first" truncation of an encoding that already has its special tokens. */
export function truncateEncoded(e: Encoded, maxLength: number): Encoded {
  if (e.ids.length <= maxLength) return e;
  const keep = new Array<boolean>(e.ids.length).fill(true);
  const seqLen = [0, 0];
  e.sequenceIds.forEach((s) => s !== null && seqLen[s]++);
  let excess = e.ids.length - maxLength;
  while (excess > 0) {
    const s = seqLen[1] > seqLen[0] ? 1 : 0;
    // drop the last kept content token of sequence s
    for (let i = e.ids.length - 1; i >= 0; i--) {
      if (keep[i] && e.sequenceIds[i] === s && !e.specialTokensMask[i]) {
        keep[i] = false;
        break;
      }
    }
    seqLen[s]--;
    excess--;
  }
  const pick = <T>(a: T[]) => a.filter((_, i) => keep[i]);
  return {
    ids: pick(e.ids),
    tokens: pick(e.tokens),
    offsets: pick(e.offsets),
    typeIds: pick(e.typeIds),
    specialTokensMask: pick(e.specialTokensMask),
    wordIds: pick(e.wordIds),
    sequenceIds: pick(e.sequenceIds),
  };
}

export class EncoderFeatureExtractor implements FeatureExtractor {
  private constructor(
    readonly model: LoadedModel,
    readonly spec: PoolingSpec,
    readonly layers: number[],
    readonly maxLength: number,
    readonly dim: number,
    readonly key: string,
    private readonly session: RuntimeSession,
    private readonly batchSize: number,
    /** False when the model owns the session (shareWeights). */
    private readonly ownsSession = true,
  ) {}

  static async create(model: LoadedModel, opts: LayerSpec = {}): Promise<EncoderFeatureExtractor> {
    const folder = model.folder;
    const layers = resolveLayers(folder.numLayers, opts.layer, opts.lastLayers);
    const hidden = findHiddenStateOutputs(model.graphInfo(), folder.numLayers);
    if (!hidden) {
      throw new EngineError(
        'model-outputs',
        `The hidden states of ${model.id} cannot be located in its ONNX graph, so no features can be pooled.`,
        'Use an unoptimised BERT-family export (onnx/model.onnx of a hub ONNX repository).',
      );
    }
    const pooling = opts.pooling ?? 'mean';
    const probe = await model.tokenizer.encode('a', 'b');
    const specialIds = [...new Set(probe.ids.filter((_, i) => probe.specialTokensMask[i]))];
    const spec: PoolingSpec = { hiddenTensors: layers.map((l) => hidden[l]), pooling, specialIds };
    // Memory: the encoder's bytes are not kept (~440 MB at base size); classifierBytes reads the file again.
    const session = opts.shareWeights
      ? await model.openVariant(`pooled:${JSON.stringify(spec)}`, (sk) => buildPooledModel(sk, spec), {
          device: 'cpu',
        })
      : await openSession(buildPooledModel(new Uint8Array(fs.readFileSync(model.onnxPath)), spec), 'cpu');
    const maxLength = Math.min(opts.maxLength ?? 256, folder.maxLength);
    const dim = folder.hiddenSize * layers.length;
    const key = JSON.stringify({
      model: model.id,
      variant: model.variant,
      layers,
      pooling,
      maxLength,
      long: 'window-mean',
    });
    return new EncoderFeatureExtractor(
      model,
      spec,
      layers,
      maxLength,
      dim,
      key,
      session,
      opts.batchSize ?? 16,
      !opts.shareWeights,
    );
  }

  async encode(text: string, pair?: string): Promise<Encoded> {
    return truncateEncoded(await this.model.tokenizer.encode(text, pair), this.maxLength);
  }

  /** The windows a text is read in: a text that fits is one window; a longer single text is split exactly as
   *  `classify` splits it (stride = maxLength / 4), so that a linear head's mean logits over windows equal the
   *  head applied to these features. A pair is cut (longest first), as transformers does. */
  async windows(text: string, pair?: string): Promise<Encoded[]> {
    if (pair !== undefined) return [await this.encode(text, pair)];
    const whole = await this.model.tokenizer.encode(text);
    if (whole.ids.length <= this.maxLength) return [whole];
    return (
      await encodeWindows(
        this.model.tokenizer,
        text,
        this.maxLength,
        Math.max(1, Math.floor(this.maxLength / 4)),
        undefined,
        whole,
      )
    ).map((w) => w.encoded);
  }

  async embedBatch(texts: string[], pairs?: string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    const encoded: Encoded[] = [];
    const owner: number[] = [];
    for (let i = 0; i < texts.length; i++) {
      if (opts.signal?.aborted) throw new CancelledError();
      for (const w of await this.windows(texts[i], pairs?.[i])) {
        encoded.push(w);
        owner.push(i);
      }
    }
    // Batch windows of similar length together: less padding, same results (padding is masked).
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[a].ids.length - encoded[b].ids.length || a - b);
    const sums = new Array<Float32Array | undefined>(texts.length);
    const counts = new Array<number>(texts.length).fill(0);
    const outName = this.session.outputNames[0];
    for (let s = 0; s < order.length; s += this.batchSize) {
      if (opts.signal?.aborted) throw new CancelledError();
      const idx = order.slice(s, s + this.batchSize);
      const batch = idx.map((i) => encoded[i]);
      const r = (await this.session.run(this.model.feeds(batch, this.session), [outName]))[outName];
      const d = r.dims[r.dims.length - 1];
      idx.forEach((i, b) => {
        const t = owner[i];
        const v = r.data.subarray(b * d, (b + 1) * d);
        const acc = (sums[t] ??= new Float32Array(d));
        for (let k = 0; k < d; k++) acc[k] += v[k];
        counts[t]++;
      });
      opts.onBatch?.(Math.min(order.length, s + this.batchSize), order.length);
    }
    return sums.map((acc, t) => (counts[t] === 1 ? acc! : acc!.map((x) => x / counts[t])));
  }

  /** The classifier graph: these features followed by the head, output `logits`. */
  classifierBytes(head: HeadWeights): Uint8Array {
    return buildPooledModel(new Uint8Array(fs.readFileSync(this.model.onnxPath)), this.spec, head);
  }

  async dispose(): Promise<void> {
    if (this.ownsSession) await this.session.dispose();
  }
}
