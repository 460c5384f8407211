// The Classifier Trainer's "Adapt" mode: BERT's masked-LM pre-training continued on the workspace's text, shown
// while it trains — a live sample with its chosen tokens marked [MASK] / random / kept (theme colours, a legend),
// the model's current guesses there, the running count of the three kinds, the loss, and the held-out numbers
// before and after. Host side: src/extension/trainer/adaptHost.ts.
import { escapeHtml, h, vscodeApi } from '../../shared/dom';
import { type AdaptState, adCancel, adSave, adSettings, adShow, adStart, adState, adUse } from '../../protocol/adapt';
import { l10n } from '../../shared/l10n';

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
    { class: 'toolbar tabs', role: 'tablist', 'aria-label': l10n.t('Trainer mode') },
    tab('classifier', l10n.t('Classifier')),
    tab('adapt', l10n.t('Adapt')),
  );
}

const KIND_LABEL = { mask: () => '[MASK]', random: () => l10n.t('random'), kept: () => l10n.t('kept') } as const;
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

function legend(s: AdaptState): HTMLElement {
  const c = s.chosen ?? { mask: 0, random: 0, kept: 0 };
  const total = c.mask + c.random + c.kept;
  const item = (k: 'mask' | 'random' | 'kept', what: string) =>
    h(
      'span',
      { class: `kind ${k}`, id: `count-${k}`, role: 'listitem', title: what },
      `${KIND_LABEL[k]()} ${c[k]}${total ? ` (${pct(c[k] / total)})` : ''}`,
    );
  return h(
    'div',
    { class: 'counts', role: 'list', 'aria-label': l10n.t('Chosen tokens so far') },
    item('mask', l10n.t('replaced by the mask token (80 %)')),
    item('random', l10n.t('replaced by a random token (10 %)')),
    item('kept', l10n.t('left unchanged, still predicted (10 %)')),
  );
}

function sampleView(s: AdaptState): HTMLElement | undefined {
  const sm = s.sample;
  if (!sm) return undefined;
  const chips = sm.tokens.map((t) => {
    if (!t.kind) return h('span', { class: 'tok' }, t.text);
    const tip = t.correct
      ? l10n.t(
          '{0}: original "{1}", the model guesses "{2}" (right)',
          KIND_LABEL[t.kind](),
          t.original ?? '',
          t.guess ?? '',
        )
      : l10n.t('{0}: original "{1}", the model guesses "{2}"', KIND_LABEL[t.kind](), t.original ?? '', t.guess ?? '');
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
      l10n.t(
        'Live sample ({0}): what the model reads, and its guess at each chosen token',
        `${sm.source.file.split(/[\\/]/).pop()}:${sm.source.line}`,
      ),
    ),
    h('div', { class: 'sample', role: 'group', 'aria-label': l10n.t('Live masking sample') }, ...chips),
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
  const label = l10n.t('Loss per step, from {0} to {1}', losses[0].toFixed(3), losses[losses.length - 1].toFixed(3));
  wrap.innerHTML = `<svg class="chart spark" viewBox="-1 -1 ${W + 2} ${H + 2}" preserveAspectRatio="none" role="img" aria-label="${escapeHtml(label)}"><path class="loss" d="${d}"/></svg>`; // numbers and an escaped label
  return wrap;
}

function metricsTable(s: AdaptState): HTMLElement | undefined {
  if (!s.before) return undefined;
  const a = s.after;
  const better = (x: boolean) => (x ? 'better' : '');
  return h(
    'table',
    { id: 'adapt-metrics', 'aria-label': l10n.t('Held-out masked-LM metrics before and after') },
    h(
      'caption',
      { class: 'muted' },
      l10n.t('Held-out 10 % of the lines, fixed masking ({0} chosen tokens)', s.before.positions),
    ),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        h('th', { class: 'num' }, l10n.t('before')),
        h('th', { class: 'num' }, l10n.t('after')),
      ),
    ),
    h(
      'tbody',
      {},
      h(
        'tr',
        {},
        h('td', {}, l10n.t('masked-token accuracy')),
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
        h('td', {}, l10n.t('pseudo-perplexity')),
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
  if (!s) return h('p', { class: 'muted' }, l10n.t('Loading…'));
  const busy = !!s.busy;
  const st = s.settings;
  const set = (patch: Partial<typeof st>) => post(adSettings.create({ ...st, ...patch }));
  const sec = h(
    'section',
    { 'aria-labelledby': 'adapt-h' },
    h('h2', { id: 'adapt-h' }, l10n.t('Adapt Model to Workspace')),
    h(
      'p',
      { class: 'muted' },
      l10n.t(
        'Continues the masked-language-model pre-training of {0} on the text files of this workspace ({1}): 15 % of the tokens are chosen; of those, 80 % become [MASK], 10 % a random token and 10 % stay, and the model learns to predict the originals.',
        s.model,
        s.roots.length ? s.roots.map((r) => r.split(/[\\/]/).pop()).join(', ') : l10n.t('no folder open'),
      ),
    ),
    h(
      'div',
      { class: 'toolbar actions' },
      h(
        'button',
        { id: 'adapt-start', onclick: () => post(adStart.create({})), disabled: busy || !s.roots.length },
        l10n.t('Adapt'),
      ),
      busy
        ? h(
            'button',
            { id: 'adapt-cancel', class: 'secondary', onclick: () => post(adCancel.create({})) },
            l10n.t('Cancel'),
          )
        : undefined,
      s.busy ? h('span', { class: 'muted', role: 'status', id: 'adapt-status' }, s.busy) : undefined,
    ),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'label',
        {},
        l10n.t('Epochs'),
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
        l10n.t('Seed'),
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
        l10n.t('Whole-word masking'),
      ),
    ),
  );
  if (s.step) {
    sec.append(h('progress', { max: s.step.totalSteps, value: s.step.step, 'aria-label': l10n.t('Adaptation steps') }));
    sec.append(
      h(
        'div',
        { id: 'adapt-loss' },
        l10n.t(
          'Epoch {0}/{1}, step {2}/{3}: loss {4} (cross-entropy over the chosen tokens)',
          s.step.epoch,
          s.step.epochs,
          s.step.step,
          s.step.totalSteps,
          s.step.loss.toFixed(3),
        ),
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
          l10n.t(
            '{0} file(s), {1} lines ({2} held out); {3} s',
            c.files,
            c.lines,
            c.heldOutLines,
            s.seconds?.toFixed(1) ?? '',
          ),
        ),
      );
    sec.append(
      h(
        'div',
        { class: 'toolbar' },
        h(
          'button',
          { id: 'adapt-save', onclick: () => post(adSave.create({})), disabled: busy },
          l10n.t('Save adapted model…'),
        ),
        s.savedTo
          ? h(
              'button',
              { id: 'adapt-use', class: 'secondary', onclick: () => post(adUse.create({})), disabled: busy },
              l10n.t('Use this model'),
            )
          : undefined,
      ),
    );
    if (s.savedTo) sec.append(h('p', { class: 'muted', role: 'status' }, l10n.t('Saved to {0}', s.savedTo)));
  }
  if (s.error) sec.append(h('p', { class: 'error', role: 'alert' }, s.error));
  return sec;
}
