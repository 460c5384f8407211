#!/usr/bin/env node
// Writes a random-weight BERT-base-sized masked-LM export in hub layout (12 layers, hidden 768, 12 heads,
// intermediate 3072, vocabulary 30522, opset 14) for benchmarks at BERT-base scale, offline, with Node only:
//
//   node scripts/make-bert-base.mjs [--out .bench/bert-base] [--seed 1] [--feature-extraction]
//
// `--feature-extraction` writes the encoder alone (a BertModel export: output `last_hidden_state`, no masked-LM
// head; default folder .bench/bert-base-fe), the floor for embeddings throughput.
//
// The graph is the embedded model's own (models/mini-bert-uncased/onnx/model.onnx, same nodes and names, same
// opset-14 decomposition), scaled: every initializer gets the BERT-base size (256 → 768, 1024 → 3072,
// 8192 → 30522) and the last encoder layer's nodes are repeated, renamed, for layers 4 … 11. The head size stays
// 64, which the graph's reshapes already encode (they reshape to [batch, seq, -1, 64]). Weights are uniform with
// the standard deviation BERT is initialised with (0.02), LayerNorm scales 1 and biases 0, from a seeded PRNG, so
// two runs write the same bytes. The tokenizer is the embedded one with its vocabulary padded by [unusedN] tokens
// to 30522 entries, so that every id the head can predict has a token.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: node scripts/make-bert-base.mjs [--out .bench/bert-base] [--seed 1] [--feature-extraction]');
  process.exit(0);
}
const encoderOnly = args.includes('--feature-extraction');
const outDir = path.resolve(opt('--out', path.join(root, '.bench', encoderOnly ? 'bert-base-fe' : 'bert-base')));
const seed = Number(opt('--seed', '1')) >>> 0 || 1;
const srcDir = path.join(root, 'models', 'mini-bert-uncased');

const SRC = { layers: 4, hidden: 256, heads: 4, inter: 1024, vocab: 8192 };
const DST = { layers: 12, hidden: 768, heads: 12, inter: 3072, vocab: 30522 };
const DIM_MAP = new Map([
  [SRC.hidden, DST.hidden],
  [SRC.inter, DST.inter],
  [SRC.vocab, DST.vocab],
]);

