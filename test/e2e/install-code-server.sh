#!/usr/bin/env bash
# Installs the real VS Code our end-to-end tests drive: code-server 4.100.3 (VS Code 1.100.3, the
# last release whose engines accept Node 20), into .e2e/code-server, from the npm registry only.
# Needs Debian's libkrb5-dev (kerberos headers), ripgrep and chromium (installed by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/../.."
target=.e2e/code-server
if [ -f "$target/.installed" ]; then
  echo "code-server already installed in $target"
  exit 0
fi
mkdir -p "$target" .e2e/tmp
# @vscode/ripgrep downloads ripgrep from GitHub unless this cache holds it: give it Debian's rg.
cache=".e2e/tmp/vscode-ripgrep-cache-1.15.11"
mkdir -p "$cache"
if [ ! -f "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" ]; then
  staging=$(mktemp -d)
  cp "$(command -v rg)" "$staging/rg"
  tar -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$staging" rg
  rm -rf "$staging"
fi
cd "$target"
# npm 11 runs dependencies' install scripts only when approved: code-server builds its native
# modules and VS Code's in its postinstall, argon2 in its install.
cat > package.json <<'JSON'
{"name": "e2e-code-server", "private": true, "allowScripts": {"code-server": true, "argon2": true}}
JSON
TMPDIR="$(cd ../tmp && pwd)" npm_config_yes=true npm install code-server@4.100.3 --unsafe-perm --foreground-scripts --no-audit --no-fund --ignore-scripts=false 2>&1 | tail -5
test -f node_modules/code-server/out/node/entry.js
test -d node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog || { echo "code-server's postinstall did not build VS Code's modules" >&2; exit 1; }
touch .installed
echo "code-server installed in $target"
