// ESLint: the layer boundaries of CONTRIBUTING.md as rules, plus a light set of bug-catching rules (the type
// checker does the rest). Run with `npm run lint`; `npm test` runs it first.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const LAYERS = {
  vscode: {
    name: 'vscode',
    message: 'Only src/extension may import vscode; the engine and the webviews run without it.',
  },
  ort: { name: 'onnxruntime-node', message: 'Only src/engine/runtime.ts imports onnxruntime-node; use its wrappers.' },
  ortCommon: {
    name: 'onnxruntime-common',
    message: 'Only src/engine/runtime.ts imports ONNX Runtime; use its wrappers.',
  },
  // Relative paths that climb out of src/engine into another front end.
  frontEnds: {
    regex: '^(\\.\\./)+(extension|webviews|cli)(/|$)',
    message:
      'The engine is shared by the CLI and the extension: it may not import src/extension, src/webviews or src/cli.',
  },
  // From src/webviews: the engine's types only (the webview bundle runs in a browser).
  engineValues: {
    regex: '^(\\.\\./)+engine(/|$)',
    allowTypeImports: true,
    message:
      'Webviews may only `import type` from the engine (they run in the browser); add what they need to their protocol.',
  },
  hostSide: {
    regex: '^(\\.\\./)+(extension|cli)(/|$)',
    message: 'Webviews talk to the extension through their protocol (src/webviews/protocol), never by importing it.',
  },
  nodeBuiltins: { regex: '^node:', message: 'Webviews run in the browser: no Node modules.' },
  // From src/shared (pure code that both the engine and the webviews import): no front end, no engine values.
  sharedFrontEnds: {
    regex: '^(\\.\\./)+(extension|webviews|cli)(/|$)',
    message: 'src/shared is imported by the engine and the webviews: it may not import a front end.',
  },
};

const restrict = (...entries) => [
  'error',
  {
    paths: entries.filter((e) => e.name),
    patterns: entries
      .filter((e) => e.regex)
      .map(({ regex, message, allowTypeImports }) => ({
        regex,
        message,
        ...(allowTypeImports ? { allowTypeImports } : {}),
      })),
  },
];

export default defineConfig(
  {
    ignores: [
      'dist/',
      'out/',
      'node_modules/',
      '.e2e/',
      '.bench/',
      '.package/',
      'test-results/',
      'models/',
      'test/fixtures/',
      'media/',
    ],
  },
  {
    files: ['**/*.{ts,mjs,js,cjs}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    // Directives for rules this light set does not enable (no-explicit-any…) are fine.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      // A light set, so that work in progress on other branches passes; see CONTRIBUTING.md before adding.
      'no-debugger': 'error',
      'no-self-assign': 'error',
      'no-self-compare': 'error',
      'no-unsafe-finally': 'error',
      'no-dupe-else-if': 'error',
      'no-cond-assign': ['error', 'except-parens'],
      'no-constant-binary-expression': 'error',
      'no-unreachable-loop': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: { '@typescript-eslint/no-restricted-imports': restrict(LAYERS.ort, LAYERS.ortCommon) },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        LAYERS.vscode,
        LAYERS.ort,
        LAYERS.ortCommon,
        LAYERS.frontEnds,
      ),
    },
  },
  {
    files: ['src/engine/runtime.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(LAYERS.vscode, LAYERS.frontEnds) },
  },
  {
    files: ['src/webviews/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        LAYERS.vscode,
        LAYERS.ort,
        LAYERS.ortCommon,
        LAYERS.engineValues,
        LAYERS.hostSide,
        LAYERS.nodeBuiltins,
      ),
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        LAYERS.vscode,
        LAYERS.ort,
        LAYERS.ortCommon,
        LAYERS.engineValues,
        LAYERS.sharedFrontEnds,
        LAYERS.nodeBuiltins,
      ),
    },
  },
);
