// One optimiser step of fine-tuning, shared by the training loop (fineTune.ts) and the throughput benchmark
// (fineTuneBench.ts), so that the benchmark times exactly what training runs:
//  - the training graph: the network with its spelled-out LayerNorms fused (fuseLayerNorm.ts), differentiated
//    with the parameters as graph inputs;
//  - per micro-batch one session run (forward + backward), its gradients handed to the accumulator (no copy when
//    a step is one micro-batch, the default);
//  - AdamW over the flat moment buffers, in place on the parameters the session reads on the next run.
import { type GradientGraph, type Objective, buildGradientGraph } from '../grad/gradient';
import { DT_FLOAT, encodeValueInfo, parseModel, writeModel } from '../grad/onnxModel';
import { type InputTensor, type OutputTensor, type RuntimeSession, openSession } from '../runtime';
import { type DropoutSite, addDropoutInputs } from './dropout';
import { fuseLayerNorms } from './fuseLayerNorm';
import { fuseLinears } from './fuseLinear';
import { AdamW, type AdamWOptions, type Gradient, GradientAccumulator, type Parameter, denseRows } from './optimizer';

export interface TrainingGraph {
  grad: GradientGraph;
  session: RuntimeSession;
  /** LayerNorm patterns fused in the graph that trains. */
  fusedLayerNorms: number;
  /** MatMul + bias Add pairs whose product runs as a 2-D Gemm in the graph that trains. */
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
  // Memory: each rewrite is a new copy of the network (~440 MB at base size), so only the latest one is kept.
  let bytes = opts.dropout?.sites.length
    ? addDropoutInputs(netBytes, opts.dropout.sites, opts.dropout.hiddenSize)
    : netBytes;
  let fusedLayerNorms = 0;
  let fusedLinears = 0;
  if (opts.fuse !== false) {
    const f = fuseLayerNorms(bytes);
    bytes = f.bytes;
    fusedLayerNorms = f.fused;
    const l = fuseLinears(bytes);
    bytes = l.bytes;
    fusedLinears = l.fused;
  }
  // Embedding tables come back as their looked-up rows (gradient.ts, sparseTables): the step adds them into the
  // table's gradient itself, instead of the graph writing a whole zero table, scattering into it and handing it
  // over (the word-embedding table is 2.1 M of the embedded model's 5.4 M values).
  const grad = await buildGradientGraph(bytes, {
    objective,
    wrt: { parameters },
    parametersAsInputs: true,
    sparseTables: opts.fuse === false ? [] : parameters,
    contribOps: opts.fuse !== false,
    geluAsPhi: opts.fuse !== false,
    sharedTransposes: opts.fuse !== false,
  });
  bytes = new Uint8Array(0);
  const session = await openSession(grad.bytes, 'cpu');
  // The session has its own copy of the graph: training does not keep the bytes (frozen weights stay in them).
  return { grad: { ...grad, bytes: new Uint8Array(0) }, session, fusedLayerNorms, fusedLinears };
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

/** The outputs that hold a parameter's gradient (one dense tensor, or a sparse table's rows and values). */
export function gradientFetches(grad: GradientGraph, name: string): string[] {
  const s = grad.outputs.sparse[name];
  if (s) return [s.rows, s.values];
  const g = grad.outputs.gradients[name];
  return g ? [g] : [];
}

type Named = Pick<Parameter, 'name' | 'dims'>;

/** A parameter's gradient as the optimiser takes it, from a run that fetched `gradientFetches` (undefined: the loss
 *  does not reach it): a sparse table's looked-up rows as they are (AdamW adds them into its gradient buffer), any
 *  other parameter's dense gradient. */
function gradientFor(grad: GradientGraph, r: Record<string, OutputTensor>, p: Named): Gradient | undefined {
  const s = grad.outputs.sparse[p.name];
  if (s) return { rows: r[s.rows].data, values: r[s.values].data, width: p.dims[1] };
  const g = grad.outputs.gradients[p.name];
  return g ? r[g].data : undefined;
}

/** The same gradient, dense (a table's rows added into a zero table). */
export function gradientOf(grad: GradientGraph, r: Record<string, OutputTensor>, p: Named): Float32Array | undefined {
  const g = gradientFor(grad, r, p);
  return g && !(g instanceof Float32Array) ? denseRows(p.dims[0] * p.dims[1], g.width, g.rows, g.values) : g;
}

export class TrainStep {
  readonly optimizer: AdamW;
  private readonly acc: GradientAccumulator;
  private readonly fetches: string[];
  private readonly paramFeeds: Record<string, InputTensor>;

  constructor(
    private readonly graph: TrainingGraph,
    readonly params: Parameter[],
    opts: AdamWOptions = {},
  ) {
    this.optimizer = new AdamW(params, opts);
    this.acc = new GradientAccumulator(params.map((p) => p.data.length));
    this.fetches = [graph.grad.outputs.loss, ...params.flatMap((p) => gradientFetches(graph.grad, p.name))];
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
    this.acc.add(
      this.params.map((p) => gradientFor(this.graph.grad, r, p)),
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
