#!/usr/bin/env node
// Thin launcher for the bundled CLI; `npm install` builds dist/ through the prepare script.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('weft: dist/cli.js is missing. Run `npm install` (or `npm run build`) in the Weft folder first.\n');
  process.exit(2);
}
void require(cli).runCli(process.argv.slice(2));