// --- minimal protobuf -------------------------------------------------------------------------------------------
function readVarint(b, p) {
  let r = 0;
  let mul = 1;
  for (;;) {
    const x = b[p++];
    r += (x & 0x7f) * mul;
    if ((x & 0x80) === 0) return [r, p];
    mul *= 128;
  }
}
function fields(b, start = 0, end = b.length) {
  const out = [];
  let p = start;
  while (p < end) {
    const s = p;
    const [tag, p1] = readVarint(b, p);
    p = p1;
    const no = Math.floor(tag / 8);
    const wt = tag & 7;
    let vs = p;
    let value;
    if (wt === 0) [value, p] = readVarint(b, p);
    else if (wt === 1) p += 8;
    else if (wt === 5) p += 4;
    else if (wt === 2) {
      const [len, p2] = readVarint(b, p);
      vs = p2;
      p = p2 + len;
    } else throw new Error(`wire type ${wt}`);
    out.push({ no, wt, start: s, end: p, vs, ve: p, value });
  }
  return out;
}
function varint(n) {
  const out = [];
  let v = n;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
const tag = (no, wt) => varint(no * 8 + wt);
const lenHeader = (no, len) => Buffer.concat([tag(no, 2), varint(len)]);
const lenField = (no, payload) => Buffer.concat([lenHeader(no, payload.length), payload]);
const strField = (no, s) => lenField(no, Buffer.from(s, 'utf8'));
const intField = (no, v) => Buffer.concat([tag(no, 0), varint(v)]);
const str = (b, f) => b.toString('utf8', f.vs, f.ve);

// --- read the source graph --------------------------------------------------------------------------------------
const src = fs.readFileSync(path.join(srcDir, 'onnx', 'model.onnx'));
const top = fields(src);
const graphField = top.find((f) => f.no === 7);
const gFields = fields(src, graphField.vs, graphField.ve);

function parseNode(f) {
  const n = { inputs: [], outputs: [], name: '', rest: [] };
  for (const nf of fields(src, f.vs, f.ve)) {
    if (nf.no === 1) n.inputs.push(str(src, nf));
    else if (nf.no === 2) n.outputs.push(str(src, nf));
    else if (nf.no === 3) n.name = str(src, nf);
    else n.rest.push(src.subarray(nf.start, nf.end));
  }
  return n;
}
function encodeNode(n) {
  return lenField(
    1,
    Buffer.concat([
      ...n.inputs.map((s) => strField(1, s)),
      ...n.outputs.map((s) => strField(2, s)),
      strField(3, n.name),
      ...n.rest,
    ]),
  );
}
function parseInitializer(f) {
  const t = { dims: [], name: '', dataType: 1 };
  for (const tf of fields(src, f.vs, f.ve)) {
    if (tf.no === 1) {
      if (tf.wt === 0) t.dims.push(tf.value);
      else
        for (let p = tf.vs; p < tf.ve;) {
          const [v, q] = readVarint(src, p);
          t.dims.push(v);
          p = q;
        }
    } else if (tf.no === 2) t.dataType = tf.value;
    else if (tf.no === 8) t.name = str(src, tf);
  }
  if (t.dataType !== 1) throw new Error(`initializer ${t.name} is not float32`);
  return t;
}

const nodes = [];
const inits = [];
const others = []; // graph fields kept as they are (name, inputs), in order after nodes/initializers
let outputs = [];
for (const f of gFields) {
  if (f.no === 1) nodes.push(parseNode(f));
  else if (f.no === 5) inits.push(parseInitializer(f));
  else if (f.no === 12)
    outputs.push(
      str(
        src,
        fields(src, f.vs, f.ve).find((x) => x.no === 1),
      ),
    );
  else others.push(src.subarray(f.start, f.end));
}

// --- repeat the last layer --------------------------------------------------------------------------------------
const last = SRC.layers - 1;
const layerOf = (n) => /\/layer\.(\d+)\//.exec(n.name)?.[1];
const lastIdx = nodes.map((n, i) => (layerOf(n) === String(last) ? i : -1)).filter((i) => i >= 0);
const template = lastIdx.map((i) => nodes[i]);
const initByName = new Map(inits.map((t) => [t.name, t]));
const lastOut = `/m/bert/encoder/layer.${last}/output/LayerNorm/Add_1_output_0`;
if (!template.some((n) => n.outputs.includes(lastOut)))
  throw new Error('unexpected graph: last layer output not found');
const newNodes = [];
const newInits = [];
for (let k = SRC.layers; k < DST.layers; k++) {
  const rename = (s) => {
    if (initByName.has(s)) {
      if (s.startsWith(`m.bert.encoder.layer.${last}.`)) return s.replace(`layer.${last}.`, `layer.${k}.`);
      return `${s}_layer${k}`;
    }
    return s.replace(`/layer.${last}/`, `/layer.${k}/`).replace(`/layer.${last - 1}/`, `/layer.${k - 1}/`);
  };
  for (const n of template) {
    for (const i of n.inputs) if (initByName.has(i)) newInits.push({ ...initByName.get(i), name: rename(i) });
    newNodes.push({ ...n, name: rename(n.name), inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) });
  }
}
const finalOut = `/m/bert/encoder/layer.${DST.layers - 1}/output/LayerNorm/Add_1_output_0`;
const after = nodes
  .slice(lastIdx[lastIdx.length - 1] + 1)
  .map((n) => ({ ...n, inputs: n.inputs.map((s) => (s === lastOut ? finalOut : s)) }));
const HIDDEN_OUT = 'last_hidden_state';
const allNodes = [
  ...nodes.slice(0, lastIdx[lastIdx.length - 1] + 1),
  ...newNodes,
  ...(encoderOnly
    ? [{ inputs: [finalOut], outputs: [HIDDEN_OUT], name: '/Identity_last', rest: [strField(4, 'Identity')] }]
    : after),
];
const used = new Set(allNodes.flatMap((n) => n.inputs));
const allInits = [...inits, ...newInits]
  .filter((t) => !encoderOnly || used.has(t.name))
  .map((t) => ({ ...t, dims: t.dims.map((d) => DIM_MAP.get(d) ?? d) }));

