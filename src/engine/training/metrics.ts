import type { Metrics } from './types';

/** Accuracy, macro-F1 (the unweighted mean of per-class F1; a class with no predictions and no support counts
 *  0), per-class precision/recall/F1/support, and the confusion matrix with the example indexes in each cell. */
export function computeMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labels: string[]): Metrics {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const confusionExamples = Array.from({ length: k }, () => Array.from({ length: k }, () => [] as number[]));
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) {
    confusion[yTrue[i]][yPred[i]]++;
    confusionExamples[yTrue[i]][yPred[i]].push(i);
    if (yTrue[i] === yPred[i]) correct++;
  }
  const perClass = labels.map((label, c) => {
    let predicted = 0;
    let support = 0;
    for (let j = 0; j < k; j++) {
      predicted += confusion[j][c];
      support += confusion[c][j];
    }
    const tp = confusion[c][c];
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const macroF1 = perClass.reduce((s, c) => s + c.f1, 0) / k;
  return { accuracy: yTrue.length ? correct / yTrue.length : 0, macroF1, perClass, confusion, confusionExamples };
}

export { argmax } from '../math';
