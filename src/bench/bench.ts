// `npm run bench`: BERT Lens against @huggingface/transformers (transformers.js) in one run on one machine, on the
// same ONNX files and the same onnxruntime-node build. A benchmark, not a test: it checks that both sides give the
// same answer (otherwise a timing means nothing), then times them interleaved, and writes a markdown table to
// docs/benchmarks.md (between <!-- bench:start --> and <!-- bench:end -->) and the raw numbers to
// .bench/results.json.
//
//   npm run bench                       # cpu
//   npm run bench -- --device webgpu    # ask both sides for WebGPU; the table says which provider really ran
//   npm run bench -- --runs 20 --warmup 3 --no-doc
//
// This file runs the parts: options.ts (command line, machine), corpus.ts (inputs), peer.ts (transformers.js),
// fillMask.ts and embeddings.ts (one file per benchmark), gradBench.ts, scale.ts (--model), markdown.ts (the
// tables and docs/benchmarks.md), stats.ts. Other entries: causal.ts, training.ts, finetune.ts, extension.mjs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { EngineClient } from '../engine/client';
import { renderScale, runChild, runScale } from './scale';
import { benchGradients, gradMarkdown } from './gradBench';
import { type EmbedBench, benchEmbeddings, peerFeatureOutput } from './embeddings';
import { type FillMaskBench, benchFillMask } from './fillMask';
import { SCALE_END, SCALE_START, docNotes, markdown, ortVersion, writeDoc } from './markdown';
import { type Options, machine, parseArgs } from './options';
import { hfVersion, loadTransformers, rememberTransformers, sharpNote } from './peer';
import { maskedText } from './corpus';
import { f1 } from './stats';

// ---------------------------------------------------------------------------------------------------------------

