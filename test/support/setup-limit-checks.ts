// The Jest setup file of every test (`setupFilesAfterEnv`, set in .projenrc.ts): Step Functions'
// limits are checked on every definition a test synthesizes and every execution it runs, and no
// test can opt out, only expect a violation it causes on purpose. See step-functions-limits.ts.
import { takeUnexpectedLimitFailures } from './limit-failures';
import { installSynthesisLimitChecks } from './synthesis-limits';

installSynthesisLimitChecks();

// The synthesis check and the executors throw where a limit is exceeded; this fails the test as
// well when it caught that throw and went on.
afterEach(() => {
  const failures = takeUnexpectedLimitFailures();
  if (failures.length > 0) {
    throw new Error(`This test exceeded a Step Functions limit and did not expect it:\n\n${failures.map((f) => f.message).join('\n\n')}`);
  }
});
