// The Classifier Trainer's Distill mode: pick a teacher (a classifier saved by the trainer, or any sequence
// classification model folder) and a student (the embedded model by default, optionally cut to fewer layers),
// T and α; run with progress and cancel on the dataset selected above; then teacher and student side by side,
// and Save. State comes from the host (distill/state); main.ts places the section.
import { h, vscodeApi } from '../../shared/dom';
import {
  type DistillSettings,
  type DistillState,
  dsBrowseTeacher,
  dsCancel,
  dsRun,
  dsSave,
  dsSettings,
  dsState,
} from '../../protocol/distill';
import { distillRows, distillSummary } from './distillView';
import { l10n } from '../../shared/l10n';

let dstate: DistillState | undefined;
/** The section's open state as the user left it (re-renders rebuild the element). */
let opened = false;
const post = (m: unknown) => vscodeApi.postMessage(m);

/** Listens for the host's Distill state; `rerender` redraws the whole trainer view. */
export function listenDistill(rerender: () => void): void {
  window.addEventListener('message', (e: MessageEvent) => {
    if (!dsState.is(e.data)) return;
    dstate = e.data.params;
    rerender();
  });
}

function set(patch: Partial<DistillSettings>): void {
  if (dstate) post(dsSettings.create({ ...dstate.settings, ...patch }));
}

function num(
  id: string,
  label: string,
  value: number | undefined,
  min: number,
  max: number,
  step: number,
  onChange: (v: number | undefined) => void,
  disabled: boolean,
  placeholder = '',
): HTMLElement {
  return h(
    'label',
    {},
    label,
    h('input', {
      id,
      type: 'number',
      value: value ?? '',
      placeholder,
      min,
      max,
      step,
      disabled,
      onchange: (e: Event) => {
        const v = (e.target as HTMLInputElement).value;
        onChange(v === '' ? undefined : Number(v));
      },
    }),
  );
}

