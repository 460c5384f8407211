import baseCss from '../../shared/base.css';
import { h, injectStyle, vscodeApi } from '../../shared/dom';
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
    ['', s.datasets.length ? 'Choose a dataset…' : 'No CSV/TSV/JSONL or label folders found'],
    ...s.datasets.map((d): [string, string] => [d.path, `${d.path.split(/[\\/]/).slice(-2).join('/')} (${d.format})`]),
  ];
  const sec = h(
    'section',
    { 'aria-labelledby': 'data-h' },
    h('h2', { id: 'data-h' }, 'Data'),
    h(
      'div',
      { class: 'toolbar' },
      select('dataset', 'Dataset', s.selected ?? '', opts, (v) => v && post(trSelect.create({ path: v })), busy),
      h(
        'button',
        { id: 'refresh', class: 'secondary', onclick: () => post(trRefresh.create({})), disabled: busy },
        'Refresh',
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
          select('text-col', 'Text', p.textColumn, cols, (v) => setSettings({ textColumn: v }), busy),
          select('label-col', 'Label', p.labelColumn, cols, (v) => setSettings({ labelColumn: v }), busy),
          select(
            'pair-col',
            'Pair',
            p.pairColumn ?? '',
            [['', '(none)'], ...cols],
            (v) => setSettings({ pairColumn: v || undefined }),
            busy,
          ),
        ),
      );
    }
    sec.append(h('div', { class: 'muted' }, `${p.size} examples, ${p.labelCounts.length} labels (${p.format})`));
    sec.append(
      h(
        'div',
        { class: 'counts', role: 'list', 'aria-label': 'Label counts' },
        ...p.labelCounts.map((c) => h('span', { role: 'listitem' }, `${c.label}: ${c.count}`)),
      ),
    );
    if (p.warnings.length)
      sec.append(
        h('ul', { class: 'warnings', 'aria-label': 'Warnings' }, ...p.warnings.map((w) => h('li', {}, w.message))),
      );
    const hasPair = p.rows.some((r) => r.pair !== undefined);
    sec.append(
      h(
        'table',
        { class: 'rows', 'aria-label': 'First rows' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'line'),
            h('th', {}, 'text'),
            hasPair ? h('th', {}, 'pair') : undefined,
            h('th', {}, 'label'),
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
    ['-1', 'last'],
    ...Array.from({ length: n + 1 }, (_, i): [string, string] => [String(i), i === 0 ? '0 (embeddings)' : String(i)]),
  ];
  const sec = h(
    'section',
    { 'aria-labelledby': 'train-h' },
    h('h2', { id: 'train-h' }, 'Train'),
    h(
      'div',
      { class: 'toolbar' },
      select(
        'mode',
        'Mode',
        st.mode ?? 'auto',
        [
          ['auto', 'fine-tune (when fp32 exists)'],
          ['fine-tune', 'fine-tune the encoder'],
          ['frozen', 'head on frozen features'],
        ],
        (v) => setSettings({ mode: v as 'auto' | 'fine-tune' | 'frozen' }),
        busy,
      ),
      numberInput(
        'epochs',
        'Epochs',
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
      select('layer', 'Layer', String(st.layer), layerOpts, (v) => setSettings({ layer: Number(v) }), busy),
      numberInput('last-n', 'Concat last', st.lastLayers, 1, n + 1, 1, (v) => setSettings({ lastLayers: v }), busy),
      select(
        'pooling',
        'Pooling',
        st.pooling,
        [
          ['mean', 'mean'],
          ['cls', 'first token'],
        ],
        (v) => setSettings({ pooling: v as 'mean' | 'cls' }),
        busy,
      ),
      select(
        'head',
        'Head',
        st.head,
        [
          ['logistic', 'logistic regression'],
          ['mlp', 'MLP'],
        ],
        (v) => setSettings({ head: v as 'logistic' | 'mlp' }),
        busy,
      ),
    ),
    h(
      'div',
      { class: 'toolbar' },
      numberInput('seed', 'Seed', st.seed, 0, 2 ** 31, 1, (v) => setSettings({ seed: v }), busy),
      numberInput('test-frac', 'Test', st.testFraction, 0.05, 0.5, 0.05, (v) => setSettings({ testFraction: v }), busy),
      numberInput('val-frac', 'Validation', st.valFraction, 0, 0.4, 0.05, (v) => setSettings({ valFraction: v }), busy),
    ),
  );
  const ft = fineTuneControls(s, setSettings);
  if (ft) sec.children[1].after(ft);
  if (s.featureProgress && busy)
    sec.append(
      h('progress', {
        max: s.featureProgress.total,
        value: s.featureProgress.done,
        'aria-label': 'Feature extraction',
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
  const svg = `<svg class="chart" viewBox="-2 -2 ${W + 4} ${H + 4}" preserveAspectRatio="none" role="img" aria-label="Training curves: epoch ${last.epoch}, loss ${last.loss.toFixed(4)}, validation accuracy ${pct(last.valAccuracy)}"><path class="loss" d="${c.loss}"/><path class="acc" d="${c.accuracy}"/></svg>`;
  const wrap = h('div', {});
  wrap.innerHTML = svg; // geometry only, built from numbers
  wrap.append(
    h(
      'div',
      { class: 'legend muted' },
      h('span', { class: 'loss' }, '— loss'),
      ` (max ${c.maxLoss.toFixed(3)})  `,
      h('span', { class: 'acc' }, '— validation accuracy'),
      `  epoch ${last.epoch}: loss ${last.loss.toFixed(4)}, val acc ${pct(last.valAccuracy)}`,
    ),
  );
  return wrap;
}

function perClassTable(title: string, m: MetricsSummary): HTMLElement {
  return h(
    'table',
    { 'aria-label': `${title}: per class` },
    h('caption', { class: 'muted' }, title),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'label'),
        h('th', { class: 'num' }, 'precision'),
        h('th', { class: 'num' }, 'recall'),
        h('th', { class: 'num' }, 'F1'),
        h('th', { class: 'num' }, 'n'),
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
    h('h2', { id: 'res-h' }, `Test results (${rep.split.test} examples)`),
    h(
      'table',
      { id: 'comparison', 'aria-label': 'Classifier against baselines' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, ''), h('th', { class: 'num' }, 'accuracy'), h('th', { class: 'num' }, 'macro-F1')),
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
        'A baseline scores at least as well as the classifier here: it may not earn its cost.',
      ),
    );
  const cand = candidatesBlock(rep.candidates, rep.recommendation);
  if (cand) sec.append(cand);
  if (rep.head.kind === 'fine-tuned')
    sec.append(
      h(
        'div',
        { id: 'fine-tuned-note', class: 'muted' },
        `Encoder fine-tuned (${rep.encoder.model}, ${rep.encoder.pooling} pooling, ${rep.encoder.max_length} tokens); saving writes model.onnx and an int8 model_quantized.onnx.`,
      ),
    );
  sec.append(
    h(
      'div',
      { class: 'muted' },
      `Split ${rep.split.train}/${rep.split.validation}/${rep.split.test} (seed ${rep.split.seed}); best epoch ${rep.head.best_epoch} of ${rep.head.epochs_run}${resumedNote(rep.head)}; ${rep.seconds.total.toFixed(1)} s`,
    ),
  );
  sec.append(
    perClassTable('This classifier', rep.metrics),
    perClassTable('Majority class', rep.baselines.majority),
    perClassTable('TF-IDF + LR', rep.baselines.tfidf_lr),
  );

  const k = r.labels.length;
  const table = h('table', {
    class: 'confusion',
    id: 'confusion',
    'aria-label': 'Confusion matrix: rows are true labels, columns predicted',
  });
  table.append(
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { title: 'rows: true label; columns: predicted label' }, 'true \\ pred.'),
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
          'aria-label': `true ${r.labels[i]}, predicted ${r.labels[j]}: ${count}`,
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
  sec.append(h('h2', {}, 'Confusion matrix'), table);
  if (cell) {
    const [i, j] = cell;
    const idx = r.cells[i]?.[j] ?? [];
    sec.append(
      h(
        'div',
        { class: 'muted', id: 'cell-caption' },
        `${idx.length} example(s): true ${r.labels[i]}, predicted ${r.labels[j]}`,
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
      h('button', { id: 'save', onclick: () => post(trSave.create({})), disabled: !!s.busy }, 'Save as model folder…'),
      h(
        'button',
        { id: 'classify', class: 'secondary', onclick: () => post(trClassify.create({})) },
        'Classify selection',
      ),
      h(
        'button',
        { id: 'label-file', class: 'secondary', onclick: () => post(trLabelFile.create({})) },
        'Label paragraphs of the active file',
      ),
    ),
  );
  if (s.savedTo) sec.append(h('p', { class: 'muted', role: 'status' }, `Saved to ${s.savedTo}`));
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
    h('button', { id: 'train', onclick: () => post(trTrain.create({})), disabled: busy || !s.preview }, 'Train'),
    busy
      ? h('button', { id: 'cancel', class: 'secondary', onclick: () => post(trCancel.create({})) }, 'Cancel')
      : undefined,
    s.resumable && !busy
      ? h(
          'button',
          {
            id: 'resume',
            class: 'secondary',
            title: 'Continue the cancelled fine-tuning run from its last epoch’s checkpoint',
            onclick: () => post(trTrain.create({ resume: true })),
          },
          'Resume',
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
  const focused = document.activeElement?.id;
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
  if (focused) document.getElementById(focused)?.focus();
}
