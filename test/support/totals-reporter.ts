// Mocha's spec output, plus the run's totals written to MOCHA_TOTALS_FILE so that .ci/run can
// add up the Node-RED 4 and Node-RED 5 runs into one "N passed, N failed" line.
import fs from 'node:fs';
import Mocha from 'mocha';

class TotalsReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    // A test that a root afterEach hook fails after it passed (leak-check.ts) counts as failed
    // only, here and in the summary below the spec output.
    const passed = new Set<Mocha.Runnable>();
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test: Mocha.Test) => passed.add(test));
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test: Mocha.Runnable) => {
      if (passed.delete(test) && this.stats) this.stats.passes -= 1;
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.MOCHA_TOTALS_FILE;
      if (!file || !this.stats) return;
      const { passes, failures, pending } = this.stats;
      fs.writeFileSync(file, JSON.stringify({ passes, failures, pending }));
    });
  }
}

export = TotalsReporter;
