import baseCss from '../../shared/base.css';
import { escapeHtml, h, injectStyle, vscodeApi } from '../../shared/dom';
import type { MetricsSummary } from '../../../engine/training/types';
import css from './trainer.css';
import {
  type TrainerState,
  type TrainSettings,
  trCancel,
  trClassify,
  trLabelFile,
  trOpen,
  trReady,
  trRefresh,
  trSave,
  trSelect,
  trSettings,
  trState,
  trTrain,
} from '../../protocol/trainer';
import { cellShade, chartPaths, comparisonRows, pct } from './view';
import { distillSection, listenDistill } from './distill';
import { whyButton, whyPanel } from './why';
import { candidatesBlock } from './candidates';
import { adaptView, currentMode, handleAdaptMessage, modeTabs } from './adapt';
import { fineTuneControls } from './fineTuneControls';
import { resumedNote, taskResultsSection } from './taskResults';
import { l10n } from '../../shared/l10n';
import { captureFocus, restoreFocus } from '../../shared/keepFocus';

injectStyle(baseCss + css);
const app = document.getElementById('app')!;
let state: TrainerState | undefined;
let cell: [number, number] | undefined = (vscodeApi.getState() as { cell?: [number, number] } | undefined)?.cell;

window.addEventListener('message', (e: MessageEvent) => {
  if (handleAdaptMessage(e.data)) return render();
  if (!trState.is(e.data)) return;
  const prevRun = state?.result?.runId;
  state = e.data.params;
  if (state.result?.runId !== prevRun) cell = undefined;
  render();
});
listenDistill(() => render());
vscodeApi.postMessage(trReady.create({}));

const post = (m: unknown) => vscodeApi.postMessage(m);

function setSettings(patch: Partial<TrainSettings>): void {
  if (!state) return;
  post(trSettings.create({ ...state.settings, ...patch }));
}

function select(
  id: string,
  label: string,
  value: string,
  options: [string, string][],
  onChange: (v: string) => void,
  disabled = false,
): HTMLElement {
  const s = h(
    'select',
    { id, disabled, onchange: (e: Event) => onChange((e.target as HTMLSelectElement).value) },
    ...options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)),
  );
  return h('label', {}, label, s);
}

function numberInput(
  id: string,
  label: string,
  value: number,
  min: number,
  max: number,
  step: number,
  onChange: (v: number) => void,
  disabled = false,
): HTMLElement {
  return h(
    'label',
    {},
    label,
    h('input', {
      id,
      type: 'number',
      value,
      min,
      max,
      step,
      disabled,
      onchange: (e: Event) => onChange(Number((e.target as HTMLInputElement).value)),
    }),
  );
}

