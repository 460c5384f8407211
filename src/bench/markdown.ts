// The markdown writer: the results table, the notes under it, and the marked blocks of docs/benchmarks.md.
// Report
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EmbedBench } from './embeddings';
import type { FillMaskBench } from './fillMask';
import type { Options, machine } from './options';
import { hfVersion } from './peer';
import { exp, f1, f2 } from './stats';

export const verdict = (ratio: number, lowerIsBetter: boolean) => {
  if (!Number.isFinite(ratio)) return 'n/a';
  const faster = lowerIsBetter ? ratio < 1 : ratio > 1;
  const factor = lowerIsBetter ? 1 / ratio : ratio;
  return faster ? `ours ${f2(factor)}× faster` : `ours ${f2(1 / factor)}× slower`;
};

export function markdown(
  fm: FillMaskBench[],
  em: EmbedBench | undefined,
  env: ReturnType<typeof machine>,
  o: Options,
  providers: string,
): string {
  const lines: string[] = [];
  lines.push(
    `Machine: ${env.cpus} CPU cores (\`nproc\`), ${env.cpuModel}, ${env.memGiB} GiB RAM, ${env.platform}; Node ${env.node}; onnxruntime-node ${ortVersion()}; @huggingface/transformers ${hfVersion()}.`,
  );
  lines.push(
    `Date: ${env.date}. Command: \`npm run bench${o.device !== 'cpu' ? ` -- --device ${o.device}` : ''}\` (device requested: ${o.device}; ${providers}).`,
  );
  lines.push('');
  lines.push(
    `**Fill-mask latency** (one ~128-token sentence with one mask, top-5; ${o.warmup} warm-up runs then ${o.runs} timed runs per side, interleaved). Lower is better; ratio = ours / transformers.js p50.`,
  );
  lines.push('');
  lines.push(
    '| Model | Tokens | BERT Lens worker p50 / p95 (ms) | BERT Lens in-process p50 / p95 (ms) | transformers.js p50 / p95 (ms) | Ratio worker/peer (p50) | Ratio in-process/peer (p50) | Outputs agree |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of fm) {
    const rw = r.ours.worker.p50 / r.peer.p50;
    const rl = r.ours.inProcess.p50 / r.peer.p50;
    const agree = r.agreement.ok
      ? `yes (same top-5 ids, max \\|Δscore\\| ${exp(r.agreement.maxScoreDiff)})`
      : `**NO** (top-5 same: ${r.agreement.sameTop5Worker}/${r.agreement.sameTop5InProcess}, max \\|Δscore\\| ${exp(r.agreement.maxScoreDiff)})`;
    lines.push(
      `| ${r.model} (\`${r.folder}\`, fp32) | ${r.tokens} | ${f1(r.ours.worker.p50)} / ${f1(r.ours.worker.p95)} | ${f1(r.ours.inProcess.p50)} / ${f1(r.ours.inProcess.p95)} | ${f1(r.peer.p50)} / ${f1(r.peer.p95)} | **${f2(rw)}** (${verdict(rw, true)}) | ${f2(rl)} (${verdict(rl, true)}) | ${agree} |`,
    );
  }
  if (em) {
    lines.push('');
    lines.push(
      `**Embeddings throughput** (${em.sentences} sentences of ${em.tokenRange[0]}–${em.tokenRange[1]} tokens, ${em.totalTokens} tokens in all; last layer, mean pooling over all tokens incl. [CLS]/[SEP], not normalised; median of ${o.passes} interleaved passes). Higher is better; ratio = ours / transformers.js sentences/s.`,
    );
    lines.push('');
    lines.push('| Model | Side | Sentences/s | Ratio ours/peer (one by one) | Max \\|Δ\\| vs ours (worker) |');
    lines.push('|---|---|---:|---:|---:|');
    const m = `${em.model} (\`${em.folder}\`, fp32)`;
    const rw = em.oursWorker.sentencesPerSec / em.peer.sentencesPerSec;
    const rl = em.oursInProcess.sentencesPerSec / em.peer.sentencesPerSec;
    lines.push(
      `| ${m} | BERT Lens worker, one sentence per call (\`client.embed\`) | ${f1(em.oursWorker.sentencesPerSec)} | **${f2(rw)}** (${verdict(rw, false)}) | — |`,
    );
    lines.push(
      `| ${m} | BERT Lens in-process, one per call (\`embed\`) | ${f1(em.oursInProcess.sentencesPerSec)} | ${f2(rl)} (${verdict(rl, false)}) | ${exp(em.agreement.maxAbsDiffInProcess)} vs peer |`,
    );
    lines.push(
      `| ${m} | transformers.js, one sentence per call | ${f1(em.peer.sentencesPerSec)} | 1.00 | ${exp(em.agreement.maxAbsDiff)} |`,
    );
    const rb = em.oursWorker.sentencesPerSec / em.peerBatched.sentencesPerSec;
    lines.push(
      `| ${m} | transformers.js, batches of ${em.peerBatched.batchSize} (padded) | ${f1(em.peerBatched.sentencesPerSec)} | ${f2(rb)} (ours worker vs this: ${verdict(rb, false)}) | ${exp(em.agreement.maxAbsDiffBatched)} |`,
    );
    const rob = em.oursBatched.sentencesPerSec / em.peerBatched.sentencesPerSec;
    lines.push(
      `| ${m} | BERT Lens worker, batches of ${em.oursBatched.batchSize} (\`client.embedBatch\`, one call) | ${f1(em.oursBatched.sentencesPerSec)} | **${f2(rob)}** vs transformers.js batched (${verdict(rob, false)}) | ${exp(em.oursBatched.maxAbsDiff)} vs peer batched |`,
    );
    lines.push('');
    lines.push(`Pooled vectors agree (max |Δ| < 1e-4): ${em.agreement.ok ? 'yes' : '**NO**'}. ${em.note}`);
  }
  return lines.join('\n');
}

