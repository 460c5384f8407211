// A webview that re-renders by replacing its elements (the trainer does, on every state echo from the host) must
// not take away what the user is doing in the focused element: its focus, and in a text or number field the value
// being typed, which its change event has not committed yet, with the caret.
// No DOM globals here, so that the logic is testable without a browser.

/** What these helpers read and write of an element. */
export interface FocusTarget {
  id: string;
  tagName: string;
  type?: string;
  value?: string;
  selectionStart?: number | null;
  selectionEnd?: number | null;
  focus(): void;
  setSelectionRange?(start: number, end: number): void;
}

export interface KeptFocus {
  id: string;
  typing?: { value: string; start: number | null; end: number | null };
}

const TYPED = new Set(['text', 'number', 'search', 'url', 'email', '']);

/** The focused element's id, and the value being typed when it is a text-like input. */
export function captureFocus(active: FocusTarget | null | undefined): KeptFocus | undefined {
  if (!active?.id) return undefined;
  const typed = active.tagName === 'INPUT' && TYPED.has(active.type ?? '') && typeof active.value === 'string';
  return {
    id: active.id,
    ...(typed
      ? { typing: { value: active.value!, start: active.selectionStart ?? null, end: active.selectionEnd ?? null } }
      : {}),
  };
}

/** Focuses the new element with the kept id and puts back the value being typed (and the caret). */
export function restoreFocus(kept: KeptFocus | undefined, byId: (id: string) => FocusTarget | null): void {
  if (!kept) return;
  const el = byId(kept.id);
  if (!el) return;
  const t = kept.typing;
  if (t && el.tagName === 'INPUT' && el.value !== t.value) {
    el.value = t.value;
    if (t.start !== null && t.end !== null) {
      try {
        el.setSelectionRange?.(t.start, t.end);
      } catch {
        // number inputs have no selection range
      }
    }
  }
  el.focus();
}