function dataSection(s: TrainerState): HTMLElement {
  const busy = !!s.busy;
  const opts: [string, string][] = [
    ['', s.datasets.length ? l10n.t('Choose a dataset…') : l10n.t('No CSV/TSV/JSONL or label folders found')],
    ...s.datasets.map((d): [string, string] => [d.path, `${d.path.split(/[\\/]/).slice(-2).join('/')} (${d.format})`]),
  ];
  const sec = h(
    'section',
    { 'aria-labelledby': 'data-h' },
    h('h2', { id: 'data-h' }, l10n.t('Data')),
    h(
      'div',
      { class: 'toolbar' },
      select(
        'dataset',
        l10n.t('Dataset'),
        s.selected ?? '',
        opts,
        (v) => v && post(trSelect.create({ path: v })),
        busy,
      ),
      h(
        'button',
        { id: 'refresh', class: 'secondary', onclick: () => post(trRefresh.create({})), disabled: busy },
        l10n.t('Refresh'),
      ),
    ),
  );
  const p = s.preview;
  if (p) {
    if (p.columns.length) {
      const cols: [string, string][] = p.columns.map((c) => [c, c]);
      sec.append(
        h(
          'div',
          { class: 'toolbar' },
          select('text-col', l10n.t('Text'), p.textColumn, cols, (v) => setSettings({ textColumn: v }), busy),
          select('label-col', l10n.t('Label'), p.labelColumn, cols, (v) => setSettings({ labelColumn: v }), busy),
          select(
            'pair-col',
            l10n.t('Pair'),
            p.pairColumn ?? '',
            [['', l10n.t('(none)')], ...cols],
            (v) => setSettings({ pairColumn: v || undefined }),
            busy,
          ),
        ),
      );
    }
    sec.append(
      h('div', { class: 'muted' }, l10n.t('{0} examples, {1} labels ({2})', p.size, p.labelCounts.length, p.format)),
    );
    sec.append(
      h(
        'div',
        { class: 'counts', role: 'list', 'aria-label': l10n.t('Label counts') },
        ...p.labelCounts.map((c) => h('span', { role: 'listitem' }, `${c.label}: ${c.count}`)),
      ),
    );
    if (p.warnings.length)
      sec.append(
        h(
          'ul',
          { class: 'warnings', 'aria-label': l10n.t('Warnings') },
          ...p.warnings.map((w) => h('li', {}, w.message)),
        ),
      );
    const hasPair = p.rows.some((r) => r.pair !== undefined);
    sec.append(
      h(
        'table',
        { class: 'rows', 'aria-label': l10n.t('First rows') },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, l10n.t('line')),
            h('th', {}, l10n.t('text')),
            hasPair ? h('th', {}, l10n.t('pair')) : undefined,
            h('th', {}, l10n.t('label')),
          ),
        ),
        h(
          'tbody',
          {},
          ...p.rows.map((r) =>
            h(
              'tr',
              {},
              h('td', { class: 'num' }, r.line),
              h('td', { title: r.text }, r.text),
              hasPair ? h('td', { title: r.pair ?? '' }, r.pair ?? '') : undefined,
              h('td', {}, r.label),
            ),
          ),
        ),
      ),
    );
  }
  return sec;
}

function trainSection(s: TrainerState): HTMLElement {
  const busy = !!s.busy;
  const st = s.settings;
  const n = s.numLayers ?? 12;
  const layerOpts: [string, string][] = [
    ['-1', l10n.t('last')],
    ...Array.from({ length: n + 1 }, (_, i): [string, string] => [
      String(i),
      i === 0 ? l10n.t('0 (embeddings)') : String(i),
    ]),
  ];
  const sec = h(
    'section',
    { 'aria-labelledby': 'train-h' },
    h('h2', { id: 'train-h' }, l10n.t('Train')),
    h(
      'div',
      { class: 'toolbar' },
      select(
        'mode',
        l10n.t('Mode'),
        st.mode ?? 'auto',
        [
          ['auto', l10n.t('fine-tune (when fp32 exists)')],
          ['fine-tune', l10n.t('fine-tune the encoder')],
          ['frozen', l10n.t('head on frozen features')],
        ],
        (v) => setSettings({ mode: v as 'auto' | 'fine-tune' | 'frozen' }),
        busy,
      ),
      numberInput(
        'epochs',
        l10n.t('Epochs'),
        st.epochs ?? 3,
        1,
        50,
        1,
        (v) => setSettings({ epochs: v }),
        busy || st.mode === 'frozen',
      ),
    ),
    h(
      'div',
      { class: 'toolbar' },
      select('layer', l10n.t('Layer'), String(st.layer), layerOpts, (v) => setSettings({ layer: Number(v) }), busy),
      numberInput(
        'last-n',
        l10n.t('Concat last'),
        st.lastLayers,
        1,
        n + 1,
        1,
        (v) => setSettings({ lastLayers: v }),
        busy,
      ),
      select(
        'pooling',
        l10n.t('Pooling'),
        st.pooling,
        [
          ['mean', l10n.t('mean')],
          ['cls', l10n.t('first token')],
        ],
        (v) => setSettings({ pooling: v as 'mean' | 'cls' }),
        busy,
      ),
      select(
        'head',
        l10n.t('Head'),
        st.head,
        [
          ['logistic', l10n.t('logistic regression')],
          ['mlp', l10n.t('MLP')],
        ],
        (v) => setSettings({ head: v as 'logistic' | 'mlp' }),
        busy,
      ),
    ),
    h(
      'div',
      { class: 'toolbar' },
      numberInput('seed', l10n.t('Seed'), st.seed, 0, 2 ** 31, 1, (v) => setSettings({ seed: v }), busy),
      numberInput(
        'test-frac',
        l10n.t('Test'),
        st.testFraction,
        0.05,
        0.5,
        0.05,
        (v) => setSettings({ testFraction: v }),
        busy,
      ),
      numberInput(
        'val-frac',
        l10n.t('Validation'),
        st.valFraction,
        0,
        0.4,
        0.05,
        (v) => setSettings({ valFraction: v }),
        busy,
      ),
    ),
  );
  const ft = fineTuneControls(s, setSettings);
  if (ft) sec.children[1].after(ft);
  if (s.featureProgress && busy)
    sec.append(
      h('progress', {
        max: s.featureProgress.total,
        value: s.featureProgress.done,
        'aria-label': l10n.t('Feature extraction'),
      }),
    );
  if (s.history.length) sec.append(chart(s));
  if (s.error) sec.append(h('p', { class: 'error', role: 'alert' }, s.error));
  return sec;
}

