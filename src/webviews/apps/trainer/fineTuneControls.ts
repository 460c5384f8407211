// The trainer's fine-tuning controls: learning rate, which layers train (all / top-K / head), freeze embeddings,
// the head's dropout, how long single texts are read, and the Resume button after a cancelled run. Shown unless the mode is "head on frozen features".
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
  const dropout = h('input', {
    id: 'dropout',
    type: 'number',
    min: 0,
    max: 0.9,
    step: 0.05,
    value: st.dropout ?? '',
    placeholder: l10n.t('auto'),
    title: l10n.t("Dropout on the head's input while training; empty: the model's config (0.1 for BERT); 0: none"),
    disabled: busy,
    onchange: (e: Event) => {
      const raw = (e.target as HTMLInputElement).value;
      const v = Number(raw);
      // Empty (or not a rate): the model's config; above 0.9 the engine's cap.
      setSettings({ dropout: raw === '' || !(v >= 0) ? undefined : Math.min(0.9, v) });
    },
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
  // Windows apply to single texts (sequence classification); pairs, tags and QA contexts have their own reading.
  const longTexts =
    current === 'sequence'
      ? h(
          'select',
          {
            id: 'long-texts',
            disabled: busy,
            title: l10n.t(
              'A text longer than the model reads at once: train and score it by its windows, as classify reads it, or by its first tokens only',
            ),
            onchange: (e: Event) =>
              setSettings({ longTexts: (e.target as HTMLSelectElement).value as 'windows' | 'truncate' }),
          },
          h('option', { value: 'windows', selected: (st.longTexts ?? 'windows') === 'windows' }, l10n.t('by windows')),
          h('option', { value: 'truncate', selected: st.longTexts === 'truncate' }, l10n.t('first tokens only')),
        )
      : undefined;
  return h(
    'div',
    { class: 'toolbar', id: 'fine-tune-controls', 'aria-label': l10n.t('Fine-tuning settings') },
    h('label', {}, l10n.t('Task'), task),
    h('label', {}, l10n.t('Learning rate'), lr),
    h('label', {}, l10n.t('Train'), which),
    h('label', {}, freeze, l10n.t('Freeze embeddings')),
    h('label', {}, l10n.t('Head dropout'), dropout),
    ...(longTexts ? [h('label', {}, l10n.t('Long texts'), longTexts)] : []),
  );
}