/** Gradient cost (backward/forward, integrated gradients/forward) on the embedded model; its own doc block. */
async function runGradientBench(root: string, o: Options, env: ReturnType<typeof machine>): Promise<void> {
  console.log('gradients: mini-bert-uncased (embedded) …');
  const r = await benchGradients(
    path.join(root, 'models', 'mini-bert-uncased'),
    'mini-bert-uncased (embedded)',
    (w) => maskedText(w, '[MASK]'),
    { runs: Math.min(o.runs, 30), warmup: o.warmup },
  );
  const md = gradMarkdown(r, env.date, `${env.cpus} CPU cores (\`nproc\`), ${env.cpuModel}, Node ${env.node}`);
  console.log(`\n${md}\n`);
  fs.mkdirSync(path.join(root, '.bench'), { recursive: true });
  fs.writeFileSync(path.join(root, '.bench', 'gradients.json'), `${JSON.stringify({ machine: env, ...r }, null, 2)}\n`);
  if (!o.writeDoc) return;
  const file = path.join(root, 'docs', 'benchmarks.md');
  const [s, e] = ['<!-- bench-gradients:start -->', '<!-- bench-gradients:end -->'];
  let doc = fs.readFileSync(file, 'utf8');
  const block = `${s}\n${md}\n${e}`;
  const i = doc.indexOf(s);
  const j = doc.indexOf(e);
  doc =
    i >= 0 && j > i
      ? doc.slice(0, i) + block + doc.slice(j + e.length)
      : `${doc.replace(/\s*$/, '\n\n')}## Gradients\n\n${block}\n`;
  fs.writeFileSync(file, doc);
  console.log('gradient table written to docs/benchmarks.md');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const root = path.resolve(__dirname, '..');
  if (o.model) o.model = path.resolve(o.model);
  if (o.baseline) o.baseline = path.resolve(o.baseline);
  process.chdir(root);
  if (o.model && o.child)
    return runChild(o.child as Parameters<typeof runChild>[0], { ...o, model: o.model }, loadTransformers);
  if (o.model) {
    const env = machine();
    console.log(
      `BERT Lens benchmark at scale — ${env.cpus} cores, ${env.cpuModel}, model ${o.model}, device ${o.device}`,
    );
    const header = `Machine: ${env.cpus} CPU cores (\`nproc\`), ${env.cpuModel}, ${env.memGiB} GiB RAM, ${env.platform}; Node ${env.node}; onnxruntime-node ${ortVersion()}.\nDate: ${env.date}. Command: \`npm run bench -- --model ${path.relative(root, o.model)}${o.embedModel ? ` --embed-model ${path.relative(root, path.resolve(o.embedModel))}` : ''}${o.baseline ? ` --baseline ${path.relative(root, o.baseline)}` : ''}${o.device !== 'cpu' ? ` --device ${o.device}` : ''}\`.`;
    const table = o.fromResults
      ? renderScale(JSON.parse(fs.readFileSync(path.join(root, '.bench', 'scale-results.json'), 'utf8')))
      : await runScale({ ...o, model: o.model }, loadTransformers, header);
    console.log(`\n${table}\n`);
    if (o.writeDoc) {
      writeDoc(path.join(root, 'docs', 'benchmarks.md'), table, '', SCALE_START, SCALE_END);
      console.log('table written to docs/benchmarks.md (at-scale block)');
    }
    return;
  }
  const started = performance.now();
  const env = machine();
  console.log(`BERT Lens benchmark — ${env.cpus} cores, ${env.cpuModel}, Node ${env.node}, device ${o.device}`);
  if (o.only === 'gradients') return runGradientBench(root, o, env);
  if (o.only !== undefined) throw new Error(`unknown --only ${o.only} (gradients)`);

  const hf = loadTransformers();
  rememberTransformers(hf);
  hf.env.allowRemoteModels = false;
  console.log(`transformers.js ${hfVersion()} loaded (${sharpNote()})`);

  const client = new EngineClient({ workerPath: path.join(__dirname, 'engineWorker.js') });
  const fm: FillMaskBench[] = [];
  let em: EmbedBench | undefined;
  try {
    for (const [label, folder] of [
      ['mini-bert-uncased (embedded)', path.join(root, 'models', 'mini-bert-uncased')],
      ['bert-mlm (fixture)', path.join(root, 'test', 'fixtures', 'bert-mlm')],
    ] as const) {
      console.log(`fill-mask: ${label} …`);
      const r = await benchFillMask(hf, client, label, folder, o);
      console.log(
        `  ${r.tokens} tokens; worker p50 ${f1(r.ours.worker.p50)} ms, in-process ${f1(r.ours.inProcess.p50)} ms, transformers.js ${f1(r.peer.p50)} ms; agree: ${r.agreement.ok}`,
      );
      fm.push(r);
    }

    // Embeddings: the embedded model is BertForMaskedLM; transformers.js feature-extraction on it returns
    // whatever the graph outputs, which is the vocabulary logits, not a hidden state.
    const embedded = path.join(root, 'models', 'mini-bert-uncased');
    const probe = await peerFeatureOutput(hf, embedded);
    let embedFolder = embedded;
    let embedLabel = 'mini-bert-uncased (embedded)';
    let note = `transformers.js feature-extraction on the embedded model returns its \`${probe.output}\` (width ${probe.width}).`;
    if (probe.output !== 'last_hidden_state') {
      embedFolder = path.join(root, 'test', 'fixtures', 'bert-feature');
      embedLabel = 'bert-feature (fixture, BertModel)';
      note = `The embedded model is BertForMaskedLM and its ONNX graph outputs only \`${probe.output}\`; transformers.js feature-extraction on it returns those vocabulary logits (width ${probe.width}), not hidden states, so both sides use the BertModel fixture \`test/fixtures/bert-feature\` (output \`last_hidden_state\`) instead. Both sides are shown one sentence per call (like for like) and batched (\`client.embedBatch\` pads similar-length sentences into runs of 32 inside the worker; transformers.js pads batches of 32).`;
    }
    console.log(`embeddings: ${embedLabel} …`);
    em = await benchEmbeddings(hf, client, embedLabel, embedFolder, o, note);
    console.log(
      `  worker ${f1(em.oursWorker.sentencesPerSec)}/s, in-process ${f1(em.oursInProcess.sentencesPerSec)}/s, transformers.js ${f1(em.peer.sentencesPerSec)}/s (batched: ours ${f1(em.oursBatched.sentencesPerSec)}/s, transformers.js ${f1(em.peerBatched.sentencesPerSec)}/s); agree: ${em.agreement.ok}`,
    );
  } finally {
    await client.dispose();
  }

  const all = [...fm.flatMap((r) => Object.values(r.providers)), ...(em ? Object.values(em.providers) : [])];
  const ran = [...new Set(all.map((p) => `${p.name}: ${p.provider}`))].join(', ');
  const short = (r: string) => /Failed to get a WebGPU adapter[^;.)]*/.exec(r)?.[0] ?? r.slice(0, 120);
  const fallbacks = [
    ...new Set(all.filter((p) => p.fallbackReason).map((p) => `${p.name}: ${short(p.fallbackReason!)} → cpu`)),
  ];
  const providers = `providers that ran — ${ran}${fallbacks.length ? `; fallbacks — ${fallbacks.join('; ')}` : ''}`;
  const table = markdown(fm, em, env, o, providers);
  console.log(`\n${table}\n`);

  const results = {
    machine: env,
    options: o,
    versions: { onnxruntimeNode: ortVersion(), transformers: hfVersion() },
    sharp: sharpNote(),
    fillMask: fm,
    embeddings: em,
    totalSeconds: (performance.now() - started) / 1000,
  };
  fs.mkdirSync(path.join(root, '.bench'), { recursive: true });
  fs.writeFileSync(path.join(root, '.bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`raw results: .bench/results.json (${results.totalSeconds.toFixed(1)} s)`);
  if (o.writeDoc) {
    writeDoc(path.join(root, 'docs', 'benchmarks.md'), table, docNotes(fm, em, o));
    console.log('table written to docs/benchmarks.md');
  }
  await runGradientBench(root, o, env);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
