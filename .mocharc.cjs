// Tests are compiled with the rest of the project (npm test runs the build first).
module.exports = {
  spec: ['dist/test/**/*.test.js'],
  timeout: 30000,
  reporter: './dist/test/support/totals-reporter.js',
  exit: true,
};
