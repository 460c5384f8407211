// The training engine's modules for the training tests, as one object (`training().csv`, …). Not a test itself:
// scripts/build-tests.mjs bundles the tests that import it, with these TypeScript sources, into out/test.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as errors from '../../src/engine/errors';
import * as runtime from '../../src/engine/runtime';
import { Engine } from '../../src/engine/engine';
import type { EmbedOptions, FeatureExtractor } from '../../src/engine/training/extractor';
import { LoadedModel } from '../../src/engine/model';
import * as classifyTask from '../../src/engine/tasks/sequenceClassification';
import * as trainCommand from '../../src/cli/train';
import * as csv from '../../src/engine/training/data/csv';
import * as data from '../../src/engine/training/data/data';
import * as dataChecks from '../../src/engine/training/data/dataChecks';
import * as discover from '../../src/engine/training/data/discover';
import * as extractor from '../../src/engine/training/extractor';
import * as featureCache from '../../src/engine/training/featureCache';
import * as features from '../../src/engine/training/features';
import * as heads from '../../src/engine/training/heads';
import * as longTexts from '../../src/engine/training/longTexts';
import * as methods from '../../src/engine/training/methods';
import * as metrics from '../../src/engine/training/metrics';
import * as onnxHead from '../../src/engine/training/onnxHead';
import * as random from '../../src/engine/training/random';
import * as report from '../../src/engine/training/report';
import * as save from '../../src/engine/training/save';
import * as session from '../../src/engine/training/session';
import * as split from '../../src/engine/training/data/split';
import * as tfidf from '../../src/engine/training/tfidf';
import * as train from '../../src/engine/training/train';
import { ROOT } from '../helpers';

export const root = ROOT;

const modules = {
  csv,
  data,
  dataChecks,
  split,
  metrics,
  tfidf,
  heads,
  features,
  train,
  extractor,
  featureCache,
  onnxHead,
  save,
  report,
  trainCommand,
  methods,
  random,
  discover,
  session,
  longTexts,
  errors,
  LoadedModel,
  Engine,
  runtime,
  classifyTask,
};

export function training() {
  return modules;
}

export function tmpDir(prefix = 'bert-lens-training-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fake feature extractor: a bag of hashed words, deterministic and instant. */
export function fakeExtractor(dim = 16): FeatureExtractor & { calls: number } {
  return {
    key: `fake-${dim}`,
    dim,
    calls: 0,
    async embedBatch(texts: string[], pairs: string[] | undefined, opts: EmbedOptions = {}) {
      this.calls++;
      const out = texts.map((t, i) => {
        const v = new Float32Array(dim);
        for (const w of `${t} ${pairs?.[i] ?? ''}`.toLowerCase().split(/\W+/).filter(Boolean)) {
          let h = 2166136261;
          for (const ch of w) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
          v[h % dim] += 1;
        }
        return v;
      });
      opts.onBatch?.(texts.length, texts.length);
      return out;
    },
  };
}
