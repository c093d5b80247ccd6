#!/usr/bin/env node
// Node-RED loads each node's .html, locales/ and icons/ from beside its .js (loader.js),
// so the build copies them from nodes/ into dist/nodes/ next to the compiled runtime, together with
// the data a runtime module reads beside it (the Modbus register profiles, .yml).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ASSET = /\.(html|json|svg|png|yml)$/;
const root = path.join(__dirname, '..');

function copyAssets(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyAssets(source, target);
    else if (ASSET.test(entry.name)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, target);
    }
  }
}

copyAssets(path.join(root, 'nodes'), path.join(root, 'dist', 'nodes'));
