// The saliency task through the worker (and the CLI): the three methods against PyTorch references on every
// fixture that has them, the target chosen as the issue defines it, one-line errors for bad input, cancellation.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { SaliencyMethod } from '../../src/engine/api';
import { EngineClient } from '../../src/engine/client';
import { CancelledError } from '../../src/engine/errors';
import { EMBEDDED, FIXTURES, ROOT, WORKER, fixture, readJson } from '../helpers';

const client = new EngineClient({ workerPath: WORKER });
after(() => client.dispose());

const withSaliency = fs
  .readdirSync(FIXTURES)
  .filter(
    (n) => fs.existsSync(`${FIXTURES}/${n}/gradients.json`) && readJson(`${FIXTURES}/${n}/gradients.json`).saliency,
  )
  .sort();

const close = (got: number[], want: number[], what: string) => {
  assert.equal(got.length, want.length, `${what}: length`);
  got.forEach((v, i) =>
    assert.ok(Math.abs(v - want[i]) <= 1e-4 + 1e-3 * Math.abs(want[i]), `${what}[${i}]: ${v} vs ${want[i]}`),
  );
};

test('the saliency fixtures are the masked-LM and sequence-classification ones', () => {
  assert.deepEqual(withSaliency, [
    'albert-mlm',
    'bert-mlm',
    'bert-nli',
    'bert-pretraining',
    'distilbert-mlm',
    'electra-generator',
    'roberta-mlm',
  ]);
});

for (const name of withSaliency) {
  describe(`saliency task: ${name}`, () => {
    const ref = readJson(`${fixture(name)}/gradients.json`);
    const sal = ref.saliency;
    const expected: Record<SaliencyMethod, number[]> = {
      'grad-l2': sal.grad_l2,
      'grad-input': sal.grad_input,
      'integrated-gradients': sal.integrated_gradients.values,
    };
    for (const method of Object.keys(expected) as SaliencyMethod[]) {
      test(method, async () => {
        // bert-pretraining's text has no mask: its reference explains position 1.
        const position = ref.loss.kind === 'masked-lm' && !/\[MASK\]|<mask>/.test(ref.text) ? sal.position : undefined;
        const r = await client.saliency(
          { model: fixture(name) },
          { text: ref.text, pair: ref.text_pair ?? undefined, method, position },
        );
        assert.equal(r.tokens.length, ref.input_ids.length);
        assert.equal(r.method, method);
        assert.equal(r.variant, 'fp32');
        if (ref.loss.kind === 'sequence-classification') {
          assert.deepEqual(r.target, {
            label: readJson(`${fixture(name)}/config.json`).id2label[String(sal.target_id)],
            index: sal.target_id,
          });
        } else {
          assert.equal((r.target as any).position, sal.position);
          assert.equal((r.target as any).id, sal.target_id);
        }
        assert.ok(
          Math.abs(r.logprob - sal.logprob) <= 1e-4 + 1e-3 * Math.abs(sal.logprob),
          `logprob ${r.logprob} vs ${sal.logprob}`,
        );
        close(r.scores, expected[method], method);
        if (method === 'integrated-gradients') assert.equal(r.steps, 16);
      });
    }
  });
}

