#!/usr/bin/env bash
# End-to-end tests in a real VS Code host (code-server + Debian Chromium + playwright-core), fully offline.
#   npm run test:e2e            install what is missing, package the .vsix, run test/e2e/*.e2e.test.mjs
#   npm run test:e2e -- --bench also measure hover/predict/activation latency (src/bench/extension.mjs)
# Screenshots go to test-results/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-e2e.sh
npm run --silent package >/dev/null
mkdir -p test-results/e2e
if [ "${1:-}" = "--bench" ]; then
  exec node src/bench/extension.mjs
fi
node --test --test-concurrency=1 --test-reporter=spec test/e2e/
