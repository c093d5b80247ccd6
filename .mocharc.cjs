// Tests are compiled with the rest of the project (npm test runs the build first).
module.exports = {
  // MOCHA_SPEC: space-separated globs instead, MOCHA_IGNORE: files left out (.ci/run's Node-RED 5
  // pass runs only the suites that load Node-RED)
  spec: (process.env.MOCHA_SPEC || 'dist/test/**/*.test.js').split(' '),
  ignore: (process.env.MOCHA_IGNORE || '').split(' ').filter(Boolean),
  timeout: 30000,
  reporter: './dist/test/support/totals-reporter.js',
  // fails a test/flow test that leaves a timer running after helper.unload (see the file)
  require: ['./dist/test/support/leak-check.js'],
  // kept as a safety net for the integration suites (spawned influxd, mosquitto, npm start): a
  // leftover socket there must not hang CI. Timers the nodes leave are failed by the leak check.
  exit: true,
};
