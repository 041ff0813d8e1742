#!/usr/bin/env bash
# Installs what the browser and extension-host tests need, once, and is quick when all is there:
#   Debian: chromium (webview tests, workbench), build-essential python3 pkg-config libkrb5-dev
#           (native modules of the VS Code server in code-server)
#   npm:    Node 24 + code-server into a cache outside the repo (scripts/install-code-server.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
[ -x /usr/lib/chromium/chromium ] || need+=(chromium)
for p in build-essential python3 pkg-config libkrb5-dev python3-torch; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "The tests need these Debian packages: ${need[*]}" >&2
    echo "Install them with: sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
  echo "setup: apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ -x scripts/install-code-server.sh ]; then
  scripts/install-code-server.sh
fi
