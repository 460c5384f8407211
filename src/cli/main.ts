// bert-lens: the command-line front end. It runs the same engine as the extension (in its worker thread, through
// the worker client; `train --mode fine-tune` is the exception, in-process), prints tables by default and stable
// JSON with --json.
import * as fs from 'node:fs';
import type { Aggregation, Device, ModelSpec, Offset, Pooling, SaliencyMethod, Variant } from '../engine/api';
import { EngineClient } from '../engine/client';
import { EngineError, formatError } from '../engine/errors';
import { codePointConverter } from '../engine/tokenizer';
import { type ParsedArgs, UsageError, intOption, parseArgs, stringOption } from './args';
import { bar, fmt, heat, table } from './format';
import { type ChunkSink, emitJson, streamSink } from './jsonWriter';
import { extraCommands } from './extraCommands';
import { npyBytes, writeNewFile } from './npy';
import { attentionRows, nestAttention } from '../engine/tasks/attentionTensors';

const USAGE = `bert-lens — explore BERT-family models locally (ONNX Runtime, no Python)

Usage: bert-lens <command> [options] TEXT

Commands:
  tokenize TEXT [--pair B]            tokens, ids and character offsets
  fill-mask TEXT [--top-k K]          predictions at every mask ([MASK], <mask>, …)
      [--targets w1,w2]               also score these words
      [--span START:END]              mask this character span instead (one mask per piece)
  ner TEXT [--aggregation simple]     entities (none|simple|first|average|max)
  qa --question Q CONTEXT [--top-k K] answer spans
  classify TEXT [--pair B]            sequence (pair) classification
  nsp A B                             next-sentence probability
  rtd TEXT                            replaced-token detection (ELECTRA)
  embed TEXT [--layer L] [--pooling none|cls|mean|max]
  similarity TEXT --span START:END [--layer L]   compare a word with its other occurrences
  attention TEXT [--pair B]           attention of every layer and head
            [--format npy --output F.npy]  the raw float32 tensor [layers, heads, from, to] for NumPy
  saliency TEXT [--method grad-l2|grad-input|integrated-gradients] [--steps 16]
      [--target WORD | --label LABEL] [--position N] [--pair B] [--question Q]
                                      which tokens drove the prediction (gradients, fp32 graph)
  mask-preview TEXT [--seed S]        BERT's pre-training masking (15 %, 80/10/10) and the predictions
  input-embeddings TEXT [--pair B]    token + position + segment vectors per token (norms, cosines)
  models                              embedded and cached models
  info                                what the model is and what it can do
${Object.values(extraCommands).map((c) => `  ${c.usage}\n`).join('')}
Options:
  --model <folder|hub id>   default: the embedded mini-bert-uncased
  --variant fp32|quantized|fp16
  --device cpu|webgpu|cuda|dml|coreml   falls back to cpu when unavailable
  --offline                 never touch the network
  --cache-dir DIR           Hugging Face hub cache (default ~/.cache/huggingface/hub)
  --json                    machine-readable output
  --verbose                 log to stderr

Offsets in --json output are Unicode code points (Python's string indices).`;

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Raw chunks for --json output (streamed); without it, --json goes through `out` as one line. */
  write?: ChunkSink;
}


function specFrom(args: ParsedArgs): ModelSpec {
  return {
    model: stringOption(args, 'model'),
    variant: stringOption(args, 'variant') as Variant | undefined,
    device: stringOption(args, 'device') as Device | undefined,
    offline: args.options.offline === true,
    cacheDir: stringOption(args, 'cache-dir'),
    endpoint: stringOption(args, 'endpoint'),
    revision: stringOption(args, 'revision'),
  };
}

function textArg(args: ParsedArgs, i = 0): string {
  const t = args.positionals[i];
  if (t === undefined) {
    if (i === 0 && !process.stdin.isTTY) {
      try {
        return readStdin();
      } catch {
        /* no stdin */
      }
    }
    throw new UsageError(`${args.command} needs ${i === 0 ? 'a TEXT argument' : 'a second text'}.`);
  }
  return t;
}

/** All of stdin. A pipe may be non-blocking (readFileSync(0) then fails with EAGAIN on a large input): read in a
 *  loop and wait briefly while the writer has not caught up. */
