// Show Surprisal's plan: GLTR buckets by rank, ranges shifted to document offsets, the hover, the status line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SurprisalResult } from '../../src/engine/api';
import * as s from '../../src/extension/core/surprisalPlan';
import { ROOT } from '../helpers';

test('GLTR buckets: rank ≤ 10 green, ≤ 100 yellow, ≤ 1000 red, beyond purple', () => {
  assert.deepEqual([1, 10, 11, 100, 101, 1000, 1001, 50000].map(s.gltrBucket), [
    'top10',
    'top10',
    'top100',
    'top100',
    'top1000',
    'top1000',
    'beyond',
    'beyond',
  ]);
});

test('the bucket colours are contributed theme colours, one per bucket', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    contributes: {
      colors: { id: string }[];
      commands: { command: string; title: string }[];
      menus: Record<string, { command: string }[]>;
    };
  };
  const ids = pkg.contributes.colors.map((c) => c.id);
  for (const b of s.GLTR_BUCKETS) assert.ok(ids.includes(s.GLTR_COLOR_IDS[b]), b);
  const nls = JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
  const title = (id: string) =>
    pkg.contributes.commands.find((c) => c.command === id)?.title.replace(/^%(.*)%$/, (_: string, k: string) => nls[k]);
  assert.equal(title('bertLens.surprisal.show'), 'Show Surprisal');
  assert.equal(title('bertLens.continueText'), 'Continue Text');
  assert.ok(pkg.contributes.menus['bertLens.editor'].some((x) => x.command === 'bertLens.surprisal.show'));
});

const result: SurprisalResult = {
  method: 'causal',
  tokens: ['The', 'Ġcat', 'Ġ<|x|>', 'Ġsat', '.'],
  offsets: [
    [0, 3],
    [3, 7],
    [7, 12],
    [12, 16],
    [16, 16],
  ],
  logprobs: [null, Math.log(0.5), Math.log(0.001), Math.log(0.00001), Math.log(0.2)],
  ranks: [null, 3, 57, 4000, 1],
  top: [
    null,
    [
      { token: 'Ġdog', id: 1, score: 0.3 },
      { token: 'Ġcat', id: 2, score: 0.2 },
    ],
    [{ token: 'Ġ`a`', id: 3, score: 0.1 }],
    [],
    [],
  ],
  perplexity: 123.456,
};

test('ranges per bucket in document offsets; the first token (no prediction) and empty spans are skipped', () => {
  const plan = s.planSurprisal(result, 100);
  assert.deepEqual([...plan.keys()].sort(), ['beyond', 'top10', 'top100']);
  assert.deepEqual(
    plan.get('top10')!.map((r) => [r.start, r.end]),
    [[103, 107]],
  );
  assert.deepEqual(
    plan.get('top100')!.map((r) => [r.start, r.end]),
    [[107, 112]],
  );
  assert.deepEqual(
    plan.get('beyond')!.map((r) => [r.start, r.end]),
    [[112, 116]],
  );
});

test('hover: rank, probability, the top 5 there; Markdown in tokens escaped', () => {
  const h = s.surprisalHover(result, 1);
  assert.match(h, /rank \*\*3\*\* \(top 10\)/);
  assert.match(h, /p = 0\.5000 given the text before it/);
  assert.match(h, /1\. `␣dog` 30\.00 %  \n2\. `␣cat` 20\.00 %/);
  const h2 = s.surprisalHover(result, 2);
  assert.match(h2, /\*\*␣\\<\\\|x\\\|\\>\*\*/);
  assert.match(h2, /`␣'a'`/);
  assert.match(s.surprisalHover(result, 3), /rank \*\*4,000\*\* \(beyond the top 1,000\) · p = 1\.00e-5/);
});

test('status line: perplexity (causal) or pseudo-perplexity (masked), with the bucket counts', () => {
  const st = s.surprisalStatus(result);
  assert.equal(st.text, 'perplexity 123.46');
  assert.match(st.tooltip, /over 4 tokens.*top 10 2, top 100 1, top 1,000 0, beyond the top 1,000 1/);
  assert.equal(
    s.surprisalStatus({ ...result, method: 'pseudo-likelihood', perplexity: 5000 }).text,
    'pseudo-perplexity 5.00e+3',
  );
});
