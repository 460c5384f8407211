// Strings that come from a model's files (tokens, labels) or the document go into hovers as Markdown (issue #14,
// item 10). With a vocabulary of Markdown and HTML payloads, every hover renders them as the characters they
// are: no link, image, autolink or HTML element comes out, and a piece with backticks stays in its code span.
// Rendered with markdown-it in its most permissive mode (HTML on, linkify on), stricter than VS Code's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import type { AttentionResult } from '../../src/engine/api';
import * as d from '../../src/extension/core/decorationPlan';
import * as o from '../../src/extension/core/attentionOverlay';
import * as h from '../../src/extension/core/hoverContent';
import * as m from '../../src/extension/core/markdown';

const md = new MarkdownIt({ html: true, linkify: true });

/** A hostile vocabulary: what a model repository's tokenizer.json or config.json (id2label) could hold. */
const PAYLOADS = [
  '![px](https://t.example/p.gif)',
  '[click](https://evil.example/a)',
  '<img src=x onerror=alert(1)>',
  '<a href="https://evil.example">x</a>',
  '`](https://evil.example)`',
  '``',
  '` `',
  'https://autolink.example/x',
  'www.evil.example',
  '**bold** _it_',
  '&lt;b&gt; &amp;',
  '##ing',
  '\\` back\\slash',
  '# heading',
  '| a | b |',
];

const decode = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

function assertInert(markdown: string, payload: string, what: string): void {
  const html = md.renderInline(markdown);
  assert.doesNotMatch(html, /<(a|img|script|h\d|table)\b/i, `${what}: ${JSON.stringify(payload)} rendered ${html}`);
  const text = decode(html.replace(/<\/?(strong|em|code)>/g, ''));
  assert.ok(text.includes(payload), `${what}: ${JSON.stringify(payload)} shows as ${JSON.stringify(text)}`);
}

test('entity hovers: a hostile label and entity text render as text', () => {
  for (const p of PAYLOADS) {
    const plan = d.planEntityDecorations([{ label: `B-${p}`, start: 0, end: 4, text: p, score: 0.5, tokens: [1] }]);
    const [range] = [...plan.values()][0];
    assertInert(range.hover, p, 'entity');
  }
});

test('replaced-token and attention-overlay hovers: hostile tokens render as text', () => {
  for (const p of PAYLOADS) {
    const rtd = d.planReplacedDecorations({
      tokens: ['[CLS]', p, '[SEP]'],
      offsets: [
        [0, 0],
        [0, 4],
        [0, 0],
      ],
      replaced: [0, 0.9, 0],
    });
    assertInert([...rtd.values()][0][0].hover, p, 'replaced');
    const text = 'word other';
    const res: Pick<AttentionResult, 'tokens' | 'offsets' | 'rollout' | 'headMean'> = {
      tokens: ['[CLS]', 'word', p, '[SEP]'],
      offsets: [
        [0, 0],
        [0, 4],
        [5, 10],
        [0, 0],
      ],
      rollout: [
        [1, 0, 0, 0],
        [0.2, 0.2, 0.6, 0],
        [0, 0, 1, 0],
        [1, 0, 0, 0],
      ],
      headMean: [],
    };
    const plan = o.planAttentionOverlay(res, [0, 4], { kind: 'rollout' }, text, 0);
    assert.ok(plan);
    assert.equal(plan.ranges.length, 1);
    assertInert(plan.ranges[0].hover, p, 'overlay');
  }
});

test('the word hover: hostile pieces stay inside their code spans; hostile candidates and model ids render as text', () => {
  for (const p of PAYLOADS) {
    const markdown = h.hoverMarkdown({
      word: p,
      pieces: [p, 'x'],
      ids: [7, 8],
      layer: 1,
      norm: 1,
      vector: [1, 2],
      alternatives: [{ word: p, score: 0.5, ids: [1] }],
      occurrences: [],
      modelId: p,
    });
    const html = md.render(markdown);
    assert.doesNotMatch(html, /<(a|img|script|h\d|table)\b/i, `${JSON.stringify(p)} rendered ${html}`);
    const codes = [...html.matchAll(/<code>(.*?)<\/code>/gs)].map((c) => decode(c[1]));
    assert.equal(codes[0], p, 'the word, exactly, in one code span');
    assert.equal(codes[1], p, 'the piece, exactly, in one code span');
    assert.equal(codes[2], 'x');
  }
});

test('mdCode and mdText on their own', () => {
  assert.equal(m.mdCode('a'), '`a`');
  assert.equal(m.mdCode('a`b'), '``a`b``');
  assert.equal(m.mdCode('`x'), '`` `x ``');
  assert.equal(m.mdText('a.b [c](d)'), 'a\\.b \\[c\\]\\(d\\)');
  assert.equal(m.mdText('plain words 123'), 'plain words 123');
});
