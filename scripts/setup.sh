#!/usr/bin/env bash
# Sets up a fresh clone and builds the package: a supported Node.js, the locked dependencies,
# the decider bundle, the jsii compile, API.md, and the npm, PyPI, Maven and Go packages in dist/;
# and MiniStack, from its lock file, for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/use-node.sh
# package-all writes dist/go, and jsii-pacmak compiles that module with the go command.
command -v go > /dev/null || { echo "setup: packaging the Go module needs Go 1.25 or later (go) on PATH" >&2; exit 1; }

npm ci --no-audit --no-fund
npx projen            # regenerate project files from .projenrc.ts
npx projen pre-compile  # bundle the decider into assets/
npx projen compile      # jsii
npx projen post-compile # API.md
npx projen package-all  # dist/js, dist/python, dist/java, dist/go
bash test/ministack/install.sh  # MiniStack for the execution tests, into .tools/
