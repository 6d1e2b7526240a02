#!/usr/bin/env bash
# Installs MiniStack from its lock file (test/ministack/requirements.txt) into a Python venv at
# .tools/ministack-venv, which git and npm already ignore. Does nothing when the venv already holds
# exactly this lock file. The MiniStack execution tests fail, rather than skip, without it.
set -euo pipefail
cd "$(dirname "$0")/../.."

LOCK=test/ministack/requirements.txt
VENV=.tools/ministack-venv
PYTHON=${MINISTACK_BOOTSTRAP_PYTHON:-python3}

if [ -x "$VENV/bin/python" ] && cmp -s "$LOCK" "$VENV/installed-requirements.txt"; then
  exit 0
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "MiniStack needs Python 3.10 or newer as '$PYTHON' (set MINISTACK_BOOTSTRAP_PYTHON to use another)." >&2
  exit 1
fi

started=$(date +%s)
rm -rf "$VENV"
if ! "$PYTHON" -m venv "$VENV"; then
  echo "Could not create a venv with '$PYTHON -m venv'; on Debian or Ubuntu: apt-get install python3-venv" >&2
  exit 1
fi
# --no-deps: the lock pins every package, so pip resolves nothing; pip check proves it is complete.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$LOCK"
"$VENV/bin/python" -m pip check --disable-pip-version-check
cp "$LOCK" "$VENV/installed-requirements.txt"
echo "MiniStack installed into $VENV in $(( $(date +%s) - started ))s"
