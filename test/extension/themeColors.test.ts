import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ColorContribution, EntityPart } from '../../src/extension/core/themeColors';
import * as t from '../../src/extension/core/themeColors';
import { labelColor, REPLACED_BUCKETS } from '../../src/extension/core/decorationPlan';
import { OVERLAY_LEVELS, overlayAlpha } from '../../src/extension/core/attentionOverlay';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { colors: ColorContribution[] } };
const nls = JSON.parse(readFileSync('package.nls.json', 'utf8')) as Record<string, string>;
const contributed = new Map(pkg.contributes.colors.map((c) => [c.id, c]));
const generated = t.decorationColorContributions();
const byId = new Map(generated.map((c) => [c.id, c]));

/** #rrggbbaa → the rgba() a browser computes (alpha as a byte, printed with 2 decimals). */
function rgbaOf(hex: string): string {
  const n = (i: number) => parseInt(hex.slice(i, i + 2), 16);
  const a = hex.length === 9 ? Number((n(7) / 255).toFixed(2)) : 1;
  return `rgba(${n(1)}, ${n(3)}, ${n(5)}, ${a})`;
}

test('package.json contributes every decoration colour with all four defaults, and a description', () => {
  assert.equal(generated.length, 8 * 3 + REPLACED_BUCKETS + 1 + OVERLAY_LEVELS + 1 + 1);
  for (const c of generated) {
    const p = contributed.get(c.id);
    assert.ok(p, `${c.id} is contributed`);
    assert.deepEqual(p.defaults, c.defaults, c.id);
    assert.deepEqual(Object.keys(p.defaults).sort(), ['dark', 'highContrast', 'highContrastLight', 'light']);
    assert.equal(nls[p.description.slice(1, -1)], c.description, `${c.id} description`);
  }
});

test('the ids the styles use are the contributed ones', () => {
  for (const label of ['PER', 'B-ORG', 'I-LOC', 'MISC', 'DATE', 'product']) {
    for (const part of ['Background', 'Border', 'Foreground'] as EntityPart[])
      assert.ok(byId.has(t.entityColorId(label, part)), `${label} ${part}`);
  }
  assert.equal(t.entityColorId('B-PER', 'Background'), 'bertLens.entity1Background');
  assert.equal(t.entityColorId('I-LOC', 'Border'), 'bertLens.entity3Border');
  for (let b = 0; b < REPLACED_BUCKETS; b++) assert.ok(byId.has(t.replacedColorId(b)));
  for (let l = 1; l <= OVERLAY_LEVELS; l++) assert.ok(byId.has(t.overlayColorId(l)));
  for (const id of [t.REPLACED_UNDERLINE_ID, t.OVERLAY_FOCUS_ID, t.PARAGRAPH_LABEL_ID]) assert.ok(byId.has(id), id);
  assert.equal(t.cssVar('bertLens.replacedUnderline'), 'var(--vscode-bertLens-replacedUnderline)');
});

test('dark defaults render as the former fixed colours', () => {
  const dark = (id: string) => rgbaOf(byId.get(id)!.defaults.dark);
  for (const label of ['PER', 'ORG', 'LOC', 'MISC', 'DATE']) {
    assert.equal(dark(t.entityColorId(label, 'Background')), labelColor(label, 0.28));
    assert.equal(dark(t.entityColorId(label, 'Border')), labelColor(label, 0.9));
    assert.equal(dark(t.entityColorId(label, 'Foreground')), labelColor(label, 1));
  }
  assert.deepEqual(
    Array.from({ length: REPLACED_BUCKETS }, (_, b) => dark(t.replacedColorId(b))),
    [
      'rgba(213, 94, 0, 0.22)',
      'rgba(213, 94, 0, 0.32)',
      'rgba(213, 94, 0, 0.42)',
      'rgba(213, 94, 0, 0.52)',
      'rgba(213, 94, 0, 0.62)',
    ],
  );
  for (let l = 1; l <= OVERLAY_LEVELS; l++)
    assert.equal(dark(t.overlayColorId(l)), `rgba(0, 150, 255, ${overlayAlpha(l)})`);
  assert.equal(dark(t.OVERLAY_FOCUS_ID), 'rgba(0, 150, 255, 0.9)');
  assert.equal(byId.get(t.PARAGRAPH_LABEL_ID)!.defaults.dark, 'editorCodeLens.foreground');
});
