// Mocha's spec output, plus the run's totals written to MOCHA_TOTALS_FILE so that .ci/run can
// add up the Node-RED 4 and Node-RED 5 runs into one "N passed, N failed" line, and the test files
// that took longest, since CI has a time budget (30 minutes for both runs). The failed tests go
// into that file too: .ci/run repeats them last, where a CI log cut to its end still shows them.
import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

const SLOWEST_SHOWN = 12;
const ERROR_LINES_KEPT = 6;

class TotalsReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    // A test that a root afterEach hook fails after it passed (leak-check.ts) counts as failed
    // only, here and in the summary below the spec output.
    const passed = new Set<Mocha.Runnable>();
    const failed: { title: string; file: string; error: string }[] = [];
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test: Mocha.Test) => passed.add(test));
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test: Mocha.Runnable, err: Error) => {
      if (passed.delete(test) && this.stats) this.stats.passes -= 1;
      failed.push({
        title: test.fullTitle(),
        file: test.file ? path.relative(process.cwd(), test.file) : '',
        error: String(err?.message ?? err).split('\n').slice(0, ERROR_LINES_KEPT).join('\n'),
      });
    });
    const fileSeconds = new Map<string, number>();
    const started = new Map<Mocha.Suite, number>();
    runner.on(Mocha.Runner.constants.EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.file && suite.parent?.root) started.set(suite, performance.now());
    });
    runner.on(Mocha.Runner.constants.EVENT_SUITE_END, (suite: Mocha.Suite) => {
      const begun = started.get(suite);
      if (begun === undefined || !suite.file) return;
      const name = path.relative(process.cwd(), suite.file);
      fileSeconds.set(name, (fileSeconds.get(name) ?? 0) + (performance.now() - begun) / 1000);
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const slowest = [...fileSeconds].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST_SHOWN);
      const total = [...fileSeconds.values()].reduce((sum, seconds) => sum + seconds, 0);
      console.log(`\n  slowest test files (of ${Math.round(total)} s in ${fileSeconds.size} files):`);
      for (const [name, seconds] of slowest) console.log(`  ${seconds.toFixed(1).padStart(7)} s  ${name}`);
      const file = process.env.MOCHA_TOTALS_FILE;
      if (!file || !this.stats) return;
      const { passes, failures, pending } = this.stats;
      fs.writeFileSync(file, JSON.stringify({ passes, failures, pending, failed }));
    });
  }
}

export = TotalsReporter;