function chart(s: TrainerState): HTMLElement {
  const W = 400;
  const H = 110;
  const c = chartPaths(s.history, W, H);
  const last = s.history[s.history.length - 1];
  const label = l10n.t(
    'Training curves: epoch {0}, loss {1}, validation accuracy {2}',
    last.epoch,
    last.loss.toFixed(4),
    pct(last.valAccuracy),
  );
  const svg = `<svg class="chart" viewBox="-2 -2 ${W + 4} ${H + 4}" preserveAspectRatio="none" role="img" aria-label="${escapeHtml(label)}"><path class="loss" d="${c.loss}"/><path class="acc" d="${c.accuracy}"/></svg>`;
  const wrap = h('div', {});
  wrap.innerHTML = svg; // geometry built from numbers, and an escaped label
  wrap.append(
    h(
      'div',
      { class: 'legend muted' },
      h('span', { class: 'loss' }, '— ' + l10n.t('loss')),
      ' ' + l10n.t('(max {0})', c.maxLoss.toFixed(3)) + '  ',
      h('span', { class: 'acc' }, '— ' + l10n.t('validation accuracy')),
      '  ' + l10n.t('epoch {0}: loss {1}, val acc {2}', last.epoch, last.loss.toFixed(4), pct(last.valAccuracy)),
    ),
  );
  return wrap;
}

function perClassTable(title: string, m: MetricsSummary): HTMLElement {
  return h(
    'table',
    { 'aria-label': l10n.t('{0}: per class', title) },
    h('caption', { class: 'muted' }, title),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, l10n.t('label')),
        h('th', { class: 'num' }, l10n.t('precision')),
        h('th', { class: 'num' }, l10n.t('recall')),
        h('th', { class: 'num' }, 'F1'),
        h('th', { class: 'num' }, l10n.t('n')),
      ),
    ),
    h(
      'tbody',
      {},
      ...m.per_class.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, c.label),
          h('td', { class: 'num' }, pct(c.precision)),
          h('td', { class: 'num' }, pct(c.recall)),
          h('td', { class: 'num' }, pct(c.f1)),
          h('td', { class: 'num' }, String(c.support)),
        ),
      ),
    ),
  );
}

