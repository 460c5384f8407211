#!/usr/bin/env bash
# Installs what the end-to-end tests need on a fresh Debian machine, offline from Microsoft's servers:
# Debian's Chromium, code-server 4.100.3 from npm (a real VS Code 1.100 host) and playwright-core.
# Idempotent: each step is skipped when its result is already there (a second run takes about a second).
# See docs/e2e.md for why each step is needed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
E2E="$ROOT/.e2e"
CS_DIR="$E2E/code-server"
CS_VERSION=4.100.3
mkdir -p "$E2E"

need_apt=()
for bin_pkg in chromium:chromium rg:ripgrep pkg-config:pkg-config make:build-essential python3:python3; do
  command -v "${bin_pkg%%:*}" >/dev/null 2>&1 || need_apt+=("${bin_pkg##*:}")
done
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup-e2e: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$CS_DIR/node_modules/.bin/code-server" ]; then
  echo "setup-e2e: installing code-server@$CS_VERSION into $CS_DIR"
  T="$E2E/tmp"; mkdir -p "$T" "$CS_DIR"
  # @vscode/ripgrep downloads rg from GitHub; seed its cache with Debian's rg instead.
  RG_CACHE="$T/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$RG_CACHE"
  for name in ripgrep-v13.0.0-10-x86_64-unknown-linux-musl ripgrep-v13.0.0-10-aarch64-unknown-linux-musl; do
    if [ ! -f "$RG_CACHE/$name.tar.gz" ]; then
      tmp="$(mktemp -d)"; cp "$(command -v rg)" "$tmp/rg"; tar -czf "$RG_CACHE/$name.tar.gz" -C "$tmp" rg; rm -rf "$tmp"
    fi
  done
  [ -f "$CS_DIR/package.json" ] || echo '{"name":"bert-lens-e2e-host","private":true}' > "$CS_DIR/package.json"
  (cd "$CS_DIR" && TMPDIR="$T" npm_config_yes=true npm install --no-audit --no-fund --unsafe-perm=true "code-server@$CS_VERSION")
fi

if [ ! -d "$ROOT/node_modules/playwright-core" ] || [ ! -d "$ROOT/node_modules/@vscode/vsce" ]; then
  echo "setup-e2e: installing devDependencies (playwright-core, @vscode/vsce)"
  (cd "$ROOT" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund)
fi
echo "setup-e2e: ready (code-server $(node -p "require('$CS_DIR/node_modules/code-server/package.json').version"))"
