// The Classifier Trainer's "Adapt" mode: BERT's masked-LM pre-training continued on the workspace's text, shown
// while it trains — a live sample with its chosen tokens marked [MASK] / random / kept (theme colours, a legend),
// the model's current guesses there, the running count of the three kinds, the loss, and the held-out numbers
// before and after. Host side: src/extension/trainer/adaptHost.ts.
import { h, vscodeApi } from '../../shared/dom';
import { type AdaptState, adCancel, adSave, adSettings, adShow, adStart, adState, adUse } from '../../protocol/adapt';

export type TrainerMode = 'classifier' | 'adapt';

let state: AdaptState | undefined;
let mode: TrainerMode = 'classifier';
const post = (m: unknown) => vscodeApi.postMessage(m);

export function currentMode(): TrainerMode {
  return mode;
}

/** Handles the Adapt messages (state, show); true when the view must render again. */
export function handleAdaptMessage(msg: unknown): boolean {
  if (adState.is(msg)) {
    state = msg.params;
    return mode === 'adapt';
  }
  if (adShow.is(msg)) {
    mode = 'adapt';
    return true;
  }
  return false;
}

/** The mode switch at the top of the view. */
export function modeTabs(onChange: () => void): HTMLElement {
  const tab = (m: TrainerMode, label: string) =>
    h(
      'button',
      {
        id: `mode-${m}`,
        role: 'tab',
        class: mode === m ? 'tab active' : 'tab secondary',
        'aria-selected': String(mode === m),
        onclick: () => {
          mode = m;
          onChange();
        },
      },
      label,
    );
  return h(
    'div',
    { class: 'toolbar tabs', role: 'tablist', 'aria-label': 'Trainer mode' },
    tab('classifier', 'Classifier'),
    tab('adapt', 'Adapt'),
  );
}

const KIND_LABEL = { mask: '[MASK]', random: 'random', kept: 'kept' } as const;
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

function legend(s: AdaptState): HTMLElement {
  const c = s.chosen ?? { mask: 0, random: 0, kept: 0 };
  const total = c.mask + c.random + c.kept;
  const item = (k: 'mask' | 'random' | 'kept', what: string) =>
    h(
      'span',
      { class: `kind ${k}`, id: `count-${k}`, role: 'listitem', title: what },
      `${KIND_LABEL[k]} ${c[k]}${total ? ` (${pct(c[k] / total)})` : ''}`,
    );
  return h(
    'div',
    { class: 'counts', role: 'list', 'aria-label': 'Chosen tokens so far' },
    item('mask', 'replaced by the mask token (80 %)'),
    item('random', 'replaced by a random token (10 %)'),
    item('kept', 'left unchanged, still predicted (10 %)'),
  );
}

function sampleView(s: AdaptState): HTMLElement | undefined {
  const sm = s.sample;
  if (!sm) return undefined;
  const chips = sm.tokens.map((t) => {
    if (!t.kind) return h('span', { class: 'tok' }, t.text);
    const tip = `${KIND_LABEL[t.kind]}: original "${t.original}", the model guesses "${t.guess}"${t.correct ? ' (right)' : ''}`;
    return h(
      'span',
      { class: `tok chosen ${t.kind}`, title: tip, 'aria-label': tip },
      h('span', { class: 'seen' }, t.text),
      h('span', { class: `guess${t.correct ? ' right' : ''}` }, `→ ${t.guess}${t.correct ? ' ✓' : ''}`),
    );
  });
  return h(
    'div',
    { id: 'adapt-sample' },
    h(
      'div',
      { class: 'muted' },
      `Live sample (${sm.source.file.split(/[\\/]/).pop()}:${sm.source.line}): what the model reads, and its guess at each chosen token`,
    ),
    h('div', { class: 'sample', role: 'group', 'aria-label': 'Live masking sample' }, ...chips),
  );
}

function sparkline(losses: number[]): HTMLElement | undefined {
  if (losses.length < 2) return undefined;
  const W = 300;
  const H = 40;
  const max = Math.max(...losses);
  const min = Math.min(...losses);
  const span = max - min || 1;
  const d = losses
    .map(
      (v, i) =>
        `${i ? 'L' : 'M'}${((i / (losses.length - 1)) * W).toFixed(1)},${(H - ((v - min) / span) * H).toFixed(1)}`,
    )
    .join(' ');
  const wrap = h('div', {});
  wrap.innerHTML = `<svg class="chart spark" viewBox="-1 -1 ${W + 2} ${H + 2}" preserveAspectRatio="none" role="img" aria-label="Loss per step, from ${losses[0].toFixed(3)} to ${losses[losses.length - 1].toFixed(3)}"><path class="loss" d="${d}"/></svg>`; // numbers only
  return wrap;
}

