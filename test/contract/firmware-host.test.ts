// Runs the firmware's C++ host unit tests (doctest) and the compile of the Arduino glue against
// its stubs, so that `npm test` and CI cover the firmware too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { requireBinary } from '../support/system';
import { firmwareDir } from './firmware-samples';

function make(target: string): { status: number | null; output: string } {
  const run = spawnSync('make', ['-C', firmwareDir, target], { encoding: 'utf8', timeout: 180000 });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

describe('firmware host build', function () {
  this.timeout(180000);

  before(function () {
    requireBinary(this, 'g++', 'g++');
    requireBinary(this, 'make', 'make');
    if (!fs.existsSync('/usr/include/doctest/doctest.h')) {
      const message = "doctest not found: install it with 'apt-get install -y doctest-dev'";
      if (process.env.CI === 'true') throw new Error(`${message} (CI=true: this suite must not be skipped)`);
      console.warn(`\n  !!! SKIPPING: ${message}\n`);
      this.skip();
    }
  });

  it('passes the C++ unit tests of the portable core', function () {
    const { status, output } = make('test');
    assert.equal(status, 0, output);
    assert.match(output, /Status: SUCCESS!/);
  });

  it('compiles the Arduino glue against the stub headers', function () {
    const { status, output } = make('check-glue');
    assert.equal(status, 0, output);
  });
});
