import * as path from 'node:path';
import { formatPercent } from '../math';
import type { TrainOutcome } from './train';
import type { Dataset, DataWarning, MetricsSummary, TrainingReport } from './types';

// The report's shapes are in ./types (type-only, so that the sidebar's webview can use them).
export type { MetricsSummary, TrainingReport } from './types';

export function summarize(m: TrainOutcome['metrics']): MetricsSummary {
  return { accuracy: m.accuracy, macro_f1: m.macroF1, per_class: m.perClass, confusion: m.confusion };
}

export function buildReport(
  dataset: Dataset,
  o: TrainOutcome,
  info: {
    seed: number;
    model: string;
    variant: string;
    layers: number[];
    pooling: string;
    maxLength: number;
    classWeights: string;
  },
): TrainingReport {
  return {
    created: new Date().toISOString(),
    data: {
      path: dataset.path,
      format: dataset.format,
      text_column: dataset.textColumn,
      label_column: dataset.labelColumn,
      ...(dataset.pairColumn ? { pair_column: dataset.pairColumn } : {}),
      size: dataset.examples.length,
      label_counts: Object.fromEntries(dataset.labels.map((l, i) => [l, o.counts[i]])),
      warnings: dataset.warnings.map((w: DataWarning) => w.message),
    },
    split: {
      seed: info.seed,
      given: !!dataset.givenSplit,
      train: o.split.train.length,
      validation: o.split.val.length,
      test: o.split.test.length,
    },
    encoder: {
      model: info.model,
      variant: info.variant,
      layers: info.layers,
      pooling: info.pooling,
      max_length: info.maxLength,
      dim: o.classifier.extractor.dim,
    },
    head: {
      kind: o.classifier.head.kind,
      ...(o.classifier.head.hidden ? { hidden: o.classifier.head.hidden } : {}),
      best_epoch: o.bestEpoch,
      epochs_run: o.history.length,
      stopped_early: o.stoppedEarly,
      class_weights: info.classWeights,
    },
    metrics: summarize(o.metrics),
    baselines: { majority: summarize(o.baselines.majority), tfidf_lr: summarize(o.baselines.tfidf_lr) },
    history: o.history,
    seconds: o.seconds,
    ...(o.candidates ? { candidates: o.candidates } : {}),
    ...(o.recommendation ? { recommendation: o.recommendation } : {}),
  };
}

const pct = (x: number) => formatPercent(x);

export function modelCard(r: TrainingReport, labels: string[]): string {
  const row = (name: string, m: MetricsSummary) => `| ${name} | ${pct(m.accuracy)} | ${pct(m.macro_f1)} |`;
  const beaten = [r.baselines.majority, r.baselines.tfidf_lr].filter((b) => b.macro_f1 >= r.metrics.macro_f1).length;
  return `# Text classifier trained with BERT Lens

A frozen ${r.encoder.model} encoder (${r.encoder.variant}; ${r.encoder.pooling} pooling over hidden state${r.encoder.layers.length > 1 ? 's' : ''} ${r.encoder.layers.join(', ')}; inputs cut to ${r.encoder.max_length} tokens) with a ${r.head.kind === 'mlp' ? `one-hidden-layer MLP (${r.head.hidden} units)` : 'multinomial logistic regression'} head trained on top. \`onnx/model.onnx\` runs encoder, pooling and head in one graph and outputs \`logits\` [batch, ${labels.length}].

Labels: ${labels.map((l, i) => `${i} = ${l}`).join(', ')}.

## Data
- Source: \`${path.basename(r.data.path)}\` (${r.data.format}, text column \`${r.data.text_column}\`${r.data.pair_column ? `, pair column \`${r.data.pair_column}\`` : ''}, label column \`${r.data.label_column}\`), ${r.data.size} examples.
- Label counts: ${Object.entries(r.data.label_counts)
    .map(([l, c]) => `${l} ${c}`)
    .join(', ')}.
${r.data.warnings.length ? r.data.warnings.map((w) => `- Warning: ${w}`).join('\n') + '\n' : ''}
## Split
${r.split.given ? 'Given by the data layout / split files' : `Stratified, seed ${r.split.seed}`}: ${r.split.train} train, ${r.split.validation} validation (early stopping), ${r.split.test} test.

## Results on the held-out test split
| model | accuracy | macro-F1 |
| --- | --- | --- |
${row('this classifier', r.metrics)}
${row('majority class', r.baselines.majority)}
${row('TF-IDF + logistic regression', r.baselines.tfidf_lr)}

${beaten ? `**${beaten === 2 ? 'Both baselines match or beat' : 'A baseline matches or beats'} this classifier on macro-F1**: prefer the cheaper model unless other reasons apply.` : 'The classifier beats both baselines on macro-F1 on this split.'}

Per class (this classifier):

| label | precision | recall | F1 | support |
| --- | --- | --- | --- | --- |
${r.metrics.per_class.map((c) => `| ${c.label} | ${pct(c.precision)} | ${pct(c.recall)} | ${pct(c.f1)} | ${c.support} |`).join('\n')}

## Training
Best epoch ${r.head.best_epoch} of ${r.head.epochs_run}${r.head.stopped_early ? ' (early stopping on validation loss)' : ''}, class weights: ${r.head.class_weights}. Time: features ${r.seconds.features.toFixed(1)} s, head ${r.seconds.head.toFixed(1)} s, baselines ${r.seconds.baselines.toFixed(1)} s.

## Limits
Scores come from one split of one dataset; small test sets give wide error bars. The encoder was not fine-tuned.
`;
}