function resultsSection(s: TrainerState): HTMLElement | undefined {
  const r = s.result;
  if (!r) return undefined;
  if (r.report.task_metrics) return taskResultsSection(s, post);
  const rep = r.report;
  const rows = comparisonRows(rep.metrics, rep.baselines.majority, rep.baselines.tfidf_lr);
  const sec = h(
    'section',
    { 'aria-labelledby': 'res-h' },
    h('h2', { id: 'res-h' }, l10n.t('Test results ({0} examples)', rep.split.test)),
    h(
      'table',
      { id: 'comparison', 'aria-label': l10n.t('Classifier against baselines') },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, ''),
          h('th', { class: 'num' }, l10n.t('accuracy')),
          h('th', { class: 'num' }, l10n.t('macro-F1')),
        ),
      ),
      h(
        'tbody',
        {},
        ...rows.map((row) =>
          h(
            'tr',
            { class: row.best ? 'best' : '' },
            h('td', {}, row.name + (row.best ? ' ★' : '')),
            h('td', { class: 'num' }, row.accuracy),
            h('td', { class: 'num' }, row.macroF1),
          ),
        ),
      ),
    ),
  );
  if (!rows[0].best)
    sec.append(
      h(
        'p',
        { class: 'warnings' },
        l10n.t('A baseline scores at least as well as the classifier here: it may not earn its cost.'),
      ),
    );
  const cand = candidatesBlock(rep.candidates, rep.recommendation);
  if (cand) sec.append(cand);
  if (rep.head.kind === 'fine-tuned')
    sec.append(
      h(
        'div',
        { id: 'fine-tuned-note', class: 'muted' },
        l10n.t(
          'Encoder fine-tuned ({0}, {1} pooling, {2} tokens, head dropout {3}{4}); saving writes model.onnx and an int8 model_quantized.onnx.',
          rep.encoder.model,
          rep.encoder.pooling,
          rep.encoder.max_length,
          rep.head.dropout ?? '?',
          rep.head.long_texts === 'truncate'
            ? l10n.t(', first tokens of long texts only')
            : rep.head.long_texts === 'windows'
              ? l10n.t(', long texts by windows')
              : '',
        ),
      ),
    );
  sec.append(
    h(
      'div',
      { class: 'muted' },
      l10n.t(
        'Split {0}/{1}/{2} (seed {3}); best epoch {4} of {5}{6}; {7} s',
        rep.split.train,
        rep.split.validation,
        rep.split.test,
        rep.split.seed,
        rep.head.best_epoch,
        rep.head.epochs_run,
        resumedNote(rep.head),
        rep.seconds.total.toFixed(1),
      ),
    ),
  );
  sec.append(
    perClassTable(l10n.t('This classifier'), rep.metrics),
    perClassTable(l10n.t('Majority class'), rep.baselines.majority),
    perClassTable(l10n.t('TF-IDF + LR'), rep.baselines.tfidf_lr),
  );

  const k = r.labels.length;
  const table = h('table', {
    class: 'confusion',
    id: 'confusion',
    'aria-label': l10n.t('Confusion matrix: rows are true labels, columns predicted'),
  });
  table.append(
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { title: l10n.t('rows: true label; columns: predicted label') }, l10n.t('true \\ pred.')),
        ...r.labels.map((l) => h('th', { class: 'num', title: l, 'aria-label': l }, abbreviate(l))),
      ),
    ),
  );
  const body = h('tbody', {});
  for (let i = 0; i < k; i++) {
    const total = rep.metrics.confusion[i].reduce((a, b) => a + b, 0);
    const tr = h('tr', {}, h('th', { class: 'rowlabel', title: r.labels[i] }, r.labels[i]));
    for (let j = 0; j < k; j++) {
      const count = rep.metrics.confusion[i][j];
      const shade = cellShade(count, total);
      const pressed = !!cell && cell[0] === i && cell[1] === j;
      const b = h(
        'button',
        {
          id: `cell-${i}-${j}`,
          'aria-pressed': String(pressed),
          'aria-label': l10n.t('true {0}, predicted {1}: {2}', r.labels[i], r.labels[j], count),
          onclick: () => showCell(i, j),
        },
        String(count),
      );
      b.style.background = `color-mix(in srgb, var(--vscode-charts-blue, #3794ff) ${Math.round(shade * 60)}%, transparent)`;
      tr.append(h('td', { class: 'num' }, b));
    }
    body.append(tr);
  }
  table.append(body);
  sec.append(h('h2', {}, l10n.t('Confusion matrix')), table);
  if (cell) {
    const [i, j] = cell;
    const idx = r.cells[i]?.[j] ?? [];
    sec.append(
      h(
        'div',
        { class: 'muted', id: 'cell-caption' },
        l10n.t('{0} example(s): true {1}, predicted {2}', idx.length, r.labels[i], r.labels[j]),
      ),
      h(
        'div',
        { class: 'examples', role: 'list' },
        ...idx.slice(0, 100).map((x) => {
          const e = r.examples[x];
          return h(
            'div',
            { role: 'listitem' },
            h(
              'button',
              { title: `${e.file}:${e.line}`, onclick: () => post(trOpen.create({ file: e.file, line: e.line })) },
              `${e.file.split(/[\\/]/).pop()}:${e.line} (${pct(e.score)}) ${e.text}`,
            ),
            whyButton(x, e.predicted, post, !!s.why?.busy),
          );
        }),
      ),
    );
  }
  const why = whyPanel(s);
  if (why) sec.append(why);
  sec.append(
    h(
      'div',
      { class: 'toolbar' },
      h(
        'button',
        { id: 'save', onclick: () => post(trSave.create({})), disabled: !!s.busy },
        l10n.t('Save as model folder…'),
      ),
      h(
        'button',
        { id: 'classify', class: 'secondary', onclick: () => post(trClassify.create({})) },
        l10n.t('Classify selection'),
      ),
      h(
        'button',
        { id: 'label-file', class: 'secondary', onclick: () => post(trLabelFile.create({})) },
        l10n.t('Label paragraphs of the active file'),
      ),
    ),
  );
  if (s.savedTo) sec.append(h('p', { class: 'muted', role: 'status' }, l10n.t('Saved to {0}', s.savedTo)));
  return sec;
}