function metricsTable(s: AdaptState): HTMLElement | undefined {
  if (!s.before) return undefined;
  const a = s.after;
  const better = (x: boolean) => (x ? 'better' : '');
  return h(
    'table',
    { id: 'adapt-metrics', 'aria-label': 'Held-out masked-LM metrics before and after' },
    h('caption', { class: 'muted' }, `Held-out 10 % of the lines, fixed masking (${s.before.positions} chosen tokens)`),
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, ''), h('th', { class: 'num' }, 'before'), h('th', { class: 'num' }, 'after')),
    ),
    h(
      'tbody',
      {},
      h(
        'tr',
        {},
        h('td', {}, 'masked-token accuracy'),
        h('td', { class: 'num', id: 'acc-before' }, pct(s.before.accuracy)),
        h(
          'td',
          { class: `num ${a ? better(a.accuracy > s.before.accuracy) : ''}`, id: 'acc-after' },
          a ? pct(a.accuracy) : '…',
        ),
      ),
      h(
        'tr',
        {},
        h('td', {}, 'pseudo-perplexity'),
        h('td', { class: 'num', id: 'ppl-before' }, s.before.pseudoPerplexity.toFixed(2)),
        h(
          'td',
          { class: `num ${a ? better(a.pseudoPerplexity < s.before.pseudoPerplexity) : ''}`, id: 'ppl-after' },
          a ? a.pseudoPerplexity.toFixed(2) : '…',
        ),
      ),
    ),
  );
}

/** The Adapt mode's content. */
export function adaptView(): HTMLElement {
  const s = state;
  if (!s) return h('p', { class: 'muted' }, 'Loading…');
  const busy = !!s.busy;
  const st = s.settings;
  const set = (patch: Partial<typeof st>) => post(adSettings.create({ ...st, ...patch }));
  const sec = h(
    'section',
    { 'aria-labelledby': 'adapt-h' },
    h('h2', { id: 'adapt-h' }, 'Adapt Model to Workspace'),
    h(
      'p',
      { class: 'muted' },
      `Continues the masked-language-model pre-training of ${s.model} on the text files of this workspace (${s.roots.length ? s.roots.map((r) => r.split(/[\\/]/).pop()).join(', ') : 'no folder open'}): 15 % of the tokens are chosen; of those, 80 % become [MASK], 10 % a random token and 10 % stay, and the model learns to predict the originals.`,
    ),
    h(
      'div',
      { class: 'toolbar actions' },
      h(
        'button',
        { id: 'adapt-start', onclick: () => post(adStart.create({})), disabled: busy || !s.roots.length },
        'Adapt',
      ),
      busy
        ? h('button', { id: 'adapt-cancel', class: 'secondary', onclick: () => post(adCancel.create({})) }, 'Cancel')
        : undefined,
      s.busy ? h('span', { class: 'muted', role: 'status', id: 'adapt-status' }, s.busy) : undefined,
    ),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'label',
        {},
        'Epochs',
        h('input', {
          id: 'adapt-epochs',
          type: 'number',
          min: 1,
          max: 50,
          step: 1,
          value: st.epochs,
          disabled: busy,
          onchange: (e: Event) =>
            set({ epochs: Math.max(1, Math.round(Number((e.target as HTMLInputElement).value)) || 1) }),
        }),
      ),
      h(
        'label',
        {},
        'Seed',
        h('input', {
          id: 'adapt-seed',
          type: 'number',
          min: 0,
          step: 1,
          value: st.seed,
          disabled: busy,
          onchange: (e: Event) => set({ seed: Math.round(Number((e.target as HTMLInputElement).value)) || 0 }),
        }),
      ),
      h(
        'label',
        {},
        h('input', {
          id: 'adapt-whole-word',
          type: 'checkbox',
          checked: st.wholeWord,
          disabled: busy,
          onchange: (e: Event) => set({ wholeWord: (e.target as HTMLInputElement).checked }),
        }),
        'Whole-word masking',
      ),
    ),
  );
  if (s.step) {
    sec.append(h('progress', { max: s.step.totalSteps, value: s.step.step, 'aria-label': 'Adaptation steps' }));
    sec.append(
      h(
        'div',
        { id: 'adapt-loss' },
        `Epoch ${s.step.epoch}/${s.step.epochs}, step ${s.step.step}/${s.step.totalSteps}: loss ${s.step.loss.toFixed(3)} (cross-entropy over the chosen tokens)`,
      ),
    );
    sec.append(sparkline(s.losses) ?? '');
  }
  if (s.chosen) sec.append(legend(s));
  sec.append(sampleView(s) ?? '', metricsTable(s) ?? '');
  if (s.runId) {
    const c = s.corpus;
    if (c)
      sec.append(
        h(
          'div',
          { class: 'muted' },
          `${c.files} file(s), ${c.lines} lines (${c.heldOutLines} held out); ${s.seconds?.toFixed(1)} s`,
        ),
      );
    sec.append(
      h(
        'div',
        { class: 'toolbar' },
        h(
          'button',
          { id: 'adapt-save', onclick: () => post(adSave.create({})), disabled: busy },
          'Save adapted model…',
        ),
        s.savedTo
          ? h(
              'button',
              { id: 'adapt-use', class: 'secondary', onclick: () => post(adUse.create({})), disabled: busy },
              'Use this model',
            )
          : undefined,
      ),
    );
    if (s.savedTo) sec.append(h('p', { class: 'muted', role: 'status' }, `Saved to ${s.savedTo}`));
  }
  if (s.error) sec.append(h('p', { class: 'error', role: 'alert' }, s.error));
  return sec;
}
