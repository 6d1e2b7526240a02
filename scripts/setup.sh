#!/usr/bin/env bash
# Sets up a fresh clone and builds the package: a supported Node.js, the locked dependencies,
# the decider bundle, the jsii compile, API.md, and the npm tarball in dist/js; and MiniStack, from
# its lock file, for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/use-node.sh

npm ci --no-audit --no-fund
npx projen            # regenerate project files from .projenrc.ts
npx projen pre-compile  # bundle the decider into assets/
npx projen compile      # jsii
npx projen post-compile # API.md
npx projen package-all  # dist/js, dist/python, dist/java
bash test/ministack/install.sh  # MiniStack for the execution tests, into .tools/