function readStdin(): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 5);
        continue;
      }
      if (code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function spanArg(args: ParsedArgs): Offset | undefined {
  const s = stringOption(args, 'span');
  if (s === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(s);
  if (!m || Number(m[2]) <= Number(m[1])) throw new UsageError(`--span must be START:END with END > START (got ${s}).`);
  return [Number(m[1]), Number(m[2])];
}

/** Code-point offsets (input) → UTF-16 string indices. */
function cpToUtf16(text: string, o: Offset): Offset {
  const cps = Array.from(text);
  const at = (n: number) => cps.slice(0, n).join('').length;
  return [at(o[0]), at(o[1])];
}


export async function run(argv: string[], io: Io, client: EngineClient): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    io.err(`bert-lens: ${(e as Error).message}`);
    return 2;
  }
  if (!args.command || args.options.help) {
    io.out(USAGE);
    return args.command || args.options.help ? 0 : 2;
  }
  const json = args.options.json === true;
  const emit = async (obj: unknown, human: () => string) => (json ? emitJson(io, obj) : io.out(human()));
  const spec = specFrom(args);
  const dev = spec.device;
  if (dev && !['cpu', 'webgpu', 'cuda', 'dml', 'coreml'].includes(dev)) {
    io.err(`bert-lens: unknown device "${dev}". Use one of: cpu, webgpu, cuda, dml, coreml.`);
    return 2;
  }
  if (spec.variant && !['fp32', 'quantized', 'fp16'].includes(spec.variant)) {
    io.err(`bert-lens: unknown variant "${spec.variant}". Use fp32, quantized or fp16.`);
    return 2;
  }
  let lastFile = '';
  const onProgress = (p: { file?: string; loaded?: number; total?: number; waiting?: boolean; message?: string }) => {
    if (!p.file || json) return;
    if (p.waiting) {
      io.err(p.message ?? `waiting for another download of ${p.file}`);
      return;
    }
    if (p.file !== lastFile) {
      lastFile = p.file;
      io.err(`downloading ${p.file}${p.total ? ` (${(p.total / 1e6).toFixed(1)} MB)` : ''}`);
    }
  };
  try {
    // Load first, so that download progress and the provider note come before results.
    const needsModel = args.command !== 'models' && !(args.command in extraCommands);
    if (needsModel) {
      const summary = await client.loadModel(spec, { onProgress });
      if (summary.fallbackReason && !json) io.err(`note: ${summary.fallbackReason}`);
    }
    switch (args.command) {
      case 'tokenize': {
        const text = textArg(args);
        const pair = stringOption(args, 'pair');
        const r = await client.tokenize(spec, { text, pair });
        const [cpText, cpPair] = [codePointConverter(text), pair !== undefined ? codePointConverter(pair) : undefined];
        const offsets = r.offsets.map((o, i) => (cpPair && r.typeIds[i] === 1 ? cpPair(o) : cpText(o)));
        await emit({ tokens: r.tokens, ids: r.ids, offsets }, () => table(['#', 'token', 'id', 'offset', 'type'], r.tokens.map((t, i) => [i, t, r.ids[i], `${offsets[i][0]}:${offsets[i][1]}`, r.typeIds[i]])));
        return 0;
      }
      case 'fill-mask': {
        const text = textArg(args);
        const span = spanArg(args);
        const targets = stringOption(args, 'targets')?.split(',').map((s) => s.trim()).filter(Boolean);
        const r = await client.fillMask(spec, { text, topK: intOption(args, 'top-k', 5), targets, spans: span ? [cpToUtf16(text, span)] : undefined });
        const cp = codePointConverter(text);
        const masks = r.masks.map((m) => ({ position: m.position, offset: cp(m.offset), predictions: m.predictions, ...(m.targets ? { targets: m.targets } : {}) }));
        const spans = r.spans?.map((s) => ({ ...s, offset: cp(s.offset) }));
        await emit({ masks, ...(spans ? { spans } : {}) }, () =>
          [
            ...r.masks.map((m) => `mask at token ${m.position} (${r.tokens[m.position]}):\n` + table(['token', 'id', 'score', ''], m.predictions.map((p) => [p.token, p.id, p.score, bar(p.score)])) + (m.targets ? '\n' + table(['target', 'id', 'score'], m.targets.map((t) => [t.token, t.id, t.score])) : '')),
            ...(r.spans ?? []).map((s) => `whole words for "${s.original}" (${s.pieces.join(' ')}):\n` + table(['word', 'score'], s.candidates.map((c) => [c.word, c.score]))),
          ].join('\n\n'),
        );
        return 0;
      }
      case 'ner': {
        const text = textArg(args);
        const r = await client.tokenClassification(spec, { text, aggregation: stringOption(args, 'aggregation') as Aggregation | undefined });
        const cp = codePointConverter(text);
        const entities = r.entities.map((e) => {
          const [start, end] = cp([e.start, e.end]);
          return { label: e.label, start, end, text: e.text, score: e.score };
        });
        await emit({ entities }, () => (entities.length ? table(['label', 'start', 'end', 'text', 'score'], entities.map((e) => [e.label, e.start, e.end, e.text, e.score])) : 'no entities'));
        return 0;
      }
      case 'qa': {
        const context = textArg(args);
        const question = stringOption(args, 'question');
        if (!question) throw new UsageError('qa needs --question "…" and the context as TEXT.');
        const r = await client.questionAnswering(spec, { question, context, topK: intOption(args, 'top-k', 1) });
        const cp = codePointConverter(context);
        const answers = r.answers.map((a) => {
          const [start, end] = cp([a.start, a.end]);
          return { text: a.text, start, end, score: a.score };
        });
        await emit({ answers }, () => table(['answer', 'start', 'end', 'score'], answers.map((a) => [a.text, a.start, a.end, a.score])));
        return 0;
      }
      case 'classify': {
        const r = await client.classify(spec, { text: textArg(args), pair: stringOption(args, 'pair') });
        await emit({ labels: r.labels }, () => table(['label', 'score', ''], r.labels.map((l) => [l.label, l.score, bar(l.score)])));
        return 0;
      }
      case 'nsp': {
        const r = await client.nextSentence(spec, { a: textArg(args, 0), b: textArg(args, 1) });
        await emit({ is_next: r.is_next }, () => `P(B follows A) = ${fmt(r.is_next)}  ${bar(r.is_next)}`);
        return 0;
      }
      case 'rtd': {
        const r = await client.replacedTokens(spec, { text: textArg(args) });
        await emit({ tokens: r.tokens, replaced: r.replaced }, () => table(['token', 'P(replaced)', ''], r.tokens.map((t, i) => [t, r.replaced[i], bar(r.replaced[i])])));
        return 0;
      }
      case 'embed': {
        const pooling = (stringOption(args, 'pooling') ?? 'none') as Pooling;
        const r = await client.embed(spec, { text: textArg(args), layer: intOption(args, 'layer', -1), pooling });
        if (pooling === 'none') {
          await emit({ tokens: r.tokens, vectors: r.vectors }, () => table(['token', 'norm', 'first values'], r.tokens.map((t, i) => [t, Math.hypot(...r.vectors![i]), r.vectors![i].slice(0, 4).map(fmt).join(' ') + ' …'])));
        } else {
          await emit({ tokens: r.tokens, pooled: r.pooled, layer: r.layer }, () => `${pooling} pooling, layer ${r.layer}, ${r.pooled!.length} dims: ${r.pooled!.slice(0, 8).map(fmt).join(' ')} …`);
        }
        return 0;
      }
      case 'similarity': {
        const text = textArg(args);
        const span = spanArg(args);
        if (!span) throw new UsageError('similarity needs --span START:END (the word to compare).');
        const r = await client.similarity(spec, { text, span: cpToUtf16(text, span), layer: intOption(args, 'layer', -1) });
        const cp = codePointConverter(text);
        const occurrences = r.occurrences.map((o) => ({ ...o, ...Object.fromEntries(['start', 'end'].map((k, i) => [k, cp([o.start, o.end])[i]])) }));
        await emit({ word: r.word, layer: r.layer, pieces: r.pieces, ids: r.ids, norm: r.norm, occurrences }, () => `"${r.word}" = ${r.pieces.join(' ')} (layer ${r.layer}, norm ${fmt(r.norm)})\n` + (occurrences.length ? table(['start', 'end', 'cosine'], occurrences.map((o) => [o.start, o.end, o.similarity])) : 'no other occurrence in the text'));
        return 0;
      }
      case 'attention': {
        const format = stringOption(args, 'format');
        if (format !== undefined && format !== 'json' && format !== 'npy') throw new UsageError(`--format must be npy (or json), not "${format}".`);
        if (format === 'npy') {
          const output = stringOption(args, 'output');
          if (!output) throw new UsageError('--format npy needs --output FILE.npy (the tensor is binary).');
          if (fs.existsSync(output)) throw new UsageError(`${output} already exists; choose another --output (bert-lens never replaces a file).`);
          const t = await client.attentionTensors(spec, { text: textArg(args), pair: stringOption(args, 'pair') });
          const shape = [t.layers, t.heads, t.n, t.n];
          writeNewFile(output, npyBytes(t.attentions, shape));
          emit({ file: output, dtype: 'float32', shape, axes: ['layer', 'head', 'from', 'to'], tokens: t.tokens }, () => `wrote ${output}: float32 [${shape.join(', ')}] (layer, head, from, to) for ${t.n} tokens: ${t.tokens.join(' ')}`);
          return 0;
        }
        const t = await client.attentionTensors(spec, { text: textArg(args), pair: stringOption(args, 'pair') });
        if (json && io.write) {
          // Streamed straight from the float32 tensor (row views, the same text as the nested arrays).
          await emitJson(io, { tokens: t.tokens, attentions: attentionRows(t) });
          return 0;
        }
        const r = nestAttention(t);
        await emit({ tokens: r.tokens, attentions: r.attentions }, () => {
          const n = r.tokens.length;
          const lines = [`${r.attentions.length} layers × ${r.attentions[0].length} heads, ${n} tokens. Rollout (row attends to column):`];
          const w = Math.min(8, r.tokens.reduce((m, t) => Math.max(m, t.length), 0));
          for (let i = 0; i < n; i++) lines.push(`${r.tokens[i].slice(0, w).padStart(w)} ${r.rollout[i].map(heat).join('')}`);
          return lines.join('\n');
        });
        return 0;
      }
      case 'saliency': {
        const question = stringOption(args, 'question');
        const context = question !== undefined ? textArg(args) : undefined;
        const text = question ?? textArg(args);
        const method = stringOption(args, 'method') as SaliencyMethod | undefined;
        if (method !== undefined && !['grad-l2', 'grad-input', 'integrated-gradients'].includes(method)) throw new UsageError(`unknown --method "${method}". Use grad-l2, grad-input or integrated-gradients.`);
        const target = stringOption(args, 'target');
        const label = stringOption(args, 'label');
        if (target !== undefined && label !== undefined) throw new UsageError('give --target WORD (masked LM) or --label LABEL (classifiers), not both.');
        const r = await client.saliency(spec, {
          text,
          pair: context ?? stringOption(args, 'pair'),
          method,
          steps: args.options.steps !== undefined ? intOption(args, 'steps', 16) : undefined,
          target,
          label,
          position: args.options.position !== undefined ? intOption(args, 'position', 0) : undefined,
        });
        const second = context ?? stringOption(args, 'pair');
        const [cpText, cpSecond] = [codePointConverter(text), second !== undefined ? codePointConverter(second) : undefined];
        const offsets = r.offsets.map((o, i) => (r.sequenceIds[i] === 1 && cpSecond ? cpSecond(o) : cpText(o)));
        await emit({ tokens: r.tokens, method: r.method, target: r.target, logprob: r.logprob, scores: r.scores, offsets, variant: r.variant, ...(r.steps ? { steps: r.steps } : {}), ...(r.window ? { window: r.window } : {}) }, () => {
          const t = r.target;
          const what = 'token' in t ? `"${t.token}" at token ${t.position}` : `label ${t.label}${t.position !== undefined ? ` at token ${t.position}` : ''}`;
          const max = r.scores.reduce((a, x) => Math.max(a, Math.abs(x)), 1e-12);
          const lines = [
            `${r.method}${r.steps ? ` (${r.steps} steps)` : ''} saliency of ${what}, log p = ${fmt(r.logprob)} — computed on the fp32 graph`,
            ...(r.window ? [`the text is long: this explains tokens ${r.window.start}–${r.window.end - 1} of ${r.window.totalTokens}, the window that contains the target`] : []),
            table(['#', 'token', 'score', ''], r.tokens.map((tok, i) => [i, tok, r.scores[i], `${r.scores[i] < 0 ? '-' : '+'}${bar(Math.abs(r.scores[i]) / max)}`])),
          ];
          return lines.join('\n');
        });
        return 0;
      }
      case 'mask-preview': {
        const text = textArg(args);
        const r = await client.maskPreview(spec, { text, seed: intOption(args, 'seed', 0), topK: intOption(args, 'top-k', 5) });
        const chosen = r.chosen.map((c) => ({ position: c.position, original: c.original, replacement: c.replacement, kind: c.kind }));
        const predictions = r.predictions.map((p) => ({ position: p.position, predictions: p.predictions, original: p.original }));
        emit({ tokens: r.tokens, corrupted: r.corrupted, seed: r.seed, chosen, predictions }, () =>
          `seed ${r.seed}: ${chosen.length} of ${r.tokens.length} tokens chosen (80 % ${r.maskToken}, 10 % random, 10 % kept)\n` +
          table(['pos', 'original', 'kind', 'model reads', 'top prediction', 'p', 'original p (rank)'], r.predictions.map((p, k) => [p.position, chosen[k].original, chosen[k].kind, chosen[k].replacement, p.predictions[0].token, fmt(p.predictions[0].score), `${fmt(p.original.score)} (${p.original.rank})`])));
        return 0;
      }
      case 'input-embeddings': {
        const r = await client.inputEmbeddings(spec, { text: textArg(args), pair: stringOption(args, 'pair') });
        emit(r, () => {
          const head = table(['#', 'token', 'seg', '|token|', '|position|', '|segment|', '|sum|', 'cos tok', 'cos pos', 'cos seg', '|output|'], r.rows.map((x) => [x.position, x.token, x.segment, x.token_norm, x.position_norm, x.segment_norm, x.sum_norm, x.cos_token, x.cos_position, x.cos_segment, x.output_norm]));
          return r.note ? `${head}\nnote: ${r.note}` : head;
        });
        return 0;
      }
      case 'models': {
        const r = await client.listModels(spec);
        await emit({ models: r.models.map((m) => ({ id: m.id, path: m.path, variants: m.variants })) }, () => table(['id', 'variants', 'path'], r.models.map((m) => [m.id, m.variants.join(','), m.path])));
        return 0;
      }
      case 'info': {
        const s = await client.loadModel(spec);
        await emit(s, () => table(['field', 'value'], Object.entries(s).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])));
        return 0;
      }
      default: {
        const extra = extraCommands[args.command];
        if (extra) return await extra.run(args, io, client);
        io.err(`bert-lens: unknown command "${args.command}". Run bert-lens --help for the list.`);
        return 2;
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`bert-lens: ${e.message}`);
      return 2;
    }
    if (e instanceof EngineError) {
      if (json) io.err(JSON.stringify({ error: e.toJSON() }));
      io.err(`bert-lens: ${formatError(e)}`);
      return 1;
    }
    io.err(`bert-lens: unexpected error: ${(e as Error).message ?? e}`);
    return 1;
  }
}

/** Entry from bin/bert-lens.js (and `node dist/cli.js`). */
export function main(): void {
  // A reader that stops early (`| head`) closes the pipe: end quietly instead of an unhandled EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') console.error(`bert-lens: cannot write the output: ${err.message}`);
    process.exit(err.code === 'EPIPE' ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : 1);
  });
  const client = new EngineClient({
    logger: process.argv.includes('--verbose')
      ? { info: (m) => console.error(m), warn: (m) => console.error(m), error: (m) => console.error(m) }
      : { info() {}, warn() {}, error() {} },
  });
  run(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l), write: streamSink(process.stdout) }, client)
    .then(async (code) => {
      await client.dispose();
      process.exitCode = code;
    });
}

if (require.main === module) main();