// --- weights ----------------------------------------------------------------------------------------------------
let state = seed;
function fill(t, out) {
  if (/LayerNorm\.weight$/.test(t.name)) return out.fill(1);
  if (/bias/.test(t.name)) return out.fill(0);
  const a = 0.02 * Math.sqrt(3); // uniform with standard deviation 0.02
  for (let i = 0; i < out.length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = ((state / 4294967296) * 2 - 1) * a;
  }
  return out;
}
const count = (t) => t.dims.reduce((a, b) => a * b, 1);
function initHeader(t) {
  // TensorProto: dims (1), data_type (2), name (8), raw_data (9) — the raw bytes follow this header.
  const head = Buffer.concat([...t.dims.map((d) => intField(1, d)), intField(2, 1), strField(8, t.name)]);
  const raw = count(t) * 4;
  const body = head.length + tag(9, 2).length + varint(raw).length + raw;
  return {
    prefix: Buffer.concat([lenHeader(5, body), head, tag(9, 2), varint(raw)]),
    raw,
    total: lenHeader(5, body).length + body,
  };
}

// Graph output: logits [batch_size, sequence_length, vocab].
const dimParam = (s) => lenField(1, strField(2, s));
const outputInfo = lenField(
  12,
  Buffer.concat([
    strField(1, encoderOnly ? HIDDEN_OUT : outputs[0]),
    lenField(
      2,
      lenField(
        1,
        Buffer.concat([
          intField(1, 1),
          lenField(
            2,
            Buffer.concat([
              dimParam('batch_size'),
              dimParam('sequence_length'),
              lenField(1, intField(1, encoderOnly ? DST.hidden : DST.vocab)),
            ]),
          ),
        ]),
      ),
    ),
  ]),
);
if (outputs.length !== 1) throw new Error('expected one graph output (logits)');

const nodeBytes = Buffer.concat(allNodes.map(encodeNode));
const headers = allInits.map(initHeader);
const graphLen =
  nodeBytes.length +
  headers.reduce((s, h) => s + h.total, 0) +
  others.reduce((s, b) => s + b.length, 0) +
  outputInfo.length;

fs.mkdirSync(path.join(outDir, 'onnx'), { recursive: true });
const file = path.join(outDir, 'onnx', 'model.onnx');
const fd = fs.openSync(`${file}.tmp`, 'w');
for (const f of top) if (f.no !== 7) fs.writeSync(fd, src.subarray(f.start, f.end)); // ir_version, producer, opsets
fs.writeSync(fd, lenHeader(7, graphLen));
fs.writeSync(fd, nodeBytes);
let params = 0;
for (let i = 0; i < allInits.length; i++) {
  fs.writeSync(fd, headers[i].prefix);
  const data = fill(allInits[i], new Float32Array(count(allInits[i])));
  params += data.length;
  fs.writeSync(fd, new Uint8Array(data.buffer));
}
for (const b of others) fs.writeSync(fd, b);
fs.writeSync(fd, outputInfo);
fs.closeSync(fd);
fs.renameSync(`${file}.tmp`, file);

// --- config and tokenizer ---------------------------------------------------------------------------------------
const config = JSON.parse(fs.readFileSync(path.join(srcDir, 'config.json'), 'utf8'));
Object.assign(config, {
  hidden_size: DST.hidden,
  num_attention_heads: DST.heads,
  num_hidden_layers: DST.layers,
  intermediate_size: DST.inter,
  vocab_size: DST.vocab,
  ...(encoderOnly ? { architectures: ['BertModel'] } : {}),
  _name_or_path: 'bert-lens/random-bert-base (random weights, for benchmarks only)',
});
fs.writeFileSync(path.join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
fs.copyFileSync(path.join(srcDir, 'tokenizer_config.json'), path.join(outDir, 'tokenizer_config.json'));
const tok = JSON.parse(fs.readFileSync(path.join(srcDir, 'tokenizer.json'), 'utf8'));
const vocab = fs
  .readFileSync(path.join(srcDir, 'vocab.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
for (let i = vocab.length, u = 0; i < DST.vocab; i++, u++) {
  const t = `[unused${u}]`;
  vocab.push(t);
  tok.model.vocab[t] = i;
}
fs.writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(tok));
fs.writeFileSync(path.join(outDir, 'vocab.txt'), `${vocab.join('\n')}\n`);
fs.writeFileSync(
  path.join(outDir, 'README.md'),
  `# random BERT-base (benchmark only)\n\nWritten by \`node scripts/make-bert-base.mjs\` (seed ${seed}): the embedded model's graph scaled to BERT-base sizes with random weights. Its predictions mean nothing; it exists to measure memory and speed at BERT-base scale.\n`,
);
console.log(
  `wrote ${path.relative(process.cwd(), file) || file}: ${allNodes.length} nodes, ${allInits.length} initializers, ${(params / 1e6).toFixed(1)} M parameters, ${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB`,
);
