import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downloadProgressMapper } from '../../src/extension/core/downloadProgress';

test('with overallTotal the bar follows the whole download: small files do not fill it', () => {
  const map = downloadProgressMapper();
  // config (1 kB) + tokenizer (0.7 MB) + model (99.299 MB) = 100 MB in all
  const total = 100e6;
  const steps = [
    map({ file: 'config.json', loaded: 1000, total: 1000, overallLoaded: 1000, overallTotal: total }),
    map({ file: 'tokenizer.json', loaded: 700e3, total: 700e3, overallLoaded: 701e3, overallTotal: total }),
    map({
      file: 'onnx/model_quantized.onnx',
      loaded: 49.299e6,
      total: 99.299e6,
      overallLoaded: 50e6,
      overallTotal: total,
    }),
    map({
      file: 'onnx/model_quantized.onnx',
      loaded: 99.299e6,
      total: 99.299e6,
      overallLoaded: 100e6,
      overallTotal: total,
    }),
  ];
  assert.deepEqual(
    steps.map((s) => s.increment),
    [0, 0, 50, 50],
  );
  assert.equal(steps[2].message, 'onnx/model_quantized.onnx 49% of 99.3 MB — 50.0 of 100.0 MB');
});

test('increments never go negative and never sum past 100', () => {
  const map = downloadProgressMapper();
  const o = { file: 'a', overallTotal: 1000 };
  const incs = [600, 400, 1000, 1200].map((n) => map({ ...o, loaded: n, overallLoaded: n }).increment);
  assert.deepEqual(incs, [60, 0, 40, 0]);
});

test('without overallTotal it falls back to percent of the current file, restarting per file', () => {
  const map = downloadProgressMapper();
  const incs = [
    map({ file: 'a', loaded: 50, total: 100 }),
    map({ file: 'a', loaded: 100, total: 100 }),
    map({ file: 'b', loaded: 30, total: 100 }),
    map({ file: 'c', loaded: 5e6 }),
  ];
  assert.deepEqual(
    incs.map((s) => s.increment),
    [50, 50, 30, undefined],
  );
  assert.equal(incs[3].message, 'c 5.0 MB');
});

test('a waiting download says so', () => {
  const map = downloadProgressMapper();
  assert.equal(
    map({ file: 'onnx/model.onnx', loaded: 0, waiting: true }).message,
    'onnx/model.onnx (waiting for another download)',
  );
});
