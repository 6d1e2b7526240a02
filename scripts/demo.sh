#!/usr/bin/env bash
# Shows the library doing its job, with no AWS account: README's adaptive example (out of memory ->
# a bigger task), synthesized from README's own text, executed locally in MiniStack with the ECS task
# replaying real failure shapes (a transient start failure, out of memory, then success), beside
# what simulate() predicted and explain's view of the execution. Exits non-zero when the prediction
# and the execution differ.
#
# Sets up what it needs on a fresh clone: Node.js, the dependencies, the decider and CLI bundles,
# and MiniStack (into .tools/). MiniStack and the scratch files are removed when it ends, however
# it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/use-node.sh

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
bash test/ministack/install.sh      # nothing to do when .tools/ministack-venv matches the lock file
npx projen bundle > /dev/null       # the decider and explain, as they ship, into assets/

started=$(date +%s)
npx ts-node --transpile-only --project tsconfig.dev.json demo/run.ts
echo "demo: $(( $(date +%s) - started ))s after setup"