function showCell(i: number, j: number): void {
  cell = [i, j];
  vscodeApi.setState({ cell });
  render();
  document.getElementById('cell-caption')?.scrollIntoView({ block: 'nearest' });
}

/** The actions stay at the top, in view in a narrow sidebar (the data preview and results can be long). */
function actions(s: TrainerState): HTMLElement {
  const busy = !!s.busy;
  return h(
    'div',
    { class: 'toolbar actions' },
    h(
      'button',
      { id: 'train', onclick: () => post(trTrain.create({})), disabled: busy || !s.preview },
      l10n.t('Train'),
    ),
    busy
      ? h('button', { id: 'cancel', class: 'secondary', onclick: () => post(trCancel.create({})) }, l10n.t('Cancel'))
      : undefined,
    s.resumable && !busy
      ? h(
          'button',
          {
            id: 'resume',
            class: 'secondary',
            title: l10n.t('Continue the cancelled fine-tuning run from its last epoch’s checkpoint'),
            onclick: () => post(trTrain.create({ resume: true })),
          },
          l10n.t('Resume'),
        )
      : undefined,
    s.busy ? h('span', { class: 'muted', role: 'status' }, s.busy) : undefined,
  );
}

/** A compact column header: the first letters of a label, the full label in the tooltip. */
function abbreviate(label: string, max = 4): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

function render(): void {
  if (!state) return;
  // A state echo can arrive while the user types in a field: the field is rebuilt, and what was typed stays.
  const kept = captureFocus(document.activeElement as HTMLInputElement | null);
  if (currentMode() === 'adapt') app.replaceChildren(modeTabs(render), adaptView());
  else
    app.replaceChildren(
      modeTabs(render),
      actions(state),
      dataSection(state),
      trainSection(state),
      resultsSection(state) ?? '',
      distillSection(state.selected) ?? '',
    );
  restoreFocus(kept, (id) => document.getElementById(id) as HTMLInputElement | null);
}
