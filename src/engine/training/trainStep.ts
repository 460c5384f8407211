// One optimiser step of fine-tuning, shared by the training loop (fineTune.ts) and the throughput benchmark
// (fineTuneBench.ts), so that the benchmark times exactly what training runs:
//  - the training graph: the network with its spelled-out LayerNorms fused (fuseLayerNorm.ts), differentiated
//    with the parameters as graph inputs;
//  - per micro-batch one session run (forward + backward), its gradients handed to the accumulator (no copy when
//    a step is one micro-batch, the default);
//  - AdamW over the flat moment buffers, in place on the parameters the session reads on the next run.
import { type GradientGraph, type Objective, buildGradientGraph } from '../grad/gradient';
import { DT_FLOAT, encodeValueInfo, parseModel, writeModel } from '../grad/onnxModel';
import { type InputTensor, type RuntimeSession, openSession } from '../runtime';
import { type DropoutSite, addDropoutInputs } from './dropout';
import { fuseLayerNorms } from './fuseLayerNorm';
import { fuseLinears } from './fuseLinear';
import { AdamW, type AdamWOptions, GradientAccumulator, type Parameter } from './optimizer';

export interface TrainingGraph {
  grad: GradientGraph;
  session: RuntimeSession;
  /** LayerNorm patterns fused in the graph that trains. */
  fusedLayerNorms: number;
  /** MatMul + bias Add pairs run as one Gemm in the graph that trains. */
  fusedLinears: number;
}

/** The gradient graph of `netBytes` for these parameters, and its session. `fuse: false` differentiates the
 *  network as exported (the benchmark's comparison). `dropout`: the head's dropout sites, each read through a
 *  mask input (dropout.ts) that every run then feeds. */
export async function openTrainingGraph(
  netBytes: Uint8Array,
  parameters: string[],
  objective: Objective,
  opts: { fuse?: boolean; dropout?: { sites: DropoutSite[]; hiddenSize: number } } = {},
): Promise<TrainingGraph> {
  const d = opts.dropout?.sites.length
    ? addDropoutInputs(netBytes, opts.dropout.sites, opts.dropout.hiddenSize)
    : netBytes;
  const f = opts.fuse === false ? { bytes: d, fused: 0 } : fuseLayerNorms(d);
  const l = opts.fuse === false ? { bytes: f.bytes, fused: 0 } : fuseLinears(f.bytes);
  const grad = await buildGradientGraph(l.bytes, { objective, wrt: { parameters }, parametersAsInputs: true });
  const session = await openSession(grad.bytes, 'cpu');
  return { grad, session, fusedLayerNorms: f.fused, fusedLinears: l.fused };
}

/** The network's forward pass with these parameters as graph inputs (initializers dropped, Identity aliases
 *  replaced, as the gradient builder does), as one session: evaluation feeds the current (or best) values instead
 *  of writing a model per epoch. */
export async function openEvalGraph(
  netBytes: Uint8Array,
  params: { name: string; dims: number[] }[],
): Promise<RuntimeSession> {
  const m = parseModel(netBytes);
  const producers = new Map(m.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const replaceNodes = new Map<number, Uint8Array | null>();
  const dropInitializers = new Set<string>();
  for (const p of params) {
    if (m.initializers.has(p.name)) dropInitializers.add(p.name);
    else {
      const alias = producers.get(p.name);
      if (alias?.opType === 'Identity') replaceNodes.set(alias.index, null);
    }
  }
  const bytes = writeModel(m, {
    replaceNodes,
    dropInitializers,
    appendNodes: [],
    appendInitializers: [],
    appendInputs: params.map((p) => encodeValueInfo('input', p.name, DT_FLOAT, p.dims)),
    outputs: m.outputs.map((o) => netBytes.subarray(o.field.start, o.field.end)),
    minOpset: m.opset,
  });
  return openSession(bytes, 'cpu');
}

export class TrainStep {
  readonly optimizer: AdamW;
  private readonly acc: GradientAccumulator;
  private readonly fetches: string[];
  /** Parameters the loss reaches (the others get no gradient output). */
  private readonly reached: boolean[];
  private readonly paramFeeds: Record<string, InputTensor>;

  constructor(
    private readonly graph: TrainingGraph,
    readonly params: Parameter[],
    opts: AdamWOptions = {},
  ) {
    this.optimizer = new AdamW(params, opts);
    this.acc = new GradientAccumulator(params.map((p) => p.data.length));
    const g = graph.grad.outputs.gradients;
    this.reached = params.map((p) => g[p.name] !== undefined);
    this.fetches = [graph.grad.outputs.loss, ...params.filter((p) => g[p.name] !== undefined).map((p) => g[p.name])];
    // The parameters' own arrays, updated in place by AdamW: the same feeds serve every run.
    this.paramFeeds = Object.fromEntries(
      params.map((p) => [p.name, { type: 'float32' as const, data: p.data, dims: p.dims }]),
    );
  }

  get session(): RuntimeSession {
    return this.graph.session;
  }

  get stepCount(): number {
    return this.optimizer.stepCount;
  }

  /** Forward + backward of one micro-batch of `n` examples; its gradients join the step's. Returns the loss. */
  async micro(feeds: Record<string, InputTensor>, n: number): Promise<number> {
    const r = await this.graph.session.run({ ...feeds, ...this.paramFeeds }, this.fetches);
    const g = this.graph.grad.outputs.gradients;
    this.acc.add(
      this.params.map((p, k) => (this.reached[k] ? r[g[p.name]].data : undefined)),
      n,
    );
    return r[this.graph.grad.outputs.loss].data[0];
  }

  /** The optimiser step over the accumulated micro-batches, at learning rate `lr`. */
  apply(lr: number): void {
    this.optimizer.step(this.acc.take(), lr);
  }

  /** Frees the session and the optimiser's moments (idempotent): called as soon as training ends, so that
   *  evaluation and export do not hold them too. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer.release();
    await this.graph.session.dispose();
  }
  private disposed = false;
}
