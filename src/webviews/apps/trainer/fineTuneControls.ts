// The trainer's fine-tuning controls: learning rate, which layers train (all / top-K / head), freeze embeddings,
// and the Resume button after a cancelled run. Shown unless the mode is "head on frozen features".
import { h } from '../../shared/dom';
import type { TrainSettings, TrainerState } from '../../protocol/trainer';
import { taskOptions, trainLayerOptions } from './candidateRows';
import { l10n } from '../../shared/l10n';

export function fineTuneControls(
  s: TrainerState,
  setSettings: (patch: Partial<TrainSettings>) => void,
): HTMLElement | undefined {
  const st = s.settings;
  if (st.mode === 'frozen') return undefined;
  const busy = !!s.busy;
  const layers = trainLayerOptions(s.numLayers ?? 12);
  const lr = h('input', {
    id: 'lr',
    type: 'number',
    min: 1e-6,
    max: 1,
    step: 1e-5,
    value: st.learningRate ?? '',
    placeholder: l10n.t('auto'),
    title: l10n.t('Peak learning rate; empty: 1e-4 for small encoders such as the embedded one, 5e-5 for base size'),
    disabled: busy,
    onchange: (e: Event) => {
      const v = Number((e.target as HTMLInputElement).value);
      setSettings({ learningRate: (e.target as HTMLInputElement).value === '' || !(v > 0) ? undefined : v });
    },
  });
  const which = h(
    'select',
    {
      id: 'train-layers',
      disabled: busy,
      onchange: (e: Event) => setSettings({ trainLayers: (e.target as HTMLSelectElement).value }),
    },
    ...layers.map(([v, t]) => h('option', { value: v, selected: v === (st.trainLayers ?? 'all') }, t)),
  );
  const freeze = h('input', {
    id: 'freeze-emb',
    type: 'checkbox',
    checked: !!st.freezeEmbeddings,
    disabled: busy || st.trainLayers === 'head',
    onchange: (e: Event) => setSettings({ freezeEmbeddings: (e.target as HTMLInputElement).checked }),
  });
  const tasks = taskOptions(s.preview);
  const current =
    s.preview?.task === 'token' || s.preview?.task === 'qa'
      ? s.preview.task
      : s.preview?.pairColumn
        ? 'pair'
        : 'sequence';
  const task = h(
    'select',
    {
      id: 'task',
      disabled: busy || tasks.length < 2,
      title: l10n.t('The fine-tuning shapes this data fits'),
      onchange: (e: Event) =>
        (e.target as HTMLSelectElement).value === 'sequence' && setSettings({ pairColumn: undefined }),
    },
    ...tasks.map(([v, t]) => h('option', { value: v, selected: v === current }, t)),
  );
  return h(
    'div',
    { class: 'toolbar', id: 'fine-tune-controls', 'aria-label': l10n.t('Fine-tuning settings') },
    h('label', {}, l10n.t('Task'), task),
    h('label', {}, l10n.t('Learning rate'), lr),
    h('label', {}, l10n.t('Train'), which),
    h('label', {}, freeze, l10n.t('Freeze embeddings')),
  );
}
