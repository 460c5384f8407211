// The CLI's JSON shapes (external checks rely on them) with real values.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, fixture, readJson } from '../helpers';

function json(args: string[]): any {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'bert-lens.js'), args[0], '--json', ...args.slice(1)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('tokenize: tokens, ids and offsets as the tokenizer produces them (code points)', () => {
  const vectors = readJson(`${fixture('tokenizer-vectors.json')}`);
  for (const [fam, dir] of [
    ['bert', 'bert-mlm'],
    ['roberta', 'roberta-mlm'],
    ['albert', 'albert-mlm'],
  ]) {
    for (const c of vectors[fam].filter((v: any) => v.text.trim())) {
      const r = json(['tokenize', '--model', fixture(dir), '--', c.text]);
      assert.deepEqual(Object.keys(r), ['tokens', 'ids', 'offsets']);
      assert.deepEqual(r.tokens, c.tokens, `${fam}: ${c.text}`);
      assert.deepEqual(r.ids, c.ids);
      assert.deepEqual(r.offsets, c.offsets, `${fam} offsets: ${c.text}`);
    }
  }
});

test('fill-mask --json', () => {
  const r = json(['fill-mask', '--top-k', '3', 'python is a programming [MASK].']);
  assert.equal(r.masks.length, 1);
  assert.equal(r.masks[0].position, 5);
  assert.deepEqual(
    r.masks[0].predictions.map((p: any) => p.token),
    ['language', 'version', 'feature'],
  );
  assert.deepEqual(Object.keys(r.masks[0].predictions[0]), ['token', 'id', 'score']);
  assert.ok(Math.abs(r.masks[0].predictions[0].score - 0.7993) < 1e-3);
});

test('attention --json: [layer][head][from][to]', () => {
  const r = json(['attention', 'a list is a sequence.']);
  assert.equal(r.tokens.length, 8);
  assert.equal(r.attentions.length, 4);
  assert.equal(r.attentions[0].length, 4);
  assert.equal(r.attentions[0][0].length, 8);
  for (const row of r.attentions[3][2]) assert.ok(Math.abs(row.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-5);
});

test('embed --layer: L = -1 is the last layer, 0 the embeddings output', () => {
  const c = readJson(`${fixture('bert-feature')}/reference.json`).cases[0];
  const last = json(['embed', '--model', fixture('bert-feature'), '--layer', '-1', c.text]);
  assert.deepEqual(last.tokens, c.tokens);
  assert.ok(Math.abs(last.vectors[1][3] - c.outputs.last_hidden_state.data[16 + 3]) < 1e-4);
  const zero = json(['embed', '--model', fixture('bert-feature'), '--layer', '0', c.text]);
  assert.ok(Math.abs(zero.vectors[2][5] - c.hidden_states[0].data[32 + 5]) < 1e-4);
});

test('ner, qa, classify, nsp, rtd --json', () => {
  const ner = json(['ner', '--model', fixture('bert-ner'), 'my name is wolfgang and i live in berlin.']);
  for (const e of ner.entities) {
    assert.deepEqual(Object.keys(e), ['label', 'start', 'end', 'text', 'score']);
    assert.equal(e.text, 'my name is wolfgang and i live in berlin.'.slice(e.start, e.end));
  }
  const qa = json([
    'qa',
    '--model',
    fixture('bert-qa'),
    '--question',
    'who likes playing?',
    'my dog is cute. he likes playing in the park.',
  ]);
  assert.equal(qa.answers.length, 1);
  assert.equal(
    qa.answers[0].text,
    'my dog is cute. he likes playing in the park.'.slice(qa.answers[0].start, qa.answers[0].end),
  );
  const cls = json(['classify', '--model', fixture('bert-nli'), '--pair', 'he likes playing.', 'my dog is cute.']);
  assert.deepEqual(cls.labels.map((l: any) => l.label).sort(), ['contradiction', 'entailment', 'neutral']);
  assert.ok(Math.abs(cls.labels.reduce((s: number, l: any) => s + l.score, 0) - 1) < 1e-6);
  const nsp = json(['nsp', '--model', fixture('bert-pretraining'), 'my dog is cute.', 'he likes playing.']);
  const ref = readJson(`${fixture('bert-pretraining')}/reference.json`).cases[0].outputs.seq_relationship_logits.data;
  assert.ok(Math.abs(nsp.is_next - 1 / (1 + Math.exp(ref[1] - ref[0]))) < 1e-4);
  const rtd = json(['rtd', '--model', fixture('electra-discriminator'), 'the chef cooked the meal.']);
  assert.equal(rtd.tokens.length, rtd.replaced.length);
});

test('models lists the embedded model with its variants', () => {
  const r = json(['models', '--cache-dir', path.join(ROOT, 'test', 'fixtures', 'no-cache-here')]);
  assert.equal(r.models[0].id, 'embedded/mini-bert-uncased');
  assert.deepEqual(r.models[0].variants, ['fp32', 'quantized']);
  assert.deepEqual(Object.keys(r.models[0]), ['id', 'path', 'variants']);
});

test('offsets in --json are code points when the text has astral characters', () => {
  const text = '😀 python is a programming [MASK].';
  const r = json(['fill-mask', text]);
  assert.deepEqual(r.masks[0].offset, [Array.from(text).indexOf('['), Array.from(text).indexOf('.')]);
});
