#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/cli.js by `npm run build`.
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error('bert-lens: the CLI is not built yet. Run `npm run build` (or `npm ci`, which builds it) first.');
  process.exit(2);
}
require(cli).main();
