#!/usr/bin/env bash
# Runs the test suite: decider, construct assertions, validation, local state machine executions,
# README examples, lint, the integ snapshot, the demo (scripts/demo.sh), then the consumer apps in
# TypeScript, Python, Java and Go (which reuse dist/ from scripts/setup.sh, or build it). Installs
# dependencies, and MiniStack, first when a fresh clone has none.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/use-node.sh

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
bash test/ministack/install.sh  # nothing to do when .tools/ministack-venv matches the lock file
npx projen test "$@"

# One plain summary line, counted from the JUnit report that jest-junit writes.
node -e '
const xml = require("fs").readFileSync("test-reports/junit.xml", "utf8");
const suites = xml.match(/<testsuites [^>]*>/)[0];
const n = (k) => Number((suites.match(new RegExp(`${k}="(\\d+)"`)) || [0, 0])[1]);
const failed = n("failures") + n("errors");
console.log(`jest: ${n("tests") - failed - n("skipped")} passed, ${failed} failed, ${n("skipped")} skipped`);
'

# The demo README's Quick start names: README's adaptive example executed in MiniStack, held to simulate().
bash scripts/demo.sh

# The built npm, PyPI, Maven and Go packages, installed into fresh TypeScript, Python, Java and Go apps.
npx projen test:consumers
