// The trainer's re-render keeps the focused field and the value being typed in it (src/webviews/shared/keepFocus.ts):
// a state echo from the host rebuilds the section, and text typed but not yet committed must not be lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FocusTarget, captureFocus, restoreFocus } from '../../src/webviews/shared/keepFocus';

function field(
  id: string,
  over: Partial<FocusTarget> = {},
): FocusTarget & { focused: number; range?: [number, number] } {
  const f = {
    id,
    tagName: 'INPUT',
    type: 'text',
    value: '',
    selectionStart: 0,
    selectionEnd: 0,
    focused: 0,
    range: undefined as [number, number] | undefined,
    focus() {
      f.focused++;
    },
    setSelectionRange(a: number, b: number) {
      f.range = [a, b];
    },
    ...over,
  };
  return f;
}

test('a text field being typed in: the rebuilt field gets the typed value, the caret and the focus', () => {
  const before = field('distill-student', { value: 'bert-mlm', selectionStart: 4, selectionEnd: 4 });
  const kept = captureFocus(before);
  assert.deepEqual(kept, { id: 'distill-student', typing: { value: 'bert-mlm', start: 4, end: 4 } });
  const after = field('distill-student', { value: 'embedded' }); // the state's value, the change not yet sent
  restoreFocus(kept, (id) => (id === 'distill-student' ? after : null));
  assert.equal(after.value, 'bert-mlm');
  assert.deepEqual(after.range, [4, 4]);
  assert.equal(after.focused, 1);
});

test('a number field (no selection range) keeps its value; a button only its focus; nothing focused: no-op', () => {
  const num = field('distill-layers', { type: 'number', value: '1', selectionStart: null, selectionEnd: null });
  const rebuilt = field('distill-layers', {
    type: 'number',
    value: '2',
    setSelectionRange() {
      throw new Error('not on number inputs');
    },
  });
  restoreFocus(captureFocus(num), () => rebuilt);
  assert.equal(rebuilt.value, '1');
  assert.equal(rebuilt.focused, 1);

  const button = field('train', { tagName: 'BUTTON', type: 'submit', value: '' });
  assert.deepEqual(captureFocus(button), { id: 'train' });
  const newButton = field('train', { tagName: 'BUTTON' });
  restoreFocus(captureFocus(button), () => newButton);
  assert.equal(newButton.focused, 1);

  assert.equal(captureFocus(null), undefined);
  assert.equal(captureFocus(field('')), undefined); // an element without an id cannot be found again
  restoreFocus(captureFocus(field('gone')), () => null); // the field is gone from the new view: nothing to do
});

test('a checkbox is not a typed value: the rebuilt one keeps the state the host sent', () => {
  const box = field('freeze-embeddings', { type: 'checkbox', value: 'on' });
  const kept = captureFocus(box);
  assert.equal(kept?.typing, undefined);
  const rebuilt = field('freeze-embeddings', { type: 'checkbox', value: 'off' });
  restoreFocus(kept, () => rebuilt);
  assert.equal(rebuilt.value, 'off');
  assert.equal(rebuilt.focused, 1);
});