/** The Distill section, for the dataset selected in the Data section (undefined: none yet). */
export function distillSection(dataset: string | undefined): HTMLElement | undefined {
  const s = dstate;
  if (!s) return undefined;
  const busy = !!s.busy;
  const st = s.settings;
  const teacherOpts = [
    ['', s.teachers.length ? l10n.t('Choose a teacher…') : l10n.t('No classifier folders found')],
    ...s.teachers.map((t) => [t.path, t.label]),
  ];
  if (st.teacher && !s.teachers.some((t) => t.path === st.teacher))
    teacherOpts.push([st.teacher, st.teacher.split(/[\\/]/).slice(-2).join('/')]);
  const sec = h(
    'details',
    {
      id: 'distill',
      open: opened || !!(st.teacher || s.result || busy),
      ontoggle: (e: Event) => (opened = (e.target as HTMLDetailsElement).open),
    },
    h('summary', {}, h('h2', { id: 'distill-h' }, l10n.t('Distill (teacher → student)'))),
    h(
      'p',
      { class: 'muted' },
      l10n.t(
        'Train a smaller student on a classifier’s soft labels (loss α·T²·KL(teacher ‖ student) + (1−α)·cross-entropy), then compare both on the test split.',
      ),
    ),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'label',
        {},
        l10n.t('Teacher'),
        h(
          'select',
          {
            id: 'distill-teacher',
            disabled: busy,
            onchange: (e: Event) => set({ teacher: (e.target as HTMLSelectElement).value || undefined }),
          },
          ...teacherOpts.map(([v, t]) => h('option', { value: v, selected: v === (st.teacher ?? '') }, t)),
        ),
      ),
      h(
        'button',
        { id: 'distill-browse', class: 'secondary', disabled: busy, onclick: () => post(dsBrowseTeacher.create({})) },
        l10n.t('Browse…'),
      ),
    ),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'label',
        {},
        l10n.t('Student'),
        h('input', {
          id: 'distill-student',
          type: 'text',
          value: st.student,
          disabled: busy,
          title: l10n.t('"embedded" or a model folder'),
          onchange: (e: Event) => set({ student: (e.target as HTMLInputElement).value.trim() || 'embedded' }),
        }),
      ),
      num(
        'distill-layers',
        l10n.t('Layers kept'),
        st.studentLayers,
        1,
        48,
        1,
        (v) => set({ studentLayers: v }),
        busy,
        l10n.t('all'),
      ),
    ),
    h(
      'div',
      { class: 'toolbar' },
      num('distill-t', 'T', st.temperature, 0.5, 20, 0.5, (v) => set({ temperature: v ?? 2 }), busy),
      num('distill-alpha', 'α', st.alpha, 0, 1, 0.1, (v) => set({ alpha: v ?? 0.5 }), busy),
      num('distill-epochs', l10n.t('Epochs'), st.epochs, 1, 50, 1, (v) => set({ epochs: v ?? 3 }), busy),
    ),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'button',
        {
          id: 'distill-run',
          disabled: busy || !dataset || !st.teacher,
          onclick: () => dataset && post(dsRun.create({ data: dataset })),
        },
        l10n.t('Distill'),
      ),
      busy
        ? h(
            'button',
            { id: 'distill-cancel', class: 'secondary', onclick: () => post(dsCancel.create({})) },
            l10n.t('Cancel'),
          )
        : undefined,
      s.busy ? h('span', { class: 'muted', role: 'status' }, s.busy) : undefined,
    ),
  );
  if (!dataset) sec.append(h('p', { class: 'muted' }, l10n.t('Choose a dataset above first.')));
  if (s.step && busy)
    sec.append(
      h('progress', {
        id: 'distill-progress',
        max: s.step.totalSteps,
        value: s.step.step,
        'aria-label': l10n.t('Distillation: step {0} of {1}', s.step.step, s.step.totalSteps),
      }),
    );
  if (s.history.length)
    sec.append(
      h(
        'div',
        { class: 'muted', id: 'distill-history' },
        s.history
          .map((e) =>
            l10n.t(
              'epoch {0}: loss {1}, validation {2}%',
              e.epoch,
              e.train_loss.toFixed(4),
              (100 * e.val_metric).toFixed(1),
            ),
          )
          .join(' · '),
      ),
    );
  if (s.error) sec.append(h('p', { class: 'error', role: 'alert' }, s.error));
  const r = s.result;
  if (r) {
    sec.append(
      h(
        'table',
        { id: 'distill-table', 'aria-label': l10n.t('Teacher and student on the test split') },
        h(
          'caption',
          { class: 'muted' },
          l10n.t(
            'Test split, {0} examples (T = {1}, α = {2}; both fp32, timed on the same batches, alternately)',
            r.test_size,
            r.temperature,
            r.alpha,
          ),
        ),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, ''),
            h('th', { class: 'num' }, l10n.t('teacher')),
            h('th', { class: 'num' }, l10n.t('student')),
            h('th', { class: 'num' }, l10n.t('student / teacher')),
          ),
        ),
        h(
          'tbody',
          {},
          ...distillRows(r.teacher, r.student).map((row) =>
            h(
              'tr',
              {},
              h('td', {}, row.metric),
              h('td', { class: 'num' }, row.teacher),
              h('td', { class: 'num' }, row.student),
              h('td', { class: 'num' }, row.ratio),
            ),
          ),
        ),
      ),
      h('p', { id: 'distill-summary' }, distillSummary(r.teacher, r.student)),
      h(
        'div',
        { class: 'toolbar' },
        h(
          'button',
          { id: 'distill-save', disabled: busy, onclick: () => post(dsSave.create({})) },
          l10n.t('Save student as a model folder…'),
        ),
      ),
    );
  }
  if (s.savedTo) sec.append(h('p', { class: 'muted', role: 'status' }, l10n.t('Saved to {0}', s.savedTo)));
  return sec;
}