describe('saliency task: targets, heads and bad input', () => {
  const code = (c: string, msg?: RegExp) => (err: any) => {
    assert.equal(err.code, c, err.message);
    if (msg) assert.match(`${err.message} ${err.hint ?? ''}`, msg);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  };

  test('--target WORD explains that word; a word of several pieces is refused with its pieces', async () => {
    const r = await client.saliency({}, { text: 'the capital of france is [MASK].', target: 'paris' });
    assert.equal((r.target as any).token, 'paris');
    assert.equal((r.target as any).position, 6);
    const top = await client.saliency({}, { text: 'the capital of france is [MASK].' });
    assert.ok(r.logprob < top.logprob, 'a target other than the top-1 is less likely');
    await assert.rejects(
      client.saliency({}, { text: 'the capital of france is [MASK].', target: 'xylophonist' }),
      code('saliency-target', /not a single vocabulary piece .*\(it is x ##yl ##oph ##on ##ist\)/),
    );
  });

  test('spans mask pieces as fill-mask does: the same scores as a [MASK] in the text', async () => {
    const text = 'python is a programming language.';
    const bySpan = await client.saliency({}, { text, spans: [[24, 32]] });
    const byMask = await client.saliency({}, { text: 'python is a programming [MASK].' });
    assert.deepEqual(bySpan.target, byMask.target);
    close(bySpan.scores, byMask.scores, 'scores');
    assert.deepEqual(bySpan.offsets[5], [24, 32], 'offsets stay those of the text');
  });

  test('no mask, empty text, a position outside the text, an unknown label', async () => {
    await assert.rejects(client.saliency({}, { text: 'no mask here.' }), code('no-mask', /\[MASK\]/));
    await assert.rejects(client.saliency({}, { text: '   ' }), code('empty-text'));
    await assert.rejects(client.saliency({}, { text: 'a [MASK].', position: 40 }), code('bad-position'));
    await assert.rejects(
      client.saliency({ model: fixture('bert-nli') }, { text: 'a b', pair: 'c', label: 'maybe' }),
      code('saliency-label', /entailment/),
    );
  });

  test('a head without saliency is refused', async () => {
    await assert.rejects(
      client.saliency({ model: fixture('bert-feature') }, { text: 'open a bank account' }),
      code('unsupported-head', /feature-extraction/),
    );
  });

  test('other heads: token classification, QA start, ELECTRA replaced token', async () => {
    const ner = await client.saliency(
      { model: fixture('bert-ner') },
      { text: 'my name is wolfgang and i live in berlin.', position: 4 },
    );
    assert.equal((ner.target as any).position, 4);
    assert.equal(ner.scores.length, 12);
    assert.ok(ner.scores.every((s) => Number.isFinite(s) && s >= 0));
    const qa = await client.saliency(
      { model: fixture('bert-qa') },
      { text: 'who likes playing?', pair: 'my dog is cute. he likes playing in the park.' },
    );
    assert.equal((qa.target as any).label, 'answer start');
    assert.equal(qa.sequenceIds[(qa.target as any).position], 1, 'the answer starts in the context');
    const rtd = await client.saliency(
      { model: fixture('electra-discriminator') },
      { text: 'the chef cooked the meal.', position: 3, method: 'grad-input' },
    );
    assert.deepEqual(rtd.target, { position: 3, id: 12984, token: 'cooked' });
    assert.ok(rtd.logprob < 0);
  });

  test('QA on a long context explains the window that holds the predicted answer start', async () => {
    const spec = { model: fixture('bert-qa'), maxLength: 24 };
    const question = 'who likes playing?';
    const context =
      'the sun rose over the hills and the farmers went out to the fields. the river was quiet and the birds sang in the trees. my dog is cute. he likes playing in the park with the other dogs every morning.';
    const [answer] = (await client.questionAnswering(spec, { question, context })).answers;
    const r = await client.saliency(spec, { text: question, pair: context, method: 'grad-input' });
    const whole = await client.tokenize(spec, { text: context });
    const contextTokens = whole.tokens.filter((_, i) => !whole.specialTokensMask[i]).length;
    const inWindow = r.offsets.filter((_, i) => r.sequenceIds[i] === 1 && r.tokens[i] !== '[SEP]');
    // Not the first window: the answer of this (random tiny) model lies near the end of the context.
    assert.deepEqual(r.window, {
      start: contextTokens - inWindow.length,
      end: contextTokens,
      totalTokens: contextTokens,
    });
    assert.ok(r.window!.start > 0);
    const start = (r.target as any).position;
    assert.equal(r.sequenceIds[start], 1);
    assert.equal(r.offsets[start][0], answer.start, `target ${r.tokens[start]} is the answer "${answer.text}"`);
    // The same scores as saliency on that window's text alone.
    const from = inWindow[0][0];
    const alone = await client.saliency(spec, {
      text: question,
      pair: context.slice(from, inWindow[inWindow.length - 1][1]),
      method: 'grad-input',
    });
    assert.equal(alone.window, undefined);
    assert.deepEqual(alone.tokens, r.tokens);
    assert.equal((alone.target as any).position, start);
    assert.deepEqual(
      alone.offsets.map((o, i) =>
        alone.sequenceIds[i] === 1 && alone.tokens[i] !== '[SEP]' ? [o[0] + from, o[1] + from] : o,
      ),
      r.offsets,
    );
    close(r.scores, alone.scores, 'window scores');
    assert.ok(Math.abs(r.logprob - alone.logprob) <= 1e-5);
  });

  test('an int8-only model: one clear line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-int8-'));
    try {
      fs.mkdirSync(path.join(dir, 'onnx'));
      for (const f of fs.readdirSync(EMBEDDED))
        if (f !== 'onnx') fs.symlinkSync(path.join(EMBEDDED, f), path.join(dir, f));
      fs.symlinkSync(
        path.join(EMBEDDED, 'onnx', 'model_quantized.onnx'),
        path.join(dir, 'onnx', 'model_quantized.onnx'),
      );
      await assert.rejects(
        client.saliency({ model: dir }, { text: 'a [MASK].' }),
        code('grad-int8', /^Gradients need the fp32 variant; this model has only onnx\/model_quantized\.onnx/),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('cancellation rejects with CancelledError and the next call is served', async () => {
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(
      client.saliency({}, { text: 'a [MASK] day.', method: 'integrated-gradients' }, { signal: pre.signal }),
      CancelledError,
    );
    const during = new AbortController();
    const p = client.saliency(
      {},
      { text: 'a [MASK] day at the sea.', method: 'integrated-gradients', steps: 64 },
      { signal: during.signal },
    );
    setTimeout(() => during.abort(), 5);
    await assert.rejects(p, CancelledError);
    const r = await client.saliency({}, { text: 'a [MASK] day.' });
    assert.equal(r.scores.length, 6);
  });
});

describe('bert-lens saliency', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, 'bin', 'bert-lens.js'), 'saliency', ...args], {
      encoding: 'utf8',
      timeout: 120_000,
    });

  test('--json has the contract shape and the task values', async () => {
    const r = cli(['--json', '--method', 'grad-input', 'the capital of france is [MASK].']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j).slice(0, 5), ['tokens', 'method', 'target', 'logprob', 'scores']);
    assert.deepEqual(Object.keys(j.target), ['position', 'id', 'token']);
    const t = await client.saliency({}, { text: 'the capital of france is [MASK].', method: 'grad-input' });
    assert.deepEqual(j.tokens, t.tokens);
    assert.deepEqual(j.target, t.target);
    close(j.scores, t.scores, 'scores');
    const nli = JSON.parse(
      cli(['--json', '--model', fixture('bert-nli'), '--pair', 'he likes playing.', 'my dog is cute.']).stdout,
    );
    assert.deepEqual(Object.keys(nli.target), ['label', 'index']);
  });

  test('the table says fp32', () => {
    const r = cli(['the capital of france is [MASK].']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /computed on the fp32 graph/);
    assert.match(r.stdout, /france/);
  });

  test('bad input: one line, non-zero exit', () => {
    for (const [args, re] of [
      [['no mask here.'], /has no \[MASK\]/],
      [['--target', 'xylophonist', 'a [MASK].'], /not a single vocabulary piece/],
      [['--method', 'magic', 'a [MASK].'], /unknown --method/],
      [[''], /empty/],
      [['--model', fixture('bert-feature'), 'open a bank account'], /not available for a feature-extraction model/],
    ] as [string[], RegExp][]) {
      const r = cli(args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    }
  });
});
