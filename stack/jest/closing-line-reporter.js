// Ends every run with the plain "N passed, N failed, N skipped" line that CI tooling reads, since jest's
// own summary ("Tests: ...") is not a format those tools know. Written at exit so that it comes after
// jest's summary, which is printed by a reporter that always runs last.
class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `\njest: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests + results.numTodoTests} skipped\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}
module.exports = ClosingLineReporter;
