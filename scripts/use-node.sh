# shellcheck shell=bash
# Sourced by the other scripts: puts a supported Node.js LTS first on PATH.
#
# The toolchain (jsii, projen, aws-local-stepfunctions) needs Node 22 or 24. When the Node on PATH
# is older, the pinned official binary is installed from the npm registry (package
# node-<os>-<arch>) into .tools/, so no download site is needed.
NODE_PIN="$(cat "$(dirname "${BASH_SOURCE[0]}")/../.node-version")"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

current_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$current_major" != 22 ] && [ "$current_major" != 24 ]; then
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "unsupported OS: $(uname -s)" >&2; exit 1 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; arm64|aarch64) arch=arm64 ;; *) echo "unsupported CPU: $(uname -m)" >&2; exit 1 ;; esac
  pkg="node-$os-$arch"
  tools="$repo_root/.tools"
  if [ ! -x "$tools/node_modules/$pkg/bin/node" ] \
    || [ "$("$tools/node_modules/$pkg/bin/node" -v)" != "v$NODE_PIN" ]; then
    echo "Installing Node.js $NODE_PIN ($pkg) from the npm registry into .tools/" >&2
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-save --no-package-lock --loglevel=error "$pkg@$NODE_PIN" >&2
  fi
  export PATH="$tools/node_modules/$pkg/bin:$PATH"
fi
echo "Using Node.js $(node -v)" >&2
