// `npm run build` starts from an empty dist/: files of renamed or deleted sources must not be
// run by the tests or packed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

fs.rmSync(path.join(__dirname, '..', 'dist'), { recursive: true, force: true });
