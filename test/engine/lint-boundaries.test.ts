// The layer boundaries are enforced by ESLint (eslint.config.mjs): each rule is checked here on a small source
// text linted as if it were a file at the given path (nothing is written to src/).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { ROOT as root } from '../helpers';

const eslint = new ESLint({ cwd: root });

/** The messages of the import-boundary rule for `code` linted as `file`. */
async function boundaryErrors(file: string, code: string) {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  assert.equal(r.fatalErrorCount, 0, JSON.stringify(r.messages));
  return r.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

test('the engine may not import vscode, the extension, the webviews or the CLI', async () => {
  assert.match(
    (
      await boundaryErrors('src/engine/tasks/probe.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n")
    )[0] ?? '',
    /Only src\/extension may import vscode/,
  );
  for (const target of [
    '../../extension/services',
    '../../webviews/protocol/ipc',
    '../../cli/format',
    '../extension',
  ]) {
    const errors = await boundaryErrors(
      'src/engine/tasks/probe.ts',
      `import { x } from '${target}';\nexport const y = x;\n`,
    );
    assert.equal(errors.length, 1, target);
    assert.match(errors[0], /may not import src\/extension, src\/webviews or src\/cli/);
  }
  // A type-only import is still an import of another layer.
  assert.equal(
    (
      await boundaryErrors(
        'src/engine/probe.ts',
        "import type { Services } from '../extension/services';\nexport type S = Services;\n",
      )
    ).length,
    1,
  );
  assert.deepEqual(
    await boundaryErrors(
      'src/engine/tasks/probe.ts',
      "import { requireText } from './common';\nimport type { ModelSpec } from '../api';\nexport const y: ModelSpec = { model: requireText('x') };\n",
    ),
    [],
  );
});

test('only src/engine/runtime.ts imports onnxruntime-node', async () => {
  const code = "import * as ort from 'onnxruntime-node';\nexport const t = ort.Tensor;\n";
  assert.deepEqual(await boundaryErrors('src/engine/runtime.ts', code), []);
  for (const file of ['src/engine/model.ts', 'src/extension/probe.ts', 'src/cli/probe.ts', 'src/bench/probe.ts']) {
    const errors = await boundaryErrors(file, code);
    assert.equal(errors.length, 1, file);
    assert.match(errors[0], /Only src\/engine\/runtime\.ts imports onnxruntime-node/);
  }
  // Tests may use ONNX Runtime directly as an independent path.
  assert.deepEqual(await boundaryErrors('test/engine/probe.test.ts', code), []);
});

test('webviews import only types from the engine, plus their protocol', async () => {
  assert.deepEqual(
    await boundaryErrors(
      'src/webviews/apps/fillMask/probe.ts',
      "import type { Offset } from '../../../engine/api';\nimport { fmReady } from '../../protocol/fillMask';\nexport const o: Offset = [0, 1];\nexport const r = fmReady;\n",
    ),
    [],
  );
  const value = await boundaryErrors(
    'src/webviews/apps/fillMask/probe.ts',
    "import { requireText } from '../../../engine/tasks/common';\nexport const f = requireText;\n",
  );
  assert.equal(value.length, 1);
  assert.match(value[0], /only `import type` from the engine/);
  for (const code of [
    "import * as vscode from 'vscode';\nexport const v = vscode;\n",
    "import { log } from '../../../extension/log';\nexport const l = log;\n",
    "import * as fs from 'node:fs';\nexport const f = fs;\n",
  ]) {
    assert.equal((await boundaryErrors('src/webviews/apps/fillMask/probe.ts', code)).length, 1, code);
  }
});

test('src/shared (imported by the engine and the webviews) imports only engine types, no front end, no Node', async () => {
  assert.deepEqual(
    await boundaryErrors(
      'src/shared/probe.ts',
      "import type { Offset } from '../engine/api';\nexport const o: Offset = [0, 1];\n",
    ),
    [],
  );
  for (const code of [
    "import { requireText } from '../engine/tasks/common';\nexport const f = requireText;\n",
    "import { fmReady } from '../webviews/protocol/fillMask';\nexport const r = fmReady;\n",
    "import { log } from '../extension/log';\nexport const l = log;\n",
    "import * as fs from 'node:fs';\nexport const f = fs;\n",
    "import * as vscode from 'vscode';\nexport const v = vscode;\n",
  ]) {
    assert.equal((await boundaryErrors('src/shared/probe.ts', code)).length, 1, code);
  }
  // Both sides may import it.
  assert.deepEqual(
    await boundaryErrors(
      'src/engine/tasks/probe.ts',
      "import { nestAttention } from '../../shared/attention';\nexport const n = nestAttention;\n",
    ),
    [],
  );
  assert.deepEqual(
    await boundaryErrors(
      'src/webviews/protocol/probe.ts',
      "import { nestAttention } from '../../shared/attention';\nexport const n = nestAttention;\n",
    ),
    [],
  );
});