export function ortVersion(): string {
  try {
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';
export const DOC_INTRO = `# Benchmarks

BERT Lens runs BERT-family ONNX models on onnxruntime-node. [transformers.js](https://github.com/huggingface/transformers.js)
(\`@huggingface/transformers\`) runs the same ONNX files on the same onnxruntime-node build, so it is the natural peer.
\`npm run bench\` (source: \`src/bench/bench.ts\`) loads the same fp32 files on both sides, checks that they give the same
answer (same top-5 token ids and scores within 1e-4 for fill-mask; pooled vectors within 1e-4 for embeddings), then
times them interleaved in one process on one machine. The table below is rewritten by each run; the raw numbers
(every sample) go to \`.bench/results.json\`.

"BERT Lens worker" is what the extension and the CLI use: \`EngineClient\`, every call posted to the engine's worker
thread and the result structured-cloned back. "In-process" calls the same task function on the main thread
(\`LoadedModel\` + \`fillMask\` / \`embed\`), so the difference between the two is the worker round trip.

`;

export const SCALE_START = '<!-- bench-scale:start -->';
export const SCALE_END = '<!-- bench-scale:end -->';

export function writeDoc(file: string, table: string, notes: string, start = START, end = END): void {
  const block = `${start}\n${table}\n\n${notes}\n${end}`;
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : DOC_INTRO;
  const s = doc.indexOf(start);
  const e = doc.indexOf(end);
  if (s >= 0 && e > s) doc = doc.slice(0, s) + block + doc.slice(e + end.length);
  else doc = `${doc.replace(/\s*$/, '\n\n')}${block}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, doc);
}

/** Notes written under the table. The analysis prose lives outside the markers (hand-written); these are the
 *  facts of this run that the reader needs next to the numbers. */
export function docNotes(fm: FillMaskBench[], em: EmbedBench | undefined, o: Options): string {
  const n: string[] = [];
  const disagree = fm.filter((r) => !r.agreement.ok).map((r) => r.model);
  if (disagree.length)
    n.push(`- **Outputs disagreed** for ${disagree.join(', ')}: the timings of those rows compare different work.`);
  const slower = fm
    .filter((r) => r.ours.worker.p50 > r.peer.p50)
    .map((r) => `${r.model} fill-mask (worker ${f1(r.ours.worker.p50)} ms vs ${f1(r.peer.p50)} ms)`);
  if (em && em.oursWorker.sentencesPerSec < em.peer.sentencesPerSec)
    slower.push(
      `embeddings one by one (${f1(em.oursWorker.sentencesPerSec)} vs ${f1(em.peer.sentencesPerSec)} sentences/s)`,
    );
  if (em && em.oursBatched.sentencesPerSec < em.peerBatched.sentencesPerSec)
    slower.push(
      `batched embeddings against batched transformers.js (${f1(em.oursBatched.sentencesPerSec)} vs ${f1(em.peerBatched.sentencesPerSec)} sentences/s)`,
    );
  n.push(
    slower.length
      ? `- BERT Lens (worker) was **slower** in this run on: ${slower.join('; ')}. See "Where BERT Lens is slower" below.`
      : '- BERT Lens (worker) was faster than transformers.js on every row of this run.',
  );
  if (o.device === 'cpu')
    n.push('- Device: cpu. WebGPU (`npm run bench -- --device webgpu`) was not run on this machine: it has no GPU.');
  else {
    const ps = [...fm.flatMap((r) => Object.values(r.providers)), ...(em ? Object.values(em.providers) : [])];
    const fell = ps.filter((p) => p.provider !== o.device);
    n.push(
      fell.length
        ? `- Device ${o.device} was requested but did not start for ${[...new Set(fell.map((p) => p.name))].join(', ')}: those rows ran on ${[...new Set(fell.map((p) => p.provider))].join('/')} (see the provider list above).`
        : `- Device ${o.device} ran on every side.`,
    );
  }
  return n.join('\n');
}
